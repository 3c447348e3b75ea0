"""Does lesson 07's identical-start film (gatelab.widgets.identical_start_film) replay its checkpoints in Chromium
with no kernel?

Its text/html display, saved as a page and served from loopback with every other request aborted: the step slider
answers the keyboard (arrows, Page Up, Home, End) through every checkpoint, its value reads as the training step, the
text alternative follows the step shown, every number the page shows equals gatelab.film.identical_start_numbers
for that checkpoint, axe-core finds no WCAG 2.1 A or AA violation, and a step's move is timed (printed: COURSE.md §7
budgets are benchmarked, not asserted here). Lesson 07 in JupyterLab, with the film, is tests/test_browser.py's and
tests/test_export_browser.py's. Without Chromium these tests skip, except under CI (CI=true), where they must run.
"""

import math
import statistics

import pytest
from playwright.sync_api import expect

from gatelab import widgets
from tests.browser import (
    axe_violations,
    computed,
    difference,
    key_to_frame,
    move_range,
    require_chromium,
    standalone_page,
    static_server,
)

pytestmark = pytest.mark.slow
require_chromium()

SELECTOR = ".gl-explorer.gl-identical-film"


def test_the_film_replays_every_checkpoint_from_the_keyboard_with_no_kernel(offline, tmp_path):
    page, errors, aborted = offline
    explorer = widgets.identical_start_film()
    k = explorer.constants()
    last = len(k["steps"]) - 1
    with static_server(tmp_path) as url:
        page.goto(f"{url}/{standalone_page(tmp_path, explorer, 'Identical-start film')}")
        view = page.locator(SELECTOR)
        expect(view).to_be_visible()
        slider = view.get_by_role("slider", name="step", exact=True)
        alt = view.locator("[aria-live=polite]")
        expect(alt).to_contain_text("step 0: 0 % of the probe sequences solved")

        page.keyboard.press("Tab")  # the slider, focused from the keyboard: its focus ring shows
        assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
        keys = [("ArrowRight", frame) for frame in range(1, last + 1)] + [("Home", 0), ("PageUp", None), ("End", last)]
        worst = 0.0
        for key, frame in keys:
            move_range(page, view, slider, key)
            settings, numbers = computed(view)
            assert frame is None and settings["frame"] > 0 or settings["frame"] == frame, (key, settings)
            explorer.frame = settings["frame"]
            worst = max(worst, difference(numbers, explorer.numbers()))
            step = k["steps"][settings["frame"]]
            expect(view.locator("output")).to_have_text(str(step))  # the slider's value is the training step
            expect(slider).to_have_attribute("aria-valuetext", str(step))
            q = explorer.numbers()
            solved = math.floor(100 * q["solved"] + 0.5)  # as the page's Math.round
            expect(alt).to_contain_text(f"step {step}: {solved} % of the probe sequences solved")
            expect(alt).to_contain_text(f"unit {k['unit']} at the two marks: f {q['marked']['f']:.2f}, "
                                        f"i {q['marked']['i']:.2f}, o {q['marked']['o']:.2f}")  # fmt: skip
        print(f"identical-start film, {len(keys)} moves: largest |page − gatelab.film| {worst:.3g}")
        assert worst <= 1e-12
    assert aborted == [] and errors == []


def test_a_step_of_the_film_is_drawn_within_a_frame(offline, tmp_path):
    """Key press → the frame that shows the new checkpoint, 40 moves (printed; NOTES.md has the floor)."""
    page, errors, _ = offline
    with static_server(tmp_path) as url:
        page.goto(f"{url}/{standalone_page(tmp_path, widgets.identical_start_film())}")
        view = page.locator(SELECTOR)
        slider = view.get_by_role("slider", name="step", exact=True)
        painted = [key_to_frame(page, view, slider, "ArrowRight" if n % 20 < 10 else "ArrowLeft")[0] for n in range(40)]
        p95 = sorted(painted)[int(0.95 * (len(painted) - 1))]
        print(f"identical-start film, key → painted frame: median {statistics.median(painted):.1f} ms, "
              f"p95 {p95:.1f} ms, largest {max(painted):.1f} ms")  # fmt: skip
    assert errors == []


@pytest.mark.parametrize("step", [0, 400])
def test_the_film_meets_wcag_2_1_aa_with_no_kernel(offline, tmp_path, step):
    page, errors, aborted = offline
    with static_server(tmp_path) as url:
        page.goto(f"{url}/{standalone_page(tmp_path, widgets.identical_start_film(step=step))}")
        expect(page.locator(SELECTOR)).to_be_visible()
        assert axe_violations(page, "figure.gl-standalone") == []
    assert aborted == [] and errors == []
