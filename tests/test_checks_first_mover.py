"""Lesson 04's "predict, then run" (gatelab.checks.lstm.first_mover, gatelab.dynamics.lstm_puzzle_shares): is the
slider it names the one training's first step moves most (by torch.autograd too), does a wrong prediction hear which
one did and why, and is every sentence the lesson says about that run what the numbers show?"""

import pytest

from gatelab import data, dynamics
from gatelab.checks import lstm as checks
from gatelab.checks.core import CheckFailed
from tests.test_puzzle_training import START, autograd_puzzle, random_settings

SLIDERS = list(dynamics.LSTM_PUZZLE_SETTINGS)
FIRST = "b_f"  # what the lesson's solution and its closing words say training moves first
BETWEEN = [2, 3, 4, 5, 6]  # the tokens strictly between the noun (1) and the verb (7): ',' which already ate ','
WHY_FIRST = "b_f multiplies 1 at every token, so it gathers the forget gate's push at the 5 tokens from ',' to ','"
WHY = {  # what the check says of each wrong prediction, after why b_f moved most
    "f_noun": "f_noun multiplies the feature noun, which is 0 at the 5 tokens from ',' to ',' (tokens 2–6), where the "
    "forget gate is pushed",
    "f_verb": "f_verb multiplies the feature verb, so it gathers the forget gate's push only at 'ate' (token 5)",
    "f_h": "f_h multiplies h_prev, which has opposite signs in the two sentences: their pushes cancel",
    "i_noun": "i_noun multiplies the feature noun, so it gathers the input gate's push at 'cat'/'cats' (token 1)",
    "i_h": "i_h multiplies h_prev, which is 0 at 'cat'/'cats' (token 1), where the input gate is pushed",
    "b_i": "b_i multiplies 1 at every token, so it gathers the input gate's push at 'cat'/'cats' (token 1)",
    "c_number": "c_number multiplies the feature number, so it gathers the candidate's push only at 'cat'/'cats'",
    "b_o": "b_o multiplies 1 at every token, so it gathers the output gate's push at ',' (token 6)",
}


def first_step():
    """{slider: how far training's first step from the start values moves it}."""
    before, after = (r["settings"] for r in dynamics.lstm_puzzle_training(steps=1))
    return {s: after[s] - before[s] for s in SLIDERS}


def failure(prediction):
    with pytest.raises(CheckFailed) as info:
        checks.first_mover(prediction)
    return str(info.value)


@pytest.mark.parametrize("settings", [START, random_settings(3), random_settings(8)], ids=["start", "r3", "r8"])
def test_the_shares_add_up_to_the_gradient_and_a_bias_shares_are_its_gates_push(settings):
    """Summed over sentences and tokens, a slider's shares are its ∂L/∂s; b_g's, summed over sentences, the push."""
    shares = dynamics.lstm_puzzle_shares(settings)
    _, grads, push = dynamics.lstm_puzzle_gradients(settings)
    assert set(shares) == set(dynamics.setting_names(dynamics.LSTM_GATES))
    for s in SLIDERS:
        assert sum(sum(per) for per in shares[s].values()) == pytest.approx(grads[s], abs=1e-15)
    for g in dynamics.LSTM_GATES:
        summed = [sum(token) for token in zip(*shares[f"b_{g}"].values(), strict=True)]
        assert summed == pytest.approx(push[g], abs=1e-15)


def test_b_f_moves_most_in_the_first_step_by_autograd_too():
    moved = first_step()
    _, grads, _ = autograd_puzzle(START)
    assert max(SLIDERS, key=lambda s: abs(moved[s])) == max(SLIDERS, key=lambda s: abs(grads[s])) == FIRST
    runner_up = sorted(abs(v) for v in moved.values())[-2]
    assert abs(moved[FIRST]) > 3 * runner_up  # not a near tie: the prediction is determined
    assert {s for s in SLIDERS if moved[s] == 0.0} == {"f_noun", "f_h", "i_h"}


def test_a_right_prediction_passes_and_says_why(capsys):
    checks.first_mover(FIRST)
    out = capsys.readouterr().out
    assert out.startswith("✓ b_f: training's first step moved it most (+0.0074; next f_verb, +0.0023)"), out
    assert WHY_FIRST in out


@pytest.mark.parametrize("prediction", [s for s in SLIDERS if s != FIRST])
def test_a_wrong_prediction_hears_which_slider_moved_most_and_why(prediction):
    message = failure(prediction)
    moved = first_step()
    assert message.startswith(f"training's first step moved b_f most ({moved['b_f']:+.4f}), {prediction} "), message
    assert ("not at all" in message) == (moved[prediction] == 0.0)
    assert WHY_FIRST in message and WHY[prediction] in message, message
    assert CheckFailed(message).diagnosis == f"lstm.first-mover.{prediction}"
    assert "\n" not in message


@pytest.mark.parametrize("prediction", ["bf", "B_F", " b_f", "c_h", "", 3, None, ["b_f"]])
def test_anything_but_a_slider_name_is_told_what_is_expected(prediction):
    message = failure(prediction)
    expected = "expected one of the puzzle's slider names, as a string: f_noun, f_verb, f_h, b_f, i_noun"
    assert message.startswith(expected), message
    assert CheckFailed(message).diagnosis is None


def test_the_lessons_words_about_the_run():
    """What lesson 04 says: the loss pushes the forget gate open at every token between the noun and the verb (and
    nowhere else), the input gate at the noun alone; the bars leave out the candidate and the output gate; in the page
    (one decimal per slider), b_f's number is the first to change."""
    _, _, push = dynamics.lstm_puzzle_gradients(START)
    for name in dynamics.PUZZLE_PAIR:
        s, v, _ = data.subject_and_verb(data.SENTENCES[name])
        assert list(range(s + 1, v)) == BETWEEN
    assert [t for t, p in enumerate(push["f"]) if p < 0] == BETWEEN and all(p <= 0 for p in push["f"])
    assert [t for t, p in enumerate(push["i"]) if p != 0] == [1] and push["i"][1] < 0
    shown = {}  # slider -> the first step at which its one-decimal number changes
    for record in dynamics.lstm_puzzle_training(steps=dynamics.PUZZLE_STEPS):
        for s, value in record["settings"].items():
            if s not in shown and f"{value:.1f}" != f"{START[s]:.1f}":
                shown[s] = record["step"]
    assert min(shown, key=shown.get) == FIRST and sorted(shown.values())[1] > shown[FIRST]
