"""A generated subject-verb agreement language (lesson 06): read up to the verb, predict its number.

The task of Linzen et al. (2016): "The cat near the dogs , which the birds chased , was hungry" — at
the verb the network must say *was* (singular) or *were* (plural), and the only label it ever sees is
that number. Between the subject and its verb the generator puts prepositional phrases ("near the
dogs") and relative clauses (", which already ate ,", ", which the dogs chase ,"); their nouns are
**attractors** when their number differs from the subject's. A present-tense verb in a relative clause
agrees with its own subject (the clause's noun in an object clause, else the sentence's subject), so a
training set can ask for every verb with a number (every_verb) while the test asks for the main verb.
The vocabulary extends the one of gatelab.data.sentences, so SENTENCES["cat"] ("The cat, which already
ate, was full") is a sentence of this language.

Opt-in options (random_sentence; the defaults make exactly the sentences of lesson 06) make the task harder:
a sentence-initial phrase moves the subject off token 1 ("Near the dogs , the cat … was", "Yesterday , the
cats … were"; p_intro), nested clauses without commas inside a clause or a prepositional phrase ("… the dogs
that the bird sees …"; p_nested), more prepositional phrases (min_pps, max_pps), and generate(distances=…)
draws sentences by subject-verb distance, as many at each distance. The words they need (EXTRA_WORDS) extend
VOCAB in WORDS, so lesson 06's networks, built over VOCAB, keep their size and initial weights.

Training and held-out sentences are disjoint by construction: a sentence is held out when a hash of
its text says so (held_out), and the training pool never contains one. Shapes: N sentences, T tokens.
"""

import random
import zlib
from dataclasses import dataclass

import torch

from gatelab import train

SINGULAR, PLURAL = 1, -1  # a word's number, as in gatelab.data.sentences
NOUNS = {"cat": "cats", "dog": "dogs", "bird": "birds", "fox": "foxes"}  # singular -> plural
PREPOSITIONS = ("near", "behind", "with")
ADVERBS = ("already", "often", "never")
INTRANSITIVE = ("ate", "slept")  # past tense: no number
TRANSITIVE = ("chased", "saw", "liked")
# present tense, in relative clauses: the verb agrees with its own subject (singular -> plural form)
PRESENT_INTRANSITIVE = {"eats": "eat", "sleeps": "sleep"}
PRESENT_TRANSITIVE = {"chases": "chase", "sees": "see", "likes": "like"}
VERBS = {SINGULAR: "was", PLURAL: "were"}  # the main verb
ADJECTIVES = ("full", "hungry", "happy")
PAD = "<pad>"

VOCAB = (
    PAD, "The", "the", *(w for pair in NOUNS.items() for w in pair), ",", "which", *PREPOSITIONS, *ADVERBS,
    *INTRANSITIVE, *TRANSITIVE, *(w for pair in PRESENT_INTRANSITIVE.items() for w in pair),
    *(w for pair in PRESENT_TRANSITIVE.items() for w in pair), *VERBS.values(), *ADJECTIVES,
)  # fmt: skip
INTRO_PREPOSITIONS = ("Near", "Behind", "With")  # sentence-initial: "Near the dogs , the cat …"
INTRO_ADVERBS = ("Yesterday", "Often", "Sometimes")  # sentence-initial: "Yesterday , the cat …"
EXTRA_WORDS = (*INTRO_PREPOSITIONS, *INTRO_ADVERBS, "that")  # "that": a nested clause, "the dogs that …"
WORDS = (*VOCAB, *EXTRA_WORDS)  # every word of the language with its options; VOCAB is WORDS[: len(VOCAB)]
INDEX = {word: k for k, word in enumerate(WORDS)}
CLASSES = ("singular", "plural")  # the readout's classes: y = 0 for was, 1 for were

SINGULARS = {*NOUNS, *PRESENT_INTRANSITIVE, *PRESENT_TRANSITIVE, VERBS[SINGULAR]}
PLURALS = {*NOUNS.values(), *PRESENT_INTRANSITIVE.values(), *PRESENT_TRANSITIVE.values(), VERBS[PLURAL]}


def number_of(word):
    """+1 for a singular noun or verb, -1 for a plural one, 0 for any other word."""
    return SINGULAR if word in SINGULARS else PLURAL if word in PLURALS else 0


