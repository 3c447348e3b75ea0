"""Can a learner read the feedback anywhere: math typeset, figures embedded, explorers live, offline?

autograde/feedback.py's steps one by one (EmbedFigures runs at release too), then every lesson's page as
`nbgrader generate_feedback` makes it, from the solution and from the released lesson alone
(tests/test_feedback_browser.py opens the pages of a graded class in Chromium with the network blocked).
"""

import base64
import re
from pathlib import Path
from xml.etree import ElementTree

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert.filters.markdown_mistune import markdown2html_mistune
from nbgrader.converters import GenerateAssignment, GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

import gatelab as gl
from autograde.feedback import (
    WIDGET_NOTE,
    WIDGET_VIEW,
    EmbedFigures,
    LiveExplorers,
    MathToMathML,
    OfflineHTMLExporter,
    embed_figures,
    formulas,
    latex_to_mathml,
    markdown_math_to_mathml,
)
from gatelab.widgets.front import LIVE_CAPTION
from tests.course import ROOT, SOLUTION_NOTEBOOKS, read

# What browsers draw (MathML Core, https://www.w3.org/TR/mathml-core/): elements and the attributes used here.
CORE_ELEMENTS = {
    "math", "mi", "mn", "mo", "ms", "mspace", "mtext", "mrow", "mfrac", "msqrt", "mroot", "mstyle", "mpadded",
    "mphantom", "msub", "msup", "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd",
}  # fmt: skip
CORE_ATTRIBUTES = {
    "display", "displaystyle", "scriptlevel", "stretchy", "fence", "form", "lspace", "rspace", "minsize", "maxsize",
    "accent", "accentunder", "movablelimits", "largeop", "symmetric", "width", "height", "depth", "style",
    "linethickness", "rowspacing", "columnspacing",  # not drawn, harmless
}  # fmt: skip
# Every explorer: live on a page with no kernel too.
EXPLORERS = [
    gl.widgets.gru_gate_explorer,
    gl.widgets.lstm_gate_explorer,
    gl.widgets.gru_sentence,
    gl.widgets.lstm_memory_puzzle,
    gl.widgets.vanishing_gradient,
    gl.widgets.gradient_highway,
]


def lesson_equations(path):
    """[(LaTeX, display?)] of every formula in the markdown of the notebook at path."""
    return [f for cell in read(path).cells if cell.cell_type == "markdown" for f in formulas(cell.source)]


def prose(page_html):
    """The text of a page a reader sees as prose: no code, no math, no style."""
    soup = BeautifulSoup(page_html, "html.parser")
    for node in soup.find_all(["code", "pre", "math", "style", "script", "title"]):
        node.decompose()
    return soup.get_text()


