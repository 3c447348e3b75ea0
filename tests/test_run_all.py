"""Does Run All of a released lesson, every exercise still unimplemented, show every explorer?

A learner who opens a lesson and presses Run All meets nbgrader's stubs (`raise NotImplementedError()`)
long before the end. JupyterLab's Run All, like nbclient, stops at the first cell that fails unless that
cell is tagged raises-exception: the cells that call the learner's code carry the tag, so every explorer
whose output does not depend on that code still appears. And each explorer's cell works on its own, in a
kernel where nothing else ran.
"""

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.course import (
    LESSON_NOTEBOOKS,
    ROOT,
    RUN_PAST,
    execute,
    explorer_cells,
    explorer_names,
    failed,
    read,
    runs_past_errors,
    shows_widget,
)

EXPLORER_LESSONS = [p for p in LESSON_NOTEBOOKS if explorer_cells(read(p))]


@pytest.mark.parametrize("path", LESSON_NOTEBOOKS, ids=lambda p: p.stem)
def test_the_released_lesson_keeps_the_tags_of_its_source(path):
    def tagged(nb):
        return [c.id for c in nb.cells if runs_past_errors(c)]

    source = read(ROOT / "solutions" / path.parent.name / path.name)
    assert tagged(read(path)) == tagged(source), f"nbgrader's release dropped or moved {RUN_PAST} tags"


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSON_NOTEBOOKS, ids=lambda p: p.stem)
def test_run_all_of_the_released_lesson_reaches_the_end_and_shows_every_explorer(path):
    try:
        nb, seconds = execute(path)  # nbclient with allow_errors=False: Run All's rule
    except CellExecutionError as error:
        pytest.fail(f"Run All stops at a cell not tagged {RUN_PAST} (does it need the learner's code?):\n{error}")
    explorers = explorer_cells(nb)
    missing = [f"{c.id} ({', '.join(explorer_names(c))})" for c in explorers if not shows_widget(c)]
    assert not missing, f"these explorers show nothing after Run All: {missing}"
    needless = [c.id for c in nb.cells if runs_past_errors(c) and not failed(c)]
    assert not needless, f"tagged {RUN_PAST} but runs without error in the released lesson: {needless}"
    shown = [name for c in explorers for name in explorer_names(c)]
    print(f"{path.stem}: Run All in {seconds:.1f} s, {len(shown)} explorers shown: {', '.join(shown) or '-'}")


@pytest.mark.slow
@pytest.mark.parametrize("path", EXPLORER_LESSONS, ids=lambda p: p.stem)
def test_every_explorer_cell_runs_alone_in_a_fresh_kernel(path):
    # One kernel per lesson: before each explorer's cell `%reset -f` empties the namespace, so the cell
    # finds none of the names (gl, torch, …) that the cells above it, or another explorer's, defined.
    lesson = read(path)
    nb = nbformat.v4.new_notebook(metadata=lesson.metadata)
    for cell in explorer_cells(lesson):
        nb.cells += [nbformat.v4.new_code_cell("%reset -f"), nbformat.v4.new_code_cell(cell.source, id=cell.id)]
    try:
        folder = {"metadata": {"path": str(path.parent)}}
        NotebookClient(nb, timeout=180, kernel_name="python3", resources=folder).execute()
    except CellExecutionError as error:
        pytest.fail(f"an explorer's cell fails when run alone (import gatelab as gl in the cell itself):\n{error}")
    alone = nb.cells[1::2]
    assert alone and all(shows_widget(c) for c in alone), [c.id for c in alone if not shows_widget(c)]
