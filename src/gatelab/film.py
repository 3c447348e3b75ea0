"""Training films: checkpoints of a network's gates, recorded while it trains, to replay (lesson 06; lesson 07's
identical-start film, at the end, replays the checkpoints gatelab.specialize caches).

At each checkpoint step a Film records, for a few fixed sentences, every unit's forget and input gate at every
token (gatelab.probe.trace), and, on a held-out set, the accuracy and each unit's correlation of its cell state
before the verb with the subject's number (what lesson 06's number_unit ranks). Pass film.after_step to
gatelab.train.train: it only reads the network (no gradient, no random numbers), so the training is the same
with the film as without. gatelab.widgets.training_film replays it in the browser.

K checkpoints, T tokens of a sentence, H hidden units, N held-out sentences.
"""

import torch

from gatelab import probe, train
from gatelab.checks.analysis import correlations  # the measure lesson 06's number_unit is checked with
from gatelab.data import agreement, sentence_text

GATES = ("f", "i")


def checkpoints(steps):
    """The steps to record in a run of steps: 0 (before training), every 2 up to 50 (where the small
    networks of lesson 06 learn most), every 10 up to 100, then every 50, and the last step."""
    early = [*range(0, 50, 2), *range(50, 100, 10), *range(100, steps + 1, 50)]
    return sorted({s for s in early if s <= steps} | {steps})


class Film:
    """Checkpoints of net, recorded at the given steps (step 0 at once, before any training).

    steps (K,), accuracy (K,) on data, correlations (K, H) of each unit's c before the verb with the number on
    data, sentences {name: tokens}, gates {name: {"f": (K, T, H), "i": (K, T, H)}}; each list grows as it records.
    """

    def __init__(self, net, data, sentences, steps):
        self.net, self.data, self.sentences = net, data, {name: tuple(t) for name, t in sentences.items()}
        self.wanted = sorted(set(steps))
        self.steps, self.accuracy, self._correlations = [], [], []
        self._gates = {name: {g: [] for g in GATES} for name in self.sentences}
        if 0 in self.wanted:
            self.record(0)

    def after_step(self, step):
        """gatelab.train.train's after_step: record if step is a checkpoint."""
        if step in self.wanted:
            self.record(step)

    @torch.no_grad()
    @train.one_thread()
    def record(self, step):
        """Record the network as it is now, as the checkpoint of step."""
        batch = self.data.batch()
        states, _ = self.net.run(batch.x)
        rows = torch.arange(len(batch))
        right = self.net.readout(states["h"][rows, batch.at]).argmax(dim=1) == batch.y
        self.steps.append(step)
        self.accuracy.append(right.float().mean().item())
        self._correlations.append(correlations(states["c"][rows, self.data.verb - 1], self.data.number))
        for name, tokens in self.sentences.items():
            trace = probe.trace(self.net, tokens)
            for g in GATES:
                self._gates[name][g].append(trace[g].clone())

    @property
    def correlations(self):
        """(K, H) float64: each unit's correlation with the number at each checkpoint."""
        return torch.stack(self._correlations)

    @property
    def gates(self):
        """{sentence name: {"f": (K, T, H), "i": (K, T, H)}}."""
        return {name: {g: torch.stack(v) for g, v in gates.items()} for name, gates in self._gates.items()}

    def at(self, step):
        """The index of checkpoint step (a ValueError for a step not recorded)."""
        return self.steps.index(step)


# --- what the film's explorer shows (gatelab.widgets.training_film; film.js computes the same in the page) ---


def constants(film, unit):
    """The explorer's fixed data, JSON-able: the checkpoints' steps, held-out accuracies and unit's correlations
    (K,), and per sentence its tokens, text, subject and the clause's first word ('which'), and its gates
    {"f", "i"}, each (K, T, H) in hundredths (ints: the page carries every checkpoint inline, and a notebook
    cell's output is cut at 100 000 characters). unit is the number unit to highlight."""
    sentences = []
    for name, gates in film.gates.items():
        tokens = film.sentences[name]
        subject, verb = agreement.subject_and_verb(tokens)
        sentences.append({
            "name": name, "tokens": list(tokens), "text": sentence_text(tokens), "subject": subject, "verb": verb,
            "clause": tokens.index("which") if "which" in tokens else subject + 1,
            "gates": {g: (100 * gates[g]).round().int().tolist() for g in GATES},
        })  # fmt: skip
    return {
        "steps": list(film.steps),
        "accuracy": [round(a, 4) for a in film.accuracy],
        "correlation": [round(float(r), 3) for r in film.correlations[:, unit]],
        "unit": int(unit),
        "units": film.correlations.shape[1],
        "sentences": sentences,
    }