def feedback_page(nb, assignment, course=ROOT):
    """The page `nbgrader generate_feedback` makes of nb with the course's configuration (no grades), graded in
    course (a folder without assets/ and lessons/: figures only from the notebook)."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    if course != ROOT:
        config.EmbedFigures.lesson_dirs = [str(course / "lessons" / "{assignment}")]
        config.EmbedFigures.figure_dirs = [str(course / "assets")]
    feedback = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config)
    exporter = feedback.exporter_class(parent=feedback, config=feedback.config)
    for step in feedback.preprocessors[2:]:  # not GetGrades (the gradebook) nor CSSHTMLHeaderPreprocessor
        exporter.register_preprocessor(step, enabled=True)
    for cell in nb.cells:  # what GetGrades would have read from the gradebook
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            cell.metadata.nbgrader.setdefault("score", 0)
    resources = {
        "nbgrader": {"assignment": assignment, "notebook": assignment, "score": 0, "max_score": 0, "late_penalty": 0},
        "metadata": {"path": str(course / "autograde" / "autograded" / "someone" / assignment)},
    }
    return exporter.from_notebook_node(nb, resources=resources)[0]


# -- math ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_equation_of_every_lesson_becomes_mathml_core(path):
    """Does each formula of the lesson become well-formed MathML that browsers draw, with no TeX left?"""
    equations = lesson_equations(path)
    assert equations, "a lesson without math? then this test has nothing to check"
    for tex, display in equations:
        mathml = latex_to_mathml(tex, display)
        root = ElementTree.fromstring(mathml)
        assert root.tag == "math" and root.get("display") == ("block" if display else "inline")
        text = "".join(root.itertext())
        assert "\\" not in text and "$" not in text and "&" not in text, f"TeX left in {tex!r}: {text!r}"
        for node in root.iter():
            assert node.tag in CORE_ELEMENTS, f"<{node.tag}> (not MathML Core) in {tex!r}"
            extra = set(node.attrib) - CORE_ATTRIBUTES - ({"mathvariant"} if node.tag == "mi" else set())
            assert not extra, f"<{node.tag} {extra}> in {tex!r}"


def test_aligned_equations_are_a_table_aligned_at_the_equals_sign():
    mathml = latex_to_mathml(r"\begin{aligned} z_t &= \sigma(a) && \text{update gate}\\ h_t &= z_t \end{aligned}", True)
    root = ElementTree.fromstring(mathml)
    rows = root.findall(".//mtr")
    assert len(rows) == 2
    assert [c.get("style", "").split(";")[0] for c in rows[0]] == ["text-align:right", "text-align:left"] * 2
    assert "update\xa0gate" in "".join(rows[0].itertext())


def test_text_with_emphasis_and_a_boxed_result_read_as_meant():
    mathml = latex_to_mathml(r"\text{reset applied \emph{after} the product} \quad \boxed{dc_{prev} = dc \odot f_t}")
    root = ElementTree.fromstring(mathml)
    assert [t.text.replace("\xa0", " ") for t in root.iter("mtext")] == ["reset applied ", "after", " the product"]
    assert root.findall(".//mtext")[1].get("style") == "font-style:italic"
    assert any("border" in node.get("style", "") for node in root.iter("mrow"))  # the box


def test_a_command_latex2mathml_lacks_is_written_out_upright():
    root = ElementTree.fromstring(latex_to_mathml(r"\arg\max_k |\rho_k|"))
    assert "arg" in [node.text for node in root.iter("mo")]


def test_math_in_markdown_survives_markdown():
    """Are *, _, | and $ inside formulas left alone by markdown (no emphasis, no table cell split)?"""
    markdown = "| a | b |\n|---|---|\n| $|x|$ | $a_1 * b_2 * c_3$ |\n\nand $$\\sum_i x_i^*$$ done"
    html = markdown2html_mistune(markdown_math_to_mathml(markdown))
    soup = BeautifulSoup(html, "html.parser")
    assert len(soup.find_all("math")) == 3
    assert len(soup.find_all("td")) == 2 and not soup.find("em")
    assert "$" not in prose(html)


def test_code_images_and_escaped_dollars_are_not_math():
    markdown = "`$HOME` and ```\n$x$\n``` and \\$5, ![cost $3](a.png) but $y$"
    converted = markdown_math_to_mathml(markdown)
    assert converted.count("<math") == 1
    assert converted.startswith("`$HOME` and ```\n$x$\n``` and \\$5, ![cost $3](a.png) but <math")


def test_broken_latex_is_shown_as_its_source():
    html = markdown2html_mistune(markdown_math_to_mathml(r"see $\frac{1}{$ here"))
    assert "<code>" in html and "frac" in html and "$" not in prose(html)


# -- figures ---------------------------------------------------------------------------------------


@pytest.fixture
def course(tmp_path):
    """A course folder: assets/01/fig.svg, a lesson folder, a secret beside the assets."""
    (tmp_path / "assets" / "01").mkdir(parents=True)
    (tmp_path / "assets" / "01" / "fig.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    (tmp_path / "assets" / "01" / "notes.txt").write_text("not an image")
    (tmp_path / "lessons" / "01").mkdir(parents=True)
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "answer.png").write_bytes(b"\x89PNG secret")
    (tmp_path / "assets" / "01" / "link.png").symlink_to(tmp_path / "solutions" / "answer.png")
    return tmp_path


def test_figures_from_the_assets_are_embedded(course):
    markdown = '![The cell [h, x]](../../assets/01/fig.svg "title")\n<img src="../../assets/01/fig.svg" alt="cell">'
    embedded, missing = embed_figures(markdown, [course / "lessons" / "01"], [course / "assets"])
    assert not missing
    uri = "data:image/svg+xml;base64," + base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"/>').decode()
    assert embedded == f'![The cell [h, x]]({uri} "title")\n<img src="{uri}" alt="cell">'


def test_nothing_outside_the_assets_is_embedded(course):
    """Can a learner's markdown get a solution, the gradebook or a system file into their feedback? No."""
    links = ["../../solutions/answer.png", "../../assets/01/link.png", "../../assets/01/notes.txt", "/etc/hostname"]
    markdown = "\n".join(f"![x]({link})" for link in links)
    embedded, missing = embed_figures(markdown, [course / "lessons" / "01"], [course / "assets"])
    assert embedded == markdown and missing == links


