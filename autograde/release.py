"""Regenerate lessons/ from solutions/ with nbgrader's own generate_assignment.

Run from anywhere: `python -m autograde.release [assignment …]` (what `make release` does).
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def assignments(root=ROOT):
    """The assignment names: one folder per lesson in solutions/, e.g. '01-why-gates'."""
    return sorted(p.name for p in (root / "solutions").iterdir() if p.is_dir() and not p.name.startswith("."))


def nbgrader(*args, cwd):
    """Run the real `nbgrader ARGS…` in the course folder cwd, with this interpreter's bin/ first on PATH.

    (nbgrader runs alembic as a program, so the environment's bin/ must be on PATH.) Returns the
    CompletedProcess with its output captured as text.
    """
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run(["nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True)


def release(root=ROOT, names=None):
    """Run `nbgrader generate_assignment NAME --force` in root for each assignment; stop at the first failure."""
    for name in names or assignments(root):
        done = nbgrader("generate_assignment", name, "--force", cwd=root)
        if done.returncode:
            raise SystemExit(f"nbgrader generate_assignment {name} failed:\n{done.stdout}{done.stderr}")
        print(f"released {name} -> lessons/{name}")


if __name__ == "__main__":
    release(names=sys.argv[1:])
