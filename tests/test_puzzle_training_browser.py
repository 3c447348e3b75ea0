"""Does "Let training solve it" on lesson 04's memory puzzle (widgets/descent.js, lstm_puzzle.js) and lesson 02's latch
(gru_sentence.js) train in Chromium as gatelab.dynamics.lstm_puzzle_training (gru_latch_training) does, with the
attractor sentences switched off and on, work from the keyboard alone, meet WCAG 2.1 AA, and leave the values it
reached (and the switch) in the kernel?

The page keeps its run's records on the explorer's element (el.glDescent.history: step, settings, loss, push per
step). Most tests use the explorer's text/html display, served from loopback with every other request aborted; the
last runs it in JupyterLab, in a one-cell notebook. Without Chromium these tests skip, except under CI (CI=true).
"""

import contextlib
import random
from dataclasses import dataclass

import nbformat
import pytest
from playwright.sync_api import expect

from gatelab import data, dynamics, widgets
from tests.browser import (
    axe_violations,
    close_sessions,
    computed,
    kernel_json,
    lab_server,
    open_notebook,
    require_chromium,
    run_all,
    run_in_kernel,
    standalone_page,
    static_server,
)

pytestmark = pytest.mark.slow
require_chromium()

TOLERANCE = 1e-9
STEPS = 50


def lstm_status(settings):
    """What the memory puzzle's status says of settings, after the step and loss: the forget gate at 'which'."""
    return f"f at 'which' = {dynamics.lstm_sentence_trace(settings, data.SENTENCES['cat'])['f'][3]:.2f}"


def gru_status(settings, attractors=False):
    """What the latch's status says of settings, after the step and loss: h just before the verb, per sentence."""
    h = []
    for name in dynamics.puzzle_sentences(attractors):
        tokens = data.SENTENCES[name]
        at = dynamics.gru_sentence_trace(settings, tokens)["h"][dynamics.puzzle_readout(tokens)[0]]
        h.append(f"{at:+.2f} ({name})")
    return f"h before the verb = {', '.join(h)}"


@dataclass
class Trainer:
    """An explorer that trains its sliders, as these tests drive it."""

    build: object  # its gl.widgets function
    selector: str
    sliders: dict  # gatelab.dynamics' settings of its sliders
    training: object  # gatelab.dynamics' run: (settings, steps) -> records
    verdict: object  # gatelab.dynamics' verdict: settings -> (solved, message)
    status: object  # settings -> what its status says after "step k: loss L; "
    slider: str  # the slider the keyboard test moves
    puzzle: str  # its name for gatelab.dynamics.sentences_held

    def __str__(self):
        return self.build.__name__

    @property
    def start(self):
        return dynamics.start_values(self.sliders)

    def status_with_attractors(self, settings):
        """What its status says of settings with the attractors on, after "step k: loss L; "."""
        return self.status(settings, attractors=True) if self.puzzle == "gru" else self.status(settings)


TRAINERS = [
    Trainer(widgets.lstm_memory_puzzle, ".gl-explorer.gl-lstm-memory-puzzle", dynamics.LSTM_PUZZLE_SETTINGS,
            dynamics.lstm_puzzle_training, dynamics.lstm_memory_verdict, lstm_status, "b_f", "lstm"),
    Trainer(widgets.gru_sentence, ".gl-explorer.gl-gru-sentence", dynamics.GRU_SENTENCE_SETTINGS,
            dynamics.gru_latch_training, dynamics.gru_latch_verdict, gru_status, "b_z", "gru"),
]  # fmt: skip
every_trainer = pytest.mark.parametrize("trainer", TRAINERS, ids=str)

HISTORY = "(el) => el.glDescent.history"
SWITCH = "Also train on “The cat near the dogs was hungry” and “The cats near the dog were hungry”"
SWITCH_ON = "Training on four sentences now; the figure keeps showing the first two, the status counts all four."
RUNNING = "(el) => el.glDescent.running"
FOCUSED = "() => [document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]"


