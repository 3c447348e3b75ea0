"""A tiny assignment for the grader's unit tests (tests/test_grade_*.py): one released notebook and learners'
copies of it, built in memory in a few milliseconds.

The released notebook: intro, setup, solution `f`, a "try it" markdown and code cell, then two tests (the
first after a markdown cell, as in the lessons).
"""

import copy

import nbformat


def cell(cell_type, cell_id, source, **nbgrader):
    """A cell with the given id; nbgrader metadata (grade_id = cell_id) when any nbgrader key is given."""
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    c = make(source, id=cell_id)
    if nbgrader:
        c.metadata["nbgrader"] = {"grade_id": cell_id, "grade": False, "solution": False, "locked": False, **nbgrader}
    return c


def released_notebook():
    cells = [
        cell("markdown", "intro", "# f", locked=True),
        cell("code", "setup", "import math", locked=True),
        cell("code", "f", "def f(x):\n    raise NotImplementedError()", solution=True),
        cell("markdown", "try-text", "**Try it.**", locked=True),
        cell("code", "try", "f(1.0)"),
        cell("code", "f_value", "assert f(0.0) == 1.0", grade=True, locked=True, points=1),
        cell("code", "f_shape", "assert isinstance(f(1.0), float)", grade=True, locked=True, points=2),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def ids(nb):
    return [c.id for c in nb.cells]


def learner(released, order=None, mine=()):
    """The learner's copy: released cells in the given order (by id; all by default), f solved, and their own
    cells (id, source) where order names them."""
    by_id = {c.id: copy.deepcopy(c) for c in released.cells}
    by_id["f"].source = "def f(x):\n    return math.cos(x)"
    by_id.update({i: nbformat.v4.new_code_cell(source, id=i) for i, source in mine})
    cells = [by_id[i] for i in order or ids(released)]
    return nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(released.metadata))
