"""A question in another language, put word for word into the documents' words.

The multilingual encoder (``index.multilingual``) places a single word near its translations:
embedded alone, "gegründet" is nearest to the documents' "founded", "Kosten" to "costs",
"扫描线" to "scanning". Each word of a question in another language that the documents do not
have is replaced by the documents' word nearest to it, when that one is close enough; the
question's own words that the documents have (names, numbers, "Computer") stay. The result
("NTSC compromise selected scanning lines") is read two ways on the multilingual path:

* as lexical evidence: its words join the question's BM25 and overlap terms, which otherwise
  hold only the names and numbers it shares with the documents;
* by the main model: its vector, fused with the multilingual encoder's of the question
  (``retrieval.FusedSpace``, weight ``MAIN_MODEL_WEIGHT``), so the main model's sharper
  English space ranks too.

A word is put only into a word the documents have, and only when it is nearer to that one than
to any of the documents' language's ``COMMON_WORDS`` most common words (``wordfreq``): "Wann"
is nearest to "when", which no document needs to have; without that reference, it would be put
into the nearest word a short document happens to have ("since"). A common word it is nearest
to still joins the main model's reading ("Wann wurde Koryolink gegründet?" -> "Koryolink when
founded"), not the lexical evidence (the documents do not have it).

The words and their vectors (``Vocabulary``) are made at build time and stored with the
version's multilingual space (``index.store``); an update embeds only words it has not seen.
Chinese has no spaces between words: its runs of ideographs are cut by ``jieba`` (its
dictionary ships in the package), in its search mode (words and the words inside them:
"进口设备" -> "进口", "设备", "进口设备").

``MIN_SIMILARITY`` and ``MAIN_MODEL_WEIGHT`` were chosen on MLQA German and Chinese questions,
the multilingual scorer's training languages (README, "Questions in other languages").
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from index.embedding import Embedder
from index.lexical import WORD, is_stopword

FloatArray = npt.NDArray[np.float32]

#: A word is put into the documents' word nearest to it when their cosine is at least this.
MIN_SIMILARITY = 0.7
#: The main model's share of the multilingual path's dense similarity (``FusedSpace``).
MAIN_MODEL_WEIGHT = 0.3
#: The documents' words that can be a translation: the most frequent this many, of at least
#: ``MIN_LETTERS`` letters (rarer words are mostly names, which questions write as they are).
MAX_WORDS = 50_000
MIN_LETTERS = 4
#: The documents' language's most common words, the reference a translation must beat.
COMMON_WORDS = 10_000
#: Words whose translation a translator remembers (then it starts again).
_SEEN_WORDS = 50_000

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_jieba_lock = threading.Lock()


def documents_words(texts: Iterable[str]) -> list[str]:
    """The documents' words a question's words can be put into: lower-cased, letters only,
    not function words, most frequent first (ties alphabetically), at most ``MAX_WORDS``."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(
            w
            for w in WORD.findall(text.casefold())
            if len(w) >= MIN_LETTERS and w.isalpha() and not is_stopword(w)
        )
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:MAX_WORDS]]


def common_words(language: str) -> list[str]:
    """The language's ``COMMON_WORDS`` most common words (letters only; ``wordfreq``, whose
    lists ship in the package); none for a language it does not know."""
    from wordfreq import available_languages, top_n_list

    if language not in available_languages():
        return []
    return [w for w in top_n_list(language, COMMON_WORDS) if w.isalpha()]


def words_of(text: str) -> list[str]:
    """The question's words; runs of Chinese characters cut into words (``jieba``)."""
    out: list[str] = []
    for word in WORD.findall(text):
        if _HAN.search(word):
            out += [w for w in _segmenter().lcut_for_search(word) if WORD.fullmatch(w)]
        else:
            out.append(word)
    return out


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _jieba_lock:
        jieba.initialize()  # its dictionary, about 0.5 s, once
    return jieba


def warm_up() -> None:
    """Load the Chinese word segmenter now, not at the first Chinese question."""
    _segmenter()


