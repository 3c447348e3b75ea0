"""Measure the course against its budgets (COURSE.md §7): `make bench` prints this and writes bench/results.md.

Figures are reported, never asserted: lesson execution times, every explorer's key press to new pixels in Chromium
inside JupyterLab (beside a bare page's, the floor of the method, and a kernel round trip's, the way explorers drew
before they drew in the browser), training in the page (an explorer's "Let training solve it": steps per second and
frame times), autograding time over plain execution time.
"""

import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograde.release import release
from tests import browser
from tests.course import ROOT, SOLUTION_NOTEBOOKS, execute, make_course, read, submission, submit

BROWSER_MOVES = 50  # key presses per explorer (at least), in the browser


def stats(ms):
    """'median / p95' of a list of milliseconds."""
    ms = sorted(ms)
    return f"{statistics.median(ms):6.1f} / {ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]:6.1f}"


def lesson_times():
    """{notebook stem: seconds to execute it top to bottom}."""
    return {path.stem: execute(path)[1] for path in SOLUTION_NOTEBOOKS}


# The floor (NOTES.md): a bare page where a range input moves an SVG dot, no Jupyter, measured the same way.
BARE_PAGE = """<!doctype html><div class="gl-explorer"><input type="range" min="0" max="100" value="50">
<svg class="gl-bare" width="320" height="40"><circle r="8" cx="160" cy="20"/></svg></div><script>
const input = document.querySelector("input"), svg = document.querySelector("svg");
input.addEventListener("input", () => {
  svg.firstElementChild.setAttribute("cx", 10 + 3 * input.value);
  svg.dataset.computed = input.value;
});
</script>"""
# The baseline: the way the explorers drew before they drew in the browser. An ipywidgets slider whose callback,
# in the kernel, draws a figure of an explorer's size (a line that follows the value) and sends it as a PNG to
# an Image widget: each move is a kernel round trip.
ROUND_TRIP = """import io
import ipywidgets as w
from PIL import Image, ImageDraw

slider = w.FloatSlider(value=0.0, min=-5.0, max=5.0, step=0.1, description="b", continuous_update=True)
image = w.Image(format="png", width=720, height=270)
image.add_class("gl-round-trip")


def send(change=None):
    figure = Image.new("RGB", (720, 270), "white")
    x = 360 + 70 * slider.value
    ImageDraw.Draw(figure).line([(x, 20), (x, 250)], fill=(0, 114, 178), width=3)
    out = io.BytesIO()
    figure.save(out, format="png", compress_level=1)
    image.value = out.getvalue()


slider.observe(send, names="value")
send()
box = w.VBox([slider, image])
box.add_class("gl-explorer")
box"""
# An explorer's name: the class of the explorer (gl-lstm-gate), or of the baseline's image (gl-round-trip).
EXPLORER_NAME = """(explorer) => [...explorer.classList, ...explorer.querySelector("img")?.classList ?? []]
    .find((c) => c.startsWith("gl-") && c !== "gl-explorer")"""


def key_presses(page, explorer):
    """[(painted, next frame) ms from key press, tests.browser.key_to_frame] for >= BROWSER_MOVES arrow presses on
    the explorer's sliders (ipywidgets' handles or range inputs), sweeping each slider back and forth."""
    handles = explorer.locator(".noUi-handle").all()
    sliders = handles or explorer.locator("input[type=range]").all()
    ms = []
    for slider in sliders:
        for _ in range(math.ceil(BROWSER_MOVES / len(sliders))):
            if handles:
                at_max = slider.get_attribute("aria-valuenow") == slider.get_attribute("aria-valuemax")
            else:
                at_max = slider.input_value() == slider.get_attribute("max")
            ms.append(browser.key_to_frame(page, explorer, slider, "ArrowLeft" if at_max else "ArrowRight"))
    return ms


# "Let training solve it" (widgets/descent.js) on an explorer: one press, from where its sliders are, until it stops
# (its steps, one per animation frame); the page keeps, per frame, the ms since the one before and the ms of script
# (the step and the explorer's redraw; el.glDescent.frames, .work).
TRAIN = """(el) => new Promise((done) => {
    el.querySelector(".gl-descent-run").click();
    const wait = () => (el.glDescent.running ? setTimeout(wait, 100) : done([el.glDescent.frames, el.glDescent.work]));
    wait();
})"""


def training_frames(explorer):
    """([ms between training frames], [ms of script per frame]) for one press of the explorer's "Let training solve
    it" (None if it has none)."""
    return explorer.evaluate(TRAIN) if explorer.locator(".gl-descent-run").count() else None


def round_trip_notebook(course):
    """A notebook in course showing ROUND_TRIP; returns its path relative to course."""
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": kernel})  # JupyterLab starts it without asking
    nb.cells = [nbformat.v4.new_code_cell(ROUND_TRIP)]
    nbformat.write(nb, course / "round-trip.ipynb")
    return "round-trip.ipynb"


