"""What lessons 02 and 04's sentence explorers (gru_sentence.py, lstm_puzzle.py) send their views: the fixed data
a one-unit cell reads, "The cat, which already ate, was full" and its plural (sentence.js draws them)."""

from gatelab import data, dynamics


def sentence_constants(**thresholds):
    """The _constants of a sentence explorer: the features' names, and per sentence of dynamics.PUZZLE_PAIR its
    name, tokens, feature rows x (T × n_x), subject and verb positions, the subject's number (+1 or −1) and its
    text; plus thresholds (the verdict's, by name)."""
    sentences = []
    for name in dynamics.PUZZLE_PAIR:
        tokens = data.SENTENCES[name]
        subject, verb, number = data.subject_and_verb(tokens)
        sentences.append({
            "name": name, "tokens": list(tokens), "x": data.token_features(tokens).tolist(), "subject": subject,
            "verb": verb, "number": number, "text": data.sentence_text(tokens),
        })  # fmt: skip
    return {"features": list(data.FEATURES), "sentences": sentences, **thresholds}


def training_constants():
    """What "Let training solve it" runs in a sentence explorer's page (descent.js), as dynamics.descent_training
    does: κ, the learning rate, the clip, the steps per press, and per sentence the token whose h the loss reads
    (dynamics.puzzle_readout)."""
    readout = {name: dynamics.puzzle_readout(data.SENTENCES[name])[0] for name in dynamics.PUZZLE_PAIR}
    return {
        "kappa": dynamics.PUZZLE_KAPPA, "lr": dynamics.PUZZLE_LR, "clip": dynamics.PUZZLE_CLIP,
        "steps": dynamics.PUZZLE_STEPS, "readout": readout,
    }  # fmt: skip