def test_a_figure_from_the_web_becomes_a_link_and_data_uris_stay():
    markdown = (
        '![chart](https://example.org/a.png) <img alt="b" src="//example.org/b.png"> ![c](data:image/png;base64,AA)'
    )
    embedded, _ = embed_figures(markdown, [], [])
    assert embedded == (
        '[image: chart](https://example.org/a.png) <a href="//example.org/b.png">image: b</a> '
        "![c](data:image/png;base64,AA)"
    )


def test_a_released_figures_data_uri_counts_for_nothing_against_the_length_limit(course):
    """A released lesson's cell carries a figure of up to 100 kB as a data URI: the cell's other figure is still
    embedded and its math still typeset, the data URI left exactly as it was."""
    carried = "![carried](data:image/svg+xml;base64," + "A" * 150_000 + ")"
    embedded, missing = embed_figures(f"{carried} ![f](../../assets/01/fig.svg)", [course / "lessons" / "01"],
                                      [course / "assets"])  # fmt: skip
    svg = base64.b64encode((course / "assets" / "01" / "fig.svg").read_bytes()).decode()
    assert (embedded, missing) == (f"{carried} ![f](data:image/svg+xml;base64,{svg})", [])
    typeset = markdown_math_to_mathml(f"{carried} and $x$")
    assert typeset.startswith(f"{carried} and <math") and "$" not in typeset


def test_an_attachment_the_cell_has_stays_one_it_lacks_becomes_its_alt_text(course):
    """nbconvert embeds a cell's attachments itself, and fails on an attachment: link the cell lacks (a learner's
    edit): the one stays for it, the other goes."""
    markdown = '![cell](attachment:fig.svg) <img src="attachment:fig.svg"> ![gone](attachment:lost.svg)'
    embedded, missing = embed_figures(markdown, [course / "lessons" / "01"], [course / "assets"], {"fig.svg": {}})
    assert embedded == '![cell](attachment:fig.svg) <img src="attachment:fig.svg"> [image: gone]'
    assert missing == ["attachment:lost.svg"]


# -- widgets ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("explorer", EXPLORERS, ids=lambda f: f.__name__)
def test_every_explorer_displays_itself_for_pages_without_a_kernel(explorer):
    """Does the display carry the live view and, as text/html, the same explorer: its module, inline, and a caption?"""
    data, _ = explorer()._repr_mimebundle_()
    assert WIDGET_VIEW in data
    page = BeautifulSoup(data["text/html"], "html.parser")
    assert [s.get("type") for s in page.find_all("script")] == ["module"] and not page.find_all(src=True)
    assert "export default { render }" in page.script.string
    assert page.find("figcaption").get_text() == LIVE_CAPTION
    assert len(data["text/html"]) < 40_000


def test_widget_views_give_way_to_what_else_they_carry():
    nb = nbformat.v4.new_notebook(metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {}}})
    explorer = nbformat.v4.new_output("display_data", {WIDGET_VIEW: {}, "text/html": "<figure/>", "text/plain": "E()"})
    slider = nbformat.v4.new_output("display_data", {WIDGET_VIEW: {}, "text/plain": "FloatSlider(value=0.5)"})
    nb.cells = [nbformat.v4.new_code_cell(outputs=[explorer, slider])]
    nb, _ = LiveExplorers().preprocess(nb, {})
    assert "widgets" not in nb.metadata
    assert nb.cells[0].outputs[0].data == {"text/html": "<figure/>", "text/plain": "E()"}
    assert nb.cells[0].outputs[1].data == {"text/plain": WIDGET_NOTE}


# -- the page --------------------------------------------------------------------------------------


