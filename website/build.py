"""The course as a static website: `python -m website.build [--out DIR]` (`make site`; default build/site).

Sphinx with myst-nb and the book theme, fed from lessons/, never solutions/ (the released lessons carry no
solution and no hidden test). Each lesson runs once in a real kernel; then its page keeps:
- every output that does not depend on the learner's code (a cell that raised did: the lesson is unsolved);
- in place of what did, a note: an exercise's cell shows its signature and docstring and says where the code
  goes, a graded cell says what its checks ask (their docstrings), a cell that uses the learner's code says so;
- its explorers live, with no kernel (autograde.feedback.LiveExplorers, as the exported pages);
- a "Do this lesson" box: locally, on the class's JupyterHub (an nbgitpuller link), on Binder, on Colab
  (deploy/site.toml names the hub and the repository).
The math is MathML (website/mathml.py), the figures are in the pages (the lessons carry them as data URIs, and a
kernel's figures come with their words, gatelab.plots), so no page loads anything from outside the site, and the
build needs no network.
"""

import argparse
import html
import importlib
import re
import shutil
import sys
import time
import tomllib
from pathlib import Path
from urllib.parse import quote, urlencode

import nbformat
from nbclient import NotebookClient

from autograde.feedback import LiveExplorers

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
LINKS = ROOT / "deploy" / "site.toml"
CHECK_CALL = re.compile(r"\bgl\.(checks\.\w+\.\w+)\(")


def lesson_notebooks(lessons=ROOT / "lessons"):
    """[lessons/NN-name/NN-name.ipynb] in course order."""
    return sorted(Path(lessons).glob("*/*.ipynb"))


def executed(notebook, timeout=600):
    """The lesson notebook (a path) run top to bottom in a kernel, in its own folder, errors and all, with the
    widgets' state saved in its metadata (as JupyterLab saves it)."""
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=True,
        store_widget_state=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(notebook).parent)}},
    )
    client.execute()
    return nb


def raised(cell):
    """Did this code cell end in an error (it needs the learner's code)?"""
    return cell.cell_type == "code" and any(output.output_type == "error" for output in cell.outputs)


def check_questions(source):
    """The first paragraph of the docstring of every gatelab check the cell's source calls ("Does gate …?"), in
    order, each on one line."""
    questions = []
    for name in dict.fromkeys(CHECK_CALL.findall(source)):
        module, function = name.rsplit(".", 1)
        check = getattr(importlib.import_module(f"gatelab.{module}"), function, None)
        doc = " ".join((getattr(check, "__doc__", None) or "").split("\n\n")[0].split())
        if doc:
            questions.append(doc)
    return questions


def note_for(cell):
    """The HTML the page shows in place of the output of a cell that needs the learner's code."""
    nbgrader = cell.metadata.get("nbgrader", {})
    if nbgrader.get("solution"):
        text = "Your code goes here: do this lesson in a notebook (the box at the top of the page) and run this cell."
    elif nbgrader.get("grade"):
        questions = check_questions(cell.source)
        asks = "".join(f"<li>{html.escape(q)}</li>" for q in questions)
        points = nbgrader.get("points", 0)
        text = f"In the notebook, this graded cell ({points} point{'s' if points != 1 else ''}) checks your code"
        text = f"{text}:<ul>{asks}</ul>" if asks else f"{text}."
    else:
        text = "This cell runs your code: its output appears in the notebook once you have written the exercise."
    return nbformat.v4.new_output(
        "display_data", data={"text/html": f'<div class="gates-note" role="note">{text}</div>', "text/plain": text}
    )


def read_links(path=LINKS):
    """deploy/site.toml: {"hub": {"url"}, "repository": {"git", "github", "branch"}}."""
    return tomllib.loads(Path(path).read_text())


def lesson_links(notebook, links):
    """{"local", "hub", "binder", "colab"} for the lesson at notebook (lessons/NN/NN.ipynb): its path, and the URLs."""
    relative = f"lessons/{notebook.parent.name}/{notebook.name}"
    repo = links["repository"]
    folder = repo["git"].rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    # nbgitpuller clones into ~/<targetpath> (by default the URL's last part, ".git" and all), then opens urlpath.
    pull = {"repo": repo["git"], "branch": repo["branch"], "targetpath": folder}
    pull = urlencode(pull | {"urlpath": f"lab/tree/{folder}/{relative}"}, quote_via=quote)
    return {
        "local": relative,
        "hub": f"{links['hub']['url'].rstrip('/')}/hub/user-redirect/git-pull?{pull}",
        "binder": f"https://mybinder.org/v2/gh/{repo['github']}/{repo['branch']}?urlpath={quote(f'lab/tree/{relative}')}",
        "colab": f"https://colab.research.google.com/github/{repo['github']}/blob/{repo['branch']}/{relative}",
    }


