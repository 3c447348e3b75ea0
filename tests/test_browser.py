"""Do the lessons work in a real browser? JupyterLab on loopback, driven through Debian's Chromium.

For every source notebook: open it, run all cells; axe-core finds no WCAG 2.1 A/AA violation in what the course puts
on the page (its rendered markdown and its cells' outputs); for every explorer, move each slider (a range input) with
the keyboard and prove its figure's pixels (an SVG) changed; no error output, no browser console error.
Also nbgrader's Validate on a solved lesson, and the formgrader listing the course's assignments.
Without Chromium these tests skip, except under CI (CI=true), where they must run.
"""

import pytest
from playwright.sync_api import expect

from tests.browser import (
    FIGURE,
    TOKEN,
    axe_violations,
    close_sessions,
    course_copy,
    error_outputs,
    lab_server,
    move_range,
    open_notebook,
    require_chromium,
    run_all,
)
from tests.course import ROOT, SOLUTION_NOTEBOOKS

WIDGET_NOTEBOOKS = [p for p in SOLUTION_NOTEBOOKS if "gl.widgets." in p.read_text()]
# What the course puts on a notebook's page in JupyterLab: its rendered markdown and its cells' outputs.
COURSE_CONTENT = ".jp-Notebook .jp-RenderedMarkdown, .jp-Notebook .jp-OutputArea-output"

pytestmark = pytest.mark.slow

require_chromium()


# Session scope: each xdist worker that runs browser tests starts one server, not one per test.
@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback over a copy of the course (with its gradebook); yields its URL."""
    course = course_copy(tmp_path_factory.mktemp("course"))
    with lab_server(course, tmp_path_factory.mktemp("jupyter-config")) as url:
        yield url


@pytest.fixture
def page(browser, lab):
    """A fresh page that records console errors; afterwards, every kernel session is deleted."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.console_errors = []
    # JavaScript errors count; a failed resource load is the server's, reported with its URL instead.
    page.on(
        "console",
        lambda m: (
            page.console_errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("response", lambda r: print(f"server answered {r.status} for {r.url}") if r.status >= 500 else None)
    yield page
    page.close()
    close_sessions(lab)


@pytest.mark.parametrize("notebook", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_each_lesson_reads_accessibly_and_every_slider_redraws_in_a_real_browser(page, lab, notebook):
    # A workspace per notebook: JupyterLab would restore the tabs (and explorers) an earlier test opened.
    open_notebook(page, lab, notebook.relative_to(ROOT), workspace=notebook.stem)
    run_all(page)
    explorers = page.locator(".gl-explorer")
    if notebook in WIDGET_NOTEBOOKS:
        expect(explorers.first).to_be_visible(timeout=30_000)
    assert error_outputs(page) == []
    assert axe_violations(page, COURSE_CONTENT) == []
    if notebook not in WIDGET_NOTEBOOKS:
        return
    moved = 0
    for e in range(explorers.count()):
        explorer = explorers.nth(e)
        explorer.scroll_into_view_if_needed()
        sliders, figure = explorer.locator("input[type=range]"), explorer.locator(FIGURE)
        assert sliders.count() > 0
        for s in range(sliders.count()):
            before = figure.screenshot()
            move_range(page, explorer, sliders.nth(s))
            assert figure.screenshot() != before, f"explorer {e}, slider {s}: the figure's pixels did not change"
            moved += 1
    assert moved > 0  # lesson 06 shows one explorer, its film, with one slider
    assert error_outputs(page) == []
    assert page.console_errors == []


def test_nbgrader_validate_passes_a_solved_lesson(page, lab):
    open_notebook(page, lab, "solutions/00-start-here/00-start-here.ipynb", workspace="validate")
    page.get_by_role("button", name="Validate").click()
    expect(page.get_by_text("Success! Your notebook passes all the tests.")).to_be_visible(timeout=90_000)


def test_formgrader_lists_the_course_assignments(page, lab):
    page.goto(f"{lab}/formgrader?token={TOKEN}")
    for name in sorted({p.parent.name for p in SOLUTION_NOTEBOOKS}):
        expect(page.get_by_text(name, exact=True).first).to_be_visible(timeout=30_000)
