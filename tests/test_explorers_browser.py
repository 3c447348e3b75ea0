"""Do the explorers drawn in the browser (gatelab.widgets.front) work in Chromium, with a kernel and without one?

For each (lesson 02's GRU gate explorer, lesson 04's LSTM gate explorer):
- In JupyterLab, the explorer renders after its lesson's Run All, answers the keyboard (arrows, Page Up,
  Home, End), and the kernel reads the values the page set.
- At 50 seeded random settings, set through the page's sliders (and 50 more, off the sliders' steps, set from
  Python), every number the page computed equals gatelab.dynamics for the same settings (to 1e-9).
- Its text/html display, saved as a page and served from loopback with every other request aborted, shows the
  same explorer, live: the keyboard moves it, its text alternative follows, no console error.
Without Chromium these tests skip, except under CI (CI=true), where they must run.
"""

import random

import pytest
from playwright.sync_api import expect

from gatelab.widgets.front import is_integer
from tests.browser import (
    axe_violations,
    close_sessions,
    computed,
    console_errors,
    course_copy,
    difference,
    kernel_json,
    lab_server,
    move_range,
    open_notebook,
    require_chromium,
    run_all,
    standalone_page,
    static_server,
)
from tests.explorers import EXPLORERS

pytestmark = pytest.mark.slow
require_chromium()


TOLERANCE = 1e-9
SETTINGS_COUNT = 50

# The values of every explorer of a class in the kernel (the display's own, from the cell that made it).
KERNEL_VALUES = """
import gc, json
print(json.dumps([o.values() for o in gc.get_objects() if type(o).__name__ == %r]))
"""
# Set every slider of the explorer through its input (as a drag does: value, then an input event).
SET_SLIDERS = """(explorer, values) => {
    for (const input of explorer.querySelectorAll("input[type=range]")) {
        input.value = values[input.dataset.name];
        input.dispatchEvent(new Event("input", { bubbles: true }));
    }
}"""


def largest_difference(explorer, settings, numbers):
    """max |page − gatelab.dynamics| over every number the page computed for settings; what is not a number
    (a verdict's words, whether it is solved) must be equal."""
    return difference(numbers, explorer.numbers(**settings))


def random_settings(explorer, rng, on_the_steps):
    """One random value per slider, in its range: on the slider's steps (what the page can set) or anywhere
    (a whole number, for an integer slider)."""
    values = {}
    for name, s in explorer.settings.items():
        if on_the_steps:
            values[name] = round(s.lo + s.step * rng.randint(0, round((s.hi - s.lo) / s.step)), 10)
        elif is_integer(s):
            values[name] = rng.randint(s.lo, s.hi)
        else:
            values[name] = rng.uniform(s.lo, s.hi)
    return values


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    course = course_copy(tmp_path_factory.mktemp("course"))
    with lab_server(course, tmp_path_factory.mktemp("jupyter-config")) as url:
        yield url


@pytest.fixture(scope="module", params=EXPLORERS, ids=str)
def in_lab(request, browser, lab):
    """The explorer's lesson in JupyterLab after Run All; yields (page, its console errors, the explorer)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors = console_errors(page)
    open_notebook(page, lab, request.param.lesson, workspace=str(request.param))
    run_all(page)
    yield page, errors, request.param
    page.close()
    close_sessions(lab)


def test_the_explorer_answers_the_keyboard_in_jupyterlab(in_lab):
    page, errors, front_end = in_lab
    explorer = page.locator(front_end.selector).first  # a lesson may show an explorer twice: its first
    expect(explorer).to_be_visible(timeout=30_000)
    explorer.scroll_into_view_if_needed()
    for s in front_end.settings.values():  # every slider's accessible name is its label, in the course's notation
        expect(explorer.get_by_role("slider", name=s.label, exact=True)).to_have_value(str(s.value).removesuffix(".0"))
    alt = explorer.locator("[aria-live=polite]")
    expect(alt).to_contain_text(front_end.start)

    name, s = front_end.slider, front_end.settings[front_end.slider]
    slider = explorer.get_by_role("slider", name=s.label, exact=True)
    text = alt.inner_text()
    move_range(page, explorer, slider, "ArrowRight")
    assert computed(explorer)[0][name] == pytest.approx(s.value + s.step)
    expect(alt).not_to_have_text(text)
    for key, expected in (("End", s.hi), ("Home", s.lo), ("PageUp", None)):
        move_range(page, explorer, slider, key)
        settings, numbers = computed(explorer)
        assert expected is None and settings[name] > s.lo or settings[name] == expected, (key, settings[name])
        assert largest_difference(front_end, settings, numbers) <= TOLERANCE
    expect(alt).not_to_have_text(text)

    kernel = kernel_json(page, KERNEL_VALUES % type(front_end.build()).__name__, until=lambda k: settings in k)
    assert settings in kernel, f"the kernel's explorers hold {kernel}, the page {settings}"
    cell = explorer.locator("xpath=ancestor::div[contains(@class, 'jp-CodeCell')][1]")  # no error in its cell
    expect(cell).to_have_count(1)
    expect(cell.locator("[data-mime-type='application/vnd.jupyter.stderr']")).to_have_count(0)
    assert errors == []


def test_every_number_the_page_computes_matches_dynamics(in_lab):
    """50 seeded random settings set through the page's sliders, in JupyterLab: page vs gatelab.dynamics."""
    page, errors, front_end = in_lab
    explorer = page.locator(front_end.selector).first  # a lesson may show an explorer twice: its first
    rng, worst = random.Random(14), 0.0
    for _ in range(SETTINGS_COUNT):
        values = random_settings(front_end, rng, on_the_steps=True)
        explorer.evaluate(SET_SLIDERS, values)
        settings, numbers = computed(explorer)
        assert settings == pytest.approx(values, abs=1e-12), "the page did not take the settings"
        worst = max(worst, largest_difference(front_end, settings, numbers))
    print(f"{front_end}, {SETTINGS_COUNT} settings in JupyterLab: largest |page − gatelab.dynamics| {worst:.3g}")
    assert worst <= TOLERANCE
    assert errors == []