def largest_difference(page_records, reference):
    """max |page − gatelab.dynamics| over the settings, loss and per-token push of each step, steps aligned."""
    assert [r["step"] for r in page_records] == [r["step"] for r in reference]
    worst = 0.0
    for got, expected in zip(page_records, reference, strict=True):
        worst = max(worst, abs(got["loss"] - expected["loss"]))
        worst = max(worst, *(abs(got["settings"][n] - v) for n, v in expected["settings"].items()))
        for g, values in expected["push"].items():
            worst = max(worst, *(abs(p - q) for p, q in zip(got["push"][g], values, strict=True)))
    return worst


@pytest.fixture
def site(offline, tmp_path, trainer):
    """(page, console errors, aborted requests, show): show(**start) opens the trainer's text/html display, built with
    those start values, from a loopback server, and returns its explorer's locator."""
    page, errors, aborted = offline
    with static_server(tmp_path) as url:

        def show(**start):
            page.goto(f"{url}/{standalone_page(tmp_path, trainer.build(**start), 'Puzzle')}")
            explorer = page.locator(trainer.selector)
            expect(explorer.get_by_role("button", name="Let training solve it")).to_be_visible()
            return explorer

        yield page, errors, aborted, show


def train_until(page, explorer, steps):
    """Press "Let training solve it", wait until the page has run at least steps steps, pause; returns its records."""
    explorer.get_by_role("button", name="Let training solve it").click()
    page.wait_for_function("([el, n]) => el.glDescent.history.length > n", arg=[explorer.element_handle(), steps])
    explorer.get_by_role("button", name="Pause").click()
    assert not explorer.evaluate(RUNNING)
    return explorer.evaluate(HISTORY)


@every_trainer
def test_50_training_steps_in_the_page_are_the_python_reference(site, trainer):
    """From the sliders' start: every step's settings, loss and per-token push within 1e-9 of lstm_puzzle_training
    (gru_latch_training), and the figure shows the settings training reached."""
    page, errors, aborted, show = site
    explorer = show()
    records = train_until(page, explorer, STEPS)
    worst = largest_difference(records[: STEPS + 1], trainer.training(trainer.start, STEPS))
    print(f"{trainer}: {STEPS} training steps in the page: largest |page − gatelab.dynamics| {worst:.3g}")
    assert worst <= TOLERANCE
    settings, numbers = computed(explorer)
    assert settings == records[-1]["settings"]  # the sliders hold the last step, and the figure drew it
    solved, message = trainer.verdict(settings)
    assert numbers["verdict"] == {"solved": solved, "message": message}
    assert errors == [] and aborted == []


@every_trainer
def test_steps_from_a_random_start_are_the_python_reference(site, trainer):
    """From random settings, 20 presses of Step: the same run as lstm_puzzle_training's (gru_latch_training's)."""
    page, errors, _, show = site
    rng = random.Random(3)
    start = {name: round(rng.uniform(-4, 4), 1) for name in trainer.sliders}
    explorer = show(**start)
    step = explorer.get_by_role("button", name="Step")
    for k in range(1, 21):
        step.click()
        page.wait_for_function("([el, n]) => el.glDescent.history.length === n", arg=[explorer.element_handle(), k + 1])
    worst = largest_difference(explorer.evaluate(HISTORY), trainer.training(start, 20))
    print(f"{trainer}: 20 steps from a random start: largest |page − gatelab.dynamics| {worst:.3g}")
    assert worst <= TOLERANCE and errors == []


@every_trainer
def test_a_random_start_is_the_python_reference(site, trainer):
    """Random start (seed 1, then 2): the sliders take dynamics.puzzle_random_start's values, and 10 steps from
    there are lstm_puzzle_training's (gru_latch_training's)."""
    page, errors, _, show = site
    explorer = show()
    random_start = explorer.get_by_role("button", name="Random start")
    random_start.click()
    assert computed(explorer)[0] == dynamics.puzzle_random_start(1, trainer.sliders)
    random_start.click()
    start = dynamics.puzzle_random_start(2, trainer.sliders)
    assert computed(explorer)[0] == start
    expect(explorer.locator(".gl-descent-status")).to_contain_text("seed 2")
    for k in range(1, 11):
        explorer.get_by_role("button", name="Step").click()
        page.wait_for_function("([el, n]) => el.glDescent.history.length === n", arg=[explorer.element_handle(), k + 1])
    assert largest_difference(explorer.evaluate(HISTORY), trainer.training(start, 10)) <= TOLERANCE
    assert errors == []


