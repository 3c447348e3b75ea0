#!/usr/bin/env bash
# The hub's course environment: a student copy of the course (no solutions, no hidden tests) with deploy/ at
# DEST, its .venv built with PYTHON (one every user can run) by the copy's `make setup` plus JupyterHub, and
# the hub's proxy in DEST/deploy/node_modules.
#   deploy/install-env.sh DEST [PYTHON]          (make hub-env DEST=/opt/gates PYTHON=/usr/bin/python3.11)
set -euo pipefail
dest=${1:?usage: deploy/install-env.sh DEST [PYTHON]}
python=${2:-python3}
repo="$(cd "$(dirname "$0")/.." && pwd)"
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), "the course is pinned to Python 3.11"'
PYTHONPATH="$repo" "$python" -m autograde.student_copy --hub "$dest"
make -C "$dest" setup PYTHON="$python" > /dev/null    # the learners' set-up: .venv, PyTorch's CPU build, gatelab
"$dest/.venv/bin/pip" install --quiet --disable-pip-version-check -r "$dest/deploy/requirements.txt" \
  2> "$dest/.venv/pip.log" || { cat "$dest/.venv/pip.log"; exit 1; }
npm ci --silent --no-audit --no-fund --prefix "$dest/deploy"
chmod -R a+rX "$dest"
"$dest/.venv/bin/python" -c "import gatelab, nbgrader, jupyterhub"
echo "course environment ready in $dest"
