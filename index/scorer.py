"""The learned scorer: which sentence to quote, whether to answer at all, how sure it is.

Three logistic-regression models over the named features of ``index.features``, trained by
``python -m index.training`` (fixed seed) on the evaluation sets and shipped as
``index/scorer.json`` (plain JSON: feature names, standardisation, coefficients; no pickle):

* ``ranker``: of the candidate sentences of one question, the one holding the answer;
* ``answerable``: from the ranked list as a whole, whether the documents hold an answer at all
  (declined below ``threshold``);
* ``correct``: the probability that the first quote holds the answer: the ``confidence``.

The file also holds the same models trained with each set left out (``leave_out``): the
evaluation scores a set with the models that never saw it. ``checks`` are inputs and the
scores they gave at training time; ``tests/unit/index/test_scorer.py`` recomputes them.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.errors import ConfigError
from index.features import QUESTION_FEATURES, SENTENCE_FEATURES

SCORER_FILE = Path(__file__).with_name("scorer.json")
#: The same three models for questions searched in the multilingual space (their cosines are
#: another model's): ``python -m index.training --multilingual``.
MULTILINGUAL_SCORER_FILE = Path(__file__).with_name("multilingual_scorer.json")
FORMAT = 1
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LinearModel:
    """``sigmoid(((x - mean) / scale) @ coef + intercept)`` over ``names``."""

    names: tuple[str, ...]
    mean: FloatArray
    scale: FloatArray
    coef: FloatArray
    intercept: float

    @classmethod
    def from_json(cls, data: dict[str, Any], names: tuple[str, ...]) -> LinearModel:
        if tuple(data["names"]) != names:
            raise ValueError(f"features {data['names']} do not match the code's {list(names)}")
        arrays = [np.asarray(data[k], dtype=np.float32) for k in ("mean", "scale", "coef")]
        if any(a.shape != (len(names),) for a in arrays):
            raise ValueError("model arrays do not have one entry per feature")
        return cls(names, arrays[0], arrays[1], arrays[2], float(data["intercept"]))

    def to_json(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "coef": [round(float(x), 6) for x in self.coef],
            "intercept": round(self.intercept, 6),
        }

    def logits(self, x: FloatArray) -> FloatArray:
        z = (np.asarray(x, dtype=np.float32) - self.mean) / self.scale
        return np.asarray(z @ self.coef + self.intercept, dtype=np.float32)

    def proba(self, x: FloatArray) -> FloatArray:
        return np.asarray(1.0 / (1.0 + np.exp(-self.logits(x))), dtype=np.float32)


@dataclass(frozen=True)
class Scorer:
    ranker: LinearModel
    answerable: LinearModel
    correct: LinearModel
    threshold: float  # answer when answerable.proba >= threshold
    version: str  # hash of the file it came from (recorded in each index's manifest)
    left_out: str | None = None  # the set these models never saw
    #: the threshold in an index of one document, where it differs (``--learn threshold``),
    #: and how many documents the indexes ``threshold`` was chosen on held (``threshold_for``)
    one_document: float | None = None
    many_documents: int = 0

    def answer_probability(self, question: FloatArray) -> float:
        return float(self.answerable.proba(question.reshape(1, -1))[0])

    def answers(self, question: FloatArray, *, follow_up: bool) -> bool:
        """Answer (rather than decline) a question with these features? A question read as
        a follow-up is decided by the hand-set rule: only one of the evaluation sets has
        follow-ups, so a learned rule for them could not be checked on a set it never saw."""
        if follow_up:
            _, hand_answerable, hand_threshold = hand_set()
            return float(hand_answerable.proba(question.reshape(1, -1))[0]) >= hand_threshold
        documents = 10 ** float(question.reshape(-1)[_DOCUMENTS])  # the feature is the log10
        return self.answer_probability(question) >= self.threshold_for(documents)

    def threshold_for(self, documents: float) -> float:
        """The decline threshold in an index of ``documents``: ``one_document`` for one,
        ``threshold`` from ``many_documents`` on, between them (in log documents and logit)
        for a few — a corpus of two articles is much more like one than like 500."""
        if self.one_document is None or self.many_documents <= 1:
            return self.threshold
        share = min(max(math.log10(max(documents, 1.0)) / math.log10(self.many_documents), 0), 1)
        one, many = _logit(self.one_document), _logit(self.threshold)
        return 1.0 / (1.0 + math.exp(-(one + share * (many - one))))

    def confidence(self, question: FloatArray) -> float:
        return float(self.correct.proba(question.reshape(1, -1))[0])


@lru_cache(maxsize=1)
def hand_set() -> tuple[LinearModel, LinearModel, float]:
    """The earlier hand-fitted rules as models: the ranker's weights were fitted on two SQuAD
    articles (dense 0.39, IDF overlap 0.27 and 0.14 with neighbours, neighbours 0.06, answer
    type 0.13), and the decline rule ``max cosine + 0.7 * max overlap >= 0.735`` on three
    others. ``python -m index.training`` keeps them where a learned model does not beat them
    on the sets it never saw (``--learn``)."""
    weights = {
        "dense_sentence": 3.9,
        "overlap": 2.7,
        "overlap_window": 1.4,
        "dense_neighbours": 0.6,
        "answer_type": 1.3,
    }
    ranker = _plain(SENTENCE_FEATURES, weights, 0.0)
    answerable = _plain(QUESTION_FEATURES, {"top_dense": 10.0, "top_overlap": 7.0}, -7.35)
    return ranker, answerable, 0.5


def _plain(names: tuple[str, ...], weights: dict[str, float], intercept: float) -> LinearModel:
    ones = np.ones(len(names), dtype=np.float32)
    coef = np.array([weights.get(n, 0.0) for n in names], dtype=np.float32)
    return LinearModel(names, np.zeros(len(names), dtype=np.float32), ones, coef, intercept)


_DOCUMENTS = QUESTION_FEATURES.index("corpus_documents")


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def one_document_threshold(data: dict[str, Any]) -> tuple[float | None, int]:
    """A scorer file's threshold for an index of one document, if it has one, and how many
    documents the indexes of its main threshold held."""
    value = data.get("threshold_one_document")
    documents = int(data.get("threshold_documents", 0))
    if value is not None and documents <= 1:
        raise ValueError("a one-document threshold needs the documents of the other (> 1)")
    return (None if value is None else float(value)), documents


def models_from_json(data: dict[str, Any]) -> tuple[LinearModel, LinearModel, LinearModel, float]:
    return (
        LinearModel.from_json(data["ranker"], SENTENCE_FEATURES),
        LinearModel.from_json(data["answerable"], QUESTION_FEATURES),
        LinearModel.from_json(data["correct"], QUESTION_FEATURES),
        float(data["threshold"]),
    )


def load_scorer(path: Path | None = None, *, leave_out: str | None = None) -> Scorer:
    """The scorer in ``path`` (default: the shipped one); with ``leave_out``, the models
    trained without that set, when the file has them (else the full ones)."""
    return _load(path or SCORER_FILE, leave_out)


@lru_cache(maxsize=16)
def _load(path: Path, leave_out: str | None) -> Scorer:
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')}, this code reads {FORMAT}")
        models = data["models"]
        chosen = leave_out if leave_out in data.get("leave_out", {}) else None
        entry = data["leave_out"][chosen] if chosen else models
        ranker, answerable, correct, threshold = models_from_json(entry)
        one, many = one_document_threshold(entry)
    except FileNotFoundError:
        raise ConfigError(
            f"the scorer file {path} is missing: run python -m index.training"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"the scorer file {path} cannot be read ({exc}): run python -m index.training"
        ) from None
    version = hashlib.sha256(raw).hexdigest()[:16]
    return Scorer(ranker, answerable, correct, threshold, version, chosen, one, many)


def scorer_version(path: Path | None = None) -> str:
    """The shipped scorer's hash, or that of the one in ``path`` (for the manifest)."""
    return load_scorer(path).version
