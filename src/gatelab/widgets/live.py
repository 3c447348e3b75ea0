"""The view every widget shares: sliders above a matplotlib figure that redraws fast.

The figure is rendered by Agg to PNG bytes in an ipywidgets.Image (no front-end extension needed).
Its static parts are drawn once; only the artists registered as moving are redrawn over the saved
background (blitting), so a slider move costs a few milliseconds instead of a full redraw.
"""

import base64
import html
import io
import re
import time

import ipywidgets as widgets
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image


class LiveFigure:
    """A figure shown as an ipywidgets.Image; refresh() redraws only its moving artists."""

    def __init__(self, figsize=(6.4, 3.2), dpi=96, css_class=None):
        self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        width, height = FigureCanvasAgg(self.fig).get_width_height()
        self.moving = []
        # Shown at its own pixel size: a stretched PNG is blurry.
        self.image = widgets.Image(format="png", width=width, height=height)
        if css_class:
            self.image.add_class(css_class)
        self._background = None

    def animate(self, *artists):
        """Register artists that change on every update; returns them (one, or a tuple)."""
        for artist in artists:
            artist.set_animated(True)
            artist.set_snap(False)  # antialiased sub-pixel positions: every change of the data shows
        self.moving += artists
        return artists[0] if len(artists) == 1 else artists

    def refresh(self):
        """Redraw the moving artists over the static background and publish the PNG."""
        canvas = self.fig.canvas
        if self._background is None:
            self.fig.get_layout_engine().execute(self.fig)
            self.fig.set_layout_engine("none")  # freeze the layout so the saved background stays valid
            canvas.draw()
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self.moving:
            self.fig.draw_artist(artist)
        self.image.value = png_bytes(canvas)


def png_bytes(canvas):
    """The Agg canvas's current pixels as PNG bytes (fast compression: speed over size)."""
    width, height = canvas.get_width_height()
    pixels = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    pixels.save(out, format="png", compress_level=1)
    return out.getvalue()


STILL_CAPTION = "A still of this explorer's starting position: it is live in the notebook."


def still_html(png, alt, caption=STILL_CAPTION):
    """A figure's PNG as an <img> (data URI, in 256 colours: a third of the size) above its caption.

    What a page with no kernel shows for an explorer (nbgrader's feedback, a static site).
    """
    image = Image.open(io.BytesIO(png))
    out = io.BytesIO()
    image.convert("RGB").quantize(256).save(out, format="png", optimize=True)
    data = base64.b64encode(out.getvalue()).decode()
    return (
        f'<figure class="gl-still" style="margin:0"><img src="data:image/png;base64,{data}" '
        f'width="{image.width}" height="{image.height}" alt="{html.escape(alt)}">'
        f"<figcaption><em>{html.escape(caption)}</em></figcaption></figure>"
    )


def slider(description, lo, hi, step, value, integer=False):
    """A labelled slider that reports every move (continuous_update), with a CSS class to find it."""
    cls = widgets.IntSlider if integer else widgets.FloatSlider
    s = cls(
        value=value,
        min=lo,
        max=hi,
        step=step,
        description=description,
        continuous_update=True,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="360px"),
    )
    s.add_class(f"gl-slider-{description.strip('$ ').replace(' ', '-').replace('_', '-').lower()}")
    return s


class Explorer(widgets.VBox):
    """Sliders above a LiveFigure. Moving any slider calls draw(**values) and refreshes the figure.

    Tests set explorer.sliders[name].value and read the artists in explorer.artists; last_update_ms
    is the in-kernel time of the last update, drawing and PNG encoding included.
    """

    def __init__(self, sliders, live, draw, artists, status=None):
        self.sliders, self.live, self.draw, self.artists = sliders, live, draw, artists
        self.status = status or widgets.HTML()
        self.last_update_ms = None
        controls = widgets.VBox(list(sliders.values()))
        super().__init__([widgets.HBox([controls, self.status]), live.image])
        self.add_class("gl-explorer")  # browser tests find every explorer, its sliders and its figure by this
        for s in sliders.values():
            s.observe(self.update, names="value")
        self.update()

    def _repr_mimebundle_(self, **kwargs):
        """The widget's view and, beside it, a still of the figure (text/html) for pages with no kernel.

        JupyterLab shows the live view (the widget's type ranks first there); feedback pages drop the view
        (autograde/feedback.py) and show the still.
        """
        bundle = super()._repr_mimebundle_(**kwargs)
        settings = ", ".join(f"{name} = {value:g}" for name, value in self.values().items())
        status = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", "; ", self.status.value)))
        alt = f"The explorer's figure at its starting position ({settings}). {status}".strip()
        bundle["text/html"] = still_html(self.live.image.value, alt, f"{STILL_CAPTION} ({settings})")
        return bundle

    def values(self):
        """The sliders' current values by name."""
        return {name: s.value for name, s in self.sliders.items()}

    def update(self, change=None):
        """Recompute and redraw for the sliders' current values."""
        start = time.perf_counter()
        message = self.draw(**self.values())
        if message is not None:
            self.status.value = message
        self.live.refresh()
        self.last_update_ms = 1000 * (time.perf_counter() - start)
