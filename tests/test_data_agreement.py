"""Does the agreement language say what it claims: agreeing verbs, counted attractors, a disjoint hard test set?"""

import random

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