def is_noun(word):
    """Is word one of the nouns, singular or plural?"""
    return word in NOUNS or word in NOUNS.values()


def is_verb(word):
    """Is word a verb: past tense (no number), present tense or the main verb was/were?"""
    return word in INTRANSITIVE or word in TRANSITIVE or (number_of(word) != 0 and not is_noun(word))


def noun(rng, number):
    """A random noun of the given number (+1 or -1)."""
    singular = rng.choice(tuple(NOUNS))
    return singular if number == SINGULAR else NOUNS[singular]


def adverbs(rng, most):
    """0 to most random adverbs."""
    return [rng.choice(ADVERBS) for _ in range(rng.randint(0, most))]


def verb(rng, past, present, number, p_present):
    """A past-tense verb (no number), or with probability p_present a present one agreeing with number."""
    if rng.random() >= p_present:
        return rng.choice(past)
    singular = rng.choice(tuple(present))
    return singular if number == SINGULAR else present[singular]


def noun_phrase(rng, number, nesting):
    """['the', noun] of the given number, followed with probability nesting.p by a clause 'that …' about it."""
    words = ["the", noun(rng, number)]
    if nesting.p and nesting.depth < nesting.most and rng.random() < nesting.p:
        words += clause(rng, number, nesting.deeper(), "that")
    return words


@dataclass(frozen=True)
class Nesting:
    """How clauses nest: each noun inside a clause or a phrase gets a 'that' clause with probability p, up to
    most levels deep; depth is the level being built. other() draws a noun's number, max_adverbs and p_present
    are random_sentence's."""

    p: float
    most: int
    other: object
    max_adverbs: int
    p_present: float
    depth: int = 0

    def deeper(self):
        """The same, one level deeper."""
        return Nesting(self.p, self.most, self.other, self.max_adverbs, self.p_present, self.depth + 1)


def clause(rng, head, nesting, opener):
    """[opener, …] of one of three kinds, about a head noun of number head; nesting.other() gives the number of
    the noun it may hold. A present-tense verb agrees with its own subject: the head, or in an object clause
    the clause's noun."""
    kind = rng.choice(("intransitive", "subject", "object"))
    max_adverbs, p_present = nesting.max_adverbs, nesting.p_present
    if kind == "intransitive":  # which already ate
        intransitive = verb(rng, INTRANSITIVE, PRESENT_INTRANSITIVE, head, p_present)
        middle = [*adverbs(rng, max_adverbs), intransitive, *adverbs(rng, 1)]
    elif kind == "subject":  # which often chases the dogs
        transitive = verb(rng, TRANSITIVE, PRESENT_TRANSITIVE, head, p_present)
        middle = [*adverbs(rng, max_adverbs), transitive, *noun_phrase(rng, nesting.other(), nesting)]
    else:  # which the dogs never see
        number = nesting.other()
        transitive = verb(rng, TRANSITIVE, PRESENT_TRANSITIVE, number, p_present)
        middle = [*noun_phrase(rng, number, nesting), *adverbs(rng, max_adverbs), transitive]
    return [opener, *middle]


def relative_clause(rng, head, other, max_adverbs, p_present, p_nested=0.0, max_nesting=2):
    """', which … ,' about a head noun of number head (see clause); with p_nested, its nouns may carry clauses
    'that …' of their own, up to max_nesting levels."""
    return [",", *clause(rng, head, Nesting(p_nested, max_nesting, other, max_adverbs, p_present), "which"), ","]


def intro(rng, other):
    """A sentence-initial phrase: 'Near the dogs ,' (its noun's number drawn by other()) or 'Yesterday ,'."""
    if rng.random() < 0.5:
        return [rng.choice(INTRO_PREPOSITIONS), "the", noun(rng, other()), ","]
    return [rng.choice(INTRO_ADVERBS), ","]


