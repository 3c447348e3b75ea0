"""The course's sentences and the hand-made token features the one-unit widgets read.

Each token is described by a few interpretable features (FEATURES), so a learner can say what every
weight of a one-unit gate does ("the forget gate's weight on *noun*"). The lexicon is defined once
here; SENTENCES holds the agreement examples of COURSE.md §1 ("The cat … was" vs "The cats … were") and
sentences with an attractor, a noun of the other number between the subject and its verb ("The cat near the
dogs was hungry"), that the puzzles' training can switch on (gatelab.dynamics.PUZZLE_ATTRACTORS).
"""

import torch

# noun, verb and comma are 0/1 flags; number is +1 for a singular noun or verb, -1 for a plural
# one and 0 otherwise; relative marks a relative pronoun ("which"), the start of a clause.
FEATURES = ("noun", "verb", "number", "comma", "relative")

LEXICON = {
    "The": {},
    "the": {},
    "cat": {"noun": 1, "number": 1},
    "cats": {"noun": 1, "number": -1},
    "dog": {"noun": 1, "number": 1},
    "dogs": {"noun": 1, "number": -1},
    ",": {"comma": 1},
    "which": {"relative": 1},
    "near": {},  # a preposition: no feature of its own
    "already": {},
    "ate": {"verb": 1},  # past tense: no agreement, number 0
    "chased": {"verb": 1},
    "was": {"verb": 1, "number": 1},
    "were": {"verb": 1, "number": -1},
    "full": {},
    "hungry": {},
}

SENTENCES = {
    "cat": ("The", "cat", ",", "which", "already", "ate", ",", "was", "full"),
    "cats": ("The", "cats", ",", "which", "already", "ate", ",", "were", "full"),
    # an attractor: a noun of the other number inside the clause, between the subject and its verb
    "cat-dogs": ("The", "cat", ",", "which", "the", "dogs", "chased", ",", "was", "hungry"),
    "cats-dog": ("The", "cats", ",", "which", "the", "dog", "chased", ",", "were", "hungry"),
    # the same inside a prepositional phrase, right before the verb: nothing but the memory tells the two nouns apart
    "cat-near-dogs": ("The", "cat", "near", "the", "dogs", "was", "hungry"),
    "cats-near-dog": ("The", "cats", "near", "the", "dog", "were", "hungry"),
}


def token_features(tokens):
    """The feature rows of a token sequence: a float64 tensor (T, n_x), n_x = len(FEATURES).

    Column k is FEATURES[k]. Raises KeyError, naming the known tokens, for a token not in LEXICON.
    """
    rows = []
    for token in tokens:
        if token not in LEXICON:
            known = ", ".join(repr(t) for t in LEXICON)
            raise KeyError(f"unknown token {token!r}; the lexicon knows {known}")
        rows.append([float(LEXICON[token].get(name, 0)) for name in FEATURES])
    return torch.tensor(rows, dtype=torch.float64).reshape(len(rows), len(FEATURES))


def sentence_text(tokens):
    """The tokens as a sentence to read: 'The cat, which already ate, was full'."""
    return " ".join(tokens).replace(" ,", ",")


def subject_and_verb(tokens):
    """(s, v, number): the index of the subject (the first noun), of the verb that agrees with it
    (the first verb after it that carries a number) and the subject's number (+1 or -1)."""
    x = token_features(tokens)
    noun, verb, number = (x[:, FEATURES.index(name)] for name in ("noun", "verb", "number"))
    s = int(noun.nonzero()[0])
    v = next(t for t in range(s + 1, len(tokens)) if verb[t] and number[t])
    return s, v, int(number[s])
