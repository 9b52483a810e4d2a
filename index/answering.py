"""From a question (and the conversation so far) to verbatim quotes, or an honest "not found".

1. The question is checked (empty, too long), cleaned of control and zero-width characters and
   resolved against the history: a follow-up ("And Kang Song NET?") borrows the topic of the
   previous question; a self-contained question stands alone.
2. The retriever ranks sentences (``index.retrieval``).
3. The best sentence is quoted with whole sentences around it, and the sentence that answers
   is the highlight (``index.quoting``). Further passages come from the next best sentences
   whose windows do not overlap those already chosen.
4. When the learned scorer (``index.scorer``) finds no answer in the documents, the answer
   says so and quotes nothing; every answer carries a calibrated ``confidence``.

One module (about 770 lines): question cleaning, follow-up resolution and the decision to
answer are the steps of one function, ``Answerer.answer``; whether a question is a follow-up
is ``index.follow_ups``', whom its pronoun means ``index.referents``', the ranking
``index.retrieval``'s, the scoring ``index.scorer``'s, the quoting ``index.quoting``'s.
"""

from __future__ import annotations

import html
import logging
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from index import identifiers, referents
from index.batching import MicroBatcher
from index.embedding import Embedder
from index.errors import QuestionError
from index.features import QuestionFeatures, question_features
from index.follow_ups import (
    FOLLOW_UP_START,
    HISTORY_TURNS,
    QUESTION_WORD,
    is_follow_up,
    is_fragment,
    topic_of,
)
from index.languages import (
    LanguageIdentifier,
    separate_scripts,
    shared_identifier,
    word_count,
)
from index.lexical import is_stopword, tokenize
from index.provenance import asks_about_origin_in_words, origin_answer
from index.quoting import Quoter
from index.retrieval import Dense, FloatArray, Ranked, Retriever
from index.routing import LanguageRouter
from index.scorer import MULTILINGUAL_SCORER_FILE, Scorer, load_scorer
from index.spaces import FusedSpace, Space
from index.store import StoredIndex
from index.text_features import ASKS_FOR_MORE, is_heading, without_frame
from index.translation import MAIN_MODEL_WEIGHT, Reading, WordTranslator
from index.translation import warm_up as warm_up_translation
from index.types import Answer, Passage, SentenceHit

log = logging.getLogger(__name__)

DEFAULT_MAX_QUESTION_CHARS = 1000
#: Further passages are quoted when the ranker's odds for them are at least a quarter of the
#: first one's (logits within log 4 of it).
SECONDARY_LOGIT_GAP = math.log(4.0)
#: A follow-up in another language is answered when the confidence (the calibrated probability
#: that its first quote holds the answer) is at least this.
FOLLOW_UP_CONFIDENCE = 0.5
#: A question in another language is declined when that confidence is below this, whatever
#: the decline rule says (chosen on MLQA German and Chinese: see the README).
MULTILINGUAL_MIN_CONFIDENCE = 0.1
#: How much of the previous question a follow-up's query vector carries.
TOPIC_WEIGHT = 0.6


#: How far up a document a quote's version is looked for (sentences)
_LOOK_UP_SENTENCES = 400
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_MAX_ELLIPTICAL_WORDS = 4
#: A whole (longer) question declined alone is read in the light of the previous turn only
#: when its confidence alone (the calibrated probability that its first quote is right) is at
#: least this: hand-set, "more likely right than not, with a margin".
WHOLE_QUESTION_CONFIDENCE = 0.75


#: (question, topic, language): what one dense lookup is keyed by (language None: the main path)
_DenseKey = tuple[str, str | None, str | None]


@dataclass(frozen=True)
class _Dense:
    """One dense lookup: the query vector, the dense evidence, and on the multilingual path the
    question and its topic put into the documents' words (``index.translation``)."""

    query: FloatArray
    evidence: Dense
    readings: tuple[Reading | None, Reading | None] = (None, None)


_BOT_MENTION = re.compile(r"(?<![\w@])@(?:[A-Za-z][A-Za-z0-9_]{0,30})?bot\b", re.IGNORECASE)
_SCRIPT_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


