"""Lesson 07's experiments: LSTM variants and plain RNNs on the adding problem, as the lag grows.

VARIANTS names each model (a kind of train.Network, a forget-gate bias, gates held fixed, the f and i gates
exchanged at initialisation); GRID is every (variant, lag, seed) run. A run trains one network with Adam
for STEPS batches of the adding problem (gatelab.data.adding) and measures it on a fixed held-out batch.
The whole grid takes minutes, so its results are cached in a JSON file the lesson loads:

    python -m gatelab.experiments [--jobs 2]     # regenerates RESULTS_PATH

(measured: 122 runs, 12.5 min with --jobs 2 on a busy 2-core machine, about 15 CPU-minutes). After a change to
some variants, `python -m gatelab.experiments --variants NAME ...` reruns only their rows and merges them into
the cache, every other row left as it was (measured: the 19 rows of lstm_swap_fi, 3.9 min with --jobs 1 on a
busy 2-core machine).

Training is seeded and runs on one thread, so a row rerun gives the numbers of the cache
(tests/test_experiments.py reruns some).
"""

import functools
import statistics
from pathlib import Path

import torch

from gatelab import runs, train
from gatelab.data import adding

N_H = 16  # hidden units of every model
BATCH = 64  # sequences per training step
STEPS = 1000  # training steps per run
LR = 0.01
CLIP = 1.0
LAGS = (10, 20, 30, 40)  # minimal sequence lengths T of the adding problem
PREDICTION_LAG = 30  # the lag the lesson's prediction is about (at 40, STEPS is where the LSTM's budget runs out)
SEEDS = (0, 1, 2)
SWAP_SEEDS = tuple(range(10))  # the LSTM with and without f <-> i at the longest lag: more seeds to compare
DATA_SEED = 1000  # a run with seed s draws its batches from seed DATA_SEED + s, and its initial weights from s
CURVE_EVERY = 50  # the cached loss curve is the mean training loss over each window of this many steps
# A run has learned the task when its held-out MSE is below a tenth of always answering 0.5. Runs are bimodal:
# stuck on the plateau at the baseline (≈ 0.04), or far below it (≈ 0.0005), so the verdict does not hang on
# a digit; the paper's own criterion, the share of sequences with |error| < 0.04, is reported beside it.
LEARNED_MSE = adding.BASELINE_MSE / 10
RESULTS_PATH = Path(__file__).resolve().parent / "data" / "adding_results.json"

# name -> how to build it: kind (a train.CELLS name), forget_bias, fixed gates, swap_fi; label for tables.
# swap_fi exchanges the f and i gates' whole initial blocks, weights and biases: the gate in the f position
# starts exactly as the plain LSTM's i gate (b = 0), the one in the i position as its f gate (b = 1).
VARIANTS = {
    "rnn": {"kind": "rnn", "label": "vanilla RNN (tanh)"},
    "irnn": {"kind": "irnn", "label": "IRNN (relu, W_hh = I at start; Le et al. 2015)"},
    "gru": {"kind": "gru", "label": "GRU"},
    "lstm": {"kind": "lstm", "forget_bias": 1.0, "label": "LSTM, b_f = 1 at start (Jozefowicz et al. 2015)"},
    "lstm_bias0": {"kind": "lstm", "forget_bias": 0.0, "label": "LSTM, b_f = 0 at start"},
    "lstm_swap_fi": {
        "kind": "lstm", "forget_bias": 1.0, "swap_fi": True,
        "label": "LSTM, f and i exchanged at start (W_f <-> W_i, b_f = 0, b_i = 1)",
    },
    "no_forget": {"kind": "lstm", "fixed": {"f": 1.0}, "label": "no forget gate, f = 1 (the 1997 LSTM)"},
    "no_input": {"kind": "lstm", "forget_bias": 1.0, "fixed": {"i": 1.0}, "label": "no input gate, i = 1"},
    "no_output": {"kind": "lstm", "forget_bias": 1.0, "fixed": {"o": 1.0}, "label": "no output gate, o = 1"},
}
GRID = [(variant, lag, seed) for variant in VARIANTS for lag in LAGS for seed in SEEDS] + [
    (variant, max(LAGS), seed) for variant in ("lstm", "lstm_swap_fi") for seed in SWAP_SEEDS if seed not in SEEDS
]


