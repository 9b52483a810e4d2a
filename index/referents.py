"""Whom a follow-up's pronoun means when the previous answer named them.

"Who designed the Quarry Lane Bridge?" → "The bridge was designed by the engineer Thomas
Aldane…" → "What else did he design?": the "he" is the engineer the answer named, whom the
previous question could not name. After a question that asks *who* (or *whose*, *which
company*…), a personal pronoun of the follow-up ("he", "her", "their") stands for the first
name the previous answer's highlight adds to the conversation, and the follow-up is read with
that name in the pronoun's place: "What else did Thomas Aldane design?".

Not after "Who is Tom Reyes?" (the question named the one it asks about, and "he" is him), nor
for "it" (a thing, not the person named), nor for a name that is a place ("in Kessford", "on
the River Lin"), a month or a day. Rules, no fitted part.
"""

from __future__ import annotations

import re

from index.lexical import tokenize

#: A question that asks for someone: the answer names them
_ASKS_WHO = re.compile(
    r"^\W*(?:(?:and|so|but|then)\s+)?(?:who|whom|whose|by whom|"
    r"which\s+(?:of\s+(?:his|her|their|its|the)\s+\w+|person|people|company|firm|"
    r"organi[sz]ation|group|team|club)|what\s+(?:company|firm|organi[sz]ation|group))\b",
    re.IGNORECASE,
)
#: "Who is Tom Reyes?": the question names whom it asks about
_NAMES_WHOM = re.compile(
    r"^\W*who(?:\s+(?:is|was|are|were)|[’']s)\s+(?:the\s+)?(?-i:[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'.-]*)*)"
    r"\s*[?？]?\s*$",
    re.IGNORECASE,
)
#: A pronoun that stands for a person (or a group of people); "it" and "its" are things
_PERSONAL = re.compile(r"\b(he|him|his|she|her|hers|they|them|their|theirs)\b", re.IGNORECASE)
#: one class a pronoun and the one it stands for share
_KIND = {
    **dict.fromkeys(("he", "him", "his"), "he"),
    **dict.fromkeys(("she", "her", "hers"), "she"),
    **dict.fromkeys(("they", "them", "their", "theirs"), "they"),
}
_POSSESSIVE = frozenset({"his", "hers", "their", "theirs"})
#: A name: capitalised words ("Mr." too), with "&", "of", "de"… inside ("Keele & Marsh")
_WORD = r"(?:(?:Mrs|Mr|Ms|Dr|Prof|St|Sir)(?:\.|(?!\w))|[A-Z][\w’'-]*\w)"
_NAME = re.compile(rf"(?<![\w’'-]){_WORD}(?:\s+(?:(?:&|of|de|van|von|der|la)\s+)?{_WORD})*")
#: where a sentence starts: its first word is capitalised whatever it is
_SENTENCE_START = re.compile(r"(?:^|[.!?…:;]['’\"”)\]]*)\W*$")
#: a contraction: "Don't", "We've", "What's" are no names ("Henry's" is)
_CONTRACTION = re.compile(
    r"[’'](?:t|ve|re|ll|m|d)$|^(?:what|that|it|he|she|there|here|let|who)[’']s$", re.I
)
#: "Hungarian-born", "Sixth-form": a word, not a name
_HYPHENATED = re.compile(r"-[a-z]")
#: what comes before a place's name
_PLACE_BEFORE = re.compile(
    r"\b(?:in|at|near|to|on|across|over|into|outside|around)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
#: words that name a body, not a person ("Keele & Marsh", "Brightwater Filtration"): what
#: "they" may stand for
_BODIES = frozenset(
    """academy agency association authority bank board centre center church club college
    committee company corporation council department filtration foundation fund group
    hospital inc institute limited ltd ministry museum office party press school service
    services society team trust union university""".split()
)
#: words that name a place ("River Lin")
_PLACES = frozenset(
    """city county river lake street road bridge footbridge viaduct tower castle cathedral
    square park hall house station island mount mountain valley bay north south east west
    new lane avenue building""".split()
)
_NOT_NAMES = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)


def asks_for_someone(question: str) -> bool:
    """Does the question ask who (or which company…) did something, not about someone it
    names ("Who is Tom Reyes?")?"""
    return bool(_ASKS_WHO.match(question)) and not _NAMES_WHOM.match(question)


def pronoun_kind(question: str) -> str | None:
    """The kind of the question's first personal pronoun: "he", "she" or "they"."""
    found = _PERSONAL.search(question)
    return _KIND[found.group().casefold()] if found else None