@pytest.mark.parametrize("front_end", EXPLORERS, ids=str)
def test_the_display_with_no_kernel_is_the_live_explorer(offline, tmp_path, front_end):
    page, errors, aborted = offline
    first, *_ = front_end.settings
    name, s = front_end.slider, front_end.settings[front_end.slider]
    start = s.value - 5 * s.step
    with static_server(tmp_path) as url:
        page.goto(f"{url}/{standalone_page(tmp_path, front_end.build(**{name: start}))}")
        explorer = page.locator(front_end.selector).first  # a lesson may show an explorer twice: its first
        expect(explorer).to_be_visible()
        expect(explorer.get_by_role("slider")).to_have_count(len(front_end.settings))
        settings, numbers = computed(explorer)
        assert settings[name] == start and largest_difference(front_end, settings, numbers) <= TOLERANCE

        page.keyboard.press("Tab")  # the first slider, focused from the keyboard: its focus ring shows
        focused = page.evaluate("() => [document.activeElement.dataset.name, getComputedStyle(document.activeElement)"
                                ".outlineStyle]")  # fmt: skip
        assert focused == [first, "solid"]
        alt = explorer.locator("[aria-live=polite]")
        text = alt.inner_text()
        slider = explorer.get_by_role("slider", name=s.label, exact=True)
        for _ in range(10):
            move_range(page, explorer, slider, "ArrowUp")
        expect(alt).not_to_have_text(text)
        settings, numbers = computed(explorer)
        assert settings[name] == pytest.approx(start + 10 * s.step)
        assert largest_difference(front_end, settings, numbers) <= TOLERANCE
    assert aborted == [] and errors == []


@pytest.mark.parametrize("front_end", EXPLORERS, ids=str)
def test_numbers_off_the_slider_steps_match_dynamics_with_no_kernel(offline, tmp_path, front_end):
    """50 seeded random settings anywhere in the ranges, set from Python: page vs gatelab.dynamics."""
    page, errors, _ = offline
    rng, worst = random.Random(41), 0.0
    with static_server(tmp_path) as url:
        for _ in range(SETTINGS_COUNT):
            values = random_settings(front_end, rng, on_the_steps=False)
            explorer = front_end.build()
            for name, value in values.items():
                explorer.sliders[name].value = value
            page.goto(f"{url}/{standalone_page(tmp_path, explorer)}")
            settings, numbers = computed(page.locator(".gl-explorer"))
            assert settings == values  # the exact floats, through JSON
            assert difference(numbers, explorer.numbers()) <= TOLERANCE  # the Python explorer's own numbers
            worst = max(worst, largest_difference(front_end, settings, numbers))
    print(f"{front_end}, {SETTINGS_COUNT} settings with no kernel: largest |page − gatelab.dynamics| {worst:.3g}")
    assert worst <= TOLERANCE and errors == []


def test_the_explorer_meets_wcag_2_1_aa_in_jupyterlab(in_lab):
    """axe-core on the explorer's own nodes in its lesson, in JupyterLab: no WCAG 2.1 A or AA violation."""
    page, errors, front_end = in_lab
    page.locator(front_end.selector).first.scroll_into_view_if_needed()
    assert axe_violations(page, front_end.selector) == []
    assert errors == []


@pytest.mark.parametrize("front_end", EXPLORERS, ids=str)
def test_the_explorer_meets_wcag_2_1_aa_with_no_kernel(offline, tmp_path, front_end):
    """axe-core on the explorer's text/html display (a page with no kernel): no WCAG 2.1 A or AA violation."""
    page, errors, aborted = offline
    with static_server(tmp_path) as url:
        page.goto(f"{url}/{standalone_page(tmp_path, front_end.build())}")
        expect(page.locator(front_end.selector)).to_be_visible()
        assert axe_violations(page, "figure.gl-standalone") == []
    assert aborted == [] and errors == []
