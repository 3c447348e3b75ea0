"""What lessons 02 and 04's sentence explorers (gru_sentence.py, lstm_puzzle.py) send their views: the fixed data
a one-unit cell reads, "The cat, which already ate, was full" and its plural (sentence.js draws them), and the
sentences with an attractor ("The cat near the dogs was hungry") their training's switch adds."""

from traitlets import Bool

from gatelab import data, dynamics


def sentence_constants(**thresholds):
    """The _constants of a sentence explorer: the features' names; per sentence of dynamics.PUZZLE_PAIR (sentences,
    the figure's) and of dynamics.PUZZLE_ATTRACTORS (attractors, trained on when the switch is on) its name, tokens,
    feature rows x (T × n_x), subject and verb positions, the subject's number (+1 or −1) and its text; the switch's
    words (attractor_words); plus thresholds (the verdict's, by name)."""
    return {
        "features": list(data.FEATURES), "sentences": [_sentence(name) for name in dynamics.PUZZLE_PAIR],
        "attractors": [_sentence(name) for name in dynamics.PUZZLE_ATTRACTORS], "switch": attractor_words(),
        **thresholds,
    }  # fmt: skip


def attractor_words():
    """The training panel's switch as descent.js draws it: the synced trait it sets (name), its label (text: the
    sentences it adds) and what the status says when it goes on and off."""
    added = " and ".join(f"“{data.sentence_text(data.SENTENCES[name])}”" for name in dynamics.PUZZLE_ATTRACTORS)
    return {
        "name": "attractors", "text": f"Also train on {added}",
        "on": "Training on four sentences now; the figure keeps showing the first two, the status counts all four.",
        "off": "Training on the first two sentences only.",
    }  # fmt: skip


def _sentence(name):
    """One sentence of data.SENTENCES as its page reads it (sentence_constants); its features, all 0 or ±1, as ints
    (the JSON every display carries stays short)."""
    tokens = data.SENTENCES[name]
    subject, verb, number = data.subject_and_verb(tokens)
    return {
        "name": name, "tokens": list(tokens), "x": data.token_features(tokens).int().tolist(), "subject": subject,
        "verb": verb, "number": number, "text": data.sentence_text(tokens),
    }  # fmt: skip


def training_constants():
    """What "Let training solve it" runs in a sentence explorer's page (descent.js), as dynamics.descent_training
    does: κ, the learning rate, the clip, the steps per press, and per sentence (the attractors' too) the token
    whose h the loss reads (dynamics.puzzle_readout)."""
    names = dynamics.puzzle_sentences(attractors=True)
    readout = {name: dynamics.puzzle_readout(data.SENTENCES[name])[0] for name in names}
    return {
        "kappa": dynamics.PUZZLE_KAPPA, "lr": dynamics.PUZZLE_LR, "clip": dynamics.PUZZLE_CLIP,
        "steps": dynamics.PUZZLE_STEPS, "readout": readout,
    }  # fmt: skip


def attractor_switch():
    """The synced trait behind the training panel's switch "Also train on sentences with an attractor": False (the
    default) trains on PUZZLE_PAIR, True adds PUZZLE_ATTRACTORS (dynamics' attractors=True)."""
    return Bool(False, help="train on the sentences with an attractor too").tag(sync=True)
