"""Cleaning of web captures: page furniture never becomes quotable text.

A capture of a web page carries the page's navigation, share buttons and footer ("Visit Us",
"Follow Me", "You may also like...", "Leave a Reply"...). These lines are recognised by what
they are — short lines made of well-known page-furniture phrases — not by their position, so
the article's own short lines (its title, the author's name) survive.
"""

from __future__ import annotations

import re
import unicodedata

# Phrases that make up page furniture. A line is dropped when, once normalised, it *is* one of
# these, or starts with one and stays short (e.g. "Your email address will not be published.
# Required fields are marked *").
_FURNITURE = (
    "visit us",
    "follow me",
    "follow us",
    "follow us on",
    "author profile",
    "about the author",
    "you may also like",
    "you might also like",
    "related posts",
    "related articles",
    "related stories",
    "related",
    "read more",
    "read next",
    "more stories",
    "recommended",
    "leave a reply",
    "leave a comment",
    "post a comment",
    "cancel reply",
    "your email address will not be published",
    "required fields are marked",
    "share this",
    "share this article",
    "share on facebook",
    "share on twitter",
    "share",
    "tweet",
    "click to share",
    "like this",
    "like this:",
    "loading",
    "subscribe",
    "subscribe to our newsletter",
    "sign up for our newsletter",
    "skip to content",
    "skip to main content",
    "main menu",
    "menu",
    "search",
    "home",
    "previous post",
    "next post",
    "previous article",
    "next article",
    "all rights reserved",
    "copyright",
    "privacy policy",
    "terms of use",
    "cookie policy",
    "we use cookies",
    "advertisement",
    "sponsored",
    "comments",
    "no comments",
    "print",
    "email",
)
_PREFIX_ONLY_MAX_CHARS = 160
_NON_WORD = re.compile(r"[^\w\s:]+")
_SPACES = re.compile(r"\s+")


def normalise_line(line: str) -> str:
    """Lower-case, strip punctuation, ellipses and symbols, collapse spaces."""
    text = unicodedata.normalize("NFKC", line).casefold()
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip(" :")


def is_furniture(line: str) -> bool:
    """True for a navigation, share or footer line of a web page."""
    norm = normalise_line(line)
    if not norm:
        return bool(line.strip())  # lines of symbols only ("***", "|", "»")
    if norm in _FURNITURE:
        return True
    if len(line.strip()) <= _PREFIX_ONLY_MAX_CHARS:
        return any(
            norm.startswith(phrase + " ") and len(phrase.split()) >= 3 for phrase in _FURNITURE
        )
    return False


def clean_lines(lines: list[str]) -> list[str]:
    """Drop page furniture and immediate repeats of a line (captures often print a name twice)."""
    kept: list[str] = []
    for raw in lines:
        line = _SPACES.sub(" ", raw).strip()
        if not line or is_furniture(line):
            continue
        if kept and kept[-1] == line:
            continue
        kept.append(line)
    return kept
