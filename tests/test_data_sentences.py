"""Tests for gatelab.data: the sentences, the lexicon and the token features."""

import pytest
import torch

from gatelab.data import sentences as data


def column(name):
    return data.FEATURES.index(name)


def test_puzzle_sentences_are_the_agreement_pair():
    """Are "cat" and "cats" the two sentences of the course's puzzle, word for word?"""
    assert data.SENTENCES["cat"] == ("The", "cat", ",", "which", "already", "ate", ",", "was", "full")
    assert data.SENTENCES["cats"] == ("The", "cats", ",", "which", "already", "ate", ",", "were", "full")


def test_token_features_shape_and_dtype():
    """Does every sentence give one float64 row of len(FEATURES) features per token?"""
    for tokens in data.SENTENCES.values():
        x = data.token_features(tokens)
        assert x.shape == (len(tokens), len(data.FEATURES))
        assert x.dtype == torch.float64
    assert data.token_features([]).shape == (0, len(data.FEATURES))


def test_token_features_values():
    """Do nouns and verbs carry their grammatical number, and flags mark what they name?"""
    x = data.token_features(["cat", "cats", "was", "were", "ate", ",", "which", "The"])
    number = x[:, column("number")].tolist()
    assert number == [1, -1, 1, -1, 0, 0, 0, 0]
    assert x[:, column("noun")].tolist() == [1, 1, 0, 0, 0, 0, 0, 0]
    assert x[:, column("verb")].tolist() == [0, 0, 1, 1, 1, 0, 0, 0]
    assert x[:, column("comma")].tolist() == [0, 0, 0, 0, 0, 1, 0, 0]
    assert x[:, column("relative")].tolist() == [0, 0, 0, 0, 0, 0, 1, 0]
    assert x[-1].abs().sum() == 0  # "The" carries none of the features


def test_unknown_token_names_the_lexicon():
    """Does an unknown token raise a KeyError that names it and lists the known tokens?"""
    with pytest.raises(KeyError) as info:
        data.token_features(["The", "dgo"])
    message = str(info.value)
    assert "'dgo'" in message and "'cat'" in message and "'were'" in message


def test_lexicon_uses_only_known_features():
    """Is every feature named in the lexicon one of FEATURES, with number in {-1, 0, 1}?"""
    for token, features in data.LEXICON.items():
        assert set(features) <= set(data.FEATURES), token
        assert features.get("number", 0) in (-1, 0, 1), token


def test_every_sentence_uses_the_lexicon():
    """Can every stored sentence be featurised?"""
    for tokens in data.SENTENCES.values():
        data.token_features(tokens)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("cat", (1, 7, 1)), ("cats", (1, 7, -1)), ("cat-dogs", (1, 8, 1)), ("cats-dog", (1, 8, -1))],
)
def test_subject_and_verb(name, expected):
    """Is the subject the first noun, and its verb the first agreeing verb after it (not "ate")?"""
    assert data.subject_and_verb(data.SENTENCES[name]) == expected


def test_sentence_text():
    """Are the tokens joined as a sentence reads, with no space before a comma?"""
    assert data.sentence_text(data.SENTENCES["cat"]) == "The cat, which already ate, was full"
