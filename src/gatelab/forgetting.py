"""Lesson 07's task that needs forgetting: gated and plain networks on a reset-adding stream, and what each costs.

MODELS names each network (a kind of train.Network, a forget or update bias, gates held fixed); every model gets
the hidden units that bring its parameter count closest to the LSTM's with N_H units, so the comparison is at
equal parameters. A run trains one network with Adam for STEPS batches of streams of T steps
(gatelab.data.streams; the plain RNNs of LONG_MODELS once more for LONG_STEPS) and measures it on fixed held-out
streams of T and of 4T steps (four times as many stale episodes to forget). Its cost: parameters, seconds per
training step, and the step at which the training loss first falls below TARGET_LOSS. The grid is cached in a
JSON file the lesson loads:

    python -m gatelab.forgetting [--jobs 1]     # regenerates RESULTS_PATH

(measured: 45 runs and the timing, 13.7 min, 10.2 CPU-min, with --jobs 1 on 2 cores another job kept busy).

Training is seeded and runs on one thread, so a row rerun gives the numbers of the cache
(tests/test_forgetting.py reruns one).
"""

import functools
import statistics
from pathlib import Path

import torch

from gatelab import runs, train
from gatelab.data import streams
from gatelab.experiments import curve, escape_step, lstm_without

N_H = 16  # the LSTM's hidden units; the other models get as many parameters as it has
T = 40  # steps of a training stream
TEST_LENGTHS = (T, 4 * T)  # the held-out streams: as long as in training, and four times as long
BATCH = 64
STEPS = 1000
LONG_STEPS = 3000  # the plain RNNs once more, with three times the budget: do they get there, at what cost?
LONG_MODELS = ("rnn", "irnn")
LR = 0.01
CLIP = 1.0
SEEDS = (0, 1, 2, 3, 4)
DATA_SEED = 2000  # a run with seed s draws its batches from seed DATA_SEED + s, and its initial weights from s
TIMING_STEPS, TIMING_ROUNDS = 50, 5  # step_timing: rounds of this many training steps per model, interleaved
CURVE_EVERY = 50  # the cached loss curve is the mean training loss over each window of this many steps
# A run has learned the task when its held-out MSE is below a tenth of always answering 0.5; the same bound on
# the training-loss curve gives the step at which it got there.
LEARNED_MSE = TARGET_LOSS = streams.BASELINE_MSE / 10
RESULTS_PATH = Path(__file__).resolve().parent / "data" / "forgetting_results.json"

# name -> how to build it: kind (a train.CELLS name), forget_bias, update_bias, fixed gates; label for tables.
MODELS = {
    "lstm": {"kind": "lstm", "forget_bias": 1.0, "label": "LSTM, b_f = 1 at start"},
    "lstm_bias0": {"kind": "lstm", "forget_bias": 0.0, "label": "LSTM, b_f = 0 at start"},
    "no_forget": {"kind": "lstm", "fixed": {"f": 1.0}, "label": "no forget gate, f = 1 (the 1997 LSTM)"},
    "gru": {"kind": "gru", "update_bias": 0.0, "label": "GRU, b_z = 0 at start"},
    "gru_keep": {"kind": "gru", "update_bias": -1.0, "label": "GRU, b_z = -1 at start (keeps h_prev)"},
    "rnn": {"kind": "rnn", "label": "vanilla RNN (tanh)"},
    "irnn": {"kind": "irnn", "label": "IRNN (relu, W_hh = I at start)"},
}
GRID = [(name, seed, STEPS) for name in MODELS for seed in SEEDS]
GRID += [(name, seed, LONG_STEPS) for name in LONG_MODELS for seed in SEEDS]


def cell_of(name):
    """The kind train.Network takes for a MODELS name: a CELLS name, or a train.Cell without the fixed gates."""
    spec = MODELS[name]
    return lstm_without(spec["fixed"]) if spec.get("fixed") else spec["kind"]


def parameter_count(net):
    """The number of trained numbers in net: its cell's W_g and b_g and its readout."""
    return sum(p.numel() for p in net.parameters())


def _network(name, n_h, seed):
    spec = MODELS[name]
    return train.Network(cell_of(name), streams.N_X, n_h, 1, seed=seed, forget_bias=spec.get("forget_bias", 0.0),
                         update_bias=spec.get("update_bias", 0.0))


@functools.cache
def units(name):
    """The hidden units of a MODELS name: those whose parameter count is closest to the LSTM's with N_H units."""
    budget = parameter_count(_network("lstm", N_H, 0))
    return min(range(1, 4 * N_H), key=lambda n_h: abs(parameter_count(_network(name, n_h, 0)) - budget))


def build(name, seed):
    """The untrained network of a MODELS name, seeded: a train.Network with units(name) units and one output."""
    return _network(name, units(name), seed)


def steps_to_target(curve, every=CURVE_EVERY, target=TARGET_LOSS):
    """The training step at which a loss curve first falls below target (None if it never does)."""
    return escape_step(curve, every, below=target)


def fit(net, seed, steps=STEPS, progress=False):
    """Train net on streams of T steps, on batches drawn from seed DATA_SEED + seed; measure it on the held-out
    streams. Returns {"test": {str(length): {mse, solved}}, curve, seconds, seconds_per_step}."""
    history = train.train(net, streams.batches(T, BATCH), steps, lr=LR, seed=DATA_SEED + seed, clip=CLIP,
                          progress=progress)
    with train.one_thread():
        test = {str(n): streams.evaluate(net, streams.test_batch(n)) for n in TEST_LENGTHS}
    return {"test": test, "curve": curve(history.losses, CURVE_EVERY), "seconds": round(history.seconds, 2),
            "seconds_per_step": history.seconds / steps}


