"""Measure the course against its budgets (COURSE.md §7): `make bench` prints this and writes bench/results.md.

Figures are reported, never asserted: lesson execution times, the in-kernel update latency of every widget drawn
in the kernel, every explorer's key press to new pixels in Chromium inside JupyterLab (beside a bare page's, the
floor of the method), autograding time over plain execution time.
"""

import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

from autograde.release import release
from tests import browser
from tests.course import ROOT, SOLUTION_NOTEBOOKS, execute, make_course, nbgrader, read, submission, submit

MOVES = 20  # slider moves per slider, in the kernel
BROWSER_MOVES = 50  # key presses per explorer (at least), in the browser


def stats(ms):
    """'median / p95' of a list of milliseconds."""
    ms = sorted(ms)
    return f"{statistics.median(ms):6.1f} / {ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]:6.1f}"


def lesson_times():
    """{notebook stem: seconds to execute it top to bottom}."""
    return {path.stem: execute(path)[1] for path in SOLUTION_NOTEBOOKS}


def explorers():
    """{name: factory} of every widget in gatelab.widgets drawn in the kernel (it builds a live.Explorer)."""
    import gatelab.widgets as w

    factories = {name: getattr(w, name) for name in w.__all__ if name[0].islower() and name != "slider"}
    return {name: factory for name, factory in factories.items() if isinstance(factory(), w.Explorer)}


def slider_values(slider, n):
    """n values sweeping the slider back and forth across its range, one step apart."""
    values, value, step = [], slider.value, slider.step
    for _ in range(n):
        if value + step > slider.max:
            step = -abs(step)
        elif value + step < slider.min:
            step = abs(step)
        value += step
        values.append(value)
    return values


def kernel_latencies():
    """{widget: [ms per update]}: recompute, redraw and PNG encoding, as measured by the Explorer."""
    results = {}
    for name, factory in explorers().items():
        explorer, ms = factory(), []
        for slider in explorer.sliders.values():
            for value in slider_values(slider, MOVES):
                slider.value = value
                ms.append(explorer.last_update_ms)
        results[name] = ms
    return results


# The floor (NOTES.md): a bare page where a range input moves an SVG dot, no Jupyter, measured the same way.
BARE_PAGE = """<!doctype html><div class="gl-explorer"><input type="range" min="0" max="100" value="50">
<svg class="gl-bare" width="320" height="40"><circle r="8" cx="160" cy="20"/></svg></div><script>
const input = document.querySelector("input"), svg = document.querySelector("svg");
input.addEventListener("input", () => {
  svg.firstElementChild.setAttribute("cx", 10 + 3 * input.value);
  svg.dataset.computed = input.value;
});
</script>"""
# An explorer's name: the class of the explorer drawn in the browser (gl-lstm-gate), or of the PNG of one drawn in
# the kernel (gl-gru-gate-figure).
EXPLORER_NAME = """(explorer) => [...explorer.classList, ...explorer.querySelector("img")?.classList ?? []]
    .find((c) => c.startsWith("gl-") && c !== "gl-explorer")"""


def key_presses(page, explorer):
    """[ms from key press to the frame after the figure changed] for >= BROWSER_MOVES arrow presses on the
    explorer's sliders (ipywidgets' handles or range inputs), sweeping each slider back and forth."""
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


def browser_latencies(folder):
    """{explorer: [ms from key press to new pixels]} in Chromium: a bare page, then every explorer of every widget
    notebook inside JupyterLab."""
    from playwright.sync_api import sync_playwright

    course = browser.course_copy(folder / "course")
    results = {}
    with browser.lab_server(course, Path(tempfile.mkdtemp())) as url, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(browser.CHROMIUM), args=browser.CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.set_content(BARE_PAGE)
        results["bare page, a range input moving an SVG dot (the floor)"] = key_presses(page, page.locator("div"))
        for path in SOLUTION_NOTEBOOKS:
            if "gl.widgets." not in path.read_text():
                continue
            # A workspace per notebook: no hidden tab of an earlier notebook (with its explorers) is restored.
            browser.open_notebook(page, url, path.relative_to(ROOT), workspace=path.stem)
            browser.run_all(page)
            explorers = page.locator(".gl-explorer")
            explorers.first.wait_for(timeout=30_000)
            for explorer in explorers.all():
                explorer.scroll_into_view_if_needed()
                name = explorer.evaluate(EXPLORER_NAME)
                drawn = "browser" if explorer.locator("svg.gl-figure").count() else "kernel"
                results[f"{path.stem}: {name} (drawn in the {drawn})"] = key_presses(page, explorer)
            browser.close_sessions(url)
        chromium.close()
    return results


def autograde_times(folder):
    """{assignment: seconds for nbgrader autograde of one solved submission}."""
    course = make_course(folder / "grading")
    release(course)
    results = {}
    for name in sorted({p.parent.name for p in SOLUTION_NOTEBOOKS}):
        sources = {p.name: read(p) for p in sorted((course / "solutions" / name).glob("*.ipynb"))}
        released = {n: read(course / "lessons" / name / n) for n in sources}
        submit(course, name, "bench", {n: submission(released[n], sources[n]) for n in sources})
        start = time.perf_counter()
        nbgrader("autograde", name, "--create", cwd=course)
        results[name] = time.perf_counter() - start
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


def report():
    lines = ["# Gates benchmark", "", f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, 2-core CPU", ""]
    executed = lesson_times()
    lines += ["## Lessons, executed top to bottom (budget 60 s each, 300 s in all)", ""]
    lines += [f"- {name}: {s:.1f} s" for name, s in executed.items()] + [
        f"- whole course: {sum(executed.values()):.1f} s",
        "",
    ]
    lines += ["## Widgets drawn in the kernel, ms per slider move in the kernel: median / p95", ""]
    lines += [f"- {name}: {stats(ms)}  ({len(ms)} moves)" for name, ms in kernel_latencies().items()] + [""]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if browser.CHROMIUM.exists():
            lines += [
                "## Browser, ms from key press to the frame after the figure changed (double requestAnimationFrame), "
                "inside JupyterLab: median / p95 (budget 16 / 33 ms)",
                "",
            ]
            lines += [f"- {name}: {stats(ms)}  ({len(ms)} moves)" for name, ms in browser_latencies(tmp).items()]
        else:
            lines += ["## Browser: skipped (no Debian chromium)"]
        graded = autograde_times(tmp)
    lines += ["", "## Autograding one solved submission / executing it (budget 1.3x)", ""]
    for notebook in SOLUTION_NOTEBOOKS:
        name, plain = notebook.parent.name, executed[notebook.stem]
        lines.append(f"- {name}: {graded[name]:.1f} s / {plain:.1f} s = {graded[name] / plain:.2f}x")
    lines += ["", "## Training demos (budget: the target in <= 30 s of CPU)", ""] + training_demos()
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    text = report()
    print(text)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "bench" / "results.md"
    out.write_text(text)
