"""Question 3 decided: an LSTM whose gates f, i and o start identical, trained on the adding problem.

build() makes the course's LSTM (train.Network("lstm")) and copies one random block into all three gates:
W_i = W_o = W_f and b_f = b_i = b_o = BIAS (W_c keeps its own draw). At step 0 the three gates compute the
same number everywhere, so nothing but their position in the equations tells them apart. Each of SEEDS
trains STEPS batches of the adding problem at lag LAG (the settings of gatelab.experiments); every EVERY
steps a checkpoint records, on a held-out probe batch, each gate's mean at the marked steps and at the others
(experiments.gate_profile), how far apart the three blocks have moved, and the gradient each block receives;
the run of FILM_SEED also records, for one sequence, every unit's gates at every step (lesson 07's training
film, gatelab.film.identical_start_constants).
The trained network is then opened: its gates held fixed one at a time (experiments.ABLATIONS), and its
trained blocks exchanged two by two. The results are cached in a JSON file the lesson loads:

    python -m gatelab.specialize [--jobs 1]     # regenerates RESULTS_PATH

(measured: 5 runs, 47–62 s with --jobs 1 on a busy 2-core machine, 45 CPU-seconds).

Training is seeded and runs on one thread, so rerunning the first steps of a seed gives the cached
checkpoints of those steps (tests/test_specialize.py does).
"""

import itertools
import time
from pathlib import Path

import torch

from gatelab import experiments, runs, train
from gatelab.data import adding

LAG = 20  # the adding problem's minimal length T (an LSTM with b_f = 0 learns it in 1000 steps: experiments)
STEPS = 1000
SEEDS = (0, 1, 2, 3, 4)
BIAS = 0.0  # every gate's bias at start: b_f = b_i = b_o
EVERY = 50  # a checkpoint every EVERY steps, and one at step 0
PROBE = 256  # held-out sequences a checkpoint measures on
GATES = ("f", "i", "o")
FILM_SEED = 0  # the run lesson 07's film replays
FILM_SEQUENCE = 30  # the generator seed of its sequence: marks at steps 2 and 8 (values 0.75 and 0.68; y = 0.858)
PAIRS = tuple(itertools.combinations(GATES, 2))  # (f, i), (f, o), (i, o)
RESULTS_PATH = Path(__file__).resolve().parent / "data" / "specialize_results.json"


def build(seed, n_x=adding.N_X, n_h=experiments.N_H, bias=BIAS):
    """The course's LSTM, seeded, whose f, i and o blocks are one draw: W_i = W_o = W_f (H, H + D) and
    b_f = b_i = b_o = bias (H,). W_c and the readout are the seed's own draws."""
    net = train.Network("lstm", n_x, n_h, 1, seed=seed)
    with torch.no_grad():
        for g in GATES:
            net.params[f"W_{g}"].copy_(net.params["W_f"])
            net.params[f"b_{g}"].fill_(bias)
    return net


def block(params, g):
    """Gate g's weights and bias as one (H, H + D + 1) tensor: everything that computes g."""
    return torch.cat([params[f"W_{g}"], params[f"b_{g}"][:, None]], dim=1).detach()


def block_distances(params):
    """{"f-i", "f-o", "i-o": ||block_a - block_b|| / mean ||block||}: 0 while two gates are the same function."""
    blocks = {g: block(params, g) for g in GATES}
    scale = sum(float(b.norm()) for b in blocks.values()) / len(GATES)
    return {f"{a}-{b}": float((blocks[a] - blocks[b]).norm()) / scale for a, b in PAIRS}


def cosine(a, b):
    """The cosine of the angle between two tensors read as flat vectors (0 if either is 0)."""
    norms = float(a.norm() * b.norm())
    return float((a * b).sum()) / norms if norms else 0.0


