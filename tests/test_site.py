"""The course site (`make site`, website/build.py), built once from lessons/ and read in Chromium.

- No solution line and no hidden test reaches any file of the site; the lessons' visible code does.
- Served from loopback with every other request aborted, every page renders with no console error and no request
  leaving loopback, every image loads and says what it shows (alt text, not a file name), its headings go down one
  level at a time, axe-core finds no WCAG 2.1 A/AA violation in the whole page, theme included, and each explorer
  answers its slider with numbers equal to gatelab.dynamics'.
- A keyboard alone reaches every slider of a lesson page and moves it, and the explorer's words (its live region)
  are written anew after each move.
- Each lesson's page has the "Do this lesson" box with its path and its hub, Binder and Colab links; each lesson's
  first cell installs the course's package, where it is missing, from the repository those links open.
Without Chromium the browser tests skip, except under CI (CI=true), where they must run.
"""

import html.parser
import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import axe_violations, computed, move_range, require_chromium, static_server
from tests.course import SOLUTION_NOTEBOOKS, read, secret_lines
from tests.test_export_browser import assert_numbers_are_dynamics
from website.build import build, lesson_notebooks, read_links

pytestmark = pytest.mark.slow
require_chromium()

LESSON_PAGES = [f"lessons/{nb.parent.name}/{nb.stem}.html" for nb in lesson_notebooks()]
KEYBOARD_LESSON = "lessons/04-lstm-forward/04-lstm-forward.html"
SHOWN = ":not(.onlyprint *)"  # the book theme repeats the title in a block shown only in print


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    return build(out=folder / "site", source_dir=folder / "source", echo=print)


def pages(site):
    """Every HTML page of the site, relative to it (the theme's template fragments under _static are not pages)."""
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if "_static" not in p.parts)


class TextOf(html.parser.HTMLParser):
    """The text of an HTML page as a reader sees it: no tags, entities read, runs of white space as one space."""

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.feed(markup)

    def handle_data(self, data):
        self.parts.append(data)

    def text(self):
        return " ".join("".join(self.parts).split())


def site_text(site):
    """{file: its text} for every text file of the site (HTML as read, the rest as it is)."""
    texts = {}
    for path in site.rglob("*"):
        if path.suffix in {".html", ".js", ".txt", ".json", ".ipynb", ".md", ".py"}:
            raw = path.read_text(errors="replace")
            texts[str(path.relative_to(site))] = TextOf(raw).text() if path.suffix == ".html" else " ".join(raw.split())
    return texts


def test_the_site_has_a_page_per_lesson_and_a_front_page(site):
    assert set(LESSON_PAGES) | {"index.html", "search.html", "genindex.html"} == set(pages(site))


def test_no_solution_and_no_hidden_test_reaches_the_site(site):
    lessons = " ".join(" ".join(cell.source.split()) for nb in lesson_notebooks() for cell in read(nb).cells)
    solutions = {" ".join(line.split()) for nb in SOLUTION_NOTEBOOKS for line in secret_lines(read(nb))}
    secrets = {line for line in solutions if line not in lessons}  # a line the lesson shows too is no secret
    assert len(secrets) > 100
    texts = site_text(site)
    leaked = {name: [s for s in secrets if s in text] for name, text in texts.items()}
    assert {name: lines for name, lines in leaked.items() if lines} == {}
    # the same reading finds the lessons' own code: a check cell, as highlighted on the page
    assert "gl.checks.lstm.cell_forward_shapes(lstm_cell_forward)" in texts[KEYBOARD_LESSON]


def test_every_lesson_page_says_how_to_do_the_lesson(site):
    links = read_links()
    for page_name in LESSON_PAGES:
        markup = (site / page_name).read_text()
        notebook = page_name.replace(".html", ".ipynb")
        assert markup.count('class="gates-do"') == 1, page_name
        assert f"<code>{notebook}</code>" in markup, page_name
        hub = re.search(r'class="gates-hub-link" href="([^"]+)"', markup)[1].replace("&amp;", "&")
        assert hub.startswith(f"{links['hub']['url']}/hub/user-redirect/git-pull?")
        query = parse_qs(urlparse(hub).query)
        assert query["repo"] == [links["repository"]["git"]] and query["branch"] == [links["repository"]["branch"]]
        assert query["targetpath"] == ["gates-student"] and query["urlpath"] == [f"lab/tree/gates-student/{notebook}"]
        assert f"mybinder.org/v2/gh/{links['repository']['github']}/" in markup
        github, branch = links["repository"]["github"], links["repository"]["branch"]
        assert f"https://colab.research.google.com/github/{github}/blob/{branch}/{notebook}" in markup