def named_as(question: str, read: str) -> str | None:
    """The name that ``read`` put in the place of ``question``'s first personal pronoun, so a
    later "he" can mean the same one ("When did he die?" after "What else did he design?")."""
    found = _PERSONAL.search(question)
    if found is None or read == question or not read.startswith(question[: found.start()]):
        return None
    tail = question[found.end() :]
    name = read[found.start() : len(read) - len(tail)] if read.endswith(tail) else ""
    name = name.removesuffix("'s")
    return name or None


def new_names(highlight: str, said: str) -> list[str]:
    """The names ``highlight`` holds that ``said`` (the conversation's questions) does not, in
    order; not a sentence's first word alone, nor a common word opening it ("The", "She"),
    nor a contraction ("Don't"), a place ("in Kessford"), a month or a day."""
    known = set(tokenize(said))
    out: list[str] = []
    for found in _NAME.finditer(highlight):
        words = found.group().split()
        if _SENTENCE_START.search(highlight[: found.start()]):
            if len(words) == 1:  # "Crowds lined…": the capital says nothing
                continue
            if not tokenize(words[0]) or _CONTRACTION.search(words[0]):  # "The Club"
                words = words[1:]
        if any(_CONTRACTION.search(w) or _HYPHENATED.search(w) for w in words):
            continue
        name = " ".join(words).removesuffix("'s").removesuffix("’s")
        tokens = tokenize(name)
        if not tokens or set(tokens) <= known or name.casefold() in _NOT_NAMES:
            continue
        if _PLACE_BEFORE.search(highlight[: found.start()]):
            continue
        out.append(name)
    return out


def is_person(name: str) -> bool:
    """Could the name be a person's: one to three capitalised words, none of them a body's, a
    place's or an acronym ("Sofia Brandt", "Varga"; not "Keele & Marsh", "Brightwater
    Filtration", "River Lin", "NCAA")?"""
    words = name.split()
    return 1 <= len(words) <= 3 and all(
        w[:1].isupper()
        and w.casefold() not in _BODIES | _PLACES
        and w != "The"
        and not (len(w) > 1 and w.isupper())
        for w in words
    )


def names_a_person(question: str) -> bool:
    """Does the question name someone ("Who did Paul Dunmore marry?", "Who taught Varga?"),
    whom a later "he" or "she" may mean as well as the one it asks for?"""
    return any(is_person(name) for name in _NAME.findall(question[1:]))


def is_body(name: str) -> bool:
    """Does the name hold a body's word ("The Club", "Keele & Marsh Ltd")?"""
    return any(w.casefold() in _BODIES for w in name.split())


def with_referent(question: str, name: str) -> str | None:
    """The question with its first personal pronoun replaced by ``name`` ("What does his
    company make?" → "What does Teodor Vasquez's company make?"), or None without one."""
    found = _PERSONAL.search(question)
    if found is None:
        return None
    pronoun = found.group().casefold()
    after = question[found.end() :]
    possessive = pronoun in _POSSESSIVE or (
        pronoun == "her" and bool(re.match(r"\s+(?!(?:and|or|to|for|in|on|at|with)\b)\w", after))
    )
    return question[: found.start()] + (f"{name}'s" if possessive else name) + after


def _said_of(name: str, passage: str) -> str | None:
    """The kind ("he" / "she") of the first such pronoun after ``name`` in ``passage``: what
    the text itself calls them ("…by Sofia Brandt. She studied chemistry…")."""
    at = passage.find(name)
    if at < 0:
        return None
    kinds = (_KIND[p.group().casefold()] for p in _PERSONAL.finditer(passage, at + len(name)))
    return next((kind for kind in kinds if kind in ("he", "she")), None)


def resolved(
    question: str, previous: str, highlight: str, said: str, passage: str = ""
) -> str | None:
    """The follow-up ``question`` with its pronoun replaced by the name the previous answer's
    ``highlight`` adds, when the ``previous`` question asked for someone and named no one
    its pronoun could stand for; else None. ``said``: the conversation's earlier questions
    (names they hold are not new); ``passage``: the previous answer's quote, whose pronouns
    say whether a name is a "he" or a "she". "she" takes a person's name, "they" a body's."""
    kind = pronoun_kind(question)
    if kind is None or not asks_for_someone(previous) or pronoun_kind(previous) == kind:
        return None
    if kind in ("he", "she") and names_a_person(previous):
        # "Who did Paul Dunmore marry?" → "When did he die?": he may be either of them
        return None
    fits = is_person if kind in ("he", "she") else is_body
    names = [n for n in new_names(highlight, said) if fits(n)]
    if kind in ("he", "she"):  # not one the quote calls the other ("he" for Sofia Brandt)
        names = [n for n in names if _said_of(n, passage or highlight) in (None, kind)]
    return with_referent(question, names[0]) if names else None