def lstm_without(fixed):
    """A train.Cell: the course's LSTM with the gates of fixed held at their values (no W_g for them)."""
    step = functools.partial(train.lstm_step, fixed=fixed)
    return train.Cell(step, tuple(g for g in "fico" if g not in fixed), ("h", "c"))


def swap_blocks(params, a="f", b="i"):
    """Exchange gate a's and gate b's blocks in place, W_a <-> W_b and b_a <-> b_b: each gate then starts as
    the other one would have (exchanging the weights alone would keep b_f = 1 in the f position)."""
    with torch.no_grad():
        for p in "Wb":
            first = params[f"{p}_{a}"].clone()
            params[f"{p}_{a}"].copy_(params[f"{p}_{b}"])
            params[f"{p}_{b}"].copy_(first)


def build(variant, seed, n_x=adding.N_X, n_h=N_H):
    """The untrained network of a VARIANTS name, seeded: a train.Network with one output."""
    spec = VARIANTS[variant]
    kind = lstm_without(spec["fixed"]) if spec.get("fixed") else spec["kind"]
    net = train.Network(kind, n_x, n_h, 1, seed=seed, forget_bias=spec.get("forget_bias", 0.0))
    if spec.get("swap_fi"):
        swap_blocks(net.params)
    return net


def curve(losses, every=CURVE_EVERY):
    """The mean of losses over consecutive windows of every steps (a shorter, smoother loss curve)."""
    return [statistics.fmean(losses[k : k + every]) for k in range(0, len(losses), every)]


def fit(net, lag, seed, steps=STEPS, progress=False):
    """Train net on the adding problem at lag, on batches drawn from seed DATA_SEED + seed; measure it on the
    held-out batch. Returns {mse, solved, curve, seconds}."""
    history = train.train(
        net, adding.batches(lag, BATCH), steps, lr=LR, seed=DATA_SEED + seed, clip=CLIP, progress=progress
    )
    with train.one_thread():
        scores = adding.evaluate(net, adding.test_batch(lag))
    return {**scores, "curve": curve(history.losses), "seconds": round(history.seconds, 2)}


def run(variant, lag, seed, steps=STEPS):
    """One row of the grid: build, train and measure variant at lag with seed."""
    return {"variant": variant, "lag": lag, "seed": seed, **fit(build(variant, seed), lag, seed, steps)}


def run_grid(rows=GRID, jobs=1, echo=print):
    """Every row of rows, in jobs processes; returns the cache's content (config and rows)."""

    def describe(r):
        return (f"{r['variant']:>12} T={r['lag']:<3} seed {r['seed']}: mse {r['mse']:.4f}, solved {r['solved']:.2f}  "
                f"({r['seconds']:.1f} s)")

    return runs.grid(run, rows, jobs, config(), describe, echo)


def rerun_variants(results, variants, jobs=1, echo=print):
    """The cache results with every GRID row of variants run again and put in its place: every other row is
    kept as it was, the config becomes config(), and "reruns" notes what was rerun and how long it took."""
    fresh = run_grid([row for row in GRID if row[0] in variants], jobs, echo)
    new = {(r["variant"], r["lag"], r["seed"]): r for r in fresh["rows"]}
    rows = [new.pop((r["variant"], r["lag"], r["seed"]), r) for r in results["rows"]] + list(new.values())
    note = {"variants": list(variants), "rows": len(fresh["rows"]), "seconds": fresh["seconds"], "jobs": jobs}
    return {**results, "config": config(), "rows": rows, "reruns": [*results.get("reruns", []), note]}


def config():
    """The settings a cache was made with: a cache made with others is stale."""
    return {
        "n_h": N_H, "batch": BATCH, "steps": STEPS, "lr": LR, "clip": CLIP, "lags": list(LAGS),
        "prediction_lag": PREDICTION_LAG, "seeds": list(SEEDS), "swap_seeds": list(SWAP_SEEDS),
        "data_seed": DATA_SEED, "variants": list(VARIANTS), "curve_every": CURVE_EVERY, "torch": torch.__version__,
        "builds": {name: {k: v for k, v in spec.items() if k != "label"} for name, spec in VARIANTS.items()},
    }


def load_results(path=RESULTS_PATH):
    """The cached grid: {"config", "seconds", "jobs", "rows": [{variant, lag, seed, mse, solved, curve, seconds}]}."""
    return runs.load(path)