def block_gradients(net, batch):
    """What one gradient step would tell each gate on batch: {"norm": {g: ||dL/d block_g||},
    "cosine": {"f-i", ...: cos(dL/d block_a, dL/d block_b)}}. The net's own .grad are left untouched."""
    names = [f"{p}_{g}" for g in GATES for p in "Wb"]
    with train.one_thread():
        grads = torch.autograd.grad(train.loss_of(net, batch), [net.params[n] for n in names])
    by_name = dict(zip(names, grads, strict=True))
    d = {g: torch.cat([by_name[f"W_{g}"], by_name[f"b_{g}"][:, None]], dim=1) for g in GATES}
    return {
        "norm": {g: float(d[g].norm()) for g in GATES},
        "cosine": {f"{a}-{b}": cosine(d[a], d[b]) for a, b in PAIRS},
    }


def film_sequence(lag=LAG):
    """The one sequence lesson 07's film shows: a Batch of 1, lag steps long (no padding)."""
    return adding.adding_batch(1, lag, torch.Generator().manual_seed(FILM_SEQUENCE), vary_length=False)


@torch.no_grad()
def film_frame(net, sequence):
    """What the film shows of net now: {"answer": its answer on sequence, "gates": {g: hundredths(gate (T, H))}}."""
    with train.one_thread():
        _, gates = net.run(sequence.x)
        answer = float(net(sequence.x, sequence.at)[0, 0])
    return {"answer": round(answer, 4), "gates": {g: hundredths(gates[g][0]) for g in GATES}}


def hundredths(values):
    """values in [0, 1] (T, H) as one string of two digits per value, in hundredths, step by step, unit by unit (1.00
    is written 99): the film's page carries every checkpoint inline, and a cell's output is cut at 100 000
    characters. gatelab.film.from_hundredths reads it back."""
    return "".join(f"{v:02d}" for v in (100 * values).round().clamp(0, 99).int().flatten().tolist())


def checkpoint(net, probe, step, sequence=None):
    """The statistics of net at a training step, on the probe batch: its MSE and share solved, the gates' means at
    the marks and elsewhere (experiments.gate_profile), the blocks' distances and their gradients; and, given a
    sequence, the film's frame of it (film_frame)."""
    c = {
        "step": step,
        **adding.evaluate(net, probe),
        "gates": experiments.gate_profile(net, probe),
        "distance": block_distances(net.params),
        "gradient": block_gradients(net, probe),
    }
    return {**c, "film": film_frame(net, sequence)} if sequence is not None else c


def fit(net, seed, steps=STEPS, lag=LAG, every=EVERY):
    """Train net as experiments.fit does (train.train: Adam, batches from seed DATA_SEED + seed, clipped), with a
    checkpoint at step 0 and every every steps (with the film's frames for FILM_SEED). Returns (checkpoints,
    training losses)."""
    probe = adding.test_batch(lag, PROBE)
    sequence = film_sequence(lag) if seed == FILM_SEED else None
    checkpoints = [checkpoint(net, probe, 0, sequence)]

    def record(step):
        if step % every == 0:
            checkpoints.append(checkpoint(net, probe, step, sequence))

    history = train.train(net, adding.batches(lag, experiments.BATCH), steps, lr=experiments.LR,
                          seed=experiments.DATA_SEED + seed, clip=experiments.CLIP, progress=False, after_step=record)
    return checkpoints, history.losses


def exchanged(net, a, b):
    """A copy of the LSTM net with gate a's and gate b's trained blocks (W and b) exchanged."""
    params = {k: v.detach().clone() for k, v in net.params.items()}
    for p in "Wb":
        params[f"{p}_{a}"], params[f"{p}_{b}"] = params[f"{p}_{b}"], params[f"{p}_{a}"]
    copy = train.Network("lstm", net.n_x, net.n_h, 1)
    copy.load_state_dict({**net.state_dict(), **{f"params.{k}": v for k, v in params.items()}})
    return copy


