"""Make a copy of the course for learners: lessons, gatelab, assets and the environment, no solutions.

`python -m autograde.student_copy DEST` (what `make student-copy DEST=…` does). The copy has the
learners' README (autograde/README-learners.md), everything `make lab` needs, and nothing of
solutions/, the hidden tests, the test suite or the grading workspace.
"""

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [
    "lessons",
    "src",
    "deploy",
    "assets",
    "Makefile",
    "pyproject.toml",
    "requirements.txt",
    "requirements-dev.txt",
    "environment.yml",
    ".gitignore",
]
NEVER = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints", "node_modules")


def make_student_copy(dest, root=ROOT):
    """Copy the learner-facing parts of root into dest (which must not exist); returns dest."""
    dest = Path(dest)
    if dest.exists():
        raise SystemExit(f"{dest} exists already: choose a new folder")
    dest.mkdir(parents=True)
    for name in SHIPPED:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=NEVER)
        else:
            shutil.copy2(source, dest / name)
    shutil.copy2(root / "autograde" / "README-learners.md", dest / "README.md")
    return dest


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m autograde.student_copy DEST")
    print(f"student copy written to {make_student_copy(sys.argv[1])}")
