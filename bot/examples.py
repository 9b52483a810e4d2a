"""Example questions for /start, drawn from the corpus itself: "What is <name>?" for names the
documents mention most, kept only when the engine really answers them."""

from __future__ import annotations

import re
from collections import Counter

from index.engine import Engine

_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w’'&-]*(?:\s+[A-Z][\w’'&-]*){0,2})")
_SKIP = frozenset(
    "The A An This That These Those It I In On At As By For From With And But".split()
)


def example_questions(engine: Engine, count: int = 2) -> list[str]:
    names: Counter[str] = Counter()
    for indexed in engine.documents():
        for line in indexed.document.text.split("\n")[1:]:  # skip the title line
            for match in _NAME.finditer(line):
                name = match.group(1).strip()
                words = name.split()
                while words and words[0] in _SKIP:
                    words = words[1:]
                if words and len(" ".join(words)) > 2:
                    names[" ".join(words)] += 1
    out: list[str] = []
    for name, _ in names.most_common(20):
        if any(name in q or q.removeprefix("What is ").rstrip("?") in name for q in out):
            continue
        question = f"What is {name}?"
        try:
            if engine.answer(question, k=1).answered:
                out.append(question)
        except Exception:  # noqa: S112 - an example is optional
            continue
        if len(out) >= count:
            break
    return out
