"""Make a copy of the course for learners: lessons, gatelab, assets and the environment, no solutions.

`python -m autograde.student_copy DEST` (what `make student-copy DEST=…` does). The copy has the
learners' README (autograde/README-learners.md), the learners' Makefile (lab.mk: `make lab`), everything
`make lab` needs, and nothing of solutions/, the hidden tests, the test suite, the grading workspace, the
test tools or the class's deployment. `--hub` adds deploy/: the course environment a JupyterHub gives
every user (deploy/install-env.sh).
"""

import argparse
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = [
    "lessons",
    "src",
    "assets",
    "jupyter-config",
    "jupyter-lab-settings",
    "pyproject.toml",
    "requirements-torch.txt",
    "requirements.txt",
    "environment.yml",
    ".gitignore",
]
RENAMED = {"lab.mk": "Makefile", "autograde/README-learners.md": "README.md"}  # source -> name in the copy
HUB = ["deploy"]
NEVER = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints", "node_modules")


def make_student_copy(dest, root=ROOT, hub=False):
    """Copy the learner-facing parts of root into dest (which must not exist); returns dest.

    hub: also copy deploy/, for the course environment of a JupyterHub.
    """
    dest = Path(dest)
    if dest.exists():
        raise SystemExit(f"{dest} exists already: choose a new folder")
    dest.mkdir(parents=True)
    for name in SHIPPED + (HUB if hub else []):
        source = root / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=NEVER)
        else:
            shutil.copy2(source, dest / name)
    for source, name in RENAMED.items():
        shutil.copy2(root / source, dest / name)
    return dest


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A copy of the course for learners, with no solutions.")
    parser.add_argument("dest", help="a new folder")
    parser.add_argument("--hub", action="store_true", help="also copy deploy/ (a JupyterHub's course environment)")
    args = parser.parse_args()
    print(f"student copy written to {make_student_copy(args.dest, hub=args.hub)}")
