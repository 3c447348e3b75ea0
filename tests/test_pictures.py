"""Does `make pictures` (bench/pictures.py) photograph lesson 04's puzzle training itself in Chromium, and does the
page it writes say what each picture shows? Without Chromium it skips, except under CI (CI=true)."""

import pytest
from PIL import Image

from bench import pictures
from gatelab.dynamics import PUZZLE_STEPS
from tests.browser import require_chromium

pytestmark = pytest.mark.slow
require_chromium()


def test_the_puzzle_is_photographed_before_during_and_after_training(browser, tmp_path, capsys):
    pictures.main(tmp_path, browser)
    sizes = {name: Image.open(tmp_path / f"puzzle-training-{name}.png").size for name in pictures.NAMES}
    assert len(set(sizes.values())) == 1 and min(next(iter(sizes.values()))) > 600  # the whole explorer, each time
    shots = [(tmp_path / f"puzzle-training-{name}.png").read_bytes() for name in pictures.NAMES]
    assert len(set(shots)) == 3
    text = (tmp_path / "training-the-puzzle.md").read_text()
    assert [f"](puzzle-training-{name}.png)" in text for name in pictures.NAMES] == [True] * 3
    said = capsys.readouterr().out
    assert f"during: step {pictures.DURING}: loss" in said and "not solved yet" in said
    assert f"after: step {pictures.DURING + PUZZLE_STEPS}: loss" in said and "; solved;" in said
