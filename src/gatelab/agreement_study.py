"""Lesson 06's study: can a plain RNN *learn* agreement, or only hold it? What do gates buy, at what cost?

Four models of (nearly) equal parameter counts (MODELS: LSTM with b_f = 0 and b_f = 1 at start, GRU, vanilla
RNN) learn the agreement language of gatelab.data.agreement with its harder options on (GRAMMAR: opening
phrases, so the subject is not always token 1; nested clauses; up to three prepositional phrases) in two
regimes (REGIMES): every subject-verb distance up to 12, or only distances 8 to 20. Each run records its
accuracy on held-out sentences of its own regime every EVAL_EVERY steps (the steps it needs to reach
TARGET) and ends with the accuracy on a held-out test set (TEST_GRAMMAR, TEST_DISTANCES: as many sentences
at every distance up to 36, longer than any in training), by attractors and by distance, as Linzen et al.
(2016) drew it. The grid is cached in a JSON file the lesson loads:

    python -m gatelab.agreement_study [--jobs N] [--out PATH]     # regenerates RESULTS_PATH

(measured: 40 runs, 9.8 min with --jobs 1 on a shared 2-core machine, 8.1 CPU-minutes.)

Training is seeded and runs on one thread, so a rerun on a processor that rounds as the cache's machine did gives
the numbers of the cache. One that rounds otherwise (AVX-512 against AVX2, say) gives the same first measurement,
then a curve of its own: training amplifies the last digit, and a run may end elsewhere (lesson 06 reruns one with
rerun(); tests/test_agreement_study.py checks the head of the curves).
"""

import functools
import json
import statistics
import time
from pathlib import Path

from gatelab import runs, train
from gatelab.data import agreement

N_X = len(agreement.WORDS)  # one-hot words
# name -> how to build it; hidden sizes chosen so that the parameter counts nearly match (parameters()).
MODELS = {
    "lstm_bias1": {"kind": "lstm", "n_h": 8, "forget_bias": 1.0, "label": "LSTM, b_f = 1 at start"},
    "lstm_bias0": {"kind": "lstm", "n_h": 8, "forget_bias": 0.0, "label": "LSTM, b_f = 0 at start"},
    "gru": {"kind": "gru", "n_h": 10, "label": "GRU"},
    "rnn": {"kind": "rnn", "n_h": 24, "label": "vanilla RNN (tanh)"},
}
GRAMMAR = {"p_intro": 0.5, "p_nested": 0.4, "max_pps": 3, "p_relative": 0.7, "max_adverbs": 2, "p_attractor": 0.5}
TEST_GRAMMAR = {**GRAMMAR, "p_nested": 0.5, "max_pps": 4, "max_adverbs": 3, "p_attractor": 0.7}
# The grammar has no distance 2 or 3: a phrase between subject and verb is at least three words long.
REGIMES = {"short": (1, *range(4, 13)), "long": tuple(range(8, 21))}
TEST_DISTANCES = (1, *range(4, 37))
DISTANCE_BINS = ((1, 1), (4, 8), (9, 12), (13, 16), (17, 20), (21, 24), (25, 28), (29, 32), (33, 36))
ATTRACTOR_BINS = (0, 1, 2, 3)  # the last bin is "3 or more"
POOL, VALIDATION, TEST = 10000, 500, 3000  # training sentences per regime, held-out ones to follow training, test
SEEDS = (0, 1, 2, 3, 4)
STEPS = 2000
BATCH, LR, CLIP = 64, 0.01, 1.0
EVAL_EVERY = 50  # steps between two measurements of held-out accuracy
TARGET = 0.95  # held-out accuracy (own regime) at which a run has learned the task
DATA_SEED = 1000  # a run with seed s draws its batches from DATA_SEED + s and its initial weights from s
GRID = [(model, regime, seed) for model in MODELS for regime in REGIMES for seed in SEEDS]
RESULTS_PATH = Path(__file__).resolve().parent / "data" / "agreement_results.json"


def build(model, seed):
    """A train.Network for a model of MODELS, reading one-hot words of agreement.WORDS, 2 outputs."""
    spec = MODELS[model]
    return train.Network(spec["kind"], N_X, spec["n_h"], 2, seed=seed, forget_bias=spec.get("forget_bias", 0.0))