@every_trainer
def test_the_training_buttons_work_from_the_keyboard_alone(site, trainer):
    """Tab reaches Let training solve it, Step, Reset and Random start after the sliders, each with a visible focus
    ring; Enter and Space press them; T starts and pauses training anywhere in the explorer; a slider moved pauses
    it."""
    page, errors, _, show = site
    explorer = show()
    status = explorer.locator(".gl-descent-status")
    for _ in range(len(trainer.sliders) + 1):
        page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == ["Let training solve it", "solid"]
    page.keyboard.press("Enter")
    expect(explorer.get_by_role("button", name="Pause")).to_be_focused()
    page.wait_for_function("(el) => el.glDescent.history.length > 5", arg=explorer.element_handle())
    page.keyboard.press("Enter")
    expect(explorer.get_by_role("button", name="Let training solve it")).to_be_focused()
    assert not explorer.evaluate(RUNNING)
    steps = len(explorer.evaluate(HISTORY))
    expect(status).to_contain_text(f"step {steps - 1}: loss ")

    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == ["Step", "solid"]
    page.keyboard.press(" ")
    expect(status).to_contain_text(f"step {steps}: loss ")
    assert len(explorer.evaluate(HISTORY)) == steps + 1 and computed(explorer)[0] != trainer.start

    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == ["Reset", "solid"]
    page.keyboard.press("Enter")
    expect(status).to_have_text("Reset: the settings from before training.")
    assert computed(explorer)[0] == trainer.start and explorer.evaluate(HISTORY) == []

    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED) == ["Random start", "solid"]
    page.keyboard.press("Enter")
    expect(status).to_contain_text("Random start, seed 1")
    assert computed(explorer)[0] == dynamics.puzzle_random_start(1, trainer.sliders)

    slider = explorer.get_by_role("slider", name=trainer.slider, exact=True)
    slider.focus()
    page.keyboard.press("t")  # the shortcut, from a slider
    page.wait_for_function("(el) => el.glDescent.history.length > 3", arg=explorer.element_handle())
    assert explorer.evaluate(RUNNING)
    page.keyboard.press("ArrowRight")  # the learner takes a slider back: training pauses
    assert not explorer.evaluate(RUNNING)
    page.keyboard.press("T")
    assert explorer.evaluate(RUNNING)
    page.keyboard.press("T")
    assert not explorer.evaluate(RUNNING)
    assert errors == []


@every_trainer
def test_the_training_status_is_throttled_and_says_where_training_is(site, trainer):
    """While training runs, the status (a polite live region) changes about once per 1.5 s, not every step; paused,
    it says the step, the loss, where the cell is (the forget gate at 'which'; the GRU's h before the verb) and
    whether the puzzle is solved."""
    page, errors, _, show = site
    explorer = show()
    status = explorer.locator(".gl-descent-status")
    expect(status).to_have_attribute("role", "status")  # a polite live region
    explorer.evaluate("""(el) => {
        el.glChanges = 0;
        new MutationObserver(() => el.glChanges++).observe(el.querySelector(".gl-descent-status"),
            { childList: true, characterData: true, subtree: true });
    }""")
    records = train_until(page, explorer, 120)
    changes = explorer.evaluate("(el) => el.glChanges")
    assert 1 <= changes <= len(records) / 20, changes
    last = records[-1]
    solved = trainer.verdict(last["settings"])[0]
    expected = (f"step {last['step']}: loss {last['loss']:.3f}; {trainer.status(last['settings'])}; "
                f"{'solved' if solved else 'not solved yet'}; paused")  # fmt: skip
    expect(status).to_have_text(expected)
    assert solved and errors == []