@dataclass(frozen=True)
class Vocabulary:
    """The documents' words (``documents_words``), then the common words of their language
    (``common_words``) that are not among them, and their vectors in the multilingual space."""

    words: tuple[str, ...]
    vectors: FloatArray
    documents: int  # the first this many words are the documents'

    @classmethod
    def of(cls, texts: Iterable[str], language: str) -> tuple[list[str], int]:
        """The words of a vocabulary of documents in ``language`` and how many are theirs."""
        own = documents_words(texts)
        mine = set(own)
        return own + [w for w in common_words(language) if w not in mine], len(own)


def embed_vocabulary(
    words: Sequence[str], documents: int, encoder: Embedder, previous: Vocabulary | None = None
) -> Vocabulary:
    """``words`` with their vectors: those ``previous`` has are reused, the others embedded."""
    known = {w: i for i, w in enumerate(previous.words)} if previous is not None else {}
    vectors = np.zeros((len(words), encoder.dimension), dtype=np.float32)
    missing = [i for i, w in enumerate(words) if w not in known]
    if previous is not None and len(missing) < len(words):
        reused = [i for i, w in enumerate(words) if w in known]
        vectors[reused] = previous.vectors[[known[words[i]] for i in reused]]
    if missing:
        from index.build import embed_all

        vectors[missing] = embed_all([words[i] for i in missing], encoder)
    return Vocabulary(tuple(words), vectors, documents)


class WordTranslator:
    """Puts a question's words into the documents' words (module docstring)."""

    def __init__(self, vocabulary: Vocabulary, encoder: Embedder) -> None:
        self.vocabulary = vocabulary
        self.known = frozenset(vocabulary.words[: vocabulary.documents])
        self.encoder = encoder
        self._lock = threading.Lock()
        #: each word asked before and what it was put into ("" = nothing close enough): most
        #: of a question's words (function words, the topic's) were in earlier questions
        self._seen: dict[str, str] = {}

    def words_to_embed(self, text: str) -> list[str]:
        """The words whose vectors the translation of ``text`` still needs, for a caller that
        embeds them in one call with other texts."""
        with self._lock:
            return [w for w in self._asked(text) if w not in self._seen]

    def translations(
        self, text: str, vectors: Mapping[str, FloatArray] | None = None
    ) -> tuple[str, ...]:
        """The words that the question's words the documents lack stand for, in order: the
        documents' words, or common words of their language (which BM25 does not know).
        ``vectors`` may hold the vectors of its ``words_to_embed``."""
        asked = self._asked(text)
        with self._lock:
            new = [w for w in asked if w not in self._seen]
        if new:
            if vectors is None or not all(w in vectors for w in new):
                vectors = dict(zip(new, self.encoder.encode(new), strict=True))
            found = self._nearest(new, vectors)
            with self._lock:
                if len(self._seen) >= _SEEN_WORDS:
                    self._seen.clear()
                self._seen.update(zip(new, found, strict=True))
        with self._lock:
            put = [self._seen.get(w, "") for w in asked]
        return tuple(w for w in put if w)

    def in_documents_words(self, text: str, vectors: Mapping[str, FloatArray] | None = None) -> str:
        """The question's words that the documents have, then the others' translations:
        "Wie viele Zeilen hat NTSC?" -> "NTSC how many lines has"."""
        shared = [w for w in words_of(text) if not self._foreign(w)]
        return " ".join([*shared, *self.translations(text, vectors)])

    def _foreign(self, word: str) -> bool:
        return word.isalpha() and word.casefold() not in self.known

    def _asked(self, text: str) -> list[str]:
        return list(dict.fromkeys(w for w in words_of(text) if self._foreign(w)))

    def _nearest(self, asked: list[str], vectors: Mapping[str, FloatArray]) -> list[str]:
        """What each asked word is put into ("" when nothing is close enough)."""
        words = self.vocabulary.words
        if not words:
            return ["" for _ in asked]
        # one pass over the vocabulary's vectors, a column per asked word
        sims = np.asarray(self.vocabulary.vectors) @ np.stack([vectors[w] for w in asked]).T
        best = np.argmax(sims, axis=0)
        return [
            words[int(j)] if float(sims[j, i]) >= MIN_SIMILARITY else "" for i, j in enumerate(best)
        ]