def do_this_lesson(notebook, links):
    """The "Do this lesson" box of a lesson's page, as HTML."""
    where = {name: html.escape(url) for name, url in lesson_links(notebook, links).items()}
    ways = [
        f"<strong>On your machine</strong>: <code>make lab</code> in the course's folder, then open "
        f"<code>{where['local']}</code>.",
        f'<strong>On your class\'s JupyterHub</strong>: <a class="gates-hub-link" href="{where["hub"]}">open this '
        "lesson on the hub</a> (nbgitpuller copies the course into your home folder).",
        f'<strong>On Binder</strong>: <a class="gates-binder-link" href="{where["binder"]}">open this lesson on '
        "mybinder.org</a> (from <code>environment.yml</code>; a first start takes minutes).",
        f'<strong>On Colab</strong>: <a class="gates-colab-link" href="{where["colab"]}">open this lesson in Colab</a> '
        "(its first cell installs the course's package).",
    ]
    items = "\n".join(f"<li>{way}</li>" for way in ways)
    return (
        '<aside class="gates-do" aria-label="Do this lesson">\n'
        '<p class="gates-do-title"><strong>Do this lesson</strong>: its exercises are graded in a notebook, '
        f"with a kernel.</p>\n<ul>\n{items}\n</ul>\n"
        "<p>The figures and explorers on this page run as they are, with no kernel.</p>\n</aside>"
    )


def under_title(nb, block):
    """Put the HTML block right under the notebook's title (its first line, "# …"), in nb's first cell."""
    first = nb.cells[0]
    title, _, rest = first.source.partition("\n")
    if first.cell_type == "markdown" and title.startswith("# "):
        first.source = f"{title}\n\n{block}\n\n{rest}"
    else:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(block))


def page(nb, notebook, links):
    """The lesson's page as a notebook myst-nb renders: notes for what needs the learner's code, explorers live,
    the "Do this lesson" box after the title. nb is the executed lesson; changed in place and returned."""
    LiveExplorers().preprocess(nb, {})
    for cell in nb.cells:
        if raised(cell):
            cell.outputs = [note_for(cell)]
        cell.metadata.pop("nbgrader", None)
    under_title(nb, do_this_lesson(notebook, links))
    nb.metadata.pop("widgets", None)
    return nb


def stage(source_dir, notebooks, links, echo=print):
    """Write the Sphinx source: conf.py, index.md, the theme's overrides and the pages (lessons/NN/NN.ipynb; their
    figures are in them, as data URIs)."""
    if source_dir.exists():
        shutil.rmtree(source_dir)
    source_dir.mkdir(parents=True)
    for name in ("conf.py", "index.md"):
        shutil.copy(HERE / name, source_dir / name)
    for folder in ("_static", "_templates"):
        shutil.copytree(HERE / folder, source_dir / folder)
    for notebook in notebooks:
        start = time.perf_counter()
        out = source_dir / "lessons" / notebook.parent.name / notebook.name
        out.parent.mkdir(parents=True)
        nbformat.write(page(executed(notebook), notebook, links), out)
        echo(f"{notebook.name}: run and staged in {time.perf_counter() - start:.1f} s")


def build(out=ROOT / "build" / "site", source_dir=ROOT / "build" / "site-src", notebooks=None, echo=print):
    """Stage the lessons and build the site into out; returns out (its index.html is the course's front page)."""
    from sphinx.cmd.build import build_main

    stage(source_dir, notebooks or lesson_notebooks(), read_links(), echo)
    if out.exists():
        shutil.rmtree(out)
    status = build_main(["-b", "html", "-q", "-W", "--keep-going", str(source_dir), str(out)])
    if status:
        raise SystemExit(f"sphinx-build failed ({status})")
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m website.build", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site", help="the site's folder")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    out = build(args.out.resolve())
    pages = len(list(out.glob("**/*.html")))
    print(f"wrote {out}: {pages} HTML files in {time.perf_counter() - start:.0f} s; open {out / 'index.html'}")


if __name__ == "__main__":
    sys.exit(main())
