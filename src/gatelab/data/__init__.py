"""The data the lessons read, one module per task.

sentences: the hand-made token features of the one-unit widgets (lessons 02, 04) and the example
sentences of COURSE.md §1 (re-exported here: gl.data.token_features, gl.data.SENTENCES).
agreement: a generated subject-verb agreement language (lesson 06).
adding: Hochreiter & Schmidhuber's adding problem and other long-lag tasks (lesson 07).
streams: a continual stream that needs forgetting, the adding problem with resets (lesson 07).
"""

from gatelab.data import adding, agreement, sentences, streams
from gatelab.data.sentences import FEATURES, LEXICON, SENTENCES, sentence_text, subject_and_verb, token_features

__all__ = [
    "FEATURES",
    "LEXICON",
    "SENTENCES",
    "adding",
    "agreement",
    "sentence_text",
    "sentences",
    "streams",
    "subject_and_verb",
    "token_features",
]
