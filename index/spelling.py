"""Misspelt question words, corrected against the words the documents actually use.

"wich compnay equipmnt is north korea imprting?" finds nothing by its words and little by its
vector; "which company equipment is north korea importing?" is answered. A question word is
corrected only when all of these hold, so that a real word is never "corrected" into the
documents' vocabulary (which would drag an off-topic question onto the documents):

- the documents do not use it, and it has at least ``MIN_LENGTH`` letters;
- it is rare in English (Zipf frequency below ``RARE_ZIPF`` in ``wordfreq``'s lists, which
  ship inside that package): "world" or "France" stay as typed, "compnay" does not;
- a word of the documents is within one edit of it (two for words of ``LONG_WORD`` letters
  or more; a swap of two neighbouring letters is one edit), that word is no rarer in
  English than the typed one, and it is not another form of it ("modernized" stays: the
  documents' "modernize" is the same word to the search).

Among several such words the closest wins, then the one the documents use most. The
vocabulary is counted at build time and saved beside the BM25 indexes (``words.json``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from index.lexical import WORD, tokenize

MIN_LENGTH = 4
LONG_WORD = 8
RARE_ZIPF = 3.0
WORDS_FILE = "words.json"


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """How common the word is in English: log10 of its frequency per billion words (0-8)."""
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word, "en"))


class Speller:
    """The documents' words, and the correction of question words against them."""

    def __init__(self, counts: Mapping[str, int]) -> None:
        self.counts = dict(counts)
        by_length: dict[int, list[str]] = {}
        for word in self.counts:
            by_length.setdefault(len(word), []).append(word)
        self._by_length = by_length

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Speller:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(_words(text))
        return cls(counts)

    @classmethod
    def load(cls, path: Path) -> Speller:
        counts = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(counts, dict):
            raise ValueError(f"{path} does not hold a word count")
        return cls({str(w): int(n) for w, n in counts.items()})

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.counts, ensure_ascii=False), encoding="utf-8")

    def correct(self, text: str) -> str:
        """The text with each misspelt word replaced by the documents' word it stands for."""
        out: list[str] = []
        last = 0
        for match in WORD.finditer(text):
            typed = match.group()
            fixed = self.suggest(_fold(typed))
            if fixed is None:
                continue
            if typed[:1].isupper():
                fixed = fixed[:1].upper() + fixed[1:]
            out += [text[last : match.start()], fixed]
            last = match.end()
        return "".join(out) + text[last:] if out else text

    def suggest(self, word: str) -> str | None:
        """The documents' word that ``word`` (case-folded) is a misspelling of, if any."""
        if (
            len(word) < MIN_LENGTH
            or word in self.counts
            or not word.isalpha()
            or zipf(word) >= RARE_ZIPF
        ):
            return None
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        limit = 1 if len(word) < LONG_WORD else 2
        best: tuple[int, float, int, str] | None = None
        for length in range(len(word) - limit, len(word) + limit + 1):
            near = process.extract(
                word,
                self._by_length.get(length, ()),
                scorer=DamerauLevenshtein.distance,
                score_cutoff=limit,
                limit=None,
            )
            for candidate, distance, _ in near:
                key = (-int(distance), zipf(candidate), self.counts[candidate], candidate)
                if best is None or key[:3] > best[:3]:
                    best = key
        if best is None or best[1] < zipf(word) or tokenize(best[3]) == tokenize(word):
            return None  # a rarer word; or another form of the same one ("modernized")
        return best[3]


def _fold(word: str) -> str:
    return word.casefold().replace("’", "'")


def _words(text: str) -> list[str]:
    return [w for w in WORD.findall(_fold(text)) if len(w) >= MIN_LENGTH and w.isalpha()]