def clean_question(question: str, max_chars: int = DEFAULT_MAX_QUESTION_CHARS) -> str:
    """Normalise a question; QuestionError for empty or over-long ones."""
    text = unicodedata.normalize("NFKC", question)
    text = _INVISIBLE.sub("", text)
    # Markup is noise to retrieval: script/style blocks go whole, other tags go, entities
    # become their characters ("<b>When</b> was it?" asks "When was it?").
    text = _SCRIPT_BLOCK.sub(" ", text)
    text = html.unescape(_TAG.sub(" ", text))
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    # A bot's @username (Telegram's end in "bot") addresses the question, it is not part of
    # it: "@verbatim_bot When was Koryolink established?" asks the question after it.
    text = _BOT_MENTION.sub(" ", text)
    text = " ".join(text.split())
    if not text:
        raise QuestionError(
            "the question is empty: please ask something about the documents", "empty"
        )
    if len(text) > max_chars:
        raise QuestionError(
            f"the question is too long ({len(text):,} characters; the limit is {max_chars:,}): "
            "please ask it in fewer words",
            "too long",
            chars=len(text),
            limit=max_chars,
        )
    if not any(ch.isalnum() for ch in text):
        raise QuestionError("the question has no words in it: please ask it in words", "no words")
    return text


def _same_place(a: Passage, b: Passage) -> bool:
    """Do the two passages overlap in the same document?"""
    return a.source == b.source and a.start < b.end and b.start < a.end


def _queries(
    embedder: Embedder,
    keys: Sequence[tuple[str | None, str | None]],
    encoded: Mapping[str, FloatArray] | None = None,
) -> FloatArray:
    """One query vector per (question, topic) in ``embedder``'s space, each text encoded once
    (``encoded``: texts whose vectors are at hand): the question's, plus ``TOPIC_WEIGHT``
    times its topic's, normalised. An empty or missing question (nothing of it in the
    documents' words) is zeros, or its topic's alone."""
    texts = list(dict.fromkeys(t for key in keys for t in key if t))
    vectors = dict(encoded or {})
    missing = [t for t in texts if t not in vectors]
    if missing:
        vectors.update(zip(missing, embedder.encode(missing), strict=True))
    out = np.zeros((len(keys), embedder.dimension), dtype=np.float32)
    for i, (text, topic) in enumerate(keys):
        vector = vectors[text] if text else out[i]
        if topic:
            vector = vector + TOPIC_WEIGHT * vectors[topic]
            vector = vector / max(float(np.linalg.norm(vector)), 1e-9)
        out[i] = vector
    return out


def _lacks(answer: Answer, added: set[str]) -> bool:
    """Does the first quote of ``answer`` hold none of ``added``, the words a follow-up adds to
    the conversation (its content words that the earlier questions lack)? False without any."""
    if not added or not answer.passages:
        return False
    return not added & set(tokenize(answer.passages[0].text))