def parameters(model):
    """How many weights a model of MODELS has: its cell's W_g and b_g and its readout."""
    return sum(p.numel() for p in build(model, 0).parameters())


@functools.cache
def data(regime):
    """(training pool, held-out validation set) of a regime, main verbs only, at the regime's distances."""
    distances = REGIMES[regime]
    pool = agreement.generate(POOL, seed=0, distances=distances, **GRAMMAR)
    validation = agreement.generate(VALIDATION, seed=1, held=True, distances=distances, **GRAMMAR)
    return pool, validation


@functools.cache
def test_set():
    """The held-out test sentences: TEST of them, evenly over TEST_DISTANCES, TEST_GRAMMAR."""
    return agreement.generate(TEST, seed=2, held=True, distances=TEST_DISTANCES, **TEST_GRAMMAR)


def fit(net, regime, seed, steps=STEPS):
    """Train net with train.train on the regime's pool; every EVAL_EVERY steps measure its held-out accuracy.
    Returns {'curve': [accuracy, ...], 'seconds': training time without the measurements}."""
    pool, validation = data(regime)
    curve, measuring = [], 0.0

    def measure(step):
        nonlocal measuring
        if step % EVAL_EVERY == 0:
            start = time.perf_counter()
            curve.append(round(train.accuracy(net, validation.batch()), 4))
            measuring += time.perf_counter() - start

    history = train.train(net, agreement.batches(pool, BATCH), steps, lr=LR, seed=DATA_SEED + seed, clip=CLIP,
                          progress=False, after_step=measure)
    return {"curve": curve, "seconds": history.seconds - measuring}


def bin_accuracy(right, values, bins):
    """[[accuracy, count]] of the bools right (N,) for each bin (lo, hi) of the ints values (N,)."""
    rows = []
    for lo, hi in bins:
        inside = (values >= lo) & (values <= hi)
        rows.append([round(right[inside].float().mean().item(), 4), int(inside.sum())])
    return rows


def evaluate(net):
    """Accuracy on the test set: overall, by ATTRACTOR_BINS, by DISTANCE_BINS, and by where the subject is
    (token 1, or after an opening phrase)."""
    test = test_set()
    with train.one_thread():
        right = train.correct(net, test.batch())
    last = ATTRACTOR_BINS[-1]
    return {
        "overall": round(right.float().mean().item(), 4),
        "by_attractors": bin_accuracy(right, test.attractors, [(a, a) for a in ATTRACTOR_BINS[:-1]] + [(last, 99)]),
        "by_distance": bin_accuracy(right, test.distance, DISTANCE_BINS),
        "by_subject": bin_accuracy(right, test.subject, [(1, 1), (2, 99)]),
    }


def shortcut_accuracy(sentences):
    """{'first noun', 'last noun'}: how often the verb's number is that of the sentence's first noun, or of the
    noun just before the verb: the shortcuts a network can take instead of finding the subject."""
    hits = {"first noun": 0, "last noun": 0}
    for tokens, v, number in zip(sentences.tokens, sentences.verb.tolist(), sentences.number.tolist(), strict=True):
        nouns = [agreement.number_of(w) for w in tokens[:v] if agreement.is_noun(w)]
        hits["first noun"] += nouns[0] == number
        hits["last noun"] += nouns[-1] == number
    return {name: count / len(sentences) for name, count in hits.items()}


def steps_to(curve, target=TARGET):
    """The first step at which the held-out accuracy curve (one point every EVAL_EVERY steps) reaches target,
    or None."""
    return next(((k + 1) * EVAL_EVERY for k, accuracy in enumerate(curve) if accuracy >= target), None)


def run(model, regime, seed, steps=STEPS):
    """Train one model in one regime from one seed and measure it: one row of the cache."""
    net = build(model, seed)
    fitted = fit(net, regime, seed, steps)
    return {
        "model": model, "regime": regime, "seed": seed, "params": parameters(model),
        "seconds": round(fitted["seconds"], 2), "s_per_step": round(fitted["seconds"] / steps, 5),
        "curve": fitted["curve"], "steps_to_target": steps_to(fitted["curve"]), **evaluate(net),
    }  # fmt: skip


