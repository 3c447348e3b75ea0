"""Collect: the course, its released notebooks, the submissions, and each submission staged for grading.

- load_course, released_notebooks, ensure_released: what learners started from;
- submission_folders, snapshot: what they submitted (hashed before and after: grading never alters it);
- read_notebook, match_notebooks: each released notebook's counterpart in a submission (renamed ones matched
  by their cells' ids and grade_ids; unreadable and missing ones graded as released, 0 points);
- stage: a sanitized copy of one submission in a workspace (autograde/restore.py puts back what the
  release fixes), with the grader's notes per notebook.
"""

import copy
import hashlib
import shutil
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

from autograde.restore import restore, with_notes
from autograde.workspace import run_nbgrader

CELL_KEYS = {
    "code": {"id", "cell_type", "metadata", "source", "outputs", "execution_count"},
    "markdown": {"id", "cell_type", "metadata", "source", "attachments"},
    "raw": {"id", "cell_type", "metadata", "source", "attachments"},
}


def load_course(course):
    """The CourseDirectory that course/nbgrader_config.py describes."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(Path(course).resolve())
    return CourseDirectory(config=config)


def submission_folders(coursedir, assignment):
    """{student: folder} of every submission of assignment."""
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, ".", "."))
    folders = sorted(p for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    return {p.parent.name: p for p in folders}


def released_notebooks(coursedir, assignment):
    """{file name: notebook} of the released assignment (what learners start from)."""
    folder = Path(coursedir.format_path(coursedir.release_directory, ".", assignment))
    return {p.name: nbformat.read(p, as_version=4) for p in sorted(folder.glob("*.ipynb"))}


def ensure_released(coursedir, assignment, course):
    """Run nbgrader generate_assignment if the gradebook does not know the assignment yet."""
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
            return
        except MissingEntry:
            pass
    run_nbgrader(["generate_assignment", assignment, "--force"], cwd=course, timeout=600, check=True)


def snapshot(folders):
    """{path: sha256} of every file under the given folders."""
    hashes = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and not path.is_symlink():
                hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def repaired(nb):
    """nb with what the notebook format forbids in each cell removed (e.g. outputs in a cell made markdown)."""
    for cell in nb.get("cells", []):
        for key in set(cell) - CELL_KEYS.get(cell.get("cell_type"), set(cell)):
            del cell[key]
        if cell.get("cell_type") == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    return nb


def read_notebook(path):
    """(notebook, None), or (None, why it cannot be read); small format violations are repaired."""
    try:
        nb = repaired(nbformat.read(path, as_version=4))
        nbformat.validate(nb)
        return nb, None
    except Exception as error:
        return None, f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"


def cell_keys(nb):
    """The ids and nbgrader grade_ids of nb's cells: what a renamed notebook shares with its release."""
    ids = {("id", c.get("id")) for c in nb.cells if c.get("id")}
    return ids | {("grade_id", g) for c in nb.cells if (g := c.get("metadata", {}).get("nbgrader", {}).get("grade_id"))}


def match_notebooks(folder, released):
    """{released name: (notebook, notes)} for a submission folder: renamed, unreadable and missing handled."""
    readable, unreadable = {}, {}
    for path in sorted(folder.glob("*.ipynb")):
        nb, why = (None, "it is a symbolic link, not a file") if path.is_symlink() else read_notebook(path)
        if nb is None:
            unreadable[path.name] = why
        else:
            readable[path.name] = nb
    matched = {}
    for name, reference in released.items():
        if name in readable:
            matched[name] = (readable.pop(name), [])
        elif name in unreadable:
            notes = [f"`{name}` could not be read ({unreadable.pop(name)}): it was graded as the released notebook"]
            matched[name] = (copy.deepcopy(reference), notes)
    for name, reference in released.items():
        if name in matched:
            continue
        overlap = {other: len(cell_keys(nb) & cell_keys(reference)) for other, nb in readable.items()}
        best = max(overlap, key=overlap.get, default=None)
        if best is not None and overlap[best] > 0:
            matched[name] = (readable.pop(best), [f"`{best}` was graded as `{name}` (the notebook was renamed)"])
        else:
            notes = [f"no notebook `{name}` was submitted: it was graded as the released notebook"]
            matched[name] = (copy.deepcopy(reference), notes)
    for other in [*readable, *unreadable]:
        matched[next(iter(released))][1].append(f"`{other}` is not part of this assignment and was not graded")
    return matched


def stage(folder, released, dest):
    """Copy the submission in folder to dest, sanitized; return {notebook: notes}."""
    dest.mkdir(parents=True)
    for path in folder.iterdir():
        if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb":
            shutil.copy(path, dest / path.name)
    all_notes = {}
    for name, (nb, notes) in match_notebooks(folder, released).items():
        notes += restore(nb, released[name])
        nbformat.write(with_notes(nb, notes), dest / name)
        all_notes[name] = notes
    return all_notes
