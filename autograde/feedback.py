"""Feedback a learner can read anywhere: nbgrader's feedback pages with no network.

nbgrader_config.py adds three steps to `nbgrader generate_feedback` (which autograde/grade.py runs too):
- EmbedFigures: the figures markdown links from the course's assets/ become data URIs (embed_figures);
- MathToMathML: the LaTeX in markdown becomes MathML, which browsers typeset themselves
  (markdown_math_to_mathml, latex_to_mathml);
- LiveExplorers: a widget's view gives way to the HTML its display carries: each explorer is the same explorer,
  live on the page (gatelab.widgets.front), at the values the notebook's saved widget state holds, if any;
and has the pages written by OfflineHTMLExporter, nbconvert's HTMLExporter without the MathJax script its
template loads from a CDN. embed_figures, latex_to_mathml and markdown_math_to_mathml are plain functions
of text, for any page made from the lessons.

EmbedFigures runs for `nbgrader generate_assignment` too: the released lessons carry their figures as data URIs,
so a lesson shows them wherever it goes (fetched from the exchange, downloaded, in Colab, on the course site).
JupyterLab 4 does not draw an SVG cell attachment (jupyterlab#10464); it draws an SVG data URI.
"""

import base64
import html
import re
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

from jinja2 import DictLoader
from latex2mathml.converter import convert
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, List, Unicode, default

