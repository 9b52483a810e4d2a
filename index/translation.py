"""A question in another language, put word for word into the documents' words.

The multilingual encoder (``index.multilingual``) places a single word near its translations:
embedded alone, "gegründet" is nearest to "founded", "Kosten" to "costs", "扫描线" to
"scanning". Each word of a question in another language that the documents do not have (their
lexical index does not know it) is put into the nearest of a vocabulary — the documents' own
words, and their language's ``COMMON_WORDS`` most common words (``wordfreq``) — when that one
is close enough; the question's words that the documents have (names, numbers) stay as they
are. The result (``Reading``: "Wann wurde Koryolink gegründet?" -> "Koryolink when been
founded") is read two ways on the multilingual path:

* as lexical evidence: the translations the documents have join the question's BM25 and
  overlap terms, which otherwise hold only the names and numbers it shares with them (a
  common word they lack, "when", would only dilute the overlap);
* by the main model: its vector of the whole reading, fused with the multilingual encoder's
  of the question (``spaces.FusedSpace``, weight ``MAIN_MODEL_WEIGHT``), so the main model's
  sharper English space ranks too.

The common words are the reference a translation must beat: "Wann" is nearest to "when",
which no document needs to have; without them, it would be put into the nearest word a short
document happens to have ("since"). A question word spelt like one of the vocabulary's that
is also a common word of the question's own language is left out (German "hat", "die",
"Gift": alone, it is nearest to the English word, not to what it means).

The words and their vectors (``Vocabulary``) are made at build time and stored with the
version's multilingual space (``index.store``); an update embeds only words it has not seen.
Chinese has no spaces between words: its runs of ideographs are cut by ``jieba`` (its
dictionary ships in the package), in its search mode (words and the words inside them:
"进口设备" -> "进口", "设备", "进口设备"). Japanese is not cut (no segmenter here): its words
are left out of the reading, and its question is searched by the multilingual encoder alone.

``MIN_SIMILARITY`` and ``MAIN_MODEL_WEIGHT`` were chosen on MLQA German and Chinese questions,
the multilingual scorer's training languages (README, "Questions in other languages").
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from index.embedding import Embedder
from index.lexical import WORD, is_stopword
from index.nearest import BoundedNearest

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

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HIRAGANA = re.compile(r"[\u3040-\u309f\u30fc]+")  # with the long-vowel mark after it
_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005"  # (and the repetition mark)
#: In Japanese text: a run of kanji, of katakana (with its long-vowel mark), of hiragana, or
#: of other letters
_JAPANESE_WORD = re.compile(
    rf"[{_KANJI}]+|[\u30a0-\u30fb\u30fd-\u30ff][\u30a0-\u30ff]*|{_HIRAGANA.pattern}"
    rf"|[^\W\d_\u3040-\u30ff{_KANJI}]+"
)
#: An elided article or pronoun before an apostrophe and a word: "l'", "d'", "qu'", "dell'" (not
#: English "Korea's", "don't", "I'm": no such part before it, or no word after it)
_ELISION = re.compile(
    r"(?:[^\W\d_]{1,2}|qu|dell|dall|nell|sull|all)['’](?=[^\W\d_]{3})", re.IGNORECASE
)
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
    """The question's words; runs of Chinese characters cut into words (``jieba``). Japanese
    has no segmenter here, and the Chinese one would cut "北朝鮮" into "北朝", "鮮": in a text
    with kana, each run of kanji and each run of katakana is a word ("記事の著者は誰ですか" ->
    "記事", "著者", "誰"), and the hiragana between them (particles, endings) are left out."""
    if _KANA.search(text):
        return [w for w in _JAPANESE_WORD.findall(text) if not _HIRAGANA.fullmatch(w)]
    out: list[str] = []
    for word in WORD.findall(text):
        if _KANA.search(word):
            continue
        elided = _ELISION.match(word)
        if elided:  # French and Italian "l'auteur", "d'opérateurs", "dell'articolo"
            word = word[elided.end() :]
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


@dataclass(frozen=True)
class Reading:
    """A question in another language put into the documents' words."""

    shared: tuple[str, ...]  # its own words that the documents have: names, numbers
    translations: tuple[str, ...]  # what its other words were put into, in order
    lexical: tuple[str, ...]  # the translations the documents have: lexical evidence
    #: its words left out because they are spelt like an English word and are common in its
    #: own language: false friends ("die", "hat") and true cognates ("article") alike
    alike: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """What the main model reads: "Wann wurde Koryolink gegründet?" -> "Koryolink when
        been founded"."""
        return " ".join(self.shared + self.translations)