@every_trainer
@pytest.mark.parametrize("attractors", [False, True], ids=["pair", "attractors"])
def test_the_explorer_with_its_training_meets_wcag_2_1_aa(site, trainer, attractors):
    """axe-core on the explorer's display after some training (buttons, switch, status, loss curve, bars), with the
    attractors switched off and on: no violation."""
    page, errors, aborted, show = site
    explorer = show()
    if attractors:
        explorer.get_by_role("checkbox", name=SWITCH).check()
    train_until(page, explorer, 20)
    assert axe_violations(page, "figure.gl-standalone") == []
    assert errors == [] and aborted == []


def held_text(trainer, settings):
    """What the status says of the four sentences with the attractors on: solved, or not yet and how many held."""
    held = dynamics.sentences_held(settings, trainer.puzzle, attractors=True)
    return f"{'solved' if all(held.values()) else 'not solved yet'} ({sum(held.values())} of 4 sentences held)"


@every_trainer
def test_training_with_the_attractors_in_the_page_is_the_python_reference(site, trainer):
    """With the switch on (ticked by a click), 50 steps from the sliders' start: every step's settings, loss and push
    within 1e-9 of lstm_puzzle_training(..., attractors=True) (gru_latch_training's); the status counts the four
    sentences; switched off, the next run is the pair's again, from where the first stopped."""
    page, errors, aborted, show = site
    explorer = show()
    switch = explorer.get_by_role("checkbox", name=SWITCH)
    expect(switch).not_to_be_checked()
    switch.check()
    status = explorer.locator(".gl-descent-status")
    expect(status).to_have_text(SWITCH_ON)
    records = train_until(page, explorer, STEPS)
    reference = trainer.training(trainer.start, STEPS, attractors=True)
    worst = largest_difference(records[: STEPS + 1], reference)
    print(f"{trainer}: {STEPS} steps with the attractors in the page: largest |page − gatelab.dynamics| {worst:.3g}")
    assert worst <= TOLERANCE
    assert largest_difference(records[:2], trainer.training(trainer.start, 1)) > 1e-3  # not the pair's run
    last = records[-1]
    expected = (f"step {last['step']}: loss {last['loss']:.3f}; {trainer.status_with_attractors(last['settings'])}; "
                f"{held_text(trainer, last['settings'])}; paused")  # fmt: skip
    expect(status).to_have_text(expected)

    switch.uncheck()
    expect(status).to_have_text("Training on the first two sentences only.")
    reached = computed(explorer)[0]
    page_records = train_until(page, explorer, 10)
    assert largest_difference(page_records[:11], trainer.training(reached, 10)) <= TOLERANCE
    assert errors == [] and aborted == []


@every_trainer
def test_the_attractor_switch_works_from_the_keyboard(site, trainer):
    """Tab reaches the switch right after Random start, with a visible focus ring; Space ticks and unticks it (the
    status says so), training then runs with the attractors (T), and the figure keeps the pair."""
    page, errors, _, show = site
    explorer = show()
    for _ in range(len(trainer.sliders) + 5):
        page.keyboard.press("Tab")
    switch = explorer.get_by_role("checkbox", name=SWITCH)
    expect(switch).to_be_focused()
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press(" ")
    expect(switch).to_be_checked()
    expect(explorer.locator(".gl-descent-status")).to_have_text(SWITCH_ON)
    page.keyboard.press("t")
    page.wait_for_function("(el) => el.glDescent.history.length > 5", arg=explorer.element_handle())
    page.keyboard.press("t")
    records = explorer.evaluate(HISTORY)
    assert largest_difference(records, trainer.training(trainer.start, len(records) - 1, attractors=True)) <= TOLERANCE
    assert list(computed(explorer)[1]) == [*dynamics.PUZZLE_PAIR, "verdict"]  # the figure: the pair
    switch.focus()
    page.keyboard.press(" ")
    expect(switch).not_to_be_checked()
    assert errors == []


