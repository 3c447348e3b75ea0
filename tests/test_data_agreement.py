"""Does the agreement language say what it claims: agreeing verbs, counted attractors, a disjoint hard test set?"""

import hashlib
import random

import pytest
import torch

from gatelab import data
from gatelab.data import agreement


def test_the_course_sentences_are_sentences_of_the_language():
    for name, tokens in data.SENTENCES.items():
        assert all(w in agreement.INDEX for w in tokens), name
        assert agreement.subject_and_verb(tokens) == data.subject_and_verb(tokens)[:2]
    assert agreement.attractors_between(data.SENTENCES["cat"], 1, 7) == 0
    assert agreement.attractors_between(data.SENTENCES["cat-dogs"], 1, 8) == 1


def test_features_agree_with_the_lexicon_of_lessons_02_and_04():
    for word in data.LEXICON:
        torch.testing.assert_close(agreement.features(word).double(), data.token_features([word])[0])
    assert agreement.features("chases").tolist() == [0.0, 1.0, 1.0, 0.0, 0.0]
    assert agreement.features("foxes").tolist() == [1.0, 0.0, -1.0, 0.0, 0.0]


def test_every_verb_with_a_number_agrees_with_its_subject():
    rng = random.Random(0)
    for k in range(500):
        tokens = agreement.random_sentence(rng, (1, -1)[k % 2], p_present=1.0)
        pairs = agreement.agreements(tokens)
        assert pairs[-1] == agreement.subject_and_verb(tokens)
        for s, v in pairs:
            assert agreement.is_noun(tokens[s]) and agreement.is_verb(tokens[v])
            assert agreement.number_of(tokens[s]) == agreement.number_of(tokens[v]), tokens


def test_an_object_clause_verb_agrees_with_the_clause_noun():
    tokens = ("The", "cat", ",", "which", "the", "dogs", "chase", ",", "was", "full")
    assert agreement.agreements(tokens) == [(5, 6), (1, 8)]
    rows = agreement.sentences([tokens], every_verb=True)
    assert rows.number.tolist() == [-1, 1] and rows.distance.tolist() == [1, 7] and rows.attractors.tolist() == [0, 1]


def test_generation_is_seeded_and_balanced():
    a, b = agreement.generate(300, seed=4), agreement.generate(300, seed=4)
    assert a.tokens == b.tokens and torch.equal(a.x, b.x)
    assert agreement.generate(300, seed=5).tokens != a.tokens
    assert int((a.number == 1).sum()) == 150


def test_training_and_held_out_sentences_are_disjoint_by_construction():
    pool = agreement.generate(3000, seed=0, every_verb=True)
    test = agreement.held_out_set(500)
    assert not any(agreement.held_out(t) for t in pool.tokens)
    assert all(agreement.held_out(t) for t in test.tokens)
    assert not set(pool.tokens) & set(test.tokens)


def test_the_held_out_set_is_rich_in_hard_cases():
    test = agreement.held_out_set(1000)
    assert (test.attractors > 0).float().mean() > 0.6
    assert int(test.distance.max()) >= 14 and int(test.attractors.max()) >= 3
    assert (test.distance == 1).any(), "short sentences too, for accuracy against distance"
    assert torch.equal(test.subject, torch.ones(len(test), dtype=torch.long))


def test_a_batch_reads_up_to_the_word_before_the_verb():
    test = agreement.held_out_set(50)
    batch = test.batch()
    assert batch.x.shape == (50, int(test.verb.max()))
    assert torch.equal(batch.at, test.verb - 1)
    verbs = [t[v] for t, v in zip(test.tokens, test.verb.tolist(), strict=True)]
    assert batch.y.tolist() == [int(w == "were") for w in verbs]
    words_before = [agreement.VOCAB[int(i)] for i in batch.x[0, : int(batch.at[0]) + 1]]
    assert tuple(words_before) == test.tokens[0][: int(test.verb[0])]


def test_batches_are_seeded_and_cut_to_the_longest_prefix():
    pool = agreement.generate(400, seed=1, every_verb=True)
    next_batch = agreement.batches(pool, batch_size=16)
    a = next_batch(torch.Generator().manual_seed(3))
    b = next_batch(torch.Generator().manual_seed(3))
    assert torch.equal(a.x, b.x) and torch.equal(a.at, b.at) and torch.equal(a.y, b.y)
    assert a.x.shape == (16, int(a.at.max()) + 1)


def test_encode_pads_and_select_keeps_rows():
    assert agreement.encode(("The", "cat"), 4).tolist() == [agreement.INDEX[w] for w in ("The", "cat")] + [0, 0]
    test = agreement.held_out_set(40)
    hard = test.select(test.attractors > 0)
    assert len(hard) == int((test.attractors > 0).sum()) and bool((hard.attractors > 0).all())


# --- the opt-in options: an opening phrase, nested clauses, sentences drawn by distance ---