def explorers_in(page):
    """(page, name, explorer) for each explorer shown on page, scrolled to; closes the page after the last."""
    explorers = page.locator(".gl-explorer")
    explorers.first.wait_for(timeout=30_000)
    for explorer in explorers.all():
        explorer.scroll_into_view_if_needed()
        yield page, explorer.evaluate(EXPLORER_NAME), explorer
    page.close()


def explorers_on(chromium, url, notebook, workspace):
    """Open notebook in JupyterLab in a new page, Run All; yields explorers_in(page). (A page of its own: a moved
    explorer leaves its notebook unsaved, and leaving it would ask.)"""
    print(f"measuring the explorers of {notebook}", file=sys.stderr)
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    # A workspace per notebook: no hidden tab of an earlier notebook (with its explorers) is restored.
    browser.open_notebook(page, url, notebook, workspace=workspace)
    browser.run_all(page)
    yield from explorers_in(page)
    browser.close_sessions(url)


def exported_pages(folder, lessons):
    """The lessons, executed (their widget state saved) and exported by autograde.export into folder, as the no-kernel
    page the course site builds on; returns the pages' names, relative to folder."""
    from autograde.export import export

    pages = []
    for path in lessons:
        print(f"executing and exporting {path.stem}", file=sys.stderr)
        saved = folder / f"{path.stem}.ipynb"
        nbformat.write(execute(path)[0], saved)
        pages.append(export(saved, links_from=path.parent).name)
    return pages


def explorers_on_page(chromium, url):
    """Open url (a page with no Jupyter); yields explorers_in(page)."""
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    yield from explorers_in(page)


def browser_latencies(folder):
    """({what: [(painted, next frame) ms from key press]}, {what: training_frames}) in Chromium: a bare
    page, every explorer of every lesson inside JupyterLab and on its exported page (no kernel, served from
    loopback), and the kernel round trip (ROUND_TRIP) in the same JupyterLab; an explorer that trains is also timed
    training (training_frames), after its key presses."""
    from playwright.sync_api import sync_playwright

    course = browser.course_copy(folder / "course")
    results, training = {}, {}
    with browser.lab_server(course, Path(tempfile.mkdtemp())) as url, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(browser.CHROMIUM), args=browser.CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.set_content(BARE_PAGE)
        results["bare page, a range input moving an SVG dot (the floor)"] = key_presses(page, page.locator("div"))
        page.close()
        explorer_lessons = [path for path in SOLUTION_NOTEBOOKS if "gl.widgets." in path.read_text()]
        for path in explorer_lessons:
            for page, name, explorer in explorers_on(chromium, url, path.relative_to(ROOT), path.stem):
                results[f"{path.stem}: {name}"] = key_presses(page, explorer)
                training[f"{path.stem}: {name}"] = training_frames(explorer)
        for page, _, explorer in explorers_on(chromium, url, round_trip_notebook(course), "round-trip"):
            results["baseline: a kernel round trip (slider → kernel → same-size PNG)"] = key_presses(page, explorer)
        (folder / "pages").mkdir()
        with browser.static_server(folder / "pages") as site:
            for name in exported_pages(folder / "pages", explorer_lessons):
                for page, explorer_name, explorer in explorers_on_page(chromium, f"{site}/{name}"):
                    what = f"exported {Path(name).stem}, no kernel: {explorer_name}"
                    results[what] = key_presses(page, explorer)
                    training[what] = training_frames(explorer)
        chromium.close()
    return results, {what: frames for what, frames in training.items() if frames}


def autograde_times(folder, count=2):
    """{assignment: [seconds]}: the course's grader (autograde/grade.py, sandboxed, guarded) on count solved
    submissions of each assignment, one worker, the seconds of each (staged, autograded, scored; feedback apart).

    The first submission graded in this process also starts the server that nbgrader's runs are forked from.
    """
    from autograde.grade import grade

    course = make_course(folder / "grading")
    release(course)
    results = {}
    for name in sorted({p.parent.name for p in SOLUTION_NOTEBOOKS}):
        sources = {p.name: read(p) for p in sorted((course / "solutions" / name).glob("*.ipynb"))}
        released = {n: read(course / "lessons" / name / n) for n in sources}
        for i in range(count):
            submit(course, name, f"bench-{i}", {n: submission(released[n], sources[n]) for n in sources})
        grade(name, course, workers=1, echo=lambda line: None)
        report = json.loads((course / "autograde" / f"grading-report-{name}.json").read_text())
        results[name] = [report["students"][f"bench-{i}"]["seconds"] for i in range(count)]
    return results


