"""Are the models of the forgetting grid what they say, at equal parameters, and does its cache match its code?"""

import pytest
import torch

from gatelab import forgetting, train
from gatelab.data import streams


def test_every_model_builds_the_network_it_names():
    for name, spec in forgetting.MODELS.items():
        net = forgetting.build(name, seed=0)
        fixed = spec.get("fixed", {})
        assert {k[2:] for k in net.params if k.startswith("W_")} == set(net.cell.weights), name
        assert not set(fixed) & set(net.cell.weights), name
        if "f" in net.cell.weights:
            assert torch.all(net.params["b_f"] == spec["forget_bias"]), name
        if "z" in net.cell.weights:
            assert torch.all(net.params["b_z"] == spec["update_bias"]), name
    assert forgetting.build("rnn", 0).cell is train.CELLS["rnn"]
    assert forgetting.build("irnn", 0).cell.identity_init
    assert set(forgetting.build("no_forget", 0).cell.weights) == {"i", "c", "o"}


def test_the_no_forget_lstm_holds_f_at_one(rng):
    net = forgetting.build("no_forget", seed=0)
    _, gates = net.run(streams.stream_batch(3, 25, rng).x)
    assert torch.all(gates["f"] == 1.0) and not torch.all(gates["i"] == 1.0)


def test_every_model_has_about_the_lstms_parameters():
    # By hand: the LSTM with 16 units has 4 * 16 * (16 + 3 + 1) + 16 + 1 = 1297 numbers; 34 tanh units have
    # 34 * (34 + 3 + 1) + 34 + 1 = 1327; 19 GRU units 3 * 19 * (19 + 3 + 1) + 19 + 1 = 1331.
    counts = {name: forgetting.parameter_count(forgetting.build(name, 0)) for name in forgetting.MODELS}
    assert counts["lstm"] == 1297 and counts["rnn"] == counts["irnn"] == 1327 and counts["gru"] == 1331
    assert forgetting.units("rnn") == 34 and forgetting.units("no_forget") == 19
    assert all(abs(n - 1297) / 1297 < 0.03 for n in counts.values()), counts


def test_steps_to_target_is_where_the_curve_first_falls_below_it():
    assert forgetting.steps_to_target([0.04, 0.01, 0.003, 0.001], every=50, target=0.004) == 150
    assert forgetting.steps_to_target([0.04, 0.04], every=50) is None


def test_run_is_seeded_and_measures_both_held_out_lengths():
    a, b = forgetting.run("rnn", 1, steps=10), forgetting.run("rnn", 1, steps=10)
    assert a["test"] == b["test"] and a["curve"] == b["curve"] and len(a["curve"]) == 1
    assert set(a) == {"model", "seed", "steps", "n_h", "params", "test", "curve", "seconds", "seconds_per_step"}
    assert list(a["test"]) == [str(n) for n in forgetting.TEST_LENGTHS]
    assert a["seconds_per_step"] == pytest.approx(a["seconds"] / 10, rel=0.05, abs=1e-3)


# --- the cache ---


@pytest.fixture(scope="module")
def results():
    return forgetting.load_results()


def test_the_grid_is_every_model_and_seed_and_the_plain_rnns_again_for_longer():
    assert len(forgetting.GRID) == len(set(forgetting.GRID))
    assert len(forgetting.GRID) == len(forgetting.SEEDS) * (len(forgetting.MODELS) + len(forgetting.LONG_MODELS))
    assert {(m, n) for m, _, n in forgetting.GRID} == set(forgetting.budgets())


def test_the_cache_covers_the_grid_the_code_defines(results):
    settings = {k: v for k, v in forgetting.config().items() if k != "torch"}
    assert {k: v for k, v in results["config"].items() if k != "torch"} == settings
    assert sorted((r["model"], r["seed"], r["steps"]) for r in results["rows"]) == sorted(forgetting.GRID)
    for r in results["rows"]:
        assert len(r["curve"]) == r["steps"] // forgetting.CURVE_EVERY and r["seconds_per_step"] > 0
        assert r["params"] == forgetting.parameter_count(forgetting.build(r["model"], 0))
        assert all(0 <= s["solved"] <= 1 and s["mse"] >= 0 for s in r["test"].values())
    assert set(results["timing"]) == set(forgetting.MODELS) and all(t > 0 for t in results["timing"].values())


def test_a_rerun_row_gives_the_cached_numbers(results):
    (cached,) = [r for r in results["rows"] if (r["model"], r["seed"], r["steps"]) == ("rnn", 0, forgetting.STEPS)]
    again = forgetting.run("rnn", 0)
    # As in tests/test_experiments.py: a CPU whose kernels round differently from the cache's machine follows the
    # cached curve closely at first, then may drift; the head of the curve says code, data, seeds and settings agree.
    head = len(cached["curve"]) // 4
    assert again["curve"][:head] == pytest.approx(cached["curve"][:head], rel=1e-4, abs=1e-7)
    if again["curve"] == pytest.approx(cached["curve"], rel=1e-4, abs=1e-7):  # kernels that round alike
        for n, scores in cached["test"].items():
            assert again["test"][n]["mse"] == pytest.approx(scores["mse"], rel=1e-4, abs=1e-7)
            assert again["test"][n]["solved"] == pytest.approx(scores["solved"], abs=2e-3)


def test_summary_and_table_read_the_rows(results):
    stats = forgetting.summary(results)
    assert list(stats) == forgetting.budgets()
    for (name, steps), s in stats.items():
        rows = [r for r in results["rows"] if (r["model"], r["steps"]) == (name, steps)]
        assert s["runs"] == len(forgetting.SEEDS) and s["params"] == rows[0]["params"]
        for n in forgetting.TEST_LENGTHS:
            learned = sum(r["test"][str(n)]["mse"] < forgetting.LEARNED_MSE for r in rows)
            assert s["test"][n]["learned"] == learned
    text = forgetting.table(results)
    assert text.count("\n") == len(stats) + 1 and "| T = 160: MSE · solved · learned |" in text
