"""Is lesson 06's agreement study what it says, and does the cached grid match the code that made it?"""

import pytest
import torch

from gatelab import agreement_study as study
from gatelab import train

GATES = {"lstm": 4, "gru": 3, "rnn": 1}  # W_g blocks per cell


@pytest.fixture(scope="module")
def results():
    return study.load()


def test_the_models_have_the_parameter_counts_claimed_and_nearly_equal():
    counts = {}
    for model, spec in study.MODELS.items():
        H, V = spec["n_h"], study.N_X
        counts[model] = GATES[spec["kind"]] * (H * (H + V) + H) + 2 * H + 2  # cell W_g, b_g; readout
        assert study.parameters(model) == counts[model], model
    assert max(counts.values()) / min(counts.values()) < 1.05


def test_each_model_starts_as_its_spec_says():
    for model, spec in study.MODELS.items():
        net = study.build(model, seed=0)
        assert net.cell is train.CELLS[spec["kind"]] and net.n_h == spec["n_h"] and net.n_x == study.N_X
        if spec["kind"] == "lstm":
            assert torch.all(net.params["b_f"] == spec["forget_bias"])


def test_steps_to_reads_the_first_point_at_the_target():
    every = study.EVAL_EVERY
    assert study.steps_to([0.5, 0.96, 0.9, 0.99]) == 2 * every
    assert study.steps_to([0.5, 0.6]) is None


def test_the_cache_was_made_with_this_config_and_holds_the_whole_grid(results):
    assert [(r["model"], r["regime"], r["seed"]) for r in results["rows"]] == study.GRID
    for row in results["rows"]:
        assert row["params"] == study.parameters(row["model"])
        assert len(row["curve"]) == study.STEPS // study.EVAL_EVERY
        assert row["steps_to_target"] == study.steps_to(row["curve"])
        for key in ("by_attractors", "by_distance", "by_subject"):
            assert sum(n for _, n in row[key]) == study.TEST, key


def test_a_stale_cache_is_refused(results, tmp_path):
    stale = tmp_path / "stale.json"
    stale.write_text(study.json.dumps({**results, "config": {**results["config"], "steps": 1}}))
    with pytest.raises(ValueError, match="stale"):
        study.load(stale)


def test_rerunning_the_start_of_a_cached_run_gives_its_numbers(results):
    model, regime, seed = "lstm_bias1", "long", 1
    (row,) = [r for r in study.rows_of(results, model, regime) if r["seed"] == seed]
    fitted = study.fit(study.build(model, seed), regime, seed, steps=4 * study.EVAL_EVERY)
    assert fitted["curve"] == row["curve"][:4]


def test_rerunning_a_whole_cached_run_gives_its_numbers(results):
    (row,) = [r for r in study.rows_of(results, "rnn", "long") if r["seed"] == 0]  # the run that never learned
    again = study.run("rnn", "long", 0)
    measured = ("curve", "steps_to_target", "overall", "by_attractors", "by_distance", "by_subject", "params")
    assert {k: again[k] for k in measured} == {k: row[k] for k in measured}


def test_the_tables_show_every_model_and_regime(results):
    cost = study.cost_table(results)
    for spec in study.MODELS.values():
        assert cost.count(spec["label"]) == len(study.REGIMES)
    by_distance = study.bins_table(results, "by_distance")
    assert all(label in by_distance for label in study.bin_labels("by_distance"))
    costs = study.cost_summary(results, "long")
    rnn = costs[study.MODELS["rnn"]["label"]]
    assert rnn["runs"] == len(study.SEEDS) and rnn["params"] == study.parameters("rnn")
    steps, means = study.learning_curves(results, "long")
    assert len(steps) == study.STEPS // study.EVAL_EVERY and set(means) == {s["label"] for s in study.MODELS.values()}