def run(name, seed, steps=STEPS):
    """One row of the grid: build, train for steps and measure a MODELS name with seed."""
    net = build(name, seed)
    return {"model": name, "seed": seed, "steps": steps, "n_h": net.n_h, "params": parameter_count(net),
            **fit(net, seed, steps)}


def step_timing(steps=TIMING_STEPS, rounds=TIMING_ROUNDS):
    """{model: seconds per training step}, the fastest of rounds timings of steps steps of a fresh network, the
    models taking turns in each round: on a shared machine, less noisy than a whole run's mean."""
    best = dict.fromkeys(MODELS, float("inf"))
    for _ in range(rounds):
        for name in MODELS:
            history = train.train(build(name, 0), streams.batches(T, BATCH), steps, lr=LR, seed=DATA_SEED,
                                  clip=CLIP, progress=False)
            best[name] = min(best[name], history.seconds / steps)
    return best


def run_grid(rows=GRID, jobs=1, echo=print):
    """Every row of rows, in jobs processes, then step_timing(); returns the cache's content (config, rows, timing)."""

    def describe(r):
        scores = ", ".join(f"T={n}: mse {s['mse']:.4f} solved {s['solved']:.2f}" for n, s in r["test"].items())
        return f"{r['model']:>10} seed {r['seed']}, {r['steps']} steps: {scores}"

    return {**runs.grid(run, rows, jobs, config(), describe, echo), "timing": step_timing()}


def config():
    """The settings a cache was made with: a cache made with others is stale."""
    return {
        "n_h": N_H, "T": T, "test_lengths": list(TEST_LENGTHS), "batch": BATCH, "steps": STEPS,
        "long_steps": LONG_STEPS, "long_models": list(LONG_MODELS), "lr": LR, "clip": CLIP, "seeds": list(SEEDS),
        "data_seed": DATA_SEED, "curve_every": CURVE_EVERY,
        "timing_steps": TIMING_STEPS, "timing_rounds": TIMING_ROUNDS,
        "models": {name: {k: v for k, v in spec.items() if k != "label"} for name, spec in MODELS.items()},
        "stream": {"reset_p": streams.RESET_P, "mark_p": streams.MARK_P, "last_episode": list(streams.LAST_EPISODE)},
        "torch": torch.__version__,
    }


def load_results(path=RESULTS_PATH):
    """The cached grid: {"config", "seconds", "jobs", "rows": [{model, seed, steps, n_h, params, test, curve, seconds,
    seconds_per_step}], "timing": {model: seconds per step}}."""
    return runs.load(path)


def budgets():
    """The (model, steps) pairs of the grid, in MODELS order and then the longer budget's."""
    return [(name, STEPS) for name in MODELS] + [(name, LONG_STEPS) for name in LONG_MODELS]


def label(name, steps):
    """A model's label, with its training budget if that is not STEPS."""
    return MODELS[name]["label"] + ("" if steps == STEPS else f", {steps} steps")


def summary(results):
    """{(model, steps): {params, n_h, runs, seconds_per_step, steps_to_target, reached, test}} for budgets(), where
    test is {length: {mse, solved, learned}}.

    steps_to_target is the median over the `reached` runs whose loss curve fell below TARGET_LOSS (None if none
    did); seconds_per_step the median over the seeds (a run that shared its core with another job is slower);
    mse and solved are means over the seeds, learned the number of runs with held-out MSE < LEARNED_MSE.
    """
    out = {}
    for name, steps in budgets():
        rows = [r for r in results["rows"] if (r["model"], r["steps"]) == (name, steps)]
        reached = [s for s in (steps_to_target(r["curve"]) for r in rows) if s is not None]
        out[name, steps] = {
            "params": rows[0]["params"], "n_h": rows[0]["n_h"], "runs": len(rows),
            "seconds_per_step": statistics.median(r["seconds_per_step"] for r in rows),
            "steps_to_target": statistics.median(reached) if reached else None, "reached": len(reached),
            "test": {n: _scores([r["test"][str(n)] for r in rows]) for n in TEST_LENGTHS},
        }
    return out


def _scores(tests):
    return {"mse": statistics.fmean(t["mse"] for t in tests), "solved": statistics.fmean(t["solved"] for t in tests),
            "learned": sum(t["mse"] < LEARNED_MSE for t in tests)}


def table(results):
    """The results as a markdown table: per model and budget its parameters (units), ms per training step (timed
    by step_timing · the median over the runs), the median step at which training reached TARGET_LOSS (and in how
    many runs), and per held-out length the mean MSE · mean share solved · runs learned."""
    head = ["model", "params (units)", "ms / step (timed · in runs)", "steps to target (runs)"]
    head += [f"T = {n}: MSE · solved · learned" for n in TEST_LENGTHS]
    lines = ["| " + " | ".join(head) + " |", "| --- |" + " ---: |" * (len(head) - 1)]
    for (name, steps), s in summary(results).items():
        reached = "never" if s["steps_to_target"] is None else f"{s['steps_to_target']:.0f}"
        per_step = f"{1000 * results['timing'][name]:.1f} · {1000 * s['seconds_per_step']:.1f}"
        cells = [label(name, steps), f"{s['params']} ({s['n_h']})", per_step,
                 f"{reached} ({s['reached']}/{s['runs']})"]
        cells += [f"{t['mse']:.4f} · {t['solved']:.0%} · {t['learned']}/{s['runs']}" for t in s["test"].values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    runs.command("Regenerate lesson 07's cached runs on the reset-adding stream (minutes).",
                 lambda args: run_grid(jobs=args.jobs), table, RESULTS_PATH, argv)


if __name__ == "__main__":
    main()