class _Previous:
    """The previous question's answer, as this index gives it, asked for once when needed."""

    def __init__(self, answerer: Answerer, earlier: Sequence[str]) -> None:
        self._answerer, self._earlier = answerer, earlier
        self._highlight: str | None = None
        self._text = ""
        self._asked = False

    def highlight(self) -> str | None:
        """The highlight of the previous question's first quote, or None if it was declined."""
        if not self._asked and self._earlier:
            self._asked = True
            try:
                answer = self._answerer.answer(self._earlier[-1], self._earlier[:-1], k=1)
            except QuestionError:
                return None
            if answer.answered and answer.passages:
                self._highlight = answer.passages[0].highlight
                self._text = answer.passages[0].text
        return self._highlight

    def text(self) -> str:
        """The previous question's first quote ("" if it was declined)."""
        self.highlight()
        return self._text


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class Answerer:
    """Answers questions over one loaded index with one embedder."""

    def __init__(
        self,
        stored: StoredIndex,
        embedder: Embedder,
        *,
        scorer: Scorer | None = None,
        max_question_chars: int = DEFAULT_MAX_QUESTION_CHARS,
        multilingual: Embedder | None = None,
        languages: LanguageIdentifier | None = None,
        multilingual_scorer: Scorer | None = None,
    ) -> None:
        self.stored = stored
        self.embedder = embedder
        self.scorer = scorer or load_scorer()
        self.retriever = Retriever(stored, self.scorer)
        #: the passage around each chosen sentence, and its highlight (index.quoting)
        self.quoter = Quoter(stored, self.retriever)
        # Questions in another language than the documents' are searched in the multilingual
        # space (index.multilingual) when the version has one made by this encoder.
        made_with = stored.multilingual.model if stored.multilingual is not None else None
        usable = multilingual is not None and made_with == multilingual.name
        self.multilingual = multilingual if usable else None
        if multilingual is not None and made_with is None:
            log.warning(
                "the index has no multilingual vectors: questions in other languages take the "
                "main path until `verbatim index build` adds them"
            )
        elif multilingual is not None and not usable:
            log.warning(
                "the index's multilingual vectors were made with %s, not %s: questions in "
                "other languages take the main path until the index is rebuilt",
                made_with,
                multilingual.name,
            )
        #: which path each question takes (the documents' language or the multilingual space)
        self.router = LanguageRouter(
            stored, self.retriever.speller, self.multilingual, languages or shared_identifier()
        )
        #: the multilingual path reads the question put into the documents' words too
        #: (index.translation): its words, and the main model's cosines fused with the
        #: multilingual encoder's
        self.translator: WordTranslator | None = None
        self.multilingual_space: Space | None = None
        ml_space = self.retriever.multilingual
        if self.multilingual is not None and ml_space is not None:
            self.multilingual_space = FusedSpace(ml_space, self.retriever.main, MAIN_MODEL_WEIGHT)
            vocabulary = stored.multilingual.vocabulary if stored.multilingual else None
            if vocabulary is not None:
                self.translator = WordTranslator(
                    vocabulary, self.multilingual, self._documents_have
                )
            else:
                log.warning(
                    "the index's multilingual space has no word vectors: questions in other "
                    "languages are not put into the documents' words until `verbatim index "
                    "build` adds them"
                )
        #: ranks, declines and gives the confidence of the questions of the multilingual path
        self.multilingual_scorer = multilingual_scorer
        if self.multilingual is not None:
            self.multilingual_scorer = multilingual_scorer or load_scorer(MULTILINGUAL_SCORER_FILE)
        # Concurrent questions (the bot answers many at once) share one encode call and one
        # pass over the vectors: see index.batching.
        self._dense: MicroBatcher[_DenseKey, _Dense] = MicroBatcher(self._dense_batch)
        self.max_question_chars = max_question_chars

    def warm_up(self) -> None:
        """Load the models of questions in other languages now (``LanguageRouter.warm_up``),
        and make the word translation's search of the vocabulary."""
        self.router.warm_up()
        if self.translator is not None:
            warm_up_translation()
        self.prepare()

    def prepare(self) -> None:
        """Make what this index's questions in other languages read (the word translation's
        search of the vocabulary: 0.1-0.7 s), before the first one needs it."""
        if self.translator is not None:
            self.translator.search()

    def foreign_language(self, text: str) -> str | None:
        """The language of a question to be searched in the multilingual space, else None."""
        return self.router.foreign_language(text)

    def is_foreign(self, text: str) -> bool:
        return self.foreign_language(text) is not None

    def answer(
        self, question: str, history: Sequence[str] = (), k: int = 3, *, force: bool = False
    ) -> Answer:
        """Quote up to ``k`` passages. ``force`` quotes them even where the evidence is too
        weak to answer (``answered`` still says whether it would have answered). A question
        in another language than the documents' is searched in the multilingual space; its
        answer says which language it was read as."""
        text = clean_question(question, self.max_question_chars)
        topic = topic_of(history)
        language = self._language(text, topic)
        if language is None and topic is not None:
            earlier = [h for h in history if h.strip()][-HISTORY_TURNS:]
            previous = _Previous(self, earlier)
            # "What else did he design?": not the sentence the last answer quoted
            besides = previous.highlight() if ASKS_FOR_MORE.search(text) else None
            read = self._with_referent(text, earlier, previous)
            if read != text:
                # both readings, chosen by evidence: "When did she die?" read as "When did
                # Ilse Varga die?" may lose the "she" of "She died in 2004" to "Orlik died…"
                named = self._answer_cleaned(read, topic, k, force, language=None, besides=besides)
                answer = self._answer_cleaned(text, topic, k, force, language=None, besides=besides)
                last = previous.highlight()
                if (
                    named.answered
                    and answer.answered
                    and named.passages[0].highlight == last != answer.passages[0].highlight
                ):
                    # the name's reading quotes the last answer's sentence again (it holds the
                    # name) where the question as asked found another ("What did she say?"
                    # after "…approved by Councillor Ruth Abara."): it is read past that one
                    named = self._answer_cleaned(read, topic, k, force, language=None, besides=last)
                # (where the question as asked finds nothing, the name's reading must be more
                # likely right than not: a wrong last answer names the wrong one)
                if named.answered and (
                    named.confidence >= answer.confidence
                    if answer.answered
                    else named.confidence >= FOLLOW_UP_CONFIDENCE
                ):
                    return replace(named, question=text)
                return answer
            if besides is not None:
                return self._answer_cleaned(text, topic, k, force, language=None, besides=besides)
        answer = self._answer_cleaned(text, topic, k, force, language=language)
        return replace(answer, language=language) if language else answer

    def _with_referent(self, text: str, earlier: Sequence[str], previous: _Previous) -> str:
        """The follow-up with its personal pronoun read as the name the previous answer gave,
        when the previous question asked who (``index.referents``): "What else did he
        design?" after "Who designed the Quarry Lane Bridge?" is "What else did Thomas Aldane
        design?", and so is the next turn's "he" ("When did he die?"). The previous answer
        is the one this index gives it (a chat keeps its questions only)."""
        kind = referents.pronoun_kind(text)
        if kind is None or not earlier:
            return text
        last = earlier[-1]
        if referents.pronoun_kind(last) == kind:
            # the same "he" as the turn before ("Who was comforting her?" → "Who is her
            # husband?"), which may have been read as a name
            before = earlier[:-1]
            name = referents.named_as(
                last, self._with_referent(last, before, _Previous(self, before))
            )
            return (referents.with_referent(text, name) or text) if name else text
        if not referents.asks_for_someone(last):
            return text
        highlight = previous.highlight()
        if highlight is None:
            return text
        said = " ".join(earlier)
        return referents.resolved(text, last, highlight, said, previous.text()) or text

    def _language(self, text: str, topic: str | None) -> str | None:
        """The language the question is read in when it takes the multilingual path."""
        language = self.foreign_language(text)
        if language is None and topic is not None and is_follow_up(text):
            # "那 Kang Song NET 呢？" is mostly a name: the conversation's language decides
            language = self.foreign_language(topic)
        return language

    def _answer_cleaned(
        self,
        text: str,
        topic: str | None,
        k: int,
        force: bool,
        *,
        language: str | None,
        besides: str | None = None,
    ) -> Answer:
        ml = language is not None
        if topic is not None and is_follow_up(text):
            resolved, ranked, reading = self._rank(text, topic, language)
            contextual = self._decide(
                text,
                resolved,
                ranked,
                k,
                force,
                follow_up=True,
                language=language,
                reading=reading,
                besides=besides,
            )
            # the words it adds (none in another language: its words are never the quote's)
            added = set() if ml else set(tokenize(text)) - set(tokenize(topic))
            if contextual.answered and not _lacks(contextual, added):
                return contextual
            if contextual.answered and is_fragment(text) and not FOLLOW_UP_START.match(text):
                # Read as a follow-up only for being a few words ("thanks", "late checkout"
                # after "Can I bring my dog?"), it is no follow-up when the quote in context
                # holds none of them: it is asked on its own
                return self._answer(text, None, k, force, language, besides)
            if contextual.answered:
                # "What about parking?" after "Can I bring my dog?": the previous question's
                # words won, and the quote has none of what the follow-up asks about; the
                # question alone is quoted when its first passage has them and is more likely
                # right than not
                alone = self._answer(text, None, k, force, language, besides)
                if (
                    alone.answered
                    and (alone.confidence or 0.0) >= FOLLOW_UP_CONFIDENCE
                    and not _lacks(alone, added)
                ):
                    return alone
                return contextual
            # A marked follow-up whose own words find strong evidence ("What is his
            # background?" after "Who wrote the article?"): mixing in the previous question
            # diluted it below the threshold. The question alone is quoted only where the
            # conversation's best passage is too, and the previous question's own ("Is it
            # new?" alone finds some other sentence about something new: declined; in one
            # document, whose title holds "equipment" and "imports", the conversation's
            # best passage may be that sentence too, but the previous question's is not).
            alone = self._answer(text, None, k, force, language, besides)
            if alone.answered and self._quotes_first_of(alone, ranked):
                _, before, _ = self._rank(topic, None, language)
                if self._quotes_first_of(alone, before):
                    return alone
            return contextual
        resolved, ranked, reading = self._rank(text, None, language)
        answer = self._decide(
            text,
            resolved,
            ranked,
            k,
            force,
            follow_up=False,
            language=language,
            reading=reading,
            besides=besides,
        )
        if topic is not None and not answer.answered and self._may_be_elliptical(text, ml, reading):
            # An unmarked question that the documents do not answer on its own may still be
            # elliptical ("From which company?"): try it in the light of the previous turn. A
            # longer, whole question is read so only where it alone already points to the
            # very sentence the context quotes, and probably rightly (its confidence), and
            # the context only tips the decline rule ("When did the replacement start?" after
            # a question on the imports); else the previous topic would win ("When did the
            # modernization start?" after "And Kang Song NET?" quoted the operators; "Who is
            # the president of South Korea?" after a question on the networks quoted the
            # South Korean publication).
            contextual = self._answer(text, topic, k, force, language, besides)
            if contextual.answered and (
                word_count(text) <= _MAX_ELLIPTICAL_WORDS
                or (
                    self._quotes_first_of(contextual, ranked, same_highlight=True)
                    and (answer.confidence or 0.0) >= WHOLE_QUESTION_CONFIDENCE
                )
            ):
                return contextual
        return answer

    def _dense_batch(self, items: list[_DenseKey]) -> list[_Dense]:
        """Query vectors and dense evidence for a batch of (question, topic, language) keys,
        each space's in one encode call. A follow-up's vector is the question's plus
        ``TOPIC_WEIGHT`` times its topic's. On the multilingual path the query is the
        multilingual encoder's vector of the question beside the main model's of it put into
        the documents' words (``FusedSpace``)."""
        out: list[_Dense] = [None] * len(items)  # type: ignore[list-item]
        for ml in (False, True):
            picked = [i for i, item in enumerate(items) if (item[2] is not None) == ml]
            if not picked:
                continue
            keys = [items[i] for i in picked]
            texts = [key[:2] for key in keys]
            space = self._space(ml)
            readings: list[tuple[Reading | None, Reading | None]] = [(None, None)] * len(keys)
            if isinstance(space, FusedSpace):
                encoder = self.multilingual or self.embedder
                readings, encoded = self._readings(keys)
                english = [
                    (self._english(pair[0], key[0]), self._english(pair[1], key[1]))
                    for pair, key in zip(readings, keys, strict=True)
                ]
                queries = np.hstack(
                    [_queries(encoder, texts, encoded), _queries(self.embedder, english)]
                )
            else:
                queries = _queries(self.embedder, texts)
            dense = self.retriever.dense(queries, space)
            for j, i in enumerate(picked):
                out[i] = _Dense(queries[j], dense[j], readings[j])
        return out

    def _readings(
        self, keys: list[_DenseKey]
    ) -> tuple[list[tuple[Reading | None, Reading | None]], dict[str, FloatArray]]:
        """Each key's question and topic put into the documents' words, and the multilingual
        encoder's vectors of the questions and topics: one call embeds them with the words
        not read before (each text is encoded on its own, unpadded; two calls cost about
        1.5x one)."""
        translator = self.translator
        if translator is None:
            return [(None, None)] * len(keys), {}
        # (text, its language) of each key's question and topic
        asked: list[tuple[tuple[str, str], tuple[str, str] | None]] = [
            (
                (separate_scripts(text), language or ""),
                (separate_scripts(topic), self._topic_language(topic, language)) if topic else None,
            )
            for text, topic, language in keys
        ]
        pairs = [pair for key in asked for pair in key if pair is not None]
        words = list(
            dict.fromkeys(w for t, lang in pairs for w in translator.words_to_embed(t, lang))
        )
        questions = [t for text, topic, _ in keys for t in (text, topic) if t]
        texts = list(dict.fromkeys([*questions, *words]))
        vectors = dict(zip(texts, translator.encoder.encode(texts), strict=True))

        def read(pair: tuple[str, str] | None) -> Reading | None:
            return translator.read(*pair, vectors) if pair is not None else None

        readings = [(read(question), read(topic)) for question, topic in asked]
        return readings, {t: vectors[t] for t in questions}

    def _english(self, reading: Reading | None, text: str | None) -> str | None:
        """What the main model reads of a question on the multilingual path: its reading in
        the documents' words, or without their word vectors the words of it they have."""
        if reading is not None:
            return reading.text
        if text is None:
            return None
        return " ".join(w for w in separate_scripts(text).split() if self._documents_have(w))

    def _documents_have(self, word: str) -> bool:
        """Do the documents have the word (their lexical index knows each of its terms)?"""
        terms = tokenize(word)
        return bool(terms) and all(map(self.retriever.sentence_bm25.knows, terms))

    def _space(self, ml: bool) -> Space:
        if ml and self.multilingual_space is not None:
            return self.multilingual_space
        return self.retriever.main

    def _names_another(self, question: str, passage: Passage, row: int) -> bool:
        """Does the question name a year or a version that the first quote (``passage``, of
        the sentence at ``row``) is not about (``index.identifiers``)?"""
        said = " ".join((passage.text, passage.section or "", passage.title))
        if identifiers.another_year(question, said):
            return True
        asked = identifiers.asked_versions(question)
        if not asked:
            return False
        return identifiers.another_version(
            asked, identifiers.versions_in(said) | self._versions_above(row)
        )

    def _versions_above(self, row: int) -> set[tuple[int, ...]]:
        """The versions of the nearest line alone in its paragraph, above ``row`` in its
        document, that names one: the version a changelog's item is under ("## 2.4.0" over
        "### Fixed" over "- Crash on empty files")."""
        sents = self.stored.sentences
        rows = np.arange(row, max(-1, row - _LOOK_UP_SENTENCES), -1)
        rows = rows[(sents.doc[rows] == sents.doc[row]) & self.retriever.alone_in_paragraph[rows]]
        for line in self.retriever.sentence_texts.take(rows):
            found = identifiers.versions_in(line) if is_heading(line) else set()
            if found:  # (a list's item "Upgrade to 2.2 first." names one, heads nothing)
                return found
        return set()

    def _quotes_first_of(
        self, answer: Answer, ranked: Ranked, *, same_highlight: bool = False
    ) -> bool:
        """Does ``answer``'s first passage quote the place of ``ranked``'s best candidate
        (with ``same_highlight``: and highlight the same sentence)? The best candidate's
        window is made as ``Quoter.passages`` makes an answer's."""
        if not answer.passages or not len(ranked.rows):
            return False
        best = self.quoter.window(ranked.hits(1)[0], scores=ranked.scores_by_row())
        first = answer.passages[0]
        return _same_place(first, best) and (
            not same_highlight or first.highlight == best.highlight
        )

    def _may_be_elliptical(
        self, text: str, ml: bool = False, reading: Reading | None = None
    ) -> bool:
        """Could an unmarked question lean on the previous turn? Not when it names something
        the documents never mention ("What is the capital of France?"), nor when it has
        content words and none of them occurs in them ("Who wrote the article?" after a
        question about an operator): then it is a new topic, which the documents lack; nor
        when it is no question at all ("a", "ok"). In another language, a short question may
        be (counted in words, not spaces: "東京の人口は何人ですか？" is a whole question), unless
        it was put into content words the documents lack ("东京有多少人口？": Tokyo,
        population)."""
        if ml:
            if word_count(text) > _MAX_ELLIPTICAL_WORDS:
                return False
            if reading is None:
                return True
            content = [t for t in reading.translations if not is_stopword(t)]
            return not content or bool(reading.shared or reading.lexical)
        words = text.split()
        names = [w for w in words[1:] if w[:1].isupper()]
        known = self.retriever.sentence_bm25.knows
        if any(not known(t) for name in names for t in tokenize(name)):
            return False
        content = tokenize(text)
        if not content:  # "Which ones?", "Why?" lean on the last turn; "a", "ok" ask nothing
            return bool(QUESTION_WORD.search(text))
        return any(known(t) for t in content)

    def _answer(
        self,
        text: str,
        topic: str | None,
        k: int,
        force: bool,
        language: str | None,
        besides: str | None = None,
    ) -> Answer:
        resolved, ranked, reading = self._rank(text, topic, language)
        follow_up = topic is not None
        return self._decide(
            text,
            resolved,
            ranked,
            k,
            force,
            follow_up=follow_up,
            language=language,
            reading=reading,
            besides=besides,
        )

    def _rank(
        self, text: str, topic: str | None, language: str | None = None
    ) -> tuple[str, Ranked, Reading | None]:
        """The question as resolved against its topic, its ranked candidates (``language``:
        read in the multilingual space; its words that the documents share, names and numbers,
        and the documents' words it was put into are still lexical evidence), and on that path
        the question as it was put into the documents' words."""
        ml = language is not None
        if not ml:
            # Misspelt words are searched as the documents' words they stand for
            # (index.spelling); in another language, a word is not a misspelt English one
            text = self.retriever.speller.correct(text)
            topic = self.retriever.speller.correct(topic) if topic else topic
        else:
            # but a name written in its own script is searched as the documents spell it
            text = self.router.in_documents_spelling(text, language or "")
            topic = self._in_documents_spelling(topic, language)
        resolved = f"{topic} {text}" if topic else text
        found = self._dense((text, topic, language))
        # In another language, the words the documents share (names, numbers, Latin words
        # in a Chinese question) are the lexical evidence: cut at script changes; and so are
        # the documents' words its other words were put into ("gegründet" -> "founded")
        words, topic_words = (separate_scripts(text), topic) if ml else (without_frame(text), topic)
        reading, topic_reading = found.readings
        if reading is not None:
            words = " ".join([words, *reading.lexical])
        if topic and topic_reading is not None:
            topic_words = " ".join([separate_scripts(topic), *topic_reading.lexical])
        tokens = tokenize(words) * 2 + tokenize(topic_words) if topic_words else tokenize(words)
        ranked = self.retriever.rank(
            found.query,
            tokens,
            question=text,
            dense=found.evidence,
            space=self._space(ml),
            ranker=self._scorer(ml).ranker,
        )
        return resolved, ranked, reading

    def _in_documents_spelling(self, topic: str | None, language: str | None) -> str | None:
        return (
            self.router.in_documents_spelling(topic, self._topic_language(topic, language))
            if topic
            else topic
        )

    def _topic_language(self, topic: str, language: str | None) -> str:
        """The language the earlier questions were asked in: their own, or the question's."""
        return self.foreign_language(topic) or language or ""

    def _scorer(self, ml: bool) -> Scorer:
        return self.multilingual_scorer if ml and self.multilingual_scorer else self.scorer

    def ranking(self, question: str, history: Sequence[str] = ()) -> tuple[Ranked, bool]:
        """The ranked candidates of the question as first read (in the light of the history
        when it is marked as a follow-up), and whether it was: what the scorer is trained on."""
        text = clean_question(question, self.max_question_chars)
        topic = topic_of(history)
        follow_up = topic is not None and is_follow_up(text)
        language = self._language(text, topic)  # as ``answer`` reads it
        return self._rank(text, topic if follow_up else None, language)[1], follow_up

    def question_features(self, ranked: Ranked, follow_up: bool) -> QuestionFeatures:
        return question_features(
            ranked.scores,
            ranked.features,
            coverage=ranked.coverage,
            question_terms=ranked.terms,
            corpus_sentences=len(self.stored.sentences),
            corpus_documents=len(self.stored.documents),
            follow_up=follow_up,
        )

    def _decide(
        self,
        text: str,
        resolved: str,
        ranked: Ranked,
        k: int,
        force: bool,
        *,
        follow_up: bool,
        language: str | None = None,
        reading: Reading | None = None,
        besides: str | None = None,
    ) -> Answer:
        """Quote the best candidates, or decline when the scorer finds no answer here.
        ``reading``: the question put into the documents' words (the multilingual path);
        ``besides``: a sentence that is no answer ("What else…?": the one quoted before)."""
        ml = language is not None
        if besides is not None:
            texts = self.retriever.sentence_texts.take(ranked.rows)
            ranked = ranked.without(np.asarray([t == besides for t in texts], dtype=bool))
        if not len(ranked.rows):
            return Answer(text, False, (), resolved)
        features = self.question_features(ranked, follow_up).vector()
        scorer = self._scorer(ml)
        confidence = scorer.confidence(features)
        if ml and follow_up:
            # The hand-set rule of follow-ups reads the main model's cosines, and the path's
            # own threshold was chosen on questions asked alone: a follow-up in another
            # language is answered when its first quote is more likely right than not
            confident = confidence >= FOLLOW_UP_CONFIDENCE
        else:
            confident = scorer.answers(features, follow_up=follow_up)
            # On one short document the path's decline threshold is low (its evidence is
            # weaker there); a quote whose calibrated chance of being right is this low is
            # declined all the same
            confident = confident and not (ml and confidence < MULTILINGUAL_MIN_CONFIDENCE)
        # "Who wrote it?", "Who reported it?": the byline or attribution answers (index.provenance)
        # "Кто автор статьи?" -> "who author articles"
        # (its words spelt like English ones count here: French "article" names the text)
        kind = (
            asks_about_origin_in_words(reading.text, reading.alike) if reading is not None else None
        )
        origin = origin_answer(
            text,
            ranked,
            self.retriever.sentence_texts,
            documents=len(self.stored.documents),
            kind=kind,
        )
        if origin is not None:  # the byline, attribution or title alone: nothing else answers
            line = SentenceHit(self.stored.sentences[origin], float(ranked.scores[0]))
            return Answer(
                text, True, (self.quoter.window(line, is_answer=True),), resolved, confidence
            )
        if not confident and not force:
            return Answer(text, False, (), resolved, confidence)
        hits = ranked.hits(max(10, 4 * k))
        # Further passages only when the ranker rates them nearly as high as the first: never
        # pad an answer with weak quotes.
        floor = hits[0].score - SECONDARY_LOGIT_GAP
        strong = [hits[0]] + [h for h in hits[1:] if force or h.score >= floor]
        passages = self.quoter.passages(strong, k, ranked.scores_by_row())
        if confident and self._names_another(text, passages[0], hits[0].sentence.row):
            # "How many food parcels were given out in 2021?" of a report on 2023, "What
            # changed in version 2.1.0?" of 2.4.0's items: no answer
            if not force:
                return Answer(text, False, (), resolved, confidence)
            confident = False
        return Answer(text, confident, tuple(passages), resolved, confidence)