def test_the_course_configures_the_feedback_steps():
    """Does `nbgrader generate_feedback` (and so autograde/grade.py's feedback) run the three steps?"""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    feedback = GenerateFeedback(coursedir=CourseDirectory(config=config), config=config)
    assert feedback.exporter_class is OfflineHTMLExporter
    steps = feedback.preprocessors
    assert steps[:2] == ["nbgrader.preprocessors.GetGrades", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
    assert steps[2:] == [f"autograde.feedback.{s.__name__}" for s in (EmbedFigures, MathToMathML, LiveExplorers)]
    assert [Path(d).resolve() for d in config.EmbedFigures.figure_dirs] == [ROOT / "assets"]


def test_the_course_configures_the_release_steps():
    """Does `nbgrader generate_assignment` run nbgrader's own steps, in its order, and EmbedFigures before the
    checksums of the locked cells (which cover their source)?"""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    steps = GenerateAssignment(coursedir=CourseDirectory(config=config), config=config).preprocessors
    ours = "autograde.feedback.EmbedFigures"
    nbgrader_steps = GenerateAssignment.class_traits()["preprocessors"].default()
    nbgraders = [f"nbgrader.preprocessors.{s.__name__}" for s in nbgrader_steps]
    assert [s for s in steps if s != ours] == nbgraders
    assert steps.index(ours) == steps.index("nbgrader.preprocessors.ClearOutput") + 1
    assert steps.index(ours) < steps.index("nbgrader.preprocessors.ComputeChecksums")


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_lesson_page_loads_nothing_from_elsewhere(path):
    """Is each lesson's feedback page whole: math typeset, every figure in it, no script or file to fetch?"""
    page = feedback_page(read(path), path.parent.name)
    soup = BeautifulSoup(page, "html.parser")
    assert len(soup.find_all("math")) == len(lesson_equations(path))
    assert "$" not in prose(page)
    figures = re.findall(r"!\[[^\n]*?\]\(\.\./\.\./assets/", "".join(c.source for c in read(path).cells))
    images = soup.find_all("img")
    assert len(images) == len(figures) and all(img["src"].startswith("data:image/") for img in images)
    assert all(node["src"].startswith("data:") for node in soup.find_all(src=True))
    assert not soup.find_all("link", href=True) and not soup.find_all("script")


@pytest.mark.parametrize("path", SOLUTION_NOTEBOOKS, ids=lambda p: p.parent.name)
def test_every_released_lesson_page_shows_the_figures_it_carries(path, tmp_path):
    """Is the page of a submission of the released lesson, graded where no assets/ is, whole: every <img> a data:
    URI of the figure the solution links, with its alt text?"""
    released = read(ROOT / "lessons" / path.parent.name / path.name)
    page = feedback_page(released, path.parent.name, tmp_path / "nowhere")
    images = BeautifulSoup(page, "html.parser").find_all("img")
    links = re.findall(r"!\[([^\n]*?)\]\((\.\./\.\./assets/[^)\s]*)\)", "".join(c.source for c in read(path).cells))
    assert [img["alt"] for img in images] == [alt for alt, _ in links]
    assert all(img["src"].startswith("data:image/") for img in images)
    shown = [base64.b64decode(img["src"].split(";base64,", 1)[1]) for img in images]
    assert shown == [(path.parent / link).resolve().read_bytes() for _, link in links]


def test_the_exporter_alone_loads_no_mathjax():
    config = Config()
    config.HTMLExporter.template_name = "classic"
    page = OfflineHTMLExporter(config=config).from_notebook_node(nbformat.v4.new_notebook())[0]
    scripts = " ".join(
        f"{s.get('src', '')} {s.get('type', '')} {s.string}" for s in BeautifulSoup(page, "html.parser")("script")
    )
    assert "mathjax" not in scripts.lower() and 'math[display="block"]' in page


def test_a_notebook_in_its_own_folder_finds_its_figures(tmp_path):
    """A page made from a lesson where it lies (a static site) embeds its figures too."""
    (tmp_path / "assets" / "01").mkdir(parents=True)
    (tmp_path / "assets" / "01" / "fig.svg").write_text("<svg/>")
    (tmp_path / "lessons" / "01").mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("![f](../../assets/01/fig.svg)")])
    step = EmbedFigures(figure_dirs=[str(tmp_path / "assets")])
    nb, _ = step.preprocess(nb, {"metadata": {"path": str(tmp_path / "lessons" / "01")}})
    assert nb.cells[0].source.startswith("![f](data:image/svg+xml;base64,")