def training_demos():
    """Lines: lesson 06's networks on the agreement language as the lesson trains them (time, held-out accuracy),
    one of lesson 07's runs live, and the cached grid's regeneration time."""
    from gatelab import experiments, probe, train
    from gatelab.data import adding, agreement

    pool, test = agreement.generate(20000, seed=0, every_verb=True), agreement.held_out_set(2000)
    lines = []
    for kind, forget_bias in (("lstm", 1.0), ("gru", 0.0), ("rnn", 0.0)):
        net = train.Network(kind, len(agreement.VOCAB), 8, 2, seed=0, forget_bias=forget_bias)
        seconds = train.train(net, agreement.batches(pool), 600, lr=0.01, seed=0, progress=False).seconds
        r = probe.report(net, test)
        lines.append(
            f"- lesson 06, {kind.upper()} (8 units, 600 steps): {seconds:.1f} s; held-out accuracy {r['overall']:.1%}, "
            f"with attractors {r['attractors']:.1%} (target 95 %)"
        )
    one = experiments.run("lstm", 20, 0)
    lines.append(
        f"- lesson 07, one LSTM on the adding problem at T = 20 ({experiments.STEPS} steps): {one['seconds']:.1f} s, "
        f"held-out MSE {one['mse']:.4f} (baseline {adding.BASELINE_MSE:.4f})"
    )
    cached = experiments.load_results()
    lines.append(
        f"- lesson 07, the cached grid (python -m gatelab.experiments): {len(cached['rows'])} runs, "
        f"{cached['seconds'] / 60:.1f} min with {cached['jobs']} jobs when it was made"
    )
    return lines


def browser_section(folder):
    """The browser's lines of the report (BROWSER_MOVES key presses per explorer, in folder)."""
    if not browser.CHROMIUM.exists():
        return ["## Browser: skipped (no Debian chromium)"]
    lines = [
        "## Browser, inside JupyterLab and on the exported pages: ms from key press to the frame that shows the figure "
        "changed (painted), and to the start of the frame after it (next frame, an upper bound): median / p95 "
        "(budget 16 / 33 ms)",
        "",
        "| explorer | painted | next frame | moves |",
        "|---|---|---|---|",
    ]
    latencies, training = browser_latencies(folder)
    for name, ms in latencies.items():
        painted, following = zip(*ms, strict=True)
        lines.append(f"| {name} | {stats(painted)} | {stats(following)} | {len(ms)} |")
    return lines + training_lines(training)


def training_lines(training):
    """The report's lines on training in the page: {what: training_frames} as steps per second, frame times and
    script times."""
    lines = [
        "",
        '## Browser, "Let training solve it": one press (one step per frame): steps per second; ms between training '
        "frames, median / p95 and max (budget >= 30 steps/s, no frame over 33 ms); ms of script per frame (the step "
        "and the redraw), median / p95",
        "",
        "| explorer | steps/s | frame | max | script | frames |",
        "|---|---|---|---|---|---|",
    ]
    for name, (ms, work) in training.items():
        lines.append(
            f"| {name} | {1000 * len(ms) / sum(ms):.1f} | {stats(ms)} | {max(ms):.1f} | {stats(work)} | {len(ms)} |"
        )
    return lines


def report(only_browser=False):
    lines = ["# Gates benchmark", "", f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 2-core CPU", ""]
    with tempfile.TemporaryDirectory() as tmp:
        if only_browser:
            return "\n".join(lines + browser_section(Path(tmp))) + "\n"
        executed = lesson_times()
        lines += ["## Lessons, executed top to bottom (budget 60 s each, 300 s in all)", ""]
        lines += [f"- {name}: {s:.1f} s" for name, s in executed.items()]
        lines += [f"- whole course: {sum(executed.values()):.1f} s", ""]
        lines += browser_section(Path(tmp))
        graded = autograde_times(Path(tmp))
    lines += [
        "",
        "## Autograding a solved submission with the course's grader (make grade: sandboxed, guarded), one worker, "
        "over executing it (budget 1.3x): each submission in turn (the first of the run starts nbgrader's server)",
        "",
    ]
    for notebook in SOLUTION_NOTEBOOKS:
        name, plain = notebook.parent.name, executed[notebook.stem]
        each = ", ".join(f"{s:.1f} s = {s / plain:.2f}x" for s in graded[name])
        lines.append(f"- {name}: executed in {plain:.1f} s; graded in {each}")
    lines += ["", "## Training demos (budget: the target in <= 30 s of CPU)", ""] + training_demos()
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # python -m bench.bench [OUT.md] [--browser]: --browser measures the explorers' latency alone.
    only_browser = "--browser" in sys.argv
    text = report(only_browser)
    print(text)
    paths = [a for a in sys.argv[1:] if a != "--browser"]
    default = "results-browser.md" if only_browser else "results.md"
    (Path(paths[0]) if paths else ROOT / "bench" / default).write_text(text)
