"""A notebook as one HTML page that works with no Jupyter and no network: `python -m autograde.export NOTEBOOK
[--out PAGE] [--links-from DIR]` (`make export NB=…`).

Its explorers run live on the page at the values the notebook was saved with (JupyterLab saves the widget
state: the course's lab settings turn "Save Jupyter widget state" on), the figures it links from assets/ are
embedded, its math is MathML: the steps of the feedback pages (autograde/feedback.py). The page fetches nothing:
open the file, or serve it from any static server.
"""

import argparse
from pathlib import Path

import nbformat
from jinja2 import DictLoader
from traitlets.config import Config

from autograde.feedback import EmbedFigures, LiveExplorers, MathToMathML, OfflineHTMLExporter

ROOT = Path(__file__).resolve().parents[1]
# JupyterLab's page template without what it loads from the web: require.js and mermaid (which nothing here
# uses) and @jupyter-widgets/html-manager (LiveExplorers has replaced each widget view by its live explorer).
PAGE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def export(notebook, out=None, links_from=None, figure_dirs=(ROOT / "assets",)):
    """Write notebook (a path) as one self-contained HTML page to out (default: beside it, .html); returns out.

    links_from: the folder its relative figure links start from, if not its own (a copy of a lesson saved
    elsewhere links from its lesson's folder)."""
    notebook = Path(notebook)
    out = Path(out) if out else notebook.with_suffix(".html")
    config = Config()
    config.EmbedFigures.figure_dirs = [str(d) for d in figure_dirs]
    config.EmbedFigures.lesson_dirs = [str(links_from)] if links_from else []
    exporter = OfflineHTMLExporter(config=config, template_file="gates-page.html.j2")
    exporter.extra_loaders = [*exporter.extra_loaders, DictLoader({"gates-page.html.j2": PAGE})]
    for step in (EmbedFigures, MathToMathML, LiveExplorers):
        exporter.register_preprocessor(step(config=config), enabled=True)
    page, _ = exporter.from_notebook_node(
        nbformat.read(notebook, as_version=4), resources={"metadata": {"path": str(notebook.parent)}}
    )
    out.write_text(page, encoding="utf-8")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograde.export", description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--out", type=Path, help="the page to write (default: the notebook's name, .html)")
    parser.add_argument("--links-from", type=Path, help="the folder its figure links start from (default: its own)")
    args = parser.parse_args(argv)
    print(f"wrote {export(args.notebook, args.out, args.links_from)}")


if __name__ == "__main__":
    main()
