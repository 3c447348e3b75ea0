"""Does the collect step (autograde/collect.py) find each submission, match its notebooks to the release and
stage a sanitized copy, whatever was submitted?

On tests/small_course.py's released notebook, in a course folder made here with the repository's
nbgrader_config.py (no nbgrader command runs).
"""

import json
import shutil

import nbformat
import pytest

from autograde.collect import (
    load_course,
    match_notebooks,
    read_notebook,
    released_notebooks,
    snapshot,
    stage,
    submission_folders,
)
from autograde.restore import NOTE_CELL_ID
from tests.course import ROOT
from tests.small_course import ids, learner, released_notebook

A, NB = "01-f", "01-f.ipynb"


@pytest.fixture
def released():
    return {NB: released_notebook()}


@pytest.fixture
def course(tmp_path, released):
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / "lessons" / A).mkdir(parents=True)
    nbformat.write(released[NB], tmp_path / "lessons" / A / NB)
    for student in ("ada", "bo"):
        (tmp_path / "autograde" / "submitted" / student / A).mkdir(parents=True)
    (tmp_path / "autograde" / "submitted" / "cy" / "another-assignment").mkdir(parents=True)
    return tmp_path


def test_the_course_its_release_and_its_submissions_are_found(course, released):
    coursedir = load_course(course)
    assert coursedir.root == str(course)
    assert list(released_notebooks(coursedir, A)) == [NB]
    assert ids(released_notebooks(coursedir, A)[NB]) == ids(released[NB])
    folders = submission_folders(coursedir, A)
    assert folders == {s: course / "autograde" / "submitted" / s / A for s in ("ada", "bo")}


def test_a_snapshot_hashes_every_file_and_sees_a_change(tmp_path):
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b")
    (tmp_path / "link").symlink_to(tmp_path / "a.txt")
    before = snapshot([tmp_path])
    assert sorted(before) == [str(tmp_path / "a.txt"), str(tmp_path / "sub" / "b.txt")]
    (tmp_path / "a.txt").write_text("changed")
    assert snapshot([tmp_path])[str(tmp_path / "a.txt")] != before[str(tmp_path / "a.txt")]


def test_an_unreadable_notebook_says_why_and_a_small_format_violation_is_repaired(tmp_path, released):
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    nb, why = read_notebook(tmp_path / "broken.ipynb")
    assert nb is None and why.startswith("NotJSONError")
    data = json.loads(nbformat.writes(learner(released[NB])))
    data["cells"][0]["outputs"] = []  # a code cell made markdown keeps its outputs in some editors
    (tmp_path / "repairable.ipynb").write_text(json.dumps(data))
    nb, why = read_notebook(tmp_path / "repairable.ipynb")
    assert why is None and "outputs" not in nb.cells[0]


def test_a_renamed_notebook_is_matched_by_its_cells_and_others_are_noted(tmp_path, released):
    nbformat.write(learner(released[NB]), tmp_path / "my work (1).ipynb")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "scratch.ipynb")
    matched = match_notebooks(tmp_path, released)
    nb, notes = matched[NB]
    assert ids(nb) == ids(released[NB])
    assert notes == [
        "`my work (1).ipynb` was graded as `01-f.ipynb` (the notebook was renamed)",
        "`scratch.ipynb` is not part of this assignment and was not graded",
    ]


def test_a_renamed_notebook_without_cell_ids_is_matched_by_grade_ids(tmp_path, released):
    data = json.loads(nbformat.writes(learner(released[NB])))
    data["nbformat_minor"] = 4
    for c in data["cells"]:
        del c["id"]
    (tmp_path / "Copy of 01-f.ipynb").write_text(json.dumps(data))
    nb, notes = match_notebooks(tmp_path, released)[NB]
    assert notes == ["`Copy of 01-f.ipynb` was graded as `01-f.ipynb` (the notebook was renamed)"]
    assert nb.cells[2].source == "def f(x):\n    return math.cos(x)"


def test_a_missing_or_unreadable_notebook_is_graded_as_released(tmp_path, released):
    nb, notes = match_notebooks(tmp_path, released)[NB]
    assert nb == released[NB] and notes == [
        "no notebook `01-f.ipynb` was submitted: it was graded as the released notebook"
    ]
    (tmp_path / NB).symlink_to(tmp_path / "elsewhere.ipynb")
    nb, notes = match_notebooks(tmp_path, released)[NB]
    assert nb == released[NB] and "it is a symbolic link" in notes[0]


def test_staging_copies_the_submission_restored_with_notes_on_top(tmp_path, released):
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    nb = learner(released[NB], ["intro", "setup", "f", "try-text", "try", "f_shape"])
    nbformat.write(nb, submitted / NB)
    (submitted / "timestamp.txt").write_text("2026-12-06 10:00:00.000000 UTC")
    (submitted / "link.txt").symlink_to(submitted / "timestamp.txt")
    notes = stage(submitted, released, tmp_path / "staged")
    assert notes == {NB: ["test cell `f_value` was missing: the original was put back"]}
    assert sorted(p.name for p in (tmp_path / "staged").iterdir()) == [NB, "timestamp.txt"]
    staged = nbformat.read(tmp_path / "staged" / NB, as_version=4)
    assert ids(staged) == [NOTE_CELL_ID, *ids(released[NB])]