def rows_of(results, variant=None, lag=None, seeds=SEEDS):
    """The cached rows of a variant and/or lag with a seed in seeds (None: all), in lag and seed order."""
    rows = [
        r
        for r in results["rows"]
        if variant in (None, r["variant"]) and lag in (None, r["lag"]) and (seeds is None or r["seed"] in seeds)
    ]
    return sorted(rows, key=lambda r: (r["lag"], r["seed"]))


def escape_step(curve, every=CURVE_EVERY, below=0.02):
    """The training step at which a cached loss curve first falls below below (None if it never does): when
    the run leaves the plateau at the baseline MSE, where it has learned nothing yet."""
    return next(((k + 1) * every for k, loss in enumerate(curve) if loss < below), None)


def swap_study(results):
    """{variant: [(seed, escape step or None, share solved)]} for the LSTM with and without its f and i gates
    exchanged at start, at the longest lag, over SWAP_SEEDS."""
    return {
        variant: [(r["seed"], escape_step(r["curve"]), r["solved"])
                  for r in rows_of(results, variant, max(LAGS), SWAP_SEEDS)]
        for variant in ("lstm", "lstm_swap_fi")
    }


def summary(results):
    """{variant: {lag: {mse, solved, runs_learned, runs}}} over SEEDS: the mean MSE and share of sequences
    solved, and how many of the runs learned the task (MSE < LEARNED_MSE)."""
    out = {}
    for variant in VARIANTS:
        for lag in LAGS:
            rows = rows_of(results, variant, lag)
            out.setdefault(variant, {})[lag] = {
                "mse": statistics.fmean(r["mse"] for r in rows),
                "solved": statistics.fmean(r["solved"] for r in rows),
                "runs_learned": sum(r["mse"] < LEARNED_MSE for r in rows),
                "runs": len(rows),
            }
    return out


def learns(results, variant, lag=PREDICTION_LAG):
    """Whether most of the SEEDS runs of variant learn the adding problem at lag (MSE < LEARNED_MSE)."""
    cell = summary(results)[variant][lag]
    return 2 * cell["runs_learned"] > cell["runs"]


def table(results):
    """The results as a markdown table: per variant and lag, the mean MSE, the mean share of sequences solved
    (|error| < 0.04) and how many runs learned the task."""
    stats = summary(results)
    head = "| model | " + " | ".join(f"T = {lag}" for lag in LAGS) + " |"
    lines = [head, "| --- |" + " --- |" * len(LAGS)]
    for variant, spec in VARIANTS.items():
        cells = [
            f"{s['mse']:.4f} · {s['solved']:.0%} · {s['runs_learned']}/{s['runs']}"
            for s in (stats[variant][lag] for lag in LAGS)
        ]
        lines.append(f"| {spec['label']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- opening a trained LSTM: what its gates do, and what the loss is without each of them ---

ABLATIONS = {
    "as trained": None,
    "f = 1": {"f": 1.0},
    "f = 0": {"f": 0.0},
    "i = 1": {"i": 1.0},
    "i = 0": {"i": 0.0},
    "o = 1": {"o": 1.0},
    "o = 0": {"o": 0.0},
}


def ablation(net, batch):
    """{ablation: MSE of the trained LSTM net on batch with that gate held fixed} for every ABLATIONS entry."""
    with train.one_thread():
        return {name: adding.evaluate(net, batch, fixed=fixed)["mse"] for name, fixed in ABLATIONS.items()}


@torch.no_grad()
def gate_profile(net, batch):
    """{gate: {"marked": mean, "other": mean}}: each gate of the LSTM net averaged over units and sequences,
    at the two marked steps and at the other steps of the sequences (padding left out)."""
    with train.one_thread():
        _, gates = net.run(batch.x)
    marked = batch.x[..., 1] == 1
    return {
        g: {"marked": float(a.mean(2)[marked].mean()), "other": float(a.mean(2)[batch.read & ~marked].mean())}
        for g, a in gates.items()
    }


def main(argv=None):
    def variants_option(parser):
        parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), help="rerun only these variants' rows "
                            "of the cache at --out and merge them into it (default: the whole grid)")

    def regenerate(args):
        return rerun_variants(load_results(args.out), args.variants, args.jobs) if args.variants else run_grid(
            jobs=args.jobs)

    runs.command("Regenerate lesson 07's cached grid of runs (minutes).", regenerate, table, RESULTS_PATH, argv,
                 variants_option)


if __name__ == "__main__":
    main()
