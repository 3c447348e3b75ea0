"""Does lesson 06's training film (gatelab.widgets.training_film) replay a run's checkpoints in Chromium, in
JupyterLab and with no kernel? Lesson 07's identical-start film (gatelab.widgets.identical_start_film, the package's
cached run) is tested here too, with no kernel: every checkpoint from the keyboard, the timing, axe-core; in
JupyterLab it is tests/test_browser.py's and tests/test_export_browser.py's.

In JupyterLab, a notebook that records a small run's film and shows it: after Run All the film answers the
keyboard, shows the checkpoint's numbers, and the kernel reads the checkpoint the page set. Its text/html display,
saved as a page and served from loopback with every other request aborted: the step slider answers the keyboard
(arrows, Page Up, Home, End), its value reads as the training step, the text alternative follows the step shown,
every number the page shows equals gatelab.film.numbers for that checkpoint, axe-core finds no WCAG 2.1 A or AA
violation, and a step's move is timed (printed: COURSE.md §7 budgets are benchmarked, not asserted here).
Without Chromium these tests skip, except under CI (CI=true), where they must run.
"""

import math
import statistics

import nbformat
import pytest
from playwright.sync_api import expect

from gatelab import data, film, train, widgets
from gatelab.data import agreement
from tests.browser import (
    axe_violations,
    close_sessions,
    computed,
    console_errors,
    difference,
    kernel_json,
    key_to_frame,
    lab_server,
    move_range,
    open_notebook,
    require_chromium,
    run_all,
    standalone_page,
    static_server,
)

pytestmark = pytest.mark.slow
require_chromium()

SELECTOR = ".gl-explorer.gl-training-film"
UNIT = 2

# The course's two films: lesson 06's (of the recorded fixture's run) and lesson 07's identical-start film (of the
# package's cache), each at a step it recorded.
FILMS = {
    "training film": (SELECTOR, lambda recorded, step: widgets.training_film(recorded, UNIT, step=step), 20),
    "identical-start film": (".gl-explorer.gl-identical-film", lambda _, step: widgets.identical_start_film(step), 400),
}


@pytest.fixture(scope="module")
def recorded():
    """A film of a small LSTM's first 60 steps (gatelab.film.checkpoints: 28 checkpoints)."""
    net = train.Network("lstm", len(agreement.VOCAB), 4, 2, seed=0, forget_bias=1.0)
    pair = {name: data.SENTENCES[name] for name in ("cat-dogs", "cats-dog")}
    recorded = film.Film(net, agreement.held_out_set(200), pair, film.checkpoints(60))
    batches = agreement.batches(agreement.generate(1000, seed=0, every_verb=True))
    train.train(net, batches, 60, seed=0, progress=False, after_step=recorded.after_step)
    return recorded


# The notebook of the JupyterLab test: the run of the recorded fixture, filmed and shown.
NOTEBOOK = """import gatelab as gl
from gatelab.data import agreement

net = gl.train.Network("lstm", len(agreement.VOCAB), 4, 2, seed=0, forget_bias=1.0)
pair = {name: gl.data.SENTENCES[name] for name in ("cat-dogs", "cats-dog")}
film = gl.film.Film(net, agreement.held_out_set(200), pair, gl.film.checkpoints(60))
gl.train.train(net, agreement.batches(agreement.generate(1000, seed=0, every_verb=True)), 60, seed=0, progress=False,
               after_step=film.after_step)
explorer = gl.widgets.training_film(film, %d)
explorer"""


def test_the_film_answers_the_keyboard_in_jupyterlab(browser, tmp_path, recorded):
    course = tmp_path / "course"
    course.mkdir()
    kernel = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(NOTEBOOK % UNIT)], metadata={"kernelspec": kernel})
    nbformat.write(nb, course / "film.ipynb")
    with lab_server(course, tmp_path / "config") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = console_errors(page)
        open_notebook(page, url, "film.ipynb", workspace="film")
        run_all(page)
        view = page.locator(SELECTOR)
        expect(view).to_be_visible(timeout=30_000)
        slider = view.get_by_role("slider", name="step", exact=True)
        for key in ("ArrowRight", "ArrowRight", "End", "ArrowLeft"):
            move_range(page, view, slider, key)
        settings, numbers = computed(view)
        assert settings == {"frame": len(recorded.steps) - 2}
        explorer = widgets.training_film(recorded, UNIT)  # the same run, recorded here
        explorer.frame = settings["frame"]
        assert difference(numbers, explorer.numbers()) <= 1e-12
        values = kernel_json(page, "import json; print(json.dumps(explorer.values()))", until=settings.__eq__)
        assert values == settings
        assert axe_violations(page, SELECTOR) == []
        page.close()
        close_sessions(url)
    assert errors == []


def percent(share):
    """A share in whole percent, as the page's Math.round gives it (a half rounds up)."""
    return math.floor(100 * share + 0.5)


