"""The class's hub in a real browser: a student fetches the released assignment, an instructor opens the formgrader.

deploy/jupyterhub_config.py on loopback (tests/hub.py), driven through Debian's Chromium (tests/browser.py).
The student logs in at /hub/login, lands in JupyterLab, opens nbgrader's Assignment List from the Nbgrader
menu and fetches 01-why-gates; the instructor logs in and opens the formgrader service, which is its own
page (JupyterHub forbids framing a server: CSP frame-ancestors 'none', which stays as it is).
Without Chromium these tests skip, except under CI (CI=true), where they must run.
"""

import contextlib
import json
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.browser import require_chromium
from tests.course import read
from tests.hub import COURSE_ID, PASSWORD, class_on_hub, home, release, run

pytestmark = pytest.mark.slow

require_chromium()

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "01-why-gates"
SPAWN = 240_000  # ms: logging in spawns the student's server (the machine may be busy with other hubs)
UI = 60_000  # ms: anything else the page waits for


@pytest.fixture(scope="module")
def hub_class():
    """A hub with an instructor, the grader account and one student; 01-why-gates generated and released."""
    with class_on_hub(("student",)) as hub_class:
        release(hub_class.hub.formgrader(hub_class.people["instructor"]), ASSIGNMENT)
        yield hub_class


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    """Where a failing test leaves its pages' screenshots and HTML."""
    return tmp_path_factory.mktemp("hub-browser")