def numbers(k, frame):
    """Every number the film's explorer shows at checkpoint frame, from its constants k: the step, the held-out
    accuracy, the unit's correlation, each sentence's f and i (T, H), and the unit's i at the subject and f at
    the clause's first word, per sentence."""
    gates = {g: [[[v / 100 for v in row] for row in s["gates"][g][frame]] for s in k["sentences"]] for g in GATES}
    u = k["unit"]
    return {
        "step": k["steps"][frame],
        "accuracy": k["accuracy"][frame],
        "correlation": k["correlation"][frame],
        "f": gates["f"],
        "i": gates["i"],
        "subject_i": [gates["i"][n][s["subject"]][u] for n, s in enumerate(k["sentences"])],
        "clause_f": [gates["f"][n][s["clause"]][u] for n, s in enumerate(k["sentences"])],
    }


# --- lesson 07's identical-start film: the cached run of gatelab.specialize whose checkpoints carry frames ---

IDENTICAL_GATES = ("f", "i", "o")


def from_hundredths(text, units):
    """A gate map written by gatelab.specialize.hundredths, read back: (T, units) nested lists of floats."""
    values = [int(text[n : n + 2]) / 100 for n in range(0, len(text), 2)]
    return [values[t : t + units] for t in range(0, len(values), units)]


def identical_start_constants(run, sequence):
    """The identical-start film's fixed data, JSON-able, from a cached run of gatelab.specialize (the one whose
    checkpoints carry film frames) and the sequence they were recorded on (specialize.film_sequence()): per
    checkpoint (K) its step, the probe's share solved and MSE, the blocks' distances, the answer on the sequence and
    each gate's map (hundredths, as recorded); the sequence's values, its marked steps and its target; and the unit
    to outline (writer_unit at the last checkpoint)."""
    checkpoints = run["checkpoints"]
    x = sequence.x[0]
    k = {
        "seed": run["seed"],
        "steps": [c["step"] for c in checkpoints],
        "solved": [c["solved"] for c in checkpoints],
        "mse": [c["mse"] for c in checkpoints],
        "distance": {pair: [round(c["distance"][pair], 4) for c in checkpoints] for pair in checkpoints[0]["distance"]},
        "answer": [c["film"]["answer"] for c in checkpoints],
        "maps": {g: [c["film"]["gates"][g] for c in checkpoints] for g in IDENTICAL_GATES},
        "units": len(checkpoints[0]["film"]["gates"]["f"]) // (2 * len(x)),
        "values": [round(v, 2) for v in x[:, 0].tolist()],
        "marks": (x[:, 1] == 1).nonzero().flatten().tolist(),
        "target": round(float(sequence.y[0]), 4),
    }
    return {**k, "unit": writer_unit(k, len(checkpoints) - 1)}


def unit_means(k, frame, unit):
    """({g: unit's mean at the marked steps}, {g: at the other steps}) at checkpoint frame of the film k."""
    maps = {g: from_hundredths(k["maps"][g][frame], k["units"]) for g in IDENTICAL_GATES}
    other = [t for t in range(len(k["values"])) if t not in k["marks"]]
    mean = {name: {g: sum(maps[g][t][unit] for t in steps) / len(steps) for g in IDENTICAL_GATES}
            for name, steps in (("marked", k["marks"]), ("other", other))}  # fmt: skip
    return mean["marked"], mean["other"]


def writer_unit(k, frame):
    """The unit that, at checkpoint frame, opens its input gate and closes its forget gate at the marks most,
    against the other steps: the largest (i at the marks − elsewhere) + (f elsewhere − at the marks)."""

    def contrast(unit):
        marked, other = unit_means(k, frame, unit)
        return marked["i"] - other["i"] + other["f"] - marked["f"]

    return max(range(k["units"]), key=contrast)


def identical_start_numbers(k, frame):
    """Every number the identical-start film shows at checkpoint frame, from its constants k: the step, the probe's
    share solved and MSE, the distances, the answer, each gate's map (T, H), and the outlined unit's gates averaged
    over the marked steps and over the others."""
    marked, other = unit_means(k, frame, k["unit"])
    return {
        "step": k["steps"][frame],
        "solved": k["solved"][frame],
        "mse": k["mse"][frame],
        "distance": {pair: d[frame] for pair, d in k["distance"].items()},
        "answer": k["answer"][frame],
        **{g: from_hundredths(k["maps"][g][frame], k["units"]) for g in IDENTICAL_GATES},
        "marked": marked,
        "other": other,
    }
