"""Does the real nbgrader grade every assignment exactly, from release to exported grades?

For each assignment, in a temporary course: generate_assignment; then submissions of the solution
(full marks), of the released notebooks unchanged (zero, and no crash), and, for every solution cell, of
the solution with that one cell left as released (it loses exactly the points of the test cells that
use it, directly or through another function that calls it); autograde; generate_feedback; export. No
failed check shows IPython's "%tb" hint.
"""

import csv

import pytest

from tests.course import (
    ASSIGNMENTS,
    broken_by,
    graded_cells,
    make_course,
    names_in,
    nbgrader,
    points,
    read,
    solution_cells,
    submission,
    submit,
)

pytestmark = pytest.mark.slow


def expected_score(source, left_as_released=()):
    """Total points minus those of test cells that name a function broken by leaving these unsolved."""
    solutions = solution_cells(source)
    broken = set().union(*(broken_by(name, solutions) for name in left_as_released)) if left_as_released else set()
    return sum(points(cell) for cell in graded_cells(source).values() if not names_in(cell.source, broken))


def exported_scores(course):
    """{student: score} of the grades nbgrader export writes."""
    nbgrader("export", "--to=grades.csv", cwd=course)
    with open(course / "grades.csv") as f:
        return {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_nbgrader_grades_every_submission_exactly(assignment, tmp_path):
    course = make_course(tmp_path, [assignment])
    nbgrader("generate_assignment", assignment, cwd=course)
    sources = {p.name: read(p) for p in sorted((course / "solutions" / assignment).glob("*.ipynb"))}
    released = {name: read(course / "lessons" / assignment / name) for name in sources}

    expected = {"solved": sum(expected_score(nb) for nb in sources.values()), "unchanged": 0.0}
    submit(course, assignment, "solved", {n: submission(released[n], sources[n]) for n in sources})
    submit(course, assignment, "unchanged", released)
    for name, source in sources.items():
        for grade_id in solution_cells(source):
            student = f"without-{grade_id}".replace("_", "-").lower()
            notebooks = {n: submission(released[n], sources[n], {grade_id} if n == name else ()) for n in sources}
            submit(course, assignment, student, notebooks)
            others = sum(expected_score(nb) for n, nb in sources.items() if n != name)
            expected[student] = others + expected_score(source, {grade_id})

    nbgrader("autograde", assignment, "--create", cwd=course)
    nbgrader("generate_feedback", assignment, cwd=course)

    assert exported_scores(course) == pytest.approx(expected)
    assert expected["solved"] > 0
    for student in expected:
        for name in sources:
            html = course / "autograde" / "feedback" / student / assignment / name.replace(".ipynb", ".html")
            assert html.exists(), f"no feedback for {student}"
    assert not tb_hints(course / "autograde" / "autograded"), "a failed check shows its message, not IPython's %tb hint"


def tb_hints(folder):
    """(notebook, grade id) of every test cell under folder whose error output carries IPython's '%tb' hint."""
    return [
        (notebook.name, grade_id)
        for notebook in sorted(folder.rglob("*.ipynb"))
        for grade_id, cell in graded_cells(read(notebook)).items()
        if any("%tb" in "".join(out.get("traceback", [])) for out in cell.outputs if out.output_type == "error")
    ]
