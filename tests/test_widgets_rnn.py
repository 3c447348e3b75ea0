"""Does lesson 01's slider redraw its figure with the right curve, without a browser?"""

import io

import numpy as np
from PIL import Image

from gatelab import dynamics, widgets


def test_moving_the_weight_slider_redraws_the_true_gradient_curve():
    explorer = widgets.vanishing_gradient(w=0.9, scale=0.5, T=40)
    before = explorer.live.image.value
    explorer.sliders["w"].value = 1.5
    line = explorer.artists["tanh"]
    _, dh = dynamics.one_unit_rnn_gradients(1.5, dynamics.one_unit_rnn_inputs(widgets.rnn.T_MAX, 0.5))
    np.testing.assert_allclose(line.get_ydata(), dh[:40].clamp_min(1e-300).numpy())
    assert explorer.live.image.value != before, "the PNG changed"
    assert explorer.last_update_ms is not None


def test_the_length_slider_moves_the_marker_and_the_status():
    explorer = widgets.vanishing_gradient(w=0.5, T=40)
    explorer.sliders["T"].value = 10
    assert list(explorer.artists["marker"].get_xdata()) == [10]
    assert len(explorer.artists["tanh"].get_xdata()) == 10
    assert "at T = 10" in explorer.status.value and "vanished" in explorer.status.value


def test_the_linear_reference_is_w_to_the_t():
    explorer = widgets.vanishing_gradient(w=2.0, T=5)
    np.testing.assert_allclose(explorer.artists["linear"].get_ydata(), [2.0, 4.0, 8.0, 16.0, 32.0])


def test_the_figure_is_a_real_png_of_the_right_size():
    explorer = widgets.vanishing_gradient()
    image = Image.open(io.BytesIO(explorer.live.image.value))
    assert image.format == "PNG" and image.size == (614, 307)


def test_sliders_carry_css_classes_for_browser_tests():
    explorer = widgets.vanishing_gradient()
    assert "gl-slider-recurrent-weight-w" in explorer.sliders["w"]._dom_classes
    assert "gl-vanishing-figure" in explorer.live.image._dom_classes
