"""Does the score step (autograde/score.py) copy a workspace's grades into the course's gradebook exactly,
give 0 to what could not be graded, and leave the same gradebook when run twice?

On small SQLite gradebooks made here with nbgrader's API: assignment 01-f, notebook 01-f, tests f_value
(1 point) and f_shape (2 points).
"""

import os
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from nbgrader.api import Gradebook

from autograde.score import merge
from autograde.workspace import Result, autograded_folder

A, NB = "01-f", "01-f"
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's session handling


@pytest.fixture(autouse=True)
def alembic_on_path(monkeypatch):
    """nbgrader runs alembic as a program when it makes a gradebook."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def new_gradebook(path):
    """A gradebook at path that knows the assignment (what generate_assignment leaves)."""
    url = f"sqlite:///{path}"
    with Gradebook(url, "gates") as gb:
        gb.add_assignment(A)
        gb.add_notebook(NB, A)
        for name, points in (("f_value", 1), ("f_shape", 2)):
            gb.add_grade_cell(name, NB, A, max_score=points, cell_type="code")
            gb.add_source_cell(name, NB, A, cell_type="code", locked=True, source="", checksum="")
    return url


@pytest.fixture
def coursedir(tmp_path):
    """The course: its gradebook and autograded folder, as a CourseDirectory would give them."""
    url = new_gradebook(tmp_path / "gradebook.db")
    return SimpleNamespace(
        db_url=url,
        course_id="gates",
        autograded_directory="autograded",
        format_path=lambda _kind, student, assignment: str(tmp_path / "autograded" / student / assignment),
    )


def workspace(work, student, scores):
    """A workspace whose gradebook holds student's auto scores {test: points}, and its autograded notebook."""
    ws = work / student
    ws.mkdir(parents=True)
    shutil.copy(work.parent / "gradebook.db", ws / "gradebook.db")
    url = f"sqlite:///{ws / 'gradebook.db'}"
    with Gradebook(url, "gates") as gb:
        gb.add_student(student)
        gb.add_submission(A, student)
        for name, points in scores.items():
            grade = gb.find_grade(name, NB, A, student)
            grade.auto_score, grade.needs_manual_grade = points, False  # what SaveAutoGrades writes
        gb.db.commit()
    autograded_folder(ws, student, A).mkdir(parents=True)
    (autograded_folder(ws, student, A) / f"{NB}.ipynb").write_text("{}")
    return url


def course_scores(coursedir, student):
    with Gradebook(coursedir.db_url, "gates") as gb:
        return {
            g.name: (g.auto_score, g.needs_manual_grade) for g in gb.find_submission_notebook(NB, A, student).grades
        }


def test_a_workspaces_grades_and_notebooks_reach_the_course(tmp_path, coursedir):
    work = tmp_path / "work"
    url = workspace(work, "ada", {"f_value": 1.0, "f_shape": 0.0})
    assert merge(Result("ada", [f"{NB}.ipynb"], db_url=url), A, coursedir, work) == 1.0
    assert course_scores(coursedir, "ada") == {"f_value": (1.0, False), "f_shape": (0.0, False)}
    assert (tmp_path / "autograded" / "ada" / A / f"{NB}.ipynb").exists()


def test_merging_twice_gives_the_same_gradebook(tmp_path, coursedir):
    work = tmp_path / "work"
    url = workspace(work, "ada", {"f_value": 1.0, "f_shape": 2.0})
    first = merge(Result("ada", [f"{NB}.ipynb"], db_url=url), A, coursedir, work)
    before = course_scores(coursedir, "ada")
    assert merge(Result("ada", [f"{NB}.ipynb"], db_url=url), A, coursedir, work) == first == 3.0
    assert course_scores(coursedir, "ada") == before


def test_a_failed_notebook_scores_zero_and_needs_no_manual_grading(tmp_path, coursedir):
    work = tmp_path / "work"
    url = workspace(work, "ada", {"f_value": 1.0, "f_shape": 2.0})
    result = Result("ada", [f"{NB}.ipynb"], failures={f"{NB}.ipynb": "grading took too long"}, db_url=url)
    assert merge(result, A, coursedir, work) == 0.0
    assert course_scores(coursedir, "ada") == {"f_value": (0.0, False), "f_shape": (0.0, False)}


def test_without_usable_grades_every_notebook_scores_zero_and_says_why(tmp_path, coursedir):
    result = Result("bo", [f"{NB}.ipynb"], db_url=None)
    assert merge(result, A, coursedir, tmp_path / "work") == 0.0
    assert result.failures == {f"{NB}.ipynb": "nbgrader autograde failed"}
    assert course_scores(coursedir, "bo") == {"f_value": (0.0, False), "f_shape": (0.0, False)}