def walk_the_film(page, url, folder, explorer, selector, keys, says):
    """Open the film's no-kernel display, reach its step slider with Tab (its focus ring shows) and press each of keys
    ((key, the checkpoint it reaches, or None: any after the first)): at each, the page's numbers are the explorer's
    for that checkpoint, the slider reads as its training step, and the text alternative contains each of
    says(numbers). Returns the largest |page − Python| over the walk."""
    page.goto(f"{url}/{standalone_page(folder, explorer)}")
    view = page.locator(selector)
    expect(view).to_be_visible()
    slider = view.get_by_role("slider", name="step", exact=True)
    alt = view.locator("[aria-live=polite]")
    page.keyboard.press("Tab")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    worst = 0.0
    for key, frame in [(None, explorer.frame), *keys]:
        if key:
            move_range(page, view, slider, key)
        settings, numbers = computed(view)
        assert frame is None and settings["frame"] > 0 or settings["frame"] == frame, (key, settings)
        explorer.frame = settings["frame"]
        worst = max(worst, difference(numbers, explorer.numbers()))
        step = explorer.constants()["steps"][settings["frame"]]
        expect(view.locator("output")).to_have_text(str(step))  # the slider's value is the training step
        expect(slider).to_have_attribute("aria-valuetext", str(step))
        for words in says(explorer.numbers()):
            expect(alt).to_contain_text(words)
    return worst


def test_the_film_replays_its_checkpoints_from_the_keyboard_with_no_kernel(offline, tmp_path, recorded):
    page, errors, aborted = offline
    last = len(recorded.steps) - 1
    keys = [("ArrowRight", 1), ("ArrowRight", 2), ("End", last), ("ArrowLeft", last - 1), ("Home", 0), ("PageUp", None)]

    def says(q):
        return [f"step {q['step']}: held-out accuracy {percent(q['accuracy'])} %; unit {UNIT}",
                f"i at 'cat' = {q['subject_i'][0]:.2f}, f at 'which' = {q['clause_f'][0]:.2f}"]  # fmt: skip

    with static_server(tmp_path) as url:
        worst = walk_the_film(page, url, tmp_path, widgets.training_film(recorded, UNIT), SELECTOR, keys, says)
    assert worst <= 1e-12 and aborted == [] and errors == []


def test_the_identical_start_film_replays_every_checkpoint_from_the_keyboard_with_no_kernel(offline, tmp_path):
    """Lesson 07's film, through every checkpoint."""
    page, errors, aborted = offline
    explorer = widgets.identical_start_film()
    k = explorer.constants()
    last = len(k["steps"]) - 1
    keys = [("ArrowRight", frame) for frame in range(1, last + 1)] + [("Home", 0), ("PageUp", None), ("End", last)]

    def says(q):
        marks = ", ".join(f"{g} {q['marked'][g]:.2f}" for g in "fio")
        return [f"step {q['step']}: {percent(q['solved'])} % of the probe sequences solved",
                f"unit {k['unit']} at the two marks: {marks}"]  # fmt: skip

    with static_server(tmp_path) as url:
        worst = walk_the_film(page, url, tmp_path, explorer, FILMS["identical-start film"][0], keys, says)
    print(f"identical-start film, {len(keys)} moves: largest |page − gatelab.film| {worst:.3g}")
    assert worst <= 1e-12 and aborted == [] and errors == []


each_film = pytest.mark.parametrize("name", list(FILMS))


@each_film
def test_a_step_of_the_film_is_drawn_within_a_frame(offline, tmp_path, recorded, name):
    """Key press → the frame that shows the new checkpoint, 40 moves (printed; NOTES.md has the floor)."""
    page, errors, _ = offline
    selector, build, _ = FILMS[name]
    with static_server(tmp_path) as url:
        page.goto(f"{url}/{standalone_page(tmp_path, build(recorded, 0))}")
        view = page.locator(selector)
        slider = view.get_by_role("slider", name="step", exact=True)
        painted = []
        for n in range(40):
            painted.append(key_to_frame(page, view, slider, "ArrowRight" if n % 20 < 10 else "ArrowLeft")[0])
        ordered = sorted(painted)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(f"{name}, key → painted frame: median {statistics.median(painted):.1f} ms, p95 {p95:.1f} ms, "
              f"largest {max(painted):.1f} ms")  # fmt: skip
    assert errors == []


@each_film
def test_the_film_meets_wcag_2_1_aa_with_no_kernel(offline, tmp_path, recorded, name):
    page, errors, aborted = offline
    selector, build, step = FILMS[name]
    with static_server(tmp_path) as url:
        page.goto(f"{url}/{standalone_page(tmp_path, build(recorded, step))}")
        expect(page.locator(selector)).to_be_visible()
        assert axe_violations(page, "figure.gl-standalone") == []
    assert aborted == [] and errors == []
