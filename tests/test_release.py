"""Are the released lessons exactly nbgrader's output, free of solutions and hidden tests, and whole on their own
(every figure in the notebook, as a data URI)?"""

import base64
import re
import shutil

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from autograde.feedback import ALT, HTML_IMAGE, MARKDOWN_IMAGE, figure_file
from autograde.release import release
from tests.course import (
    ASSIGNMENTS,
    MARKERS,
    ROOT,
    SOLUTION_NOTEBOOKS,
    files_under,
    make_course,
    read,
    secret_lines,
)


def markdown_images(nb):
    """[(cell, MARKDOWN_IMAGE match)] of every image the notebook's markdown cells link."""
    return [(c, m) for c in nb.cells if c.cell_type == "markdown" for m in MARKDOWN_IMAGE.finditer(c.source)]


def figures_shown(nb):
    """[(alt, data URI)] of every figure the notebook's markdown cells carry in them (![alt](data:…))."""
    carried = re.compile(rf"!\[({ALT})\]\((data:image/[^)\s]+)\)")
    return [m.groups() for c in nb.cells if c.cell_type == "markdown" for m in carried.finditer(c.source)]


@pytest.mark.slow
def test_lessons_are_exactly_what_nbgrader_generates_from_solutions(tmp_path):
    course = make_course(tmp_path)
    shutil.copytree(ROOT / "assets", course / "assets")
    for path in (ROOT / "autograde").glob("*.py"):  # the course's tooling: its figures become data URIs
        shutil.copy(path, course / "autograde" / path.name)
    release(course)
    generated, committed = files_under(course / "lessons"), files_under(ROOT / "lessons")
    assert sorted(committed) == sorted(generated), "lessons/ and solutions/ differ in files: run `make release`"
    stale = [path for path in generated if generated[path] != committed[path]]
    assert not stale, f"lessons/ is out of date (edited by hand, or not regenerated): {stale}; run `make release`"


def test_every_assignment_is_released():
    assert ASSIGNMENTS, "no assignments in solutions/"
    for name in ASSIGNMENTS:
        assert list((ROOT / "lessons" / name).glob("*.ipynb")), f"{name} has no released notebook"


@pytest.mark.parametrize("source", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_released_lesson_has_no_solution_and_no_hidden_test(source):
    released = ROOT / "lessons" / source.parent.name / source.name
    text = released.read_text()
    for marker in MARKERS:
        assert marker not in text
    code = {
        line.strip() for cell in read(released).cells if cell.cell_type == "code" for line in cell.source.splitlines()
    }
    leaked = secret_lines(read(source)) & code
    assert not leaked, f"{released.name} contains lines of the solution or of hidden tests: {leaked}"


@pytest.mark.parametrize("source", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_figure_of_a_released_lesson_is_in_the_notebook(source):
    """Does each figure the solution links (../../assets/…) travel in the released notebook: the same alt text, and
    a data URI of the figure's file (JupyterLab draws an SVG data URI, not an SVG cell attachment)?"""
    released = read(ROOT / "lessons" / source.parent.name / source.name)
    nbformat.validate(released)
    linked, shown = markdown_images(read(source)), figures_shown(released)
    assert [alt for alt, _ in shown] == [m["alt"] for _, m in linked]
    for (alt, uri), (_, link) in zip(shown, linked, strict=True):
        assert alt.strip(), f"a figure without alt text: {uri[:80]}"
        figure = figure_file(link["src"], [source.parent], [ROOT / "assets"])
        assert uri == f"data:image/svg+xml;base64,{base64.b64encode(figure.read_bytes()).decode()}"
    assert not [m[0] for c in released.cells if c.cell_type == "markdown" for m in HTML_IMAGE.finditer(c.source)]


@pytest.mark.parametrize("source", SOLUTION_NOTEBOOKS, ids=lambda p: p.stem)
def test_a_released_lesson_alone_in_a_folder_still_shows_every_figure(source, tmp_path):
    """Copied alone, as the exchange's fetch does (~/gates/NN-name/), does the lesson's page (nbconvert's HTML)
    show every figure from the notebook itself, no link leaving it?"""
    alone = tmp_path / "gates" / source.parent.name
    alone.mkdir(parents=True)
    shutil.copy(ROOT / "lessons" / source.parent.name / source.name, alone)
    page, _ = HTMLExporter().from_filename(str(alone / source.name))
    images = BeautifulSoup(page, "html.parser").find_all("img")
    figures = [figure_file(m["src"], [source.parent], [ROOT / "assets"]) for _, m in markdown_images(read(source))]
    assert all(img["src"].startswith("data:image/") and img["alt"] for img in images), [i["src"][:40] for i in images]
    assert [base64.b64decode(img["src"].split(";base64,", 1)[1]) for img in images] == [f.read_bytes() for f in figures]