NOTEBOOK = "import gatelab as gl\n\npuzzle = gl.widgets.{}()\npuzzle"


@contextlib.contextmanager
def puzzle_in_jupyterlab(browser, tmp_path_factory, trainer, workspace):
    """A notebook showing trainer's explorer as `puzzle`, opened and run in JupyterLab (in its own workspace):
    yields (the page, the explorer's locator); closes the page and the kernel's session after."""
    folder = tmp_path_factory.mktemp("notebook")
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [nbformat.v4.new_code_cell(NOTEBOOK.format(trainer))]
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": kernel}, cells=cells)
    nbformat.write(nb, folder / "puzzle.ipynb")
    with lab_server(folder, tmp_path_factory.mktemp("jupyter-config")) as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            open_notebook(page, url, "puzzle.ipynb", workspace=workspace)
            run_all(page)
            explorer = page.locator(trainer.selector)
            expect(explorer).to_be_visible(timeout=30_000)
            yield page, explorer
        finally:
            page.close()
            close_sessions(url)


@every_trainer
def test_the_kernel_reads_the_values_training_reached(browser, tmp_path_factory, trainer):
    """In JupyterLab, a notebook showing the explorer: train from the keyboard (T), pause, one more step (Enter on
    Step); the run went on from its start (no echo from the kernel took the sliders back), and puzzle.values() in
    the kernel is the page's last step, exactly."""
    with puzzle_in_jupyterlab(browser, tmp_path_factory, trainer, workspace=f"training-{trainer}") as (page, explorer):
        explorer.get_by_role("slider", name=trainer.slider, exact=True).focus()
        page.keyboard.press("t")
        page.wait_for_function("(el) => el.glDescent.history.length > 40", arg=explorer.element_handle())
        page.keyboard.press("t")
        assert not explorer.evaluate(RUNNING)
        step = explorer.get_by_role("button", name="Step")
        step.focus()
        steps = len(explorer.evaluate(HISTORY))
        page.keyboard.press("Enter")  # the button's, not the notebook's (which would edit the cell)
        one_more = "([el, n]) => el.glDescent.history.length === n"
        page.wait_for_function(one_more, arg=[explorer.element_handle(), steps + 1])
        expect(step).to_be_focused()
        records = explorer.evaluate(HISTORY)
        assert records[0]["settings"] == trainer.start, "the run restarted: the kernel's echo took the sliders back"
        reached = records[-1]["settings"]
        assert reached != trainer.start
        kernel = kernel_json(page, "import json; print(json.dumps(puzzle.values()))", until=reached.__eq__)
        assert kernel == reached, f"the kernel holds {kernel}, the page {reached}"


@every_trainer
def test_the_kernel_reads_the_switch_and_sets_it(browser, tmp_path_factory, trainer):
    """In JupyterLab: Space on the switch sets puzzle.attractors in the kernel to True; training then runs the four
    sentences' loss; puzzle.attractors = False in the kernel unticks the box in the page."""
    with puzzle_in_jupyterlab(browser, tmp_path_factory, trainer, workspace=f"switch-{trainer}") as (page, explorer):
        switch = explorer.get_by_role("checkbox", name=SWITCH)
        switch.focus()
        page.keyboard.press(" ")  # the box's, not the notebook's
        expect(switch).to_be_checked()
        expect(switch).to_be_focused()
        assert kernel_json(page, "import json; print(json.dumps(puzzle.attractors))", until=bool) is True
        step = explorer.get_by_role("button", name="Step")
        for k in range(1, 4):
            step.click()
            page.wait_for_function("([el, n]) => el.glDescent.history.length === n",
                                   arg=[explorer.element_handle(), k + 1])  # fmt: skip
        records = explorer.evaluate(HISTORY)
        assert largest_difference(records, trainer.training(trainer.start, 3, attractors=True)) <= TOLERANCE
        run_in_kernel(page, "puzzle.attractors = False")
        expect(switch).not_to_be_checked()
