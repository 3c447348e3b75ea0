"""Does the identical-start study start its gates identical, and does its cache match the code that made it?"""

import pytest
import torch

from gatelab import experiments, specialize, train
from gatelab.data import adding


@pytest.mark.parametrize("seed", [0, 3])
def test_the_three_gates_start_as_one_block(seed, rng):
    net = specialize.build(seed)
    p = net.params
    for g in "io":
        assert torch.equal(p[f"W_{g}"], p["W_f"]) and torch.equal(p[f"b_{g}"], p["b_f"])
    assert torch.all(p["b_f"] == specialize.BIAS)
    assert not torch.equal(p["W_c"], p["W_f"])  # the candidate keeps its own draw
    assert specialize.block_distances(p) == {"f-i": 0.0, "f-o": 0.0, "i-o": 0.0}
    _, gates = net.run(adding.adding_batch(4, 10, rng).x)
    assert torch.equal(gates["f"], gates["i"]) and torch.equal(gates["f"], gates["o"])


def test_different_seeds_draw_different_blocks():
    assert not torch.equal(specialize.build(0).params["W_f"], specialize.build(1).params["W_f"])


def test_block_distances_are_relative_to_the_blocks_size():
    params = {f"{p}_{g}": torch.ones(2, 3) if p == "W" else torch.ones(2) for g in "fio" for p in "Wb"}
    params["W_i"] = -params["W_i"]
    params["b_i"] = -params["b_i"]
    distances = specialize.block_distances(params)
    assert distances["f-o"] == 0.0 and distances["f-i"] == pytest.approx(2.0) and distances["i-o"] == pytest.approx(2.0)


def test_cosine_of_flat_tensors():
    a = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    assert specialize.cosine(a, a) == pytest.approx(1.0) and specialize.cosine(a, -a) == pytest.approx(-1.0)
    assert specialize.cosine(a, torch.zeros(2, 2)) == 0.0


def test_fit_trains_as_train_train_does_between_its_checkpoints():
    _, losses = specialize.fit(specialize.build(2), 2, steps=6, every=3)
    history = train.train(specialize.build(2), adding.batches(specialize.LAG, experiments.BATCH), 6,
                          lr=experiments.LR, seed=experiments.DATA_SEED + 2, clip=experiments.CLIP, progress=False)
    assert losses == history.losses


def test_exchanged_swaps_two_trained_blocks_and_keeps_the_rest():
    net = experiments.build("lstm", seed=2)
    swapped = specialize.exchanged(net, "f", "o")
    for p in "Wb":
        assert torch.equal(swapped.params[f"{p}_f"], net.params[f"{p}_o"])
        assert torch.equal(swapped.params[f"{p}_o"], net.params[f"{p}_f"])
        assert torch.equal(swapped.params[f"{p}_i"], net.params[f"{p}_i"])
    assert torch.equal(swapped.readout.weight, net.readout.weight)


def test_at_the_identical_start_exchanging_gates_changes_nothing():
    net = specialize.build(1)
    batch = adding.test_batch(10, B=50)
    same = adding.evaluate(net, batch)["mse"]
    assert all(adding.evaluate(specialize.exchanged(net, a, b), batch)["mse"] == same for a, b in specialize.PAIRS)


def test_block_gradients_leave_the_nets_grads_alone():
    net = specialize.build(0)
    grads = specialize.block_gradients(net, adding.test_batch(10, B=20))
    assert set(grads["norm"]) == set("fio") and set(grads["cosine"]) == {"f-i", "f-o", "i-o"}
    assert all(p.grad is None for p in net.parameters())


def test_forget_like_is_the_gate_most_open_away_from_the_marks():
    profile = {"f": {"marked": 0.4, "other": 0.5}, "i": {"marked": 0.6, "other": 0.7},
               "o": {"marked": 0.5, "other": 0.3}}
    assert specialize.forget_like(profile) == "i"


# --- the cache ---


@pytest.fixture(scope="module")
def results():
    return specialize.load_results()


def test_the_cache_matches_the_code_that_made_it(results):
    settings = {k: v for k, v in specialize.config().items() if k != "torch"}
    assert {k: v for k, v in results["config"].items() if k != "torch"} == settings
    assert [r["seed"] for r in results["runs"]] == list(specialize.SEEDS)
    steps = list(range(0, specialize.STEPS + 1, specialize.EVERY))
    for run in results["runs"]:
        assert [c["step"] for c in run["checkpoints"]] == steps
        assert specialize.at_step(run, 0)["distance"] == {"f-i": 0.0, "f-o": 0.0, "i-o": 0.0}
        assert set(run["final"]["exchanged"]) == {"f<->i", "f<->o", "i<->o"}
        assert list(run["final"]["ablation"]) == list(experiments.ABLATIONS)


def test_a_short_rerun_gives_the_cached_checkpoints(results):
    seed, steps = specialize.SEEDS[0], 2 * specialize.EVERY
    checkpoints, _ = specialize.fit(specialize.build(seed), seed, steps)
    (cached,) = [r for r in results["runs"] if r["seed"] == seed]
    # Another CPU's kernels may round differently in the last digits (see tests/test_experiments.py). The film's
    # frames are hundredths (tests/test_identical_film.py compares them to one).
    def numbers(checkpoints):
        return flat([{k: v for k, v in c.items() if k != "film"} for c in checkpoints])

    assert numbers(checkpoints) == pytest.approx(numbers(cached["checkpoints"][: len(checkpoints)]), rel=1e-4, abs=1e-6)


def flat(tree, path=""):
    """{"0/gates/f/marked": 0.49, ...}: every number of nested lists and dicts, by its path."""
    if isinstance(tree, dict):
        return {k: v for key, sub in tree.items() for k, v in flat(sub, f"{path}/{key}").items()}
    if isinstance(tree, list):
        return {k: v for n, sub in enumerate(tree) for k, v in flat(sub, f"{path}/{n}").items()}
    return {path: tree}


def test_series_reads_every_checkpoint_of_every_run(results):
    steps, mse = specialize.series(results, lambda c: c["mse"])
    assert steps == [c["step"] for c in results["runs"][0]["checkpoints"]] and list(mse) == list(specialize.SEEDS)
    assert mse[specialize.SEEDS[0]][0] == results["runs"][0]["checkpoints"][0]["mse"]


def test_the_table_has_a_line_per_seed_and_step(results):
    text = specialize.table(results, steps=(0, specialize.STEPS))
    assert text.count("\n") == 1 + 2 * len(specialize.SEEDS)
