"""Which path a question takes: the documents' own language (the main model), or the
multilingual space (``index.multilingual``) for a question plainly in another language that
the multilingual encoder serves. The question's words are then searched as the documents
spell them."""

from __future__ import annotations

import re

from index.embedding import Embedder
from index.languages import LanguageIdentifier, other_script_share, script_of
from index.lexical import is_stopword
from index.multilingual import languages_of
from index.spelling import Speller, zipf
from index.store import StoredIndex
from index.translation import is_common_word

_LETTERS = re.compile(r"[^\W\d_]+")
#: Scripts whose words come out in Latin letters as the documents would spell them.
_ALPHABETS = {"CYRILLIC", "GREEK"}
#: A word this common in English (Zipf frequency, ``wordfreq``) is taken for English: "capital",
#: "france" and "won" are (4.6-4.9); German "ist" (3.4) and "und" (3.9), Spanish "que" (3.8)
#: are not, so their questions go to the language identifier.
COMMON_ENGLISH_ZIPF = 4.0
#: A Latin-script question of at least ``MIN_WORDS`` words, fewer than ``MAX_ENGLISH_SHARE`` of
#: them English or the documents', is in the language the identifier thinks ``LIKELY`` (hand
#: set, not fitted; languages.SURE is the bar for any other question). Shorter ones ("wat is
#: koryolnk?": Dutch to the identifier) keep the English path and its speller.
MIN_WORDS = 4
MAX_ENGLISH_SHARE = 1 / 3
LIKELY = 0.5


class LanguageRouter:
    """Tells a question's path; ``multilingual`` is None when the index has no usable
    multilingual space (then every question takes the main path)."""

    def __init__(
        self,
        stored: StoredIndex,
        speller: Speller,
        multilingual: Embedder | None,
        languages: LanguageIdentifier,
    ) -> None:
        self.stored = stored
        self.speller = speller
        self.multilingual = multilingual
        self.languages = languages

    def warm_up(self) -> None:
        """Load the language identifier and the multilingual encoder now rather than at the
        first question in another language (a server calls it at start; a one-question
        command does not, and an English question never needs them)."""
        if self.multilingual is not None:
            self.languages.guess("warm up")
            self.multilingual.encode(["warm up"])

    def foreign_language(self, text: str) -> str | None:
        """The language of a (cleaned) question to be searched in the multilingual space:
        plainly not the documents', and one the multilingual encoder serves; else None."""
        if self.multilingual is None or self._plainly_english(text):
            return None
        language = self.languages.foreign_language(text, self.stored.language)
        if language is None:
            language = self._of_foreign_words(text)
        served = languages_of(self.multilingual.name)
        return language if language and (served is None or language in served) else None

    def in_documents_spelling(self, text: str, language: str = "") -> str:
        """The question with each Cyrillic or Greek word that stands for one of the documents'
        words written as they write it: the word in Latin letters (``anyascii``: "Коломиец"
        -> "Kolomiets"), when the documents have it or a word within the speller's edit
        distance of it ("корёлинк" -> "korelink" -> "Koryolink"). Alphabets only: Arabic
        letters in Latin ones lose their vowels, and on MLQA matching them cost Arabic
        quote@1 0.506 -> 0.480; Chinese and Korean names do not come out as the documents
        spell them. A common word of the question's ``language`` is no name: "статьи" stays
        (in Latin letters, "stati" is one edit from "state")."""
        from anyascii import anyascii

        speller = self.speller

        def documents_word(match: re.Match[str]) -> str:
            word = match.group()
            if script_of(word[0]) not in _ALPHABETS or (
                language and is_common_word(word, language)
            ):
                return word
            latin = "".join(_LETTERS.findall(anyascii(word))).casefold()
            found = latin if latin in speller.counts else speller.suggest(latin)
            return found.capitalize() if found else word

        return _LETTERS.sub(documents_word, text)

    def _of_foreign_words(self, text: str) -> str | None:
        """The identifier's guess, when it is less than ``SURE`` but most of the question's
        words are neither common English nor the documents': "¿De qué empresa importa equipos
        Corea del Norte?" (Spanish, 0.85 sure) is not an English question; "wich compnay
        equipmnt is north korea imprting?" (3 of 7) is."""
        if self.stored.language != "en":
            return None
        words = [w.casefold() for w in _LETTERS.findall(text)]
        if len(words) < MIN_WORDS:
            return None
        # (not the speller's corrections: Spanish "norte", "corea" are one edit from English)
        english = sum(map(self._english_or_documents, words))
        if english >= len(words) * MAX_ENGLISH_SHARE:
            return None
        guess = self.languages.guess(text)
        return guess.language if guess.language != "en" and guess.probability >= LIKELY else None

    def _plainly_english(self, text: str) -> bool:
        """An English question over English documents, told without the identifier: Latin
        letters only, and every word one the documents have or a common English one
        ("When was Koryolink established?"; not "Wann wurde Koryolink gegründet?")."""
        if self.stored.language != "en" or other_script_share(text, "LATIN") > 0:
            return False
        words = (w.casefold() for w in _LETTERS.findall(text))
        # function words and the documents' words first: most English questions are told
        # without loading the word frequencies (about 35 MB)
        return all(map(self._english_or_documents, words))

    def _english_or_documents(self, word: str) -> bool:
        """A function word, one of the documents' words, or a common English one (checked in
        that order: the word frequencies are loaded only when needed). ``word`` is folded."""
        return is_stopword(word) or word in self.speller.counts or zipf(word) >= COMMON_ENGLISH_ZIPF
