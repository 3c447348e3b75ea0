"""Lesson 02's gate explorer (gatelab.widgets.gru_gate) without a browser: its numbers, against torch.
What every explorer shares is tested in tests/test_widgets_front.py; tests/test_explorers_browser.py runs
it in Chromium.
"""

import pytest
import torch

from gatelab import widgets


def test_numbers_follow_the_sliders():
    """Is the gate z = σ(a), and h_next = z·h_tilde + (1 − z)·h_prev, computed with torch?"""
    e = widgets.gru_gate_explorer()
    moves = {"w_x": 1.5, "w_h": -2.0, "b": 0.5, "x": 0.6, "h_prev": -0.4, "h_tilde": 0.9}
    for name, value in moves.items():
        e.sliders[name].value = value
    assert e.values() == moves
    a = 1.5 * 0.6 - 2.0 * -0.4 + 0.5
    z = torch.sigmoid(torch.tensor(a, dtype=torch.float64)).item()
    expected = {"a": a, "z": z, "keep": (1 - z) * -0.4, "write": z * 0.9, "h_next": z * 0.9 + (1 - z) * -0.4}
    assert e.numbers() == pytest.approx(expected, abs=1e-12)
