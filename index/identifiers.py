"""Which year or which version a question names, and whether a quote is about it.

"How many food parcels were given out in 2021?" of an annual report on 2023 is not answered
by its 2023 figure, nor "What changed in version 2.1.0?" of a changelog by an item of 2.4.0:
a question that names a year or a version is declined when neither its first quote, the
quote's section, the nearest heading above it that names one (a changelog's "## 2.4.0 —
2026-03-02" over its "### Fixed"), nor its document's title holds it. Rules, no fitted part.
"""

from __future__ import annotations

import re

#: A year, as a question names one: after "in", "since", "the", a month… ("in 2021", "the
#: 1998 season", "the 1950s"), not a quantity ("over 2000 words", "a 1500 ml bottle")
_ASKED_YEAR = re.compile(
    r"(?i:\b(?:in|since|before|after|by|during|from|until|till|between|and|of|for|the|"
    r"year|around|circa|jan\w*|feb\w*|mar\w*|apr\w*|may|jun\w*|jul\w*|aug\w*|sep\w*|"
    r"oct\w*|nov\w*|dec\w*)\s+)((?:1[5-9]|20)\d\d)(?![\d.,:/-]\d)"
)
#: ... and as a text writes one: anywhere ("21/03/2011", "FY2021"), and a span of them
#: ("between 2019 and 2021", "2019–2021")
_YEAR = re.compile(r"(?<!\d)(?:1[5-9]|20)\d\d(?!\d)")
_YEARS_SPAN = re.compile(
    r"(?<!\d)((?:1[5-9]|20)\d\d)\s*(?:[-–—]|to|and|until|through)\s*((?:1[5-9]|20)\d\d)(?!\d)"
)
#: A version, as a question names one: after "version", "release", "v" ("version 3.0", "v2.1",
#: "release 4"), or with two dots ("2.1.0"); "2.4 litres" is no version
_ASKED_VERSION = re.compile(
    r"(?i:\b(?:version|release|v|ver\.?)\s?)(\d+(?:\.\d+){0,3})(?![\d.]*\d)|"
    r"(?<![\d.])(\d+\.\d+\.\d+)(?![\d.]*\d)"
)
#: ... and as a text writes one: any number ("2.4.0", "v3.0", "Migrating from Driftlog 3"; a
#: price or a count counts too, which only spares a quote)
_VERSION = re.compile(r"(?<![\d.])(\d+(?:\.\d+){0,3})(?![\d.]*\d)")


def another_year(question: str, said: str) -> bool:
    """Does the question name a year (``_ASKED_YEAR``) that ``said`` (the quote, its section's
    heading, its document's title) does not hold, or span ("How many parcels were given out
    in 2021?" answered by "Food parcels distributed 18,907" under "2023 at a glance")?"""
    asked = {int(y) for y in _ASKED_YEAR.findall(question)}
    if not asked:
        return False
    held = {int(y) for y in _YEAR.findall(said)}
    for first, last in _YEARS_SPAN.findall(said):
        held.update(range(int(first), int(last) + 1))
    return not asked & held


def asked_versions(question: str) -> set[tuple[int, ...]]:
    """The versions the question names ("What changed in version 2.1.0?": (2, 1, 0))."""
    return {_parts(a or b) for a, b in _ASKED_VERSION.findall(question)}


def versions_in(text: str) -> set[tuple[int, ...]]:
    """The versions a text may name ("## 2.4.0 — 2026-03-02": (2, 4, 0), and 2026, 3 and 2)."""
    return {_parts(v) for v in _VERSION.findall(text)}


def another_version(asked: set[tuple[int, ...]], held: set[tuple[int, ...]]) -> bool:
    """Is none of the ``asked`` versions among the ``held`` ones? A version holds the ones it
    begins with ("3.0.1" holds "3" and "3.0"), and "2.1" holds "2.1.4" ("2.1.0" is "2.1");
    a bare number holds only itself (the "2" of "-03-02" is no "2.1")."""
    if not asked:
        return False
    return not any(
        h[: len(a)] == a or (len(h) > 1 and a[: len(h)] == h) for a in asked for h in held
    )


def _parts(version: str) -> tuple[int, ...]:
    parts = [int(p) for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:  # "3.0" is "3"
        parts.pop()
    return tuple(parts)