def random_sentence(
    rng, number, max_pps=2, p_relative=0.6, max_adverbs=2, p_attractor=0.5, p_present=0.5,
    p_intro=0.0, p_nested=0.0, max_nesting=2, min_pps=0,
):  # fmt: skip
    """A sentence (tuple of words) whose subject has the given number: [intro ,] The N [PP]* [relative clause] V ADJ.

    rng is a random.Random. min_pps to max_pps prepositional phrases, then a relative clause with probability
    p_relative (up to max_adverbs adverbs in it; its verb is in the present tense, and agrees, with
    probability p_present); each noun between subject and verb is an attractor (the other number) with
    probability p_attractor. Options, off by default: with probability p_intro the sentence opens with a
    phrase ("Near the dogs ,", whose noun may be an attractor too, or "Yesterday ,") and the subject comes
    later; with probability p_nested each noun of a phrase or clause carries a clause "that …" (max_nesting
    levels deep).
    """

    def other():
        return -number if rng.random() < p_attractor else number

    nesting = Nesting(p_nested, max_nesting, other, max_adverbs, p_present)
    opening = [*intro(rng, other), "the"] if p_intro and rng.random() < p_intro else ["The"]
    words = [*opening, noun(rng, number)]
    for _ in range(rng.randint(min_pps, max_pps)):
        words += [rng.choice(PREPOSITIONS), *noun_phrase(rng, other(), nesting)]
    if rng.random() < p_relative:
        words += relative_clause(rng, number, other, max_adverbs, p_present, p_nested, max_nesting)
    return (*words, VERBS[number], rng.choice(ADJECTIVES))


def held_out(tokens):
    """Is this sentence reserved for testing? A fixed quarter of all sentences, chosen by a hash of the text."""
    return zlib.crc32(" ".join(tokens).encode()) % 4 == 0


def subject_of(tokens):
    """The index of the sentence's subject: the noun after 'The', or after the comma closing an opening phrase."""
    return 1 if tokens[0] == "The" else tokens.index(",") + 2


def subject_and_verb(tokens):
    """(s, v): the index of the subject (subject_of) and of its verb (was/were)."""
    return subject_of(tokens), next(t for t, word in enumerate(tokens) if word in VERBS.values())


def agreements(tokens):
    """[(s, v)] for every verb v of the sentence that has a number, with the index s of its subject; the main
    verb comes last. Each clause ('which …' or 'that …') is open from its first word to its verb: its subject
    is its own noun in an object clause (', which the dogs chase ,'), else its head, the noun just before
    'that' or, for 'which', the sentence's subject. Clauses nest, so the innermost open one owns a verb."""
    subject, open_clauses, pairs = subject_of(tokens), [], []
    for t, word in enumerate(tokens):
        if word in ("which", "that"):
            head = subject if word == "which" else t - 1
            open_clauses.append(t + 2 if tokens[t + 1] == "the" else head)
        elif is_verb(word) and word not in VERBS.values():
            s = open_clauses.pop()
            if number_of(word):
                pairs.append((s, t))
    return [*pairs, subject_and_verb(tokens)]


def attractors_between(tokens, s, v):
    """The number of nouns between s and v whose number differs from the noun at s."""
    return sum(is_noun(w) and number_of(w) == -number_of(tokens[s]) for w in tokens[s + 1 : v])


def encode(tokens, T=None):
    """Token ids (T,) of a sentence, padded with PAD up to T (default: its length)."""
    ids = [INDEX[w] for w in tokens]
    return torch.tensor(ids + [INDEX[PAD]] * ((T or len(ids)) - len(ids)), dtype=torch.long)


@dataclass
class Sentences:
    """N sentences of the agreement language and what to know about each (all tensors have N rows).

    x (N, T) token ids padded with PAD; subject, verb (N,) positions (a row's subject is its verb's own:
    with every_verb, a relative clause's verb may have another); number (N,) the subject's (+1/-1);
    attractors (N,) how many nouns of the other number stand between them; tokens, the words.
    """

    tokens: list
    x: torch.Tensor
    subject: torch.Tensor
    verb: torch.Tensor
    number: torch.Tensor
    attractors: torch.Tensor

    def __len__(self):
        return len(self.tokens)

    @property
    def distance(self):
        """(N,): how many tokens the verb comes after its subject (1 for 'The cat was …')."""
        return self.verb - self.subject

    @property
    def y(self):
        """(N,) the class to predict: 0 singular (was), 1 plural (were)."""
        return (self.number == PLURAL).long()

    def batch(self):
        """A gatelab.train.Batch: the words before the verb, read at the last of them, labelled by its number."""
        return train.Batch(self.x[:, : int(self.verb.max())], self.verb - 1, self.y)

    def select(self, mask):
        """The sentences where mask (N,) of bools is True."""
        keep = mask.nonzero()[:, 0].tolist()
        tensors = (self.x, self.subject, self.verb, self.number, self.attractors)
        return Sentences([self.tokens[k] for k in keep], *(t[keep] for t in tensors))


