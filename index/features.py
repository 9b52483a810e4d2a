"""The evidence a candidate sentence is scored on, named in one place.

``SentenceFeatures`` holds one array per feature, one entry per candidate sentence; the learned
scorer (``index.scorer``) reads them by name, in ``SENTENCE_FEATURES`` order. Retrieval
(``index.retrieval``) fills the dense and BM25 ones; the text ones come from
``index.text_features``:

* answer type: the question asks *when* / *how many* / *who* / *where* and the sentence holds a
  date / number / name / place that the question does not already contain;
* proximity and phrase: the question's terms close together in the sentence, its word pairs
  in the same order;
* novelty: the share of the sentence's words the question does not have (an answer says
  something the question does not; a restatement of the question, or its title, is no answer);
* structure: a heading or title line, a sentence that is itself a question, the first sentence
  of a paragraph, the sentence's length.

``QuestionFeatures`` describe a ranked list as a whole (how strong and how clear the best
candidate is, how much of the question the documents know, how large the corpus is): the
abstention and confidence models read them.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass, fields

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class SentenceFeatures:
    """Per candidate sentence (arrays of equal length)."""

    dense_sentence: FloatArray  # cosine of question and sentence
    dense_context: FloatArray  # cosine of question and the sentence's chunk
    dense_neighbours: FloatArray  # best cosine of the sentences before and after
    bm25_sentence: FloatArray  # BM25 of the sentence, scaled to the best candidate's
    bm25_context: FloatArray  # BM25 of its chunk, scaled likewise
    overlap: FloatArray  # share of the question's IDF mass in the sentence, its title...
    overlap_window: FloatArray  # ... and in its neighbours and its section heading
    overlap_said: FloatArray  # ``overlap`` without the title and run-in heading
    window_said: FloatArray  # ``overlap_window`` without them
    answer_type: FloatArray  # holds what the question asks for (date, number, name, place)
    proximity: FloatArray  # matched question terms close together
    phrase: FloatArray  # share of the question's word pairs found in order
    novelty: FloatArray  # share of the sentence's words not in the question
    heading: FloatArray  # a title or heading line (short, no closing punctuation)
    is_question: FloatArray  # the sentence ends with a question mark
    paragraph_start: FloatArray  # first sentence of its paragraph
    length: FloatArray  # log length, 1.0 at 600 characters

    def matrix(self) -> FloatArray:
        # (``dataclasses.astuple`` would deep-copy every array first)
        columns = [np.asarray(getattr(self, name), dtype=np.float32) for name in SENTENCE_FEATURES]
        return np.column_stack(columns)

    def __len__(self) -> int:
        return len(self.dense_sentence)


SENTENCE_FEATURES = tuple(f.name for f in fields(SentenceFeatures))


@dataclass(frozen=True)
class QuestionFeatures:
    """Of one question's ranked candidates, for abstention and confidence."""

    top_score: float  # the ranker's logit for the best sentence
    margin: float  # best minus second best logit
    top_dense: float  # best sentence: max(sentence, chunk) cosine
    top_overlap: float  # best sentence: IDF overlap, with neighbours
    best_overlap: float  # best IDF overlap of any candidate
    best_dense: float  # best sentence cosine of any candidate
    coverage: float  # share of the question's IDF mass the documents know at all
    question_terms: float  # log1p of the question's content words
    corpus_sentences: float  # log10 of the index's sentences
    corpus_documents: float  # log10 of the index's documents
    topic_closeness: float  # mean cosine of the 10 best candidates
    answer_type: float  # the best sentence holds the asked-for type (0 if none asked)
    follow_up: float  # 1 when the question was read in the light of earlier ones

    def vector(self) -> FloatArray:
        return np.array(astuple(self), dtype=np.float32)


QUESTION_FEATURES = tuple(f.name for f in fields(QuestionFeatures))


# -- answer types --------------------------------------------------------------------------


def question_features(
    scores: FloatArray,
    features: SentenceFeatures,
    *,
    coverage: float,
    question_terms: int,
    corpus_sentences: int,
    corpus_documents: int,
    follow_up: bool,
) -> QuestionFeatures:
    """The features of a ranked list of at least one candidate (``scores`` and ``features``
    best first)."""
    dense = features.dense_sentence
    best10 = np.sort(dense)[-10:]
    return QuestionFeatures(
        top_score=float(scores[0]),
        margin=float(scores[0] - scores[1]) if len(scores) > 1 else 5.0,
        top_dense=float(max(dense[0], features.dense_context[0])),
        # (the text's own words: a title's are in every sentence's context)
        top_overlap=float(max(features.overlap_said[0], features.window_said[0])),
        best_overlap=float(features.overlap_said.max()),
        best_dense=float(dense.max()),
        coverage=coverage,
        question_terms=math.log1p(question_terms),
        corpus_sentences=math.log10(max(corpus_sentences, 1)),
        corpus_documents=math.log10(max(corpus_documents, 1)),
        topic_closeness=float(best10.mean()),
        answer_type=float(features.answer_type[0]),
        follow_up=float(follow_up),
    )
