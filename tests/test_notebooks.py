"""Do the source notebooks run top to bottom in a real kernel, and are they clean and well-formed?"""

import re

import nbformat
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from tests.course import SOLUTION_NOTEBOOKS, execute, graded_cells, names_in, nbgrader_meta, read, solution_cells

LESSON_BUDGET_S = 60  # COURSE.md §7; measured by the benchmark, reported here only when exceeded


def problems_in_outputs(nb):
    """Errors and stderr output of an executed notebook (nbgrader scores a cell with either as 0)."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"{cell.id}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"{cell.id}: stderr: {out.text[:300]}")
    return found


def silent_checks(nb):
    """The grade ids of the test cells of an executed notebook whose every line of output is not a ✓ line."""
    silent = []
    for grade_id, cell in graded_cells(nb).items():
        lines = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream").splitlines()
        if not lines or not all(line.startswith("✓ ") and len(line) > 12 for line in lines):
            silent.append(grade_id)
    return silent


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_solution_notebook_runs_top_to_bottom_without_errors_or_stderr(path):
    nb, seconds = execute(path)
    assert not problems_in_outputs(nb)
    assert not silent_checks(nb), "every passing check prints ✓ and what it checked"
    print(f"{path.stem}: executed in {seconds:.1f} s (budget {LESSON_BUDGET_S} s)")


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_source_notebook_is_clean_and_valid(path):
    nb = read(path)
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [c.id for c in code if c.outputs or c.execution_count], "commit source notebooks without outputs"
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids)), "cell ids must be unique"
    grade_ids = [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c)]
    assert len(grade_ids) == len(set(grade_ids)), "nbgrader grade ids must be unique"
    assert nb.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_graded_cells_follow_the_course_conventions(path):
    nb = read(path)
    solutions, tests = solution_cells(nb), graded_cells(nb)
    assert tests, "a lesson has graded test cells"
    for name, cell in solutions.items():
        assert re.search(rf"^(def {name}\(|{name}\s*=)", cell.source, re.M), f"solution cell {name} must define {name}"
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    for grade_id, cell in tests.items():
        assert nbgrader_meta(cell)["points"] > 0
        assert nbgrader_meta(cell)["locked"]
        assert names_in(cell.source, solutions), f"test cell {grade_id} checks no learner function"
        assert "gl.checks." in cell.source, f"test cell {grade_id} should call gatelab.checks"
