"""What the notebook and nbgrader tests share: the course's folders, its notebooks' graded cells, nbgrader.

Tests discover lessons by walking solutions/, so a new lesson is covered by being added.
"""

import copy
import datetime
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autograde import release
from autograde.sandbox import sandbox_available

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = release.assignments(ROOT)
SOLUTION_NOTEBOOKS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


# What the grading tests give each kernel: lesson 01 runs in seconds; a runaway cell is cut at 20 s.
GRADING_LIMITS = {
    "cell_timeout": 20,
    "notebook_timeout": 180,
    "memory_limit": 3 * 2**30,
    "cpu_limit": 200,
    "sandbox": True,
}


def needs_sandbox():
    """At a test module's top: skip the module unless bubblewrap and prlimit are here (the grader runs kernels in
    them); under CI, where everything must run, fail."""
    if sandbox_available():
        return
    if os.environ.get("CI"):
        raise RuntimeError("bwrap or prlimit is missing: CI must install Debian's bubblewrap (see .ci/run)")
    pytest.skip("grading needs Debian's bubblewrap (apt-get install bubblewrap)", allow_module_level=True)


def needs(ok, why):
    """Skip the test unless ok; under CI (CI=true), where everything must run, fail instead."""
    if not ok:
        pytest.fail(why) if os.environ.get("CI") else pytest.skip(why)


def read(path):
    """The notebook at path (nbformat 4)."""
    return nbformat.read(path, as_version=4)


def lesson_prose(lesson):
    """The markdown of solutions/<lesson>, white space made single spaces."""
    nb = nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    return " ".join(" ".join(cell.source.split()) for cell in nb.cells if cell.cell_type == "markdown")


def nbgrader_meta(cell):
    """The cell's nbgrader metadata ({} when it has none)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_cells(nb):
    """{grade_id: cell} of the cells learners write in."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if nbgrader_meta(c).get("solution")}


def graded_cells(nb):
    """{grade_id: cell} of the autograded test cells."""
    return {
        nbgrader_meta(c)["grade_id"]: c for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code"
    }


def points(cell):
    return float(nbgrader_meta(cell)["points"])


def region_lines(source, begin, end):
    """The stripped lines strictly between the begin and end markers of source."""
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip().startswith(begin):
            inside = True
        elif line.strip().startswith(end):
            inside = False
        elif inside:
            lines.append(line.strip())
    return lines


def secret_lines(nb, min_length=20):
    """Lines of solutions and hidden tests long enough to be recognisable if they leaked."""
    lines = set()
    for cell in nb.cells:
        lines.update(region_lines(cell.source, "### BEGIN SOLUTION", "### END SOLUTION"))
        lines.update(region_lines(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))
    return {line for line in lines if len(line) >= min_length}


def without_markers(source):
    """The solution as a learner who solved it would have written it: the source minus the marker lines."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in MARKERS)


def names_in(source, names):
    """The names (from names) that source mentions as whole words."""
    return {n for n in names if re.search(rf"(?<![\w.]){re.escape(n)}\b", source)}


def broken_by(name, solutions):
    """Every solution name that breaks when `name` is left unimplemented: itself and, transitively, its callers."""
    broken, grew = {name}, True
    while grew:
        callers = {other for other, cell in solutions.items() if names_in(cell.source, broken) - {other}}
        grew = not callers <= broken
        broken |= callers
    return broken


def nbgrader(*args, cwd):
    """Run the real `nbgrader ARGS…` in the course folder cwd; assert it succeeds; return its output."""
    done = release.nbgrader(*args, cwd=cwd)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def make_course(folder, names=ASSIGNMENTS):
    """A fresh course folder with the repository's nbgrader_config.py and solutions/ of the given assignments."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for name in names:
        shutil.copytree(ROOT / "solutions" / name, folder / "solutions" / name)
    (folder / "autograde").mkdir()
    return folder


def files_under(folder):
    """{relative path: bytes} of every file under folder, checkpoints and caches excluded."""
    skip = (".ipynb_checkpoints", "__pycache__")
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(s in p.parts for s in skip)
    }


def submission(released, source, left_as_released=()):
    """The released notebook with every solution cell solved (from source), except those named."""
    solutions = solution_cells(source)
    nb = copy.deepcopy(released)
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and grade_id not in left_as_released:
            cell.source = without_markers(solutions[grade_id].source)
    return nb


def with_wrong_jacobian(solved):
    """Lesson 01 solved but for one classic mistake: dhT_dh0 leaves out the tanh's derivative, so its two
    tests fail (3 of the lesson's 6 points lost)."""
    nb = copy.deepcopy(solved)
    right, wrong = "J_t = (1 - h_seq[:, t] ** 2)[:, :, None] * W_hh", "J_t = W_hh.expand(B, n_h, n_h)"
    assert any(right in cell.source for cell in nb.cells), "lesson 01's dhT_dh0 changed: update this mistake"
    for cell in nb.cells:
        cell.source = cell.source.replace(right, wrong)
    return nb


def submit(course, assignment, student, notebooks):
    """Place notebooks as student's submission, as `nbgrader collect` would.

    notebooks maps file names to a notebook, to raw text (str), or to a Path the file is a symlink to.
    """
    folder = course / "autograde" / "submitted" / student / assignment
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        if isinstance(nb, Path):
            (folder / name).symlink_to(nb)
        elif isinstance(nb, str):
            (folder / name).write_text(nb)
        else:
            nbformat.write(nb, folder / name)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    (folder / "timestamp.txt").write_text(stamp)


def execute(path):
    """Run the notebook at path top to bottom in a real kernel (cwd: its folder); return (nb, seconds)."""
    nb = read(path)
    start = time.perf_counter()
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb, time.perf_counter() - start


# Run All of a released lesson (tests/test_run_all.py): what a learner sees before writing any code.
LESSON_NOTEBOOKS = sorted((ROOT / "lessons").glob("*/*.ipynb"))
RUN_PAST = "raises-exception"  # the cell tag that JupyterLab's Run All and nbclient go on past when the cell fails
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def runs_past_errors(cell):
    """Is the cell tagged raises-exception, so that Run All goes on when it fails?"""
    return RUN_PAST in cell.get("metadata", {}).get("tags", [])


def explorer_cells(nb):
    """The code cells that show an explorer whatever the learner wrote: they call gl.widgets, name no learner's
    function (the cell that reopens a puzzle at the learner's settings does) and use no learner's value (a cell
    that does is tagged raises-exception, as lesson 06's training film, which outlines the learner's unit)."""
    learner = solution_cells(nb)
    return [
        c
        for c in nb.cells
        if c.cell_type == "code"
        and "gl.widgets." in c.source
        and not names_in(c.source, learner)
        and not runs_past_errors(c)
    ]


def explorer_names(cell):
    """The gl.widgets functions the cell calls, e.g. ['lstm_gate_explorer']."""
    return re.findall(r"gl\.widgets\.(\w+)", cell.source)


def shows_widget(cell):
    """Did the executed cell display a widget (its view, as JupyterLab renders it)?"""
    return any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", []))


def failed(cell):
    """Did the executed cell end in an error?"""
    return any(out.output_type == "error" for out in cell.get("outputs", []))
