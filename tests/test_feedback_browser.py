"""Does a graded class's feedback read offline in a real browser: equations typeset, every image shown, every
explorer live, no request?

Solved submissions of the lessons with figures and explorers (01, 02, 04, 05: every figure and every kind of
explorer of the course), released with their figures in the notebook (data URIs), are graded by autograde/grade.py in a
course left without assets/, and their feedback pages opened in Debian's Chromium with any request but the page's
own file aborted and counted; then the same with the pages plain `nbgrader generate_feedback` makes.
tests/test_feedback.py checks every lesson's page without a browser.
Without Chromium or bubblewrap these tests skip, except under CI (CI=true), where they must run.
"""

import re
import shutil

import pytest

from autograde.feedback import formulas
from autograde.grade import grade
from gatelab.widgets.front import LIVE_CAPTION
from tests.browser import move_range, require_chromium
from tests.course import ROOT, make_course, nbgrader, needs_sandbox, read, submission, submit

pytestmark = [pytest.mark.slow]
require_chromium()
needs_sandbox()

LESSONS = ["01-why-gates", "02-gru-forward", "04-lstm-forward", "05-lstm-backward"]
FIGURE = re.compile(r"!\[[^\n]*?\]\(\.\./\.\./assets/")
EXPLORER = re.compile(r"gl\.widgets\.\w+\(")

# What a reader sees as prose (no code, math or style), the page's math and images, and each
# explorer running on the page.
PAGE_FACTS = """() => {
    const body = document.body.cloneNode(true);
    body.querySelectorAll("pre, code, math, script, style").forEach(node => node.remove());
    return {
        prose: body.textContent,
        math: document.querySelectorAll("math").length,
        images: [...document.images].map(img => ({src: img.src.slice(0, 30), width: img.naturalWidth, alt: img.alt})),
        live: [...document.querySelectorAll("figure.gl-standalone")].map(f => ({
            sliders: f.querySelectorAll("input[type=range]").length, caption: f.querySelector("figcaption").textContent,
        })),
    };
}"""


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    """{"grade" | "nbgrader": {assignment: feedback page}} of one solved submission of each of LESSONS."""
    course = make_course(tmp_path_factory.mktemp("course"), LESSONS)
    shutil.copytree(ROOT / "assets", course / "assets")
    for path in (ROOT / "autograde").glob("*.py"):  # the course's tooling, feedback steps included
        shutil.copy(path, course / "autograde" / path.name)
    nbgrader("generate_assignment", "*", cwd=course)  # every lesson at once: one nbgrader start
    shutil.rmtree(course / "assets")  # the figures travel in the released lessons, as data URIs
    for assignment in LESSONS:
        name = f"{assignment}.ipynb"
        released, source = read(course / "lessons" / assignment / name), read(course / "solutions" / assignment / name)
        submit(course, assignment, "solved", {name: submission(released, source)})
        grade(assignment, course, workers=1, echo=lambda line: None)
    shutil.copytree(course / "autograde" / "feedback", course / "feedback-grade")
    nbgrader("generate_feedback", "*", "--force", cwd=course)  # every assignment at once
    pages = {}
    for way, folder in (("grade", course / "feedback-grade"), ("nbgrader", course / "autograde" / "feedback")):
        pages[way] = {a: folder / "solved" / a / f"{a}.html" for a in LESSONS}
    return pages


@pytest.mark.parametrize("way", ["grade", "nbgrader"])
def test_feedback_pages_read_offline(feedback, browser, way):
    """Equations typeset, every figure shown, every explorer live, no request leaving the page's file."""
    context = browser.new_context()
    requests, errors = [], []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        for assignment, path in feedback[way].items():
            requests.clear()
            page.goto(path.as_uri(), wait_until="load")
            # the explorers drawn in the browser render once their module is imported
            page.wait_for_function(
                """() => document.querySelectorAll("figure.gl-standalone").length
                      === document.querySelectorAll("figure.gl-standalone svg.gl-figure").length"""
            )
            facts = page.evaluate(PAGE_FACTS)
            lesson = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
            cells = read(lesson).cells
            equations = [f for c in cells if c.cell_type == "markdown" for f in formulas(c.source)]
            figures = sum(len(FIGURE.findall(c.source)) for c in cells if c.cell_type == "markdown")
            explorers = sum(len(EXPLORER.findall(c.source)) for c in cells if c.cell_type == "code")

            assert requests == [path.as_uri()], f"{assignment}: requests beyond the page: {requests}"
            assert facts["math"] == len(equations), f"{assignment}: equations not typeset"
            assert "$" not in facts["prose"], f"{assignment}: raw TeX in the prose"
            assert all(image["width"] > 0 and image["alt"] for image in facts["images"]), facts["images"]
            assert all(image["src"].startswith("data:") for image in facts["images"]), facts["images"]
            assert sum(image["src"].startswith("data:image/svg+xml") for image in facts["images"]) == figures
            shown = len(facts["live"])
            assert shown == explorers, f"{assignment}: {shown} of {explorers} explorers shown"
            for live in page.locator("figure.gl-standalone").all():  # live: a key moves it (its numbers change)
                move_range(page, live, live.locator("input[type=range]").first)
                assert live.locator("[aria-live=polite]").inner_text(), f"{assignment}: no text alternative"
                assert live.locator("figcaption").inner_text() == LIVE_CAPTION
            assert all(live["sliders"] > 0 for live in facts["live"])
            assert requests == [path.as_uri()], f"{assignment}: requests beyond the page: {requests}"
            assert not errors, f"{assignment}: {errors}"
    finally:
        context.close()
