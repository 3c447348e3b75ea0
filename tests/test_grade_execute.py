"""autograde/executor.py's reading of a notebook: which names the grader rebinds to their modules before each test
(setup_aliases), in the lessons as released."""

import pytest

from autograde.executor import setup_aliases
from tests.course import ROOT, read


@pytest.mark.parametrize("lesson", sorted((ROOT / "lessons").glob("*/*.ipynb")), ids=lambda p: p.stem)
def test_the_setup_cells_names_are_read_past_the_install_line(lesson):
    """The first cell imports gatelab as gl inside a try whose except runs `%pip install` (Colab): the alias is
    still found, so a submission that rebinds gl gets the course's gl back before each test."""
    aliases = setup_aliases(read(lesson))
    assert aliases["gl"] == "gatelab" and aliases["torch"] == "torch"