def rerun(results, model, regime, seed):
    """One cached run trained again here, beside the cache's: {"cached": its row, "again": this machine's row,
    "parted_at": the step of the first held-out measurement that differs, None for the same curve}."""
    cached = row_of(results, model, regime, seed)
    again = run(model, regime, seed)
    differ = [k for k, (a, b) in enumerate(zip(again["curve"], cached["curve"], strict=True)) if a != b]
    return {"cached": cached, "again": again, "parted_at": (differ[0] + 1) * EVAL_EVERY if differ else None}


def run_grid(rows=GRID, jobs=1, echo=print):
    """Every run of rows, jobs processes in parallel; returns {'config', 'seconds', 'jobs', 'rows'}."""

    def describe(r):
        return (f"{r['model']:>10s} {r['regime']:>5s} seed {r['seed']}: test {r['overall']:.1%}, target at step "
                f"{r['steps_to_target']}, {r['seconds']:.0f} s")

    return runs.grid(run, rows, jobs, config(), describe, echo)


def config():
    """Everything the cached numbers depend on; a cache whose config differs from this one is stale."""
    return {
        "models": MODELS, "grammar": GRAMMAR, "test_grammar": TEST_GRAMMAR,
        "regimes": {name: list(d) for name, d in REGIMES.items()}, "test_distances": list(TEST_DISTANCES),
        "distance_bins": [list(b) for b in DISTANCE_BINS], "attractor_bins": list(ATTRACTOR_BINS),
        "pool": POOL, "validation": VALIDATION, "test": TEST, "seeds": list(SEEDS), "steps": STEPS,
        "batch": BATCH, "lr": LR, "clip": CLIP, "eval_every": EVAL_EVERY, "target": TARGET, "data_seed": DATA_SEED,
        "words": list(agreement.WORDS),
    }  # fmt: skip


def load(path=RESULTS_PATH):
    """The cached grid, {'config', 'rows', 'seconds'}; ValueError if it was made with another config()."""
    results = runs.load(path)
    if results["config"] != json.loads(json.dumps(config())):
        raise ValueError(f"{path} is stale: rerun python -m gatelab.agreement_study")
    return results


def rows_of(results, model, regime):
    """The cached rows of one model in one regime, one per seed."""
    return [r for r in results["rows"] if r["model"] == model and r["regime"] == regime]


def row_of(results, model, regime, seed):
    """The cached row of one run: model in regime from seed."""
    (row,) = [r for r in rows_of(results, model, regime) if r["seed"] == seed]
    return row


def mean_bins(rows, key):
    """[accuracy] per bin of key ('by_attractors', 'by_distance', …), averaged over rows (seeds)."""
    return [statistics.mean(r[key][k][0] for r in rows) for k in range(len(rows[0][key]))]


def bin_labels(key):
    """The names of the bins of key: '0', '1', '2', '3+' or '1', '4-8', … or 'token 1', 'later'."""
    if key == "by_attractors":
        return [str(a) for a in ATTRACTOR_BINS[:-1]] + [f"{ATTRACTOR_BINS[-1]}+"]
    if key == "by_subject":
        return ["token 1", "later"]
    return [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in DISTANCE_BINS]


def cost_table(results):
    """Per model and regime: parameters, milliseconds per training step (the fastest seed's: on a shared machine
    the others waited for the CPU), steps to TARGET per seed, final test accuracy per seed (a text table)."""
    lines = [f"{'model':24s} {'regime':6s} {'params':>6s} {'ms/step':>7s}  steps to {TARGET:.0%} (per seed)"
             f"{'':6s}test accuracy (per seed)"]  # fmt: skip
    for regime in REGIMES:
        for model, spec in MODELS.items():
            rows = rows_of(results, model, regime)
            steps = ", ".join("never" if r["steps_to_target"] is None else str(r["steps_to_target"]) for r in rows)
            accuracy = ", ".join(f"{r['overall']:.1%}" for r in rows)
            ms = 1000 * min(r["s_per_step"] for r in rows)
            lines.append(f"{spec['label']:24s} {regime:6s} {rows[0]['params']:6d} {ms:7.1f}  {steps:28s}{accuracy}")
    return "\n".join(lines)


