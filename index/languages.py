"""Which language a question (or a corpus) is written in: routing for the multilingual path.

py3langid's model ships inside its package (nothing is downloaded). It is limited to the
languages served (``LANGUAGES``): without a limit, short questions are read as neighbouring
languages (Hindi as Marathi, Chinese as Wu); with it, MLQA's questions in seven languages were
identified 300/300 each (``docs/multilingual-research.md``).

A question takes the multilingual path only when it is plainly not in the corpus's language:
many of its letters are in another script ("Когда была основана Koryolink?"), or the
identifier is sure of another language (``SURE``). A short Latin-script question it cannot
place ("and Kang Song NET?", "Koryolink?") stays on the corpus's own path.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: Languages told apart (ISO 639-1): those of the issue's users and of USE multilingual.
LANGUAGES = (
    "en", "de", "es", "fr", "it", "pt", "nl", "pl", "ru", "uk", "zh", "ja", "ko", "ar", "tr",
    "th", "hi", "vi",
)  # fmt: skip
#: The identifier's probability above which a Latin-script question is taken to be in it.
SURE = 0.9
#: The share of a question's letters in another script than the corpus's (Latin) from which
#: it is foreign whatever the identifier says: "Koryolink是什么时候成立的？" has 8 of 17; an
#: English question quoting one word of Russian has far fewer.
OTHER_SCRIPT = 0.3
#: Chinese, Japanese or Korean characters from which a question over a Latin-script corpus is
#: foreign however many Latin letters its names have ("Vasyl Kolomiiets是谁？": 2 of 17
#: letters, each a word).
IDEOGRAPHS = 2
_IDEOGRAPHIC = {"CJK", "HANGUL", "HIRAGANA", "KATAKANA"}
#: Characters of a document read to tell its language.
_SAMPLE_CHARS = 2000


@dataclass(frozen=True)
class Guess:
    language: str
    probability: float


def script_of(ch: str) -> str:
    """The script of a letter, by its Unicode name ("LATIN", "CYRILLIC", "CJK"...)."""
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else ""


def separate_scripts(text: str) -> str:
    """A space between runs of letters of different scripts, so that a name written in Latin
    letters inside a Chinese question is a word of its own ("Koryolink是什么" ->
    "Koryolink 是什么"): Chinese and Japanese do not put spaces between words."""
    out: list[str] = []
    previous = ""
    for ch in text:
        script = script_of(ch) if ch.isalpha() else ""
        if script == "KATAKANA-HIRAGANA":  # the long-vowel mark "ー" belongs to its word
            script = previous
        if script and previous and script != previous:
            out.append(" ")
        out.append(ch)
        previous = script or ("" if not ch.isalnum() else previous)
    return "".join(out)


#: Scripts written without spaces between words, and about how many letters a word has.
_UNSPACED = {"CJK": 2, "HIRAGANA": 2, "KATAKANA": 2, "THAI": 4}


def word_count(text: str) -> int:
    """About how many words ``text`` has: its space-separated words, where a run of a script
    written without spaces (Chinese, Japanese, Thai) counts one word for every two letters
    (four in Thai). Korean puts spaces between its words: each counts one."""
    count = 0
    for word in separate_scripts(text).split():
        scripts = [script_of(ch) for ch in word if ch.isalpha()]
        per_word = _UNSPACED.get(scripts[0], 0) if scripts else 0
        count += max(1, math.ceil(len(scripts) / per_word)) if per_word else 1
    return count


def other_script_share(text: str, script: str) -> float:
    """The share of the text's letters that are not in ``script`` (0 when it has none)."""
    scripts = [script_of(ch) for ch in text if ch.isalpha()]
    return sum(s != script for s in scripts) / len(scripts) if scripts else 0.0


class LanguageIdentifier:
    """py3langid limited to ``LANGUAGES``; its model (about 0.6 s) is loaded on first use."""

    def __init__(self, languages: Iterable[str] = LANGUAGES) -> None:
        self.languages = tuple(languages)
        self._model: Any = None
        self._lock = threading.Lock()

    def _identifier(self) -> Any:
        with self._lock:
            if self._model is None:
                from py3langid.langid import MODEL_FILE
                from py3langid.langid import LanguageIdentifier as Model

                model = Model.from_model_file(MODEL_FILE, norm_probs=True)
                model.set_languages(list(self.languages))
                self._model = model
            return self._model

    def guess(self, text: str) -> Guess:
        language, probability = self._identifier().classify(text)
        return Guess(str(language), float(probability))

    def corpus_language(self, texts: Iterable[str]) -> str:
        """The language of most of the documents' text (their first characters each)."""
        weights: Counter[str] = Counter()
        for text in texts:
            sample = text[:_SAMPLE_CHARS]
            if sample.strip():
                weights[self.guess(sample).language] += len(sample)
        return weights.most_common(1)[0][0] if weights else "en"

    def foreign_language(self, question: str, corpus_language: str) -> str | None:
        """The question's language when it is plainly not the corpus's, else None."""
        guess = self.guess(question)
        if guess.language == corpus_language:
            return None
        if corpus_language in _LATIN and (
            other_script_share(question, "LATIN") >= OTHER_SCRIPT
            or sum(script_of(ch) in _IDEOGRAPHIC for ch in question) >= IDEOGRAPHS
        ):
            # "Когда была основана Koryolink?", "Vasyl Kolomiiets是谁？" over an English corpus
            return guess.language
        return guess.language if guess.probability >= SURE else None

    def is_foreign(self, question: str, corpus_language: str) -> bool:
        """Is the question plainly in another language than the corpus's?"""
        return self.foreign_language(question, corpus_language) is not None


_SHARED: LanguageIdentifier | None = None
_SHARED_LOCK = threading.Lock()


def shared_identifier() -> LanguageIdentifier:
    """One identifier per process (its model is loaded once, on first use)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = LanguageIdentifier()
        return _SHARED


_LATIN = {"en", "de", "es", "fr", "it", "pt", "nl", "pl", "tr", "vi"}
