"""gatelab.plots' words for figures: describe(fig) says what a figure shows, and inside a kernel every figure is
shown as HTML with those words as its alt text (JupyterLab's image output has none: axe-core's image-alt)."""

import nbformat
from nbclient import NotebookClient

from gatelab import plots


def test_a_figure_is_described_by_its_titles_axes_and_series():
    fig = plots.curves(range(3), {"LSTM": [1, 2, 3], "GRU": [3, 2, 1]}, "training step", "loss", title="Loss")
    assert plots.describe(fig) == 'Figure. One panel, "Loss": x axis training step, y axis loss; lines LSTM, GRU.'
    fig.suptitle("Two models")
    assert plots.describe(fig).startswith("Figure: Two models. One panel")


def test_panels_bars_and_heat_maps_are_counted():
    fig = plots.plt.figure()
    left, right = fig.subplots(1, 2)
    left.bar([0, 1, 2], [1, 2, 3])
    left.set(xlabel="model")
    image = right.imshow([[0, 1], [1, 0]])
    fig.colorbar(image, ax=right, label="gate value")
    assert plots.describe(fig) == (
        "Figure. 2 panels. Panel 1: x axis model; 3 bars. Panel 2: no axis labels; a heat map. "
        "Colour scale: gate value."
    )


def test_in_a_kernel_every_figure_is_html_with_its_words_as_alt_text():
    """The course's figures and a learner's own, before and after the inline backend set itself up."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import gatelab as gl\ngl.plots.curves([0, 1], {'f': [0, 1]}, 'token', 'f', 'f');"),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.title('mine');"),
    ]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    shown = [output.data for cell in nb.cells for output in cell.outputs if "text/html" in output.get("data", {})]
    assert len(shown) == 2 and not [data for data in shown if "image/png" in data]  # one picture, in the HTML
    words = [
        "Figure. One panel: x axis token, y axis f; lines f.",
        'Figure. One panel, "mine": no axis labels; 1 line.',
    ]
    for data, said in zip(shown, words, strict=True):
        assert data["text/plain"] == said
        assert data["text/html"].startswith('<img src="data:image/png;base64,')
        assert data["text/html"].endswith(f'alt="{said.replace(chr(34), "&quot;")}">')
