"""Does gatelab.film record a training run's checkpoints without changing the run, and give the film's explorer
(gatelab.widgets.training_film) the numbers it shows? Does lesson 06's check of number_unit_appears pass a right
answer and name the known mistakes?"""

import pytest
import torch

from gatelab import data, film, train, widgets
from gatelab.checks import analysis
from gatelab.checks.core import CheckFailed
from gatelab.data import agreement

V = len(agreement.VOCAB)
PAIR = {name: data.SENTENCES[name] for name in ("cat-dogs", "cats-dog")}


def run(steps=30, record=True):
    """A small LSTM trained for steps, with a film recorded every 10 steps (or none); (net, film, history)."""
    net = train.Network("lstm", V, 4, 2, seed=0, forget_bias=1.0)
    test = agreement.held_out_set(200)
    recorded = film.Film(net, test, PAIR, range(0, steps + 1, 10)) if record else None
    batches = agreement.batches(agreement.generate(1000, seed=0, every_verb=True))
    history = train.train(net, batches, steps, seed=0, progress=False,
                          after_step=recorded.after_step if record else None)  # fmt: skip
    return net, recorded, history


@pytest.fixture(scope="module")
def recorded():
    return run()


def test_recording_changes_nothing_in_the_training(recorded):
    net, _, history = recorded
    plain, _, plain_history = run(record=False)
    assert history.losses == plain_history.losses
    for name, value in net.params.items():
        assert torch.equal(value, plain.params[name])


def test_the_film_holds_every_checkpoint_as_the_network_was_then(recorded):
    net, f, _ = recorded
    assert f.steps == [0, 10, 20, 30] and f.at(20) == 2
    assert f.correlations.shape == (4, 4) and len(f.accuracy) == 4
    gates = f.gates
    assert set(gates) == set(PAIR) and gates["cat-dogs"]["f"].shape == (4, len(PAIR["cat-dogs"]), 4)
    trace = __import__("gatelab").probe.trace(net, PAIR["cats-dog"])  # the last checkpoint is the trained net
    torch.testing.assert_close(gates["cats-dog"]["i"][-1], trace["i"])
    test = f.data
    right = train.correct(net, test.batch()).float().mean().item()
    assert f.accuracy[-1] == pytest.approx(right)
    states = __import__("gatelab").probe.states_before_verb(net, test, "c")
    torch.testing.assert_close(f.correlations[-1], analysis.correlations(states, test.number))


def test_checkpoints_are_dense_where_small_networks_learn():
    steps = film.checkpoints(600)
    assert steps[:3] == [0, 2, 4] and steps[-1] == 600 and 50 in steps and 150 in steps and len(steps) == 41
    assert film.checkpoints(7) == [0, 2, 4, 6, 7]


def test_the_explorer_shows_the_checkpoints(recorded):
    _, f, _ = recorded
    explorer = widgets.training_film(f, 2, step=10)
    assert explorer.values() == {"frame": 1} and explorer.sliders["frame"].max == 3
    q = explorer.numbers()
    assert q["step"] == 10 and q["accuracy"] == pytest.approx(f.accuracy[1], abs=1e-4)
    assert q["correlation"] == pytest.approx(float(f.correlations[1, 2]), abs=1e-3)
    torch.testing.assert_close(torch.tensor(q["f"][0]), f.gates["cat-dogs"]["f"][1].float(), atol=0.005, rtol=0)
    assert q["subject_i"][1] == q["i"][1][1][2] and q["clause_f"][0] == q["f"][0][3][2]  # 'cats' is 1, 'which' 3
    explorer.sliders["frame"].value = 99  # clamped to the last checkpoint
    assert explorer.numbers()["step"] == 30
    html = explorer._repr_mimebundle_()[0]["text/html"]
    assert len(html) < 100_000


# --- the check of number_unit_appears ---


def right(steps, correlation, threshold):
    above = correlation.abs() > threshold
    step = None
    for k in range(len(above) - 1, -1, -1):
        if not above[k]:
            break
        step = int(steps[k])
    return step


def first_crossing(steps, correlation, threshold):
    above = (correlation.abs() > threshold).nonzero()
    return int(steps[above[0]]) if len(above) else None


def index(steps, correlation, threshold):
    step = right(steps, correlation, threshold)
    return None if step is None else int((steps == step).nonzero())


def signed(steps, correlation, threshold):
    return right(steps, correlation.clamp(min=0), threshold)


def test_a_right_number_unit_appears_passes_every_check(capsys):
    analysis.number_unit_appears_returns_step(right)
    analysis.number_unit_appears_stays_above(right)
    analysis.number_unit_appears_random_cases(right)
    assert capsys.readouterr().out.count("✓") > 10


@pytest.mark.parametrize(
    "fn, check, diagnosis",
    [
        (first_crossing, analysis.number_unit_appears_stays_above, "analysis.first-crossing"),
        (first_crossing, analysis.number_unit_appears_returns_step, "analysis.first-crossing"),
        (index, analysis.number_unit_appears_returns_step, "analysis.index-not-step"),
        (signed, analysis.number_unit_appears_stays_above, "analysis.appears-without-abs"),
    ],
)
def test_known_mistakes_are_named(fn, check, diagnosis):
    with pytest.raises(CheckFailed) as failed:
        check(fn)
    assert failed.value.diagnosis == diagnosis


def test_a_float_or_a_list_is_refused():
    with pytest.raises(CheckFailed, match="should return a training step"):
        analysis.number_unit_appears_returns_step(lambda s, c, t: float(right(s, c, t) or 0))


def test_what_lesson_06_says_of_its_film_is_what_its_run_shows():
    """Lesson 06's run (FULL = False, seed 0), recorded as the lesson records it, against its "Read the printed steps"
    paragraph; unit is what the solution's number_unit finds at the end."""
    net = train.Network("lstm", V, 8, 2, seed=0, forget_bias=1.0)
    test = agreement.held_out_set(2000)
    f = film.Film(net, test, PAIR, film.checkpoints(600))
    pool = agreement.generate(20000, seed=0, every_verb=True)
    train.train(net, agreement.batches(pool), 600, lr=0.01, seed=0, progress=False, after_step=f.after_step)
    correlation = f.correlations
    unit = int(correlation[-1].abs().argmax())
    above = correlation[:, unit].abs() > 0.9
    appears = next(s for k, s in enumerate(f.steps) if above[k:].all())
    learned = next(s for s, a in zip(f.steps, f.accuracy, strict=True) if a >= 0.95)
    best = correlation.abs().argmax(dim=1)
    since = next(s for k, s in enumerate(f.steps) if (best[k:] == unit).all())
    assert learned <= 50 and learned < appears < since  # right before it is settled; another unit best for long
    start, then, end = f.at(0), f.at(appears), len(f.steps) - 1
    for name, tokens in PAIR.items():
        i = f.gates[name]["i"][:, agreement.subject_and_verb(tokens)[0], unit]
        assert i[start] < i[then] < i[end], name  # the gate at the subject keeps opening
    which = PAIR["cat-dogs"].index("which")
    singular, plural = f.gates["cat-dogs"]["f"][:, which, unit], f.gates["cats-dog"]["f"][:, which, unit]
    assert singular[start] < 0.9 < singular[then] <= singular[end]  # climbs towards 1 early
    assert plural[then] < plural[start] < plural[end]  # first falls, rises again only later


def test_by_default_the_film_outlines_the_unit_that_correlates_best_at_the_end(recorded):
    _, f, _ = recorded
    assert widgets.training_film(f)._film["unit"] == int(f.correlations[-1].abs().argmax())