def sentences(token_lists, every_verb=False):
    """Sentences from a list of word tuples (each with a subject, subject_of, and a verb was/were): one row
    per sentence for its main verb or, with every_verb, one row per verb with a number (agreements)."""
    rows = [(tuple(t), s, v) for t in token_lists for s, v in (agreements(t) if every_verb else [subject_and_verb(t)])]
    T = max(len(t) for t, _, _ in rows)
    return Sentences(
        [t for t, _, _ in rows],
        torch.stack([encode(t, T) for t, _, _ in rows]),
        torch.tensor([s for _, s, _ in rows]),
        torch.tensor([v for _, _, v in rows]),
        torch.tensor([number_of(t[s]) for t, s, _ in rows]),
        torch.tensor([attractors_between(t, s, v) for t, s, v in rows]),
    )


def generate(n, seed=0, held=False, every_verb=False, distances=None, **grammar):
    """n random sentences, half singular and half plural: the training pool, or (held=True) held-out ones.

    Training sentences are never held_out, test sentences always are. grammar goes to random_sentence. With
    distances (a range of subject-verb distances) only sentences at those distances are kept, as many at each
    distance and number (n // (2 * len(distances)), the remainder to the shortest); the grammar must reach them.
    """
    rng = random.Random(seed)
    if distances is not None:
        return sentences(by_distance(rng, n, held, distances, grammar), every_verb)
    found = []
    while len(found) < n:
        tokens = random_sentence(rng, (SINGULAR, PLURAL)[len(found) % 2], **grammar)
        if held_out(tokens) == held:
            found.append(tokens)
    return sentences(found, every_verb)


def distance_quota(n, distances):
    """{(distance, number): how many sentences to keep}: n spread evenly, the remainder to the first buckets."""
    keys = [(d, number) for d in distances for number in (SINGULAR, PLURAL)]
    return {key: n // len(keys) + (k < n % len(keys)) for k, key in enumerate(keys)}


def by_distance(rng, n, held, distances, grammar, tries_per_sentence=2000):
    """n word tuples (held out or not) filling distance_quota(n, distances); ValueError if the grammar
    rarely reaches some distance (more than tries_per_sentence draws per sentence kept)."""
    quota, found = distance_quota(n, distances), []
    for k in range(tries_per_sentence * n):
        number = (SINGULAR, PLURAL)[k % 2]
        tokens = random_sentence(rng, number, **grammar)
        s, v = subject_and_verb(tokens)
        if quota.get((v - s, number), 0) and held_out(tokens) == held:
            quota[(v - s, number)] -= 1
            found.append(tokens)
            if len(found) == n:
                return found
    missing = sorted({d for (d, _), left in quota.items() if left})
    raise ValueError(f"the grammar rarely reaches subject-verb distances {missing}: give it more phrases")


# The held-out test set holds the hard cases: more modifiers and mostly attractors.
TEST_GRAMMAR = {"max_pps": 2, "p_relative": 0.8, "max_adverbs": 3, "p_attractor": 0.8}


def held_out_set(n=2000, seed=1):
    """Held-out sentences, disjoint from any training pool, rich in attractors and long distances."""
    return generate(n, seed, held=True, **TEST_GRAMMAR)


def batches(data, batch_size=64):
    """next_batch(generator) -> Batch of batch_size random sentences of data, cut after the longest prefix.

    For gatelab.train.train: each batch is only as long as its longest sentence up to the verb.
    """

    def next_batch(generator):
        rows = torch.randint(len(data), (batch_size,), generator=generator)
        verb = data.verb[rows]
        return train.Batch(data.x[rows, : int(verb.max())], verb - 1, data.y[rows])

    return next_batch


def features(word):
    """The hand-made features of gatelab.data.FEATURES for any word of VOCAB: (noun, verb, number, comma,
    relative), as the one-unit cells of lessons 02 and 04 read them."""
    flags = (is_noun(word), is_verb(word), number_of(word), word == ",", word == "which")
    return torch.tensor([float(f) for f in flags])