def cost_summary(results, regime):
    """{model label: {params, ms_per_step, reached, runs, median_steps, seconds_to_target}} in one regime: the
    fastest seed's milliseconds per step, how many runs reached TARGET, the median of their steps to it, and
    what that median costs at that speed (None where no run reached it)."""
    summary = {}
    for model, spec in MODELS.items():
        rows = rows_of(results, model, regime)
        steps = [r["steps_to_target"] for r in rows if r["steps_to_target"] is not None]
        ms = 1000 * min(r["s_per_step"] for r in rows)
        median = statistics.median(steps) if steps else None
        summary[spec["label"]] = {
            "params": rows[0]["params"], "ms_per_step": ms, "reached": len(steps), "runs": len(rows),
            "median_steps": median, "seconds_to_target": None if median is None else median * ms / 1000,
        }  # fmt: skip
    return summary


def bins_table(results, key):
    """Per model and regime, the test accuracy in each bin of key, averaged over the seeds (a text table)."""
    labels = bin_labels(key)
    lines = [f"{'model':24s} {'regime':6s} " + " ".join(f"{label:>6s}" for label in labels)]
    counts = [n for _, n in results["rows"][0][key]]
    lines.append(f"{'(sentences)':31s} " + " ".join(f"{n:6d}" for n in counts))
    for regime in REGIMES:
        for model, spec in MODELS.items():
            accuracies = mean_bins(rows_of(results, model, regime), key)
            lines.append(f"{spec['label']:24s} {regime:6s} " + " ".join(f"{a:6.1%}" for a in accuracies))
    return "\n".join(lines)


def curves(results, regime, key="by_distance"):
    """{model label: [accuracy per bin of key, mean over seeds]} in one regime: the points of Linzen's curves."""
    return {spec["label"]: mean_bins(rows_of(results, model, regime), key) for model, spec in MODELS.items()}


def learning_curves(results, regime):
    """(steps, {model label: [held-out accuracy at each, mean over seeds]}) in one regime."""
    some = rows_of(results, next(iter(MODELS)), regime)[0]
    steps = [(k + 1) * EVAL_EVERY for k in range(len(some["curve"]))]
    means = {}
    for model, spec in MODELS.items():
        rows = rows_of(results, model, regime)
        means[spec["label"]] = [statistics.mean(r["curve"][k] for r in rows) for k in range(len(steps))]
    return steps, means


def tables(results):
    """The study's tables, as the command prints them: costs, and accuracy by attractors and by distance."""
    return "\n\n".join((cost_table(results), bins_table(results, "by_attractors"), bins_table(results, "by_distance")))


def linzen_panels(results):
    """gatelab.plots.accuracy_panels' panels of Linzen's curves: a row per regime, accuracy by distance (the bins
    made only of training distances shaded) and by attractors."""
    rows = []
    for regime, seen in REGIMES.items():
        trained = [k for k, (lo, hi) in enumerate(DISTANCE_BINS) if all(d in seen for d in range(lo, hi + 1))]
        title = f"trained on regime '{regime}'"
        by = {key: {"title": title, "x": bin_labels(key), "lines": curves(results, regime, key)}
              for key in ("by_distance", "by_attractors")}  # fmt: skip
        by["by_distance"] |= {"xlabel": "subject-verb distance (tokens)", "shade": (trained[0], trained[-1])}
        by["by_attractors"] |= {"xlabel": "attractors between subject and verb"}
        rows.append([by["by_distance"], by["by_attractors"]])
    return rows


def learning_panels(results):
    """gatelab.plots.accuracy_panels' panels of learning: one per regime, held-out accuracy against the step."""
    panels = []
    for regime in REGIMES:
        steps, means = learning_curves(results, regime)
        panels.append({"title": f"learning, regime '{regime}' (mean of {len(SEEDS)} seeds)", "x": steps,
                       "xlabel": "training step", "lines": means, "target": TARGET})
    return [panels]


def main(argv=None):
    runs.command("Regenerate lesson 06's cached agreement study (minutes).", lambda args: run_grid(jobs=args.jobs),
                 tables, RESULTS_PATH, argv)


if __name__ == "__main__":
    main()