from gatelab.widgets.front import explorer_from_state

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_NOTE = "(An interactive widget: it is live in the notebook.)"
IMAGE_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
# Every repeat below is bounded, so a learner's pathological markdown costs linear time, not quadratic; a
# markdown text longer than MAX_MARKDOWN (no lesson's is near it) is left as it is.
MAX_MARKDOWN = 100_000
ALT = r"(?:[^\[\]\n]|\[[^\[\]\n]{0,200}\]){0,1000}"  # a link text, brackets nested once: "reads [h_t-1, x_t]"
MARKDOWN_IMAGE = re.compile(
    rf"!\[(?P<alt>{ALT})\]\(\s*(?P<src><[^>\n]{{0,2000}}>|[^\s)]{{1,2000}})"
    r"""(?P<title>\s+"[^"\n]{0,500}"|\s+'[^'\n]{0,500}')?\s*\)"""
)
HTML_IMAGE = re.compile(r"<img\b[^>]{0,2000}>", re.I)
HTML_SRC = re.compile(r"""\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)  # http:, data:, file:, //host
DATA_URI = re.compile(r"data:image/[\w+.-]{1,40};base64,[A-Za-z0-9+/=]+")  # one run of base64: linear time
ATTACHMENT = "attachment:"  # a markdown cell's link to one of its attachments: attachment:name

# What markdown does not read as prose: code (fenced, spans) and images (their alt text and address).
NOT_PROSE = re.compile(
    r"^[ ]{0,3}(?P<fence>`{3,}|~{3,})[^\n]*\n.*?(?:^[ ]{0,3}(?P=fence)[`~]*[ \t]*$|\Z)"
    r"|(?P<ticks>`+).{1,5000}?(?<!`)(?P=ticks)(?!`)"
    rf"|!\[{ALT}\]\([^)\n]{{0,2000}}\)|<img\b[^>]{{0,2000}}>",
    re.M | re.S,
)
# The math nbconvert's markdown finds (nbconvert.filters.markdown_mistune), in its order.
MATH = re.compile(
    r"(?<!\\)\$\$(?P<display>.{0,4000}?)(?<!\\)\$\$"
    r"|(?<!\\)\\\\\[(?P<display_latex>.{0,4000}?)(?<!\\)\\\\\]"
    r"|(?<![$\\])\$(?P<inline>.{1,1000}?)(?<![$\\])\$"
    r"|(?<!\\)\\\\\((?P<inline_latex>.{0,1000}?)(?<!\\)\\\\\)"
    r"|(?P<environment>\\begin\{(?P<name>[a-z]*\*?)\}.{0,4000}?\\end\{(?P=name)\})",
    re.S,
)
TEXT_STYLES = re.compile(r"\\(emph|textit|textbf)\{([^{}]*)\}")
STYLED_TEXT = {"emph": "\\textit", "textit": "\\textit", "textbf": "\\textbf"}
# latex2mathml's MathML 3 that MathML Core (what browsers implement) lacks, as the CSS that draws it.
ALIGN_STYLE = {"right": "text-align:right;padding-right:0", "left": "text-align:left;padding-left:0"}
TEXT_STYLE = {"italic": "font-style:italic", "bold": "font-weight:bold"}
BRACE_STYLE = {"\u23df": "border:1px solid;border-top:none", "\u23de": "border:1px solid;border-bottom:none"}


# -- figures ---------------------------------------------------------------------------------------


def figure_file(src, base_dirs, figure_dirs):
    """The image file src links to (relative to one of base_dirs), as a resolved Path, or None.

    Only an image file (by its suffix) inside one of figure_dirs counts: a link elsewhere (a solution, the
    gradebook, /etc) is never read, whoever wrote it.
    """
    path = unquote(src.split("#")[0].split("?")[0])
    if URL.match(src) or not path or Path(path).suffix.lower() not in IMAGE_TYPES:
        return None
    roots = [Path(d).resolve() for d in figure_dirs]
    for base in base_dirs:
        found = (Path(base) / path).resolve()
        if found.is_file() and any(found.is_relative_to(root) for root in roots):
            return found
    return None


def figure_data_uri(src, base_dirs, figure_dirs):
    """The data URI of the image src links to (relative to one of base_dirs), or None (figure_file's rule)."""
    found = figure_file(src, base_dirs, figure_dirs)
    if found is None:
        return None
    return f"data:{IMAGE_TYPES[found.suffix.lower()]};base64,{base64.b64encode(found.read_bytes()).decode()}"


def embed_figures(markdown, base_dirs, figure_dirs, attachments=()):
    """markdown with every image it shows (![alt](src), <img src=…>) made to load nothing from elsewhere.

    A figure figure_data_uri finds is embedded; one from the web becomes a link to it (no page may fetch
    from outside); one of the cell's attachments (attachment:name, name in attachments) stays, nbconvert embeds
    it; a markdown image of an attachment the cell lacks becomes its alt text (nbconvert would fail on it); any
    other stays as it was. Returns (markdown, the sources left as they were).
    """
    missing = []
    markdown, data_uris = _set_aside_data_uris(markdown)
    if len(markdown) > MAX_MARKDOWN:
        return _put_back(markdown, data_uris), missing

    def markdown_image(m):
        src = m["src"].strip("<>")
        if src.startswith("data:") or src.startswith(ATTACHMENT) and src[len(ATTACHMENT) :] in attachments:
            return m[0]
        if src.startswith(ATTACHMENT):
            missing.append(src)
            return f"[image: {m['alt'] or src}]"
        if URL.match(src):
            return f"[image: {m['alt'] or src}]({m['src']})"
        uri = figure_data_uri(src, base_dirs, figure_dirs)
        if uri is None:
            missing.append(src)
            return m[0]
        return f"![{m['alt']}]({uri}{m['title'] or ''})"

    def html_image(m):
        tag = m[0]
        found = HTML_SRC.search(tag)
        src = html.unescape(next(g for g in found.groups() if g is not None)) if found else ""
        if not src or src.startswith(("data:", ATTACHMENT)):
            return tag
        if URL.match(src):
            alt = re.search(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", tag, re.I)
            text = next((g for g in alt.groups() if g), src) if alt else html.escape(src)
            return f'<a href="{html.escape(src)}">image: {text}</a>'
        uri = figure_data_uri(src, base_dirs, figure_dirs)
        if uri is None:
            missing.append(src)
            return tag
        return tag[: found.start()] + f'src="{uri}"' + tag[found.end() :]

    embedded = HTML_IMAGE.sub(html_image, MARKDOWN_IMAGE.sub(markdown_image, markdown))
    return _put_back(embedded, data_uris), missing


# -- math ------------------------------------------------------------------------------------------


def latex_to_mathml(tex, display=False):
    """One LaTeX formula (what $…$ or $$…$$ hold) as MathML Core, which Chromium and Firefox typeset."""
    tex = _normalised(tex)
    root = _mathml_tree(tex, display)
    unknown = {name for node in root.iter() for name in re.findall(r"\\([A-Za-z]+)", node.text or "")}
    if unknown:  # commands latex2mathml does not know (\arg) are written out, upright, as TeX does
        tex = re.sub(rf"\\({'|'.join(unknown)})(?![A-Za-z])", r"\\operatorname{\1}", tex)
        root = _mathml_tree(tex, display)
    _to_core(root)
    return ElementTree.tostring(root, encoding="unicode")


def _mathml_tree(tex, display):
    mathml = convert(tex, display="block" if display else "inline")
    return ElementTree.fromstring(mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', ""))


def _to_core(element):
    """Rewrite, in place, what MathML Core does not draw into what it does (CSS on the element)."""
    for child in list(element):
        _to_core(child)
        under = list(child)
        if child.tag in ("munder", "mover") and len(under) == 2 and under[1].text in BRACE_STYLE:
            # a stretched brace needs a math font: draw it as a bracket of borders
            under[0].set("style", f"{BRACE_STYLE[under[1].text]};padding:0 0.15em 0.1em")
            element[list(element).index(child)] = under[0]
        elif child.tag == "mspace" and child.get("width", "").startswith("negative"):
            element.remove(child)
    if element.tag == "menclose" and element.attrib.pop("notation", None) == "box":
        element.tag, element.attrib["style"] = "mrow", "border:1px solid;padding:0.2em"
    if element.tag == "mtd" and element.get("columnalign") in ALIGN_STYLE:
        element.set("style", ALIGN_STYLE[element.attrib.pop("columnalign")])
    if element.tag == "mtext" and element.get("mathvariant") in TEXT_STYLE:
        element.set("style", TEXT_STYLE[element.attrib.pop("mathvariant")])


def _normalised(tex):
    """tex in the LaTeX latex2mathml reads as meant: aligned as align*, no \\mathrel, no command in \\text."""
    tex = re.sub(r"\\(begin|end)\{aligned\}", r"\\\1{align*}", tex)
    tex = re.sub(r"\\math(?:rel|bin)\{", "{", tex)  # latex2mathml would nest an <mo> in an <mo>
    tex = re.sub(r"\\mathrm\{(\w)\}", r"\\text{\1}", tex)  # one upright letter (it drops mathvariant)
    return _flat_text(tex)


def _flat_text(tex):
    r"""\text{a \emph{b} c} as \text{a }\textit{b}\text{ c}: latex2mathml reads no command inside \text."""
    start = tex.find("\\text{")
    while start != -1:
        body_start = start + len("\\text{")
        end = _closing_brace(tex, body_start)
        flat = TEXT_STYLES.sub(lambda m: "}" + STYLED_TEXT[m[1]] + "{" + m[2] + "}\\text{", tex[body_start:end])
        tex = tex[:body_start] + flat + tex[end:]
        start = tex.find("\\text{", body_start + len(flat))
    return tex


def _closing_brace(tex, start):
    """The index of the } closing the group whose content starts at start (len(tex) if none)."""
    depth = 0
    for i in range(start, len(tex)):
        if tex[i] == "{" and tex[i - 1] != "\\":
            depth += 1
        elif tex[i] == "}" and tex[i - 1] != "\\":
            if depth == 0:
                return i
            depth -= 1
    return len(tex)


def markdown_math_to_mathml(markdown):
    """markdown with its math ($…$, $$…$$, \\begin{…}…\\end{…}) as MathML that markdown passes through as is.

    Code and images are left alone. A formula latex2mathml cannot read is shown as its LaTeX, in <code>.
    """
    markdown, data_uris = _set_aside_data_uris(markdown)
    if len(markdown) > MAX_MARKDOWN:
        return _put_back(markdown, data_uris)
    typeset = "".join(text if code else MATH.sub(_math_html, text) for text, code in _prose_and_code(markdown))
    return _put_back(typeset, data_uris)


def _set_aside_data_uris(markdown):
    """(markdown with each data: URI of an image as a short placeholder, [the URIs]): a released lesson's figures are
    data URIs of up to 100 kB, which neither the length limit nor the image patterns should count (embed_figures,
    markdown_math_to_mathml)."""
    data_uris = []

    def aside(m):
        data_uris.append(m[0])
        return f"data:\ue000{len(data_uris) - 1}\ue001"  # private-use characters: in no text

    return DATA_URI.sub(aside, markdown), data_uris


def _put_back(markdown, data_uris):
    """markdown with the data URIs _set_aside_data_uris took out back in."""
    return re.sub("data:\ue000(\\d+)\ue001", lambda m: data_uris[int(m[1])], markdown) if data_uris else markdown


def formulas(markdown):
    """[(LaTeX, display?)] of every formula in markdown, in order."""
    return [_formula(m) for text, code in _prose_and_code(markdown) if not code for m in MATH.finditer(text)]


def _prose_and_code(markdown):
    """markdown cut into (text, is it code or an image?) pieces."""
    last = 0
    for code in NOT_PROSE.finditer(markdown):
        yield markdown[last : code.start()], False
        yield code[0], True
        last = code.end()
    yield markdown[last:], False


def _formula(m):
    """(LaTeX, display?) of a MATH match."""
    inline = m["inline"] if m["inline"] is not None else m["inline_latex"]
    if inline is not None:
        return inline, False
    display = next((g for g in (m["display"], m["display_latex"]) if g is not None), None)
    return (display, True) if display is not None else (m["environment"], True)


def _math_html(m):
    tex, display = _formula(m)
    try:
        mathml = latex_to_mathml(tex, display)
    except Exception:  # a learner's own broken LaTeX: show it, as MathJax would
        mathml = f"<code>{html.escape(tex)}</code>"
    return _markdown_safe(mathml)


def _markdown_safe(markup):
    """markup whose text markdown cannot read as markdown: every character of it but letters and digits
    is a character reference (no *, _, |, $ or \\ for markdown to act on), on one line."""

    def text(m):
        chars = html.unescape(m[1])
        return ">" + "".join(c if c.isascii() and c.isalnum() else f"&#{ord(c)};" for c in chars) + "<"

    return re.sub(r">([^<>]+)<", text, markup.replace("\n", " "))


# -- the steps -------------------------------------------------------------------------------------


class EmbedFigures(Preprocessor):
    """Markdown cells' figures from the course's assets/ become data URIs (embed_figures)."""

    enabled = Bool(True).tag(config=True)
    lesson_dirs = List(
        Unicode(),
        help="Folders a notebook's relative figure links are relative to, besides its own; {assignment} is the "
        "assignment's name (e.g. the released lesson's folder)",
    ).tag(config=True)
    figure_dirs = List(Unicode(), help="The only folders figures are embedded from").tag(config=True)

    def preprocess(self, nb, resources):
        assignment = resources.get("nbgrader", {}).get("assignment", "")
        own = resources.get("metadata", {}).get("path") or "."
        self._bases = [own] + [d.format(assignment=assignment) for d in self.lesson_dirs]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            attached = cell.get("attachments", {})
            cell.source, missing = embed_figures(cell.source, self._bases, self.figure_dirs, attached)
            for src in missing:
                self.log.warning("figure %s not embedded: not found in %s", src, ", ".join(self.figure_dirs))
        return cell, resources


class MathToMathML(Preprocessor):
    """The math of markdown cells, markdown outputs and grader comments becomes MathML (markdown_math_to_mathml)."""

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = markdown_math_to_mathml(cell.source)
        for output in cell.get("outputs", []):
            if "text/markdown" in output.get("data", {}):
                output.data["text/markdown"] = markdown_math_to_mathml(output.data["text/markdown"])
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if nbgrader.get("comment"):
            nbgrader["comment"] = markdown_math_to_mathml(nbgrader["comment"])
        return cell, resources


class LiveExplorers(Preprocessor):
    """Widget outputs show what else their display carries, not an empty view: an explorer runs live on the page
    (its module and state inline, gatelab.widgets.front). Where the notebook was saved with its widget state
    (JupyterLab's "Save Jupyter widget state", nbclient's execution), each explorer starts at the values saved.

    The notebook's saved widget state goes then: nothing on the page needs it.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        saved = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {})
        self._saved = {model_id: model.get("state", {}) for model_id, model in saved.get("state", {}).items()}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            view = data.pop(WIDGET_VIEW, None)
            if view is None:
                continue
            explorer = explorer_from_state(self._saved.get(view.get("model_id"), {}))
            if explorer is not None:
                data["text/html"] = explorer.standalone_html()
            elif set(data) <= {"text/plain"}:
                data["text/plain"] = WIDGET_NOTE  # not the widget's repr
        return cell, resources


# The template's MathJax macro, loading nothing (MathToMathML has typeset the math already): the page's style
# for display math and for figures wider than the page.
OFFLINE_STYLE = """{%- macro mathjax(url="") -%}
<style>
math[display="block"] { margin: 0.8em 0; overflow-x: auto; overflow-y: hidden; }
.rendered_html img, .output_html img { max-width: 100%; height: auto; }
</style>
{%- endmacro %}
"""


class OfflineHTMLExporter(HTMLExporter):
    """nbconvert's HTMLExporter whose pages load no script from the web (no MathJax: use MathToMathML)."""

    @default("extra_loaders")
    def _extra_loaders_default(self):
        return [DictLoader({"mathjax.html.j2": OFFLINE_STYLE})]
