"""Regenerate lessons/ from solutions/ with nbgrader's own generate_assignment.

Run from anywhere: `python -m autograde.release [assignment …]` (what `make release` does).
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def assignments(root=ROOT):
    """The assignment names: one folder per lesson in solutions/, e.g. '01-why-gates'."""
    return sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))


def release(root=ROOT, names=None):
    """Run `nbgrader generate_assignment NAME --force` in root for each assignment."""
    for name in names or assignments(root):
        subprocess.run(["nbgrader", "generate_assignment", name, "--force"], cwd=root, check=True)


if __name__ == "__main__":
    release(names=sys.argv[1:])