@lru_cache(maxsize=32)
def _common_set(language: str) -> frozenset[str]:
    return frozenset(common_words(language))


def is_common_word(word: str, language: str) -> bool:
    """Is ``word`` one of ``language``'s ``COMMON_WORDS`` most common words (its list is
    loaded at the first call for that language)?"""
    return word.casefold() in _common_set(language)


class WordTranslator:
    """Puts a question's words into the documents' words (module docstring). ``knows`` tells
    whether the documents have a word (their lexical index does)."""

    def __init__(
        self, vocabulary: Vocabulary, encoder: Embedder, knows: Callable[[str], bool]
    ) -> None:
        self.vocabulary = vocabulary
        self.encoder = encoder
        self.knows = knows
        self._row = {w: i for i, w in enumerate(vocabulary.words)}
        self._lock = threading.Lock()
        self._search: BoundedNearest | None = None  # made at the first use (``warm_up``)
        self._making = threading.Lock()  # (not ``_lock``: reading goes on meanwhile)
        #: each (language, word) asked before and what it was put into ("" = nothing close
        #: enough): most of a question's words (function words, the topic's) were asked before
        self._seen: dict[tuple[str, str], str] = {}

    def words_to_embed(self, text: str, language: str) -> list[str]:
        """The words whose vectors reading ``text`` still needs, for a caller that embeds the
        words of several questions in one call."""
        asked = self._asked(words_of(text))  # (segmenting outside the lock)
        with self._lock:
            return [w for w in asked if (language, w) not in self._seen]

    def read(
        self, text: str, language: str, vectors: Mapping[str, FloatArray] | None = None
    ) -> Reading:
        """``text`` (in ``language``) in the documents' words; ``vectors`` may hold the
        vectors of its ``words_to_embed``."""
        words = words_of(text)
        asked = self._asked(words)
        with self._lock:
            put = {w: self._seen[(language, w)] for w in asked if (language, w) in self._seen}
        new = [w for w in asked if w not in put]
        if new:
            if vectors is None or not all(w in vectors for w in new):
                vectors = dict(zip(new, self.encoder.encode(new), strict=True))
            found = dict(zip(new, self._nearest(new, vectors, language), strict=True))
            put.update(found)
            with self._lock:
                if len(self._seen) + len(found) > _SEEN_WORDS:
                    self._seen.clear()
                self._seen.update(((language, w), t) for w, t in found.items())
        translations = tuple(put[w] for w in asked if put[w])
        return Reading(
            tuple(w for w in words if not self._foreign(w)),
            translations,
            tuple(t for t in translations if self.knows(t)),
            tuple(w.casefold() for w in asked if not put[w] and self._alike(w, language)),
        )

    def _foreign(self, word: str) -> bool:
        return word.isalpha() and not self.knows(word)

    def _asked(self, words: list[str]) -> list[str]:
        """The words to put into the documents' words, each once."""
        return list(dict.fromkeys(w for w in words if self._foreign(w)))

    def _alike(self, word: str, language: str) -> bool:
        """Spelt like a word of the vocabulary, and common in ``language`` (whose word list is
        loaded only when needed)."""
        folded = word.casefold()
        return folded in self._row and is_common_word(folded, language)

    def _nearest(
        self, asked: list[str], vectors: Mapping[str, FloatArray], language: str
    ) -> list[str]:
        """What each asked word is put into ("" when nothing is close enough). A word spelt
        like one of the vocabulary's that is also a common word of the question's language is
        left out: alone, German "hat", "die" or "Gift" is nearest to the English word (and
        with that one barred, to "hats", "dies"), never to what it means."""
        words = self.vocabulary.words
        if not words:
            return ["" for _ in asked]
        found = self.search().nearest(
            np.stack([vectors[w] for w in asked]),
            MIN_SIMILARITY,
            [self._alike(word, language) for word in asked],
        )
        return [words[row] if row is not None else "" for row in found]

    def search(self) -> BoundedNearest:
        """The vocabulary's vectors, ready for the nearest-word search (made once)."""
        with self._making:
            if self._search is None:
                self._search = BoundedNearest.of(self.vocabulary.vectors)
            return self._search
