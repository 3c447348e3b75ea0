"""Does the restore step (autograde/restore.py) put back what the release fixes, and move nothing of the learner's?

On tests/small_course.py's released notebook and a learner's copy of it, changed in one way per test.
"""

import copy
import json

import nbformat
import pytest

from autograde.restore import (
    NOTE_CELL_ID,
    match_ids,
    restore,
    restore_locked_cells,
    restore_metadata,
    restore_order,
    with_notes,
)
from tests.small_course import cell, ids, learner, released_notebook


@pytest.fixture
def released():
    return released_notebook()


def test_a_deleted_test_after_a_markdown_cell_is_put_back_where_it_was_released(released):
    """Is the test nbgrader's add_missing_cells failed on (the cell before it is markdown) put back in place?"""
    nb = learner(released, ["intro", "setup", "f", "try-text", "try", "f_shape"])
    notes = restore_locked_cells(nb, released)
    assert ids(nb) == ids(released)
    assert notes == ["test cell `f_value` was missing: the original was put back"]
    assert nb.cells[5].source == released.cells[5].source and nb.cells[5].outputs == []


def test_every_deleted_test_and_setup_cell_comes_back_in_the_released_order(released):
    nb = learner(released, ["f", "try"])
    notes = restore_locked_cells(nb, released)
    assert ids(nb) == ["setup", "f", "try", "f_value", "f_shape"]
    assert notes[0] == "cell `setup` was missing: the original was put back"
    assert len(notes) == 3


def test_a_test_above_its_solution_is_run_below_it_and_the_learners_cells_keep_their_order(released):
    nb = learner(
        released, ["f_value", "setup", "mine", "f", "try", "later", "f_shape"], [("mine", "y = 1"), ("later", "z = 2")]
    )
    notes = restore_order(nb, released)
    assert ids(nb) == ["setup", "mine", "f", "try", "f_value", "later", "f_shape"]
    assert notes == ["test cell `f_value` was above `f`, which it follows in the released notebook: it was run below"]


def test_a_test_the_learner_put_lower_stays_where_it_is(released):
    order = ["setup", "f", "try", "mine", "f_shape", "f_value"]
    nb = learner(released, order, [("mine", "def helper(): pass")])
    assert restore_order(nb, released) == []
    assert ids(nb) == order


def test_a_test_above_only_a_try_it_cell_says_so_without_naming_a_solution(released):
    nb = learner(released, ["setup", "f", "f_value", "try", "f_shape"])
    assert restore_order(nb, released) == [
        "test cell `f_value` was above cells it follows in the released notebook: it was run below"
    ]
    assert ids(nb) == ["setup", "f", "try", "f_value", "f_shape"]


def test_a_forged_grade_id_on_the_learners_cell_counts_for_nothing(released):
    nb = learner(released, ids(released), [("forged", "pass")])
    nb.cells.append(nb.cells.pop(ids(nb).index("f_shape")))
    forged = cell("code", "forged", "pass", grade=True, points=100)
    nb.cells.append(forged)
    notes = restore_metadata(nb, released)
    assert "nbgrader" not in nb.cells[-1].metadata
    assert notes == ["a cell added by you carried nbgrader metadata (forged): removed"]


def test_changed_points_and_cell_type_of_a_test_are_restored(released):
    nb = learner(released, ids(released))
    nb.cells[5].metadata.nbgrader["points"] = 100
    nb.cells[6].cell_type = "markdown"
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    notes = restore_metadata(nb, released)
    assert nb.cells[5].metadata.nbgrader["points"] == 1
    assert nb.cells[6].cell_type == "code" and nb.cells[6].outputs == []
    assert notes == [
        "cell `f_value`: nbgrader metadata (points) restored",
        "cell `f_shape`: cell type restored to code",
    ]


def test_cells_without_ids_are_matched_by_grade_id(released):
    """Does a notebook saved as nbformat 4.4 (no cell ids) keep its tests in place, and get ids?"""
    data = json.loads(nbformat.writes(learner(released, ids(released))))
    data["nbformat_minor"] = 4
    for c in data["cells"]:
        del c["id"]
    nb = nbformat.reads(json.dumps(data), as_version=4)
    assert restore(nb, released) == []
    assert ids(nb)[:4] + ids(nb)[5:] == ["intro", "setup", "f", "try-text", "f_value", "f_shape"]
    assert ids(nb)[4] not in ids(released)  # the "try it" cell has no grade_id: a new id of its own
    nbformat.validate(nb)


def test_a_cell_copied_into_a_new_notebook_takes_its_released_id_once(released):
    nb = learner(released, ids(released))
    for c in nb.cells:
        c.id = f"new-{c.id}"
    twin = copy.deepcopy(nb.cells[5])
    twin.id = "twin"
    nb.cells.append(twin)
    match_ids(nb, released)
    assert ids(nb)[:4] == ["intro", "setup", "f", "try-text"]
    assert ids(nb)[4:] == ["new-try", "f_value", "f_shape", "twin"]  # the twin is the learner's own cell


def test_an_edited_test_is_noted(released):
    nb = learner(released, ids(released))
    nb.cells[6].source = "pass"
    assert restore(nb, released) == ["test cell `f_shape` was edited: the original was run instead"]


def test_notes_go_in_one_markdown_cell_on_top_and_none_without_notes(released):
    nb = with_notes(learner(released, ids(released)), ["a", "b"])
    assert nb.cells[0].id == NOTE_CELL_ID and nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source.endswith("- a\n- b")
    assert ids(with_notes(learner(released, ids(released)), [])) == ids(released)
