"""Does the hardened grader (autograde/grade.py) give every lesson's solution full marks, with no complaint?

Its tamper guard restores and watches the kernel around each test cell: this proves it finds nothing to
undo in honest code, lesson by lesson (new lessons are covered by being added to solutions/).
Without bubblewrap these tests skip, except under CI (CI=true), where they must run.
"""

import pytest

from autograde.grade import grade
from tests.course import (
    ASSIGNMENTS,
    graded_cells,
    make_course,
    nbgrader,
    needs_sandbox,
    points,
    read,
    submission,
    submit,
)

pytestmark = pytest.mark.slow

needs_sandbox()


@pytest.mark.parametrize("assignment", [a for a in ASSIGNMENTS if a != "01-why-gates"])  # 01: test_grading.py
def test_the_hardened_grader_gives_the_solution_full_marks(assignment, tmp_path):
    course = make_course(tmp_path, [assignment])
    nbgrader("generate_assignment", assignment, cwd=course)
    names = sorted(p.name for p in (course / "solutions" / assignment).glob("*.ipynb"))
    sources = {n: read(course / "solutions" / assignment / n) for n in names}
    released = {n: read(course / "lessons" / assignment / n) for n in names}
    submit(course, assignment, "solved", {n: submission(released[n], sources[n]) for n in names})

    scores = grade(assignment, course, workers=1, echo=lambda line: None)

    assert scores["solved"] == sum(points(c) for nb in sources.values() for c in graded_cells(nb).values())
    for name in names:
        page = (course / "autograde" / "feedback" / "solved" / assignment / name.replace(".ipynb", ".html")).read_text()
        assert "[grader]" not in page and "Notes from the grader" not in page