@pytest.fixture
def new_page(browser, shots, request):
    """new_page(): a page in a browser context of its own (its own hub cookies) that records console
    errors and failed loads; on a failure, every page's screenshot and HTML go to shots."""
    contexts, pages = [], []
    failures_before = request.session.testsfailed  # the call's report is counted before teardown

    def new_page():
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(UI)
        page = context.new_page()
        page.console_errors, page.failed_loads = [], []
        page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.console_errors.append(f"uncaught: {e}"))
        page.on("response", lambda r: page.failed_loads.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        contexts.append(context)
        pages.append(page)
        return page

    yield new_page
    failed = request.session.testsfailed > failures_before
    for i, page in enumerate(pages):
        if failed:
            with contextlib.suppress(Exception):
                page.screenshot(path=shots / f"{request.node.name}-{i}.png", full_page=True)
                (shots / f"{request.node.name}-{i}.html").write_text(page.content())
            print(f"page {i} at {page.url}; console errors {page.console_errors}; failed loads {page.failed_loads}")
    if failed:
        print(f"screenshots and HTML of the pages: {shots}")
    for context in contexts:
        context.close()


def log_in(page, hub, user, next_url=None):
    """Log in at the hub's login page with the user's (PAM) password."""
    page.goto(f"{hub.url}/hub/login" + (f"?next={next_url}" if next_url else ""))
    page.fill("#username_input", user)
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")


def nbgrader_menu(page):
    """Open JupyterLab's Nbgrader menu; the labels of its entries."""
    page.get_by_role("menuitem", name="Nbgrader", exact=True).click()
    menu = page.locator("#jp-mainmenu-nbgrader")
    expect(menu).to_be_visible()
    items = menu.locator(".lm-Menu-item").filter(visible=True).locator(".lm-Menu-itemLabel")
    return [label.strip() for label in items.all_inner_texts() if label.strip()]


def test_a_student_fetches_the_released_assignment_in_jupyterlab(hub_class, new_page):
    hub, student = hub_class.hub, hub_class.people["student"]
    page = new_page()

    log_in(page, hub, student)
    page.wait_for_url(f"{hub.url}/user/{student}/lab**", timeout=SPAWN)
    page.wait_for_function("() => document.querySelector('#jp-main-dock-panel') !== null", timeout=UI)
    # No "Jupyter news" pop-up over the lessons: the course environment's own setting (jupyter-config/).
    page_config = json.loads(page.locator("#jupyter-config-data").text_content())
    assert "@jupyterlab/apputils-extension:announcements" in page_config["disabledExtensions"]

    # What the Nbgrader menu offers a student: the Assignment List, not the formgrader (whose lab entry
    # would frame the student's own /formgrader, which is off and which the CSP forbids framing anyway),
    # the course list or the assignment tools.
    entries = nbgrader_menu(page)
    print(f"the student's Nbgrader menu: {entries}")
    assert "Assignment List" in entries
    assert not {"Formgrader", "Course List", "Create assignment"} & set(entries)

    page.locator("#jp-mainmenu-nbgrader").get_by_text("Assignment List", exact=True).click()
    released = page.locator("#released_assignments_list")
    row = released.locator("> .list_item", has_text=ASSIGNMENT)
    expect(row).to_be_visible(timeout=UI)
    print(f"released assignments: {released.inner_text()!r}")
    fetch = row.get_by_role("button", name="Fetch", exact=True)
    expect(fetch).to_be_enabled()
    fetch.click()

    # Downloaded: listed with a Submit button (and its notebook, with Validate, once expanded).
    downloaded = page.locator("#fetched_assignments_list")
    row = downloaded.locator("> .list_item", has_text=ASSIGNMENT)
    expect(row.get_by_role("button", name="Submit", exact=True)).to_be_visible(timeout=UI)
    expect(released.locator("> .list_item", has_text=ASSIGNMENT)).to_have_count(0)
    row.get_by_role("button", name=ASSIGNMENT).click()
    notebook = row.locator(".nested_list_item", has_text=ASSIGNMENT)
    expect(notebook.get_by_role("button", name="Validate", exact=True)).to_be_visible()
    print(f"downloaded assignments: {downloaded.inner_text()!r}")
    assert (home(student) / COURSE_ID / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert page.get_by_text("Jupyter news").count() == 0

    print(f"failed loads: {page.failed_loads}")
    assert page.console_errors == [], page.failed_loads


def test_the_instructor_opens_the_formgrader_as_its_own_page(hub_class, new_page):
    hub, instructor = hub_class.hub, hub_class.people["instructor"]
    page = new_page()

    # The hub's home page (no server of the instructor's own is spawned) offers the course's service.
    log_in(page, hub, instructor, next_url="/hub/home")
    page.wait_for_url(f"{hub.url}/hub/home", timeout=UI)
    page.get_by_role("button", name="Services").click()
    expect(page.get_by_role("link", name=COURSE_ID, exact=True)).to_have_attribute("href", f"/services/{COURSE_ID}/")

    response = page.goto(f"{hub.url}/services/{COURSE_ID}/", timeout=SPAWN)
    print(f"/services/{COURSE_ID}/ landed on {page.url}")
    assert page.url.startswith(f"{hub.url}/services/{COURSE_ID}/formgrader"), page.url
    assert response.ok, response.status
    csp = response.headers.get("content-security-policy", "")
    print(f"its Content-Security-Policy: {csp!r}")
    assert "frame-ancestors 'none'" in csp

    # Manage Assignments lists the assignment as released.
    expect(page.get_by_role("heading", name="Manage Assignments", exact=True)).to_be_visible()
    row = page.locator("tr", has=page.locator("td.name", has_text=ASSIGNMENT))
    expect(row.locator("td.status")).to_have_text("released", timeout=UI)
    print(f"failed loads: {page.failed_loads}")
    assert page.console_errors == [], page.failed_loads


def test_the_course_sites_hub_link_opens_the_lesson_in_jupyterlab(hub_class, new_page):
    """The course site's "Do this lesson" link to the class hub (website/build.py; deploy/site.toml names the hub
    and the repository), followed in the browser: the student logs in, the hub sends them to their server's
    nbgitpuller, which clones the course's repository into their home folder, and JupyterLab opens the lesson."""
    from website.build import lesson_links

    hub, student = hub_class.hub, hub_class.people["student"]
    repo = publish_lessons(hub_class.exchange.parent / "gates-student.git", owner=student)
    lesson = ROOT / "lessons" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    links = {"hub": {"url": hub.url}, "repository": {"git": str(repo), "github": "-", "branch": "main"}}
    link = lesson_links(lesson, links)["hub"]
    page = new_page()

    log_in(page, hub, student, next_url=quote(link.removeprefix(hub.url), safe=""))
    opened = f"{hub.url}/user/{student}/lab/tree/gates-student/lessons/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    page.wait_for_url(f"{opened}**", timeout=SPAWN)
    title = read(lesson).cells[0].source.splitlines()[0].removeprefix("# ")
    expect(page.locator(".jp-Notebook").get_by_role("heading", name=title).first).to_be_visible(timeout=UI)
    assert (home(student) / "gates-student" / "lessons" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    print(f"failed loads: {page.failed_loads}")
    assert page.console_errors == [], page.failed_loads


def publish_lessons(repo, owner):
    """A git repository at repo with the course's lessons/ and assets/ on branch main, owned by owner (git serves a
    repository only to its owner: safe.directory), as a class publishes its student copy."""
    for folder in ("lessons", "assets"):
        shutil.copytree(ROOT / folder, repo / folder)
    author = ("-c", "user.name=course", "-c", "user.email=course@localhost")
    run("git", "init", "-q", "-b", "main", repo)
    run("git", *author, "add", "lessons", "assets", cwd=repo)
    run("git", *author, "commit", "-qm", "the lessons", cwd=repo)
    run("chown", "-R", f"{owner}:", repo)
    return repo
