"""A Sphinx extension: math as MathML, which the browser typesets itself, instead of MathJax from a CDN.

The LaTeX myst-parser finds ($…$, $$…$$, \\begin{align}…) becomes MathML Core through the function the feedback
pages use (autograde.feedback.latex_to_mathml), so the site loads no math script at all.
"""

import html

from docutils import nodes

from autograde.feedback import latex_to_mathml


def mathml(latex, display):
    """latex as MathML; LaTeX the converter cannot read is shown as itself, in <code>."""
    try:
        return latex_to_mathml(latex, display)
    except Exception:
        return f"<code>{html.escape(latex)}</code>"


def visit_math(translator, node):
    translator.body.append(mathml(node.astext(), display=False))
    raise nodes.SkipNode


def visit_math_block(translator, node):
    translator.body.append(f'<div class="math-display">{mathml(node.astext(), display=True)}</div>')
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_math_block, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
