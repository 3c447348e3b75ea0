"""Are the released lessons exactly nbgrader's output, and free of solutions and hidden tests?"""

import pytest

from autograde.release import release
from tests.course import (
    ASSIGNMENTS,
    MARKERS,
    ROOT,
    SOLUTION_NOTEBOOKS,
    files_under,
    make_course,
    read,
    secret_lines,
)


@pytest.mark.slow
def test_lessons_are_exactly_what_nbgrader_generates_from_solutions(tmp_path):
    course = make_course(tmp_path)
    release(course)
    generated, committed = files_under(course / "lessons"), files_under(ROOT / "lessons")
    assert sorted(committed) == sorted(generated), "lessons/ and solutions/ differ in files: run `make release`"
    stale = [path for path in generated if generated[path] != committed[path]]
    assert not stale, f"lessons/ is out of date (edited by hand, or not regenerated): {stale}; run `make release`"


def test_every_assignment_is_released():
    assert ASSIGNMENTS, "no assignments in solutions/"
    for name in ASSIGNMENTS:
        assert list((ROOT / "lessons" / name).glob("*.ipynb")), f"{name} has no released notebook"


@pytest.mark.parametrize("source", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_released_lesson_has_no_solution_and_no_hidden_test(source):
    released = ROOT / "lessons" / source.parent.name / source.name
    text = released.read_text()
    for marker in MARKERS:
        assert marker not in text
    code = {
        line.strip() for cell in read(released).cells if cell.cell_type == "code" for line in cell.source.splitlines()
    }
    leaked = secret_lines(read(source)) & code
    assert not leaked, f"{released.name} contains lines of the solution or of hidden tests: {leaked}"