def opened(net, lag=LAG):
    """The trained net measured on the held-out batch: its MSE and share solved, with each gate held fixed
    (experiments.ablation) and with two gates' trained blocks exchanged ({"f<->i": MSE, ...})."""
    test = adding.test_batch(lag)
    with train.one_thread():
        swaps = {f"{a}<->{b}": adding.evaluate(exchanged(net, a, b), test)["mse"] for a, b in PAIRS}
        scores = adding.evaluate(net, test)
    return {**scores, "ablation": experiments.ablation(net, test), "exchanged": swaps}


def run(seed, steps=STEPS):
    """One seed of the study: build, train with checkpoints, open the trained net."""
    start = time.perf_counter()
    net = build(seed)
    checkpoints, losses = fit(net, seed, steps)
    return {
        "seed": seed,
        "checkpoints": checkpoints,
        "curve": experiments.curve(losses),
        "final": opened(net),
        "seconds": round(time.perf_counter() - start, 2),
    }


def run_study(seeds=SEEDS, jobs=1, echo=print):
    """Every seed, in jobs processes; returns the cache's content (config and runs)."""

    def done(k, r):
        echo(f"seed {r['seed']}: mse {r['final']['mse']:.5f}  ({r['seconds']:.1f} s)")

    results, seconds = runs.run_all(run, [(seed,) for seed in seeds], jobs, done)
    return {"config": config(), "seconds": seconds, "jobs": jobs, "runs": results}


def config():
    """The settings a cache was made with: a cache made with others is stale."""
    return {
        "lag": LAG, "steps": STEPS, "seeds": list(SEEDS), "bias": BIAS, "every": EVERY, "probe": PROBE,
        "n_h": experiments.N_H, "batch": experiments.BATCH, "lr": experiments.LR, "clip": experiments.CLIP,
        "data_seed": experiments.DATA_SEED, "curve_every": experiments.CURVE_EVERY, "film_seed": FILM_SEED,
        "film_sequence": FILM_SEQUENCE, "torch": torch.__version__,
    }


def load_results(path=RESULTS_PATH):
    """The cached study: {"config", "seconds", "jobs", "runs": [{seed, checkpoints, curve, final, seconds}]}."""
    return runs.load(path)


def at_step(run, step):
    """The checkpoint of a cached run at a training step."""
    return next(c for c in run["checkpoints"] if c["step"] == step)


def series(results, read):
    """(steps, {seed: [read(checkpoint) at each step]}) over the cached runs: e.g. read = lambda c: c["mse"]."""
    steps = [c["step"] for c in results["runs"][0]["checkpoints"]]
    return steps, {r["seed"]: [read(c) for c in r["checkpoints"]] for r in results["runs"]}


def forget_like(profile):
    """The gate of a gate_profile that stays most open away from the marks: the one that keeps c_prev there."""
    return max(GATES, key=lambda g: profile[g]["other"])


def table(results, steps=(0, 100, STEPS)):
    """The study as a markdown table: per seed and step, each gate's mean at the marks / elsewhere, and the
    distances between the blocks."""
    lines = [
        "| seed | step | probe MSE | f: marks / other | i: marks / other | o: marks / other | f-i | f-o | i-o |",
        "| --- |" + " --- |" * 8,
    ]
    for r in results["runs"]:
        for step in steps:
            c = at_step(r, step)
            gates = [f"{c['gates'][g]['marked']:.2f} / {c['gates'][g]['other']:.2f}" for g in GATES]
            distances = [f"{c['distance'][f'{a}-{b}']:.2f}" for a, b in PAIRS]
            lines.append(f"| {r['seed']} | {step} | {c['mse']:.4f} | " + " | ".join(gates + distances) + " |")
    return "\n".join(lines)


def main(argv=None):
    runs.command("Regenerate lesson 07's identical-start study (a minute).", lambda args: run_study(jobs=args.jobs),
                 table, RESULTS_PATH, argv)


if __name__ == "__main__":
    main()
