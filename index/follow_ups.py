"""Whether a question leans on the conversation, and on which part of it.

A follow-up opens with a connective ("And Kang Song NET?", "What about parking?", in the
bot's languages too: "А Kang Song NET?", "那 Kang Song NET 呢？"), or is short and refers back
("When did it start?"), or is a few words that ask nothing of their own ("the Vela X",
"Samuel?", "in 2019?"). Its topic is the previous question, with that one's own topic when it
was a follow-up too. Rules, no fitted part; ``index.answering`` decides how a follow-up is
searched and answered, ``index.referents`` whom its pronoun means.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.lexical import tokenize
from index.text_features import WORDS

FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|also|or|so|then|what about|how about|and what about|same for|"
    r"what of|as for)\b",
    re.IGNORECASE,
)
#: The same cues in the languages the bot speaks: "А Kang Song NET?", "Und welche Städte?",
#: "¿Y Kang Song NET?", "那 Kang Song NET 呢？", "그럼 Kang Song NET은요?"
_FOLLOW_UP_START_OTHER = re.compile(
    r"^\s*[¿¡]?\s*(?:(?:а|и|но|а как же|а что|і|але|und|aber|und was ist mit|y|pero|et|e|"
    r"mais|mas)"
    r"(?=[\s,])|那|那么|还有|而|그럼|그러면|그리고)",
    re.IGNORECASE,
)
_ANAPHORA = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|"
    r"there|the same|the other|the latter|the former|one)\b",
    re.IGNORECASE,
)
_EXISTENTIAL = re.compile(
    r"\b(?:(?:is|are|was|were|will|would|could|can|has|have|had)\s+there|"
    r"there\s+(?:is|are|was|were|will|would|could|can|has|have|had|'s|’s))\b",
    re.IGNORECASE,
)
_MAX_FOLLOW_UP_CONTENT_TOKENS = 4
#: a place named after a preposition ("in North Korea"; "on Monday" passes for one too)
_OWN_PLACE = re.compile(
    r"\b(?i:in|at|on|across|inside|within|near)\s+(?:(?i:the)\s+)?[A-Z][\w’'-]*"
    r"(?:\s+[A-Z][\w’'-]*)*"
)
#: content words besides the place that name what exists ("mobile operators")
_NAMES_WHAT_EXISTS = 1
_MAX_FRAGMENT_WORDS = 4
#: A letter of another script than Latin: a few words in it are no fragment of an English turn
_NON_LATIN = re.compile(r"[^\W\d_\u0000-\u024f\u1e00-\u1eff]")
#: a question's opening verb ("Is it new?", "Can I park?")
_OPENS_QUESTION = re.compile(
    r"^\W*(?:is|are|was|were|am|do|does|did|can|could|will|would|shall|should|may|might|"
    r"must|has|have|had)\b",
    re.IGNORECASE,
)
#: common verbs and their forms: a few words holding one say something ("reset password",
#: "cancel my booking"), they are not a fragment of the last question
_VERBS = frozenset(
    """be is are was were been being have has had do does did get gets got make makes made
    go goes went take takes took give gives gave find found tell told show shows need needs
    want wants use uses used pay pays paid book booked cancel change reset open close buy
    sell send sent know knew work works start started stop return returned bring brought
    keep kept leave left put set run runs call called help delete remove add install login
    log sign register apply upload download contact report""".split()
)
QUESTION_WORD = re.compile(r"\b(who|whom|whose|what|which|when|where|why|how)\b|\?", re.IGNORECASE)
#: How many earlier questions of a conversation a follow-up is read with.
HISTORY_TURNS = 3


def is_follow_up(question: str) -> bool:
    """Does the question lean on the previous one? ("And Kang Song NET?", "When did it start?")

    Generic cues only: it opens with a connective ("and", "what about"...), or it is short and
    refers back with a pronoun.
    """
    if FOLLOW_UP_START.match(question) or _FOLLOW_UP_START_OTHER.match(question):
        return True
    if is_fragment(question):  # "the Vela X?", "Samuel?": what about it, as before
        return True
    content = tokenize(question)
    if len(content) > _MAX_FOLLOW_UP_CONTENT_TOKENS:
        return False
    # "there" in "are there", "there is" says something exists: in a question that names
    # what and where ("How many mobile operators are there in North Korea?") it points
    # nowhere; otherwise the last turn may say what or where ("Was there a discount?" after
    # a question on prices, "How many are there in Pyongyang?")
    place = _OWN_PLACE.search(question)
    if place and len(tokenize(_OWN_PLACE.sub(" ", question))) >= _NAMES_WHAT_EXISTS:
        question = _EXISTENTIAL.sub(" ", question)
    return bool(_ANAPHORA.search(question))


def is_fragment(question: str) -> bool:
    """A few words that ask nothing of their own: no question word, no verb to open a
    question ("the Vela X", "Kang Song NET?", "in 2019?"), not an order ("reset password")."""
    words = WORDS.findall(question)
    return (
        0 < len(words) <= _MAX_FRAGMENT_WORDS
        and bool(tokenize(question))  # "a", "ok?" ask nothing at all
        and not _NON_LATIN.search(question)
        and not QUESTION_WORD.search(question.rstrip("?？ "))
        and not _OPENS_QUESTION.match(question)
        and not any(w.casefold() in _VERBS for w in words)
    )


def topic_of(history: Sequence[str]) -> str | None:
    """The topic a follow-up leans on: the last question, with its own topic if it was itself
    a follow-up (over the last few turns)."""
    topic: str | None = None
    for previous in [h for h in history if h.strip()][-HISTORY_TURNS:]:
        topic = previous if topic is None or not is_follow_up(previous) else f"{topic} {previous}"
    return topic