RICH = {"p_intro": 0.5, "p_nested": 0.5, "max_pps": 3, "p_relative": 0.8, "p_present": 1.0}


def digest(rows):
    """A short hash of a Sentences' words, ids, positions and attractor counts."""
    fields = (rows.tokens, rows.x.tolist(), rows.subject.tolist(), rows.verb.tolist(), rows.attractors.tolist())
    return hashlib.sha256(repr(fields).encode()).hexdigest()[:16]


def test_the_default_grammar_makes_exactly_the_sentences_it_made_before_the_options():
    # hashes taken before the options were added: lesson 06 and its cached numbers see the same language
    assert digest(agreement.generate(500, seed=0)) == "2bdf13d2bd8c58e5"
    assert digest(agreement.generate(500, seed=0, every_verb=True)) == "05e0a1c272a909e6"
    assert digest(agreement.held_out_set(500)) == "74d311ff560a602f"
    rng = random.Random(0)
    drawn = [agreement.random_sentence(rng, (1, -1)[k % 2]) for k in range(500)]
    assert hashlib.sha256(repr(drawn).encode()).hexdigest()[:16] == "03e353bcc0a6ce66"


def test_new_words_extend_the_vocabulary_without_moving_it():
    assert agreement.WORDS[: len(agreement.VOCAB)] == agreement.VOCAB
    assert all(agreement.INDEX[w] == k for k, w in enumerate(agreement.VOCAB))
    assert len(set(agreement.WORDS)) == len(agreement.WORDS)
    tokens = ("Near", "the", "dogs", ",", "the", "cat", "that", "slept", "was", "full")
    assert [agreement.WORDS[int(i)] for i in agreement.encode(tokens)] == list(tokens)


def test_the_subject_is_found_after_an_opening_phrase_whose_noun_is_an_attractor():
    rng = random.Random(1)
    for k in range(500):
        number = (1, -1)[k % 2]
        tokens = agreement.random_sentence(rng, number, p_intro=1.0, p_attractor=1.0, p_nested=0.5)
        s, v = agreement.subject_and_verb(tokens)
        assert s > 1 and tokens[s - 1] == "the" and tokens[s - 2] == ",", tokens
        assert agreement.number_of(tokens[s]) == number == agreement.number_of(tokens[v]), tokens
    tokens = ("Near", "the", "dogs", ",", "the", "cat", "was", "full")
    assert agreement.subject_and_verb(tokens) == (5, 6)
    assert agreement.subject_and_verb(("Yesterday", ",", "the", "cats", "were", "happy")) == (3, 4)


def test_nested_clauses_give_every_verb_its_own_subject():
    tokens = ("The", "cat", ",", "which", "the", "dogs", "that", "the", "bird", "sees", "chase", ",", "was", "full")
    assert agreement.agreements(tokens) == [(8, 9), (5, 10), (1, 12)]
    tokens = ("The", "cats", "near", "the", "dog", "that", "often", "chases", "the", "bird", "were", "full")
    assert agreement.agreements(tokens) == [(4, 7), (1, 10)]
    rng = random.Random(2)
    for k in range(500):
        tokens = agreement.random_sentence(rng, (1, -1)[k % 2], **RICH)
        for s, v in agreement.agreements(tokens):
            assert agreement.is_noun(tokens[s]) and agreement.is_verb(tokens[v]) and s < v
            assert agreement.number_of(tokens[s]) == agreement.number_of(tokens[v]), tokens


def test_the_options_make_subjects_move_and_attractors_pile_up():
    rows = agreement.generate(1000, seed=3, **RICH, p_attractor=0.8)
    assert 0.3 < (rows.subject > 1).float().mean() < 0.7
    assert int(rows.attractors.max()) >= 4 and int(rows.distance.max()) >= 25
    assert any("that" in t for t in rows.tokens)


def test_sentences_drawn_by_distance_fill_every_distance_and_number_evenly():
    distances = (1, *range(4, 13))
    rows = agreement.generate(400, seed=0, distances=distances, **RICH)
    assert sorted(set(rows.distance.tolist())) == list(distances)
    for d in distances:
        assert int((rows.distance == d).sum()) == 40 and int(((rows.distance == d) & (rows.number == 1)).sum()) == 20
    long = agreement.generate(130, seed=0, held=True, distances=range(21, 34), **RICH)
    assert int(long.distance.min()) == 21 and int(long.distance.max()) == 33
    assert all(agreement.held_out(t) for t in long.tokens)
    with pytest.raises(ValueError, match=r"\[2\]"):
        agreement.by_distance(random.Random(0), 20, False, (1, 2), {}, tries_per_sentence=50)


def test_training_and_held_out_sentences_stay_disjoint_with_the_options():
    pool = agreement.generate(2000, seed=0, distances=range(8, 21), **RICH)
    test = agreement.generate(1000, seed=1, held=True, distances=(1, *range(4, 30)), **RICH)
    assert not any(agreement.held_out(t) for t in pool.tokens) and not set(pool.tokens) & set(test.tokens)