def test_each_lesson_installs_the_course_from_the_repository_the_site_links():
    """On Colab the course's package is missing: each lesson's first cell installs it from the repository that
    deploy/site.toml names, the one the site's Colab, Binder and hub links open."""
    url = read_links()["repository"]["git"].removesuffix(".git")
    for notebook in lesson_notebooks():
        first = next(cell for cell in read(notebook).cells if cell.cell_type == "code")
        assert f'%pip install -q "gatelab @ git+{url}"' in first.source, notebook.name
        assert first.source.startswith("try:\n    import gatelab as gl\nexcept ModuleNotFoundError:")


def test_an_exercise_shows_its_signature_and_what_its_checks_ask(site):
    text = TextOf((site / KEYBOARD_LESSON).read_text()).text()
    assert "def lstm_cell_forward(x_t, h_prev, c_prev, params):" in text
    assert "raise NotImplementedError()" in text
    note = "In the notebook, this graded cell (1 point) checks your code:"
    assert f"{note}Does lstm_cell_forward(x_t, h_prev, c_prev, params) return" in text  # (a list item: no space)
    assert "NotImplementedError" not in text.replace("raise NotImplementedError()", "")  # no traceback on the page


@pytest.mark.parametrize("page_name", ["index.html", "search.html", "genindex.html", *LESSON_PAGES])
def test_each_page_reads_offline_accessibly_and_its_explorers_answer(site, offline, page_name):
    page, errors, aborted = offline
    with static_server(site) as url:
        page.goto(f"{url}/{page_name}")
        page.wait_for_load_state("networkidle")
        assert page.locator(f"main h1{SHOWN}").count() == 1 and page.title()
        images = page.evaluate(
            "() => [...document.images].map((i) => ({src: i.src.slice(0, 120), alt: i.alt,"
            " loaded: i.complete && i.naturalWidth > 0}))"
        )
        assert [i for i in images if not i["loaded"]] == []
        assert [i for i in images if not i["alt"].strip() or re.search(r"\.(png|svg|jpe?g)$", i["alt"])] == []
        headings = page.eval_on_selector_all(f"main :is(h1, h2, h3, h4){SHOWN}", "e => e.map((h) => h.tagName)")
        levels = [int(tag[1]) for tag in headings]
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), f"headings skip a level: {levels}"
        assert axe_violations(page, "html") == []
        explorers = page.locator(".gl-explorer").all()
        for explorer in explorers:
            explorer.scroll_into_view_if_needed()
            move_range(page, explorer, explorer.locator("input[type=range]").first)
        assert_numbers_are_dynamics(page)
        assert errors == [] and aborted == []
    expected = {"00": 1, "01": 1, "02": 2, "04": 3, "05": 1, "07": 1}.get(page_name.split("/")[-1][:2], 0)
    assert len(explorers) == (expected if page_name in LESSON_PAGES else 0)


# Where the keyboard's focus is: which slider of which explorer, if a slider.
FOCUSED = """() => {
    const e = document.activeElement;
    if (!(e instanceof HTMLInputElement) || e.type !== "range") return null;
    const explorers = [...document.querySelectorAll(".gl-explorer")];
    const explorer = explorers.findIndex((x) => x.contains(e));
    return { explorer, slider: [...explorers[explorer].querySelectorAll("input[type=range]")].indexOf(e) };
}"""


def test_a_keyboard_alone_reaches_moves_and_hears_every_slider_of_a_lesson(site, offline):
    page, errors, aborted = offline
    with static_server(site) as url:
        page.goto(f"{url}/{KEYBOARD_LESSON}")
        page.wait_for_load_state("networkidle")
        explorers = page.locator(".gl-explorer").all()
        sliders = {(e, s) for e, x in enumerate(explorers) for s in range(x.locator("input[type=range]").count())}
        assert len(sliders) > 20
        reached = set()
        for _ in range(600):
            page.keyboard.press("Tab")
            where = page.evaluate(FOCUSED)
            if where is None or (where["explorer"], where["slider"]) in reached:
                continue
            explorer = explorers[where["explorer"]]
            # The words are rewritten after every move, if only to say the same: clear them to see them come back.
            words = explorer.locator(".gl-alt").element_handle()
            words.evaluate("(words) => { words.textContent = ''; }")
            settings_before = computed(explorer)[0]
            move_range(page, explorer, explorer.locator("input[type=range]").nth(where["slider"]))
            assert computed(explorer)[0] != settings_before
            page.wait_for_function("(words) => words.textContent.length > 0", arg=words)
            reached.add((where["explorer"], where["slider"]))
            if reached == sliders:
                break
        assert reached == sliders
        assert errors == [] and aborted == []
