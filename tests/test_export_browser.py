"""Do a lesson's explorers live on with no kernel, in Chromium?

- Saved from JupyterLab (the course's settings save the widget state), the lesson reopens with its explorers live
  at the values they were moved to, before anything runs: no "model not found".
- Exported by `python -m autograde.export` and served from loopback, with every other request aborted and no
  Jupyter running, each lesson's page shows each explorer at its saved values, and the keyboard moves it; every
  number it computes equals gatelab.dynamics'.
Without Chromium these tests skip, except under CI (CI=true), where they must run.
"""

import json
import time

import nbformat
import pytest
from playwright.sync_api import expect

from autograde.feedback import WIDGET_STATE
from gatelab import widgets
from tests.browser import (
    close_sessions,
    computed,
    console_errors,
    course_copy,
    difference,
    lab_server,
    move_range,
    open_notebook,
    require_chromium,
    run_all,
    static_server,
)
from tests.course import execute
from tests.test_export import EXPLORER_LESSONS, run_export, saved_copy, saved_explorers

pytestmark = pytest.mark.slow
require_chromium()

LESSON = "lessons/04-lstm-forward/04-lstm-forward.ipynb"
TOLERANCE = 1e-9


def explorers_settings(page):
    """The settings each explorer on the page computed from, in page order."""
    return [computed(e)[0] for e in page.locator(".gl-explorer").all()]


def move_each(page):
    """Press an arrow key on each explorer's first slider; return the settings each then computed from."""
    for explorer in page.locator(".gl-explorer").all():
        explorer.scroll_into_view_if_needed()
        move_range(page, explorer, explorer.locator("input[type=range]").first)
    return explorers_settings(page)


def assert_numbers_are_dynamics(page):
    """Every number each explorer on the page computed equals its Python explorer's at the same settings."""
    for explorer in page.locator(".gl-explorer").all():
        settings, numbers = computed(explorer)
        reference = getattr(widgets, explorer.get_attribute("data-explorer"))(**settings)
        assert difference(numbers, reference.numbers()) <= TOLERANCE


def saved_values(path):
    """The slider values of each explorer in the notebook at path, as saved."""
    nb = nbformat.read(path, as_version=4)
    if WIDGET_STATE not in nb.metadata.get("widgets", {}):
        return []
    return [{d["name"]: state[d["name"]] for d in state["_settings"]} for state in saved_explorers(nb)]


def assert_live_offline(offline, folder, page_name, saved):
    """The page at folder/page_name, served from loopback: its explorers start at saved and answer the keys."""
    page, errors, aborted = offline
    with static_server(folder) as url:
        page.goto(f"{url}/{page_name}")
        expect(page.locator(".gl-explorer")).to_have_count(len(saved))
        assert [{k: s[k] for k in values} for s, values in zip(explorers_settings(page), saved, strict=True)] == saved
        assert_numbers_are_dynamics(page)
        moved = move_each(page)
        assert all(m != s for m, s in zip(moved, saved, strict=True))
        assert_numbers_are_dynamics(page)
    assert aborted == [] and errors == []


def test_a_lesson_saved_in_jupyterlab_reopens_live_and_exports_live(browser, offline, tmp_path):
    course = course_copy(tmp_path / "course")
    with lab_server(course, tmp_path / "jupyter-config") as url:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = console_errors(page)
        open_notebook(page, url, LESSON, workspace="first")
        run_all(page)
        expect(page.locator(".gl-explorer").first).to_be_visible(timeout=30_000)
        moved = move_each(page)
        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        deadline = time.monotonic() + 30
        while saved_values(course / LESSON) != moved and time.monotonic() < deadline:
            time.sleep(0.2)
        assert saved_values(course / LESSON) == moved, "the widget state saved is not what the page shows"
        page.close()
        close_sessions(url)

        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        reopened_errors = console_errors(page)
        open_notebook(page, url, LESSON, workspace="second")  # a new kernel; nothing runs
        expect(page.locator(".gl-explorer")).to_have_count(len(moved), timeout=30_000)
        assert explorers_settings(page) == moved
        expect(page.get_by_text("model not found")).to_have_count(0)
        again = move_each(page)
        assert all(a != m for a, m in zip(again, moved, strict=True))
        page.close()
        close_sessions(url)
    assert errors == [] and reopened_errors == []
    assert_live_offline(offline, tmp_path, run_export(course / LESSON, tmp_path / "page.html").name, moved)


@pytest.mark.parametrize("path", EXPLORER_LESSONS, ids=lambda p: p.stem)
def test_every_lesson_exported_after_run_all_is_live_with_no_kernel(offline, tmp_path, path):
    nb, _ = execute(path)
    notebook = saved_copy(nb, tmp_path, path)
    saved = saved_values(notebook)
    assert saved, "Run All saved no explorer's state"
    assert_live_offline(offline, tmp_path, run_export(notebook, tmp_path / "page.html").name, saved)
    print(f"{path.stem}: {len(saved)} explorers live in the exported page: {json.dumps(saved)[:200]}")
