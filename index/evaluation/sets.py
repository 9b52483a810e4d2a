"""Evaluation data: SQuAD-format files and conversation files, read into one shape.

* A ``.json`` file in SQuAD form (``data[].title``, ``paragraphs[].context``, ``qas[]``) gives one
  article per ``data`` entry and one ``Case`` per question; ``is_impossible`` ones (written to
  look answerable from their paragraph) are marked.
* A ``.jsonl`` file of conversations (``{"title", "document", "history", "question",
  "answers"}`` per line, as Abg-CoQA) gives one article per distinct document and one case per
  line: the earlier questions, then the follow-up whose gold span is ``answers``.

A folder stands for the data files directly inside it (sub-folders are not read: give their
files by name).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from index.errors import ConfigError

Kind = Literal["squad", "conversation"]


@dataclass(frozen=True, slots=True)
class Article:
    """One document of a set: its title and paragraphs."""

    title: str
    paragraphs: tuple[str, ...]

    def text(self) -> str:
        return self.title + "\n\n" + "\n\n".join(p.strip() for p in self.paragraphs) + "\n"


@dataclass(frozen=True, slots=True)
class Case:
    """One question to ask: written for ``article`` (-1: for another set's document), after
    the earlier questions of ``history`` (oldest first). ``answers`` are gold spans; none means
    there is no answer in the documents."""

    article: int
    question: str
    answers: tuple[str, ...]
    history: tuple[str, ...] = ()
    impossible: bool = False
    #: the paragraph (or document) the question was written on: a sentence that holds the
    #: answer text elsewhere is not the answer (training labels)
    context: str = ""

    @property
    def answerable(self) -> bool:
        return bool(self.answers) and not self.impossible


@dataclass(frozen=True)
class EvalSet:
    name: str
    path: Path
    kind: Kind
    articles: tuple[Article, ...]
    cases: tuple[Case, ...]

    @property
    def answerable(self) -> list[Case]:
        return [c for c in self.cases if c.answerable]

    @property
    def impossible(self) -> list[Case]:
        return [c for c in self.cases if c.impossible]


@dataclass(frozen=True)
class Budget:
    """How much of each set is asked (fixed-seed samples; n is printed with every figure)."""

    questions: int = 500  # answerable questions per set and mode
    impossible: int = 250
    documents: int = 60  # indexes built in per-document mode
    off_topic_per_document: int = 5
    folds: int = 5
    abstention: int = 300  # held-out and in-index questions per set
    typos: int = 200  # answerable questions asked again with one word misspelt
    seed: int = 0


def data_files(paths: Iterable[Path]) -> list[Path]:
    """The data files named, a folder standing for the ``.json``/``.jsonl`` files in it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix in {".json", ".jsonl"})
            if not inside:
                raise ConfigError(f"{path} holds no .json or .jsonl evaluation file")
            files.extend(inside)
        elif path.exists():
            files.append(path)
        else:
            raise ConfigError(f"evaluation file {path} does not exist")
    unique = list(dict.fromkeys(p.resolve() for p in files))
    names = [p.stem for p in unique]
    if len(set(names)) != len(names):
        raise ConfigError(f"two evaluation files share a name: {sorted(names)}")
    return unique


def load_set(path: Path) -> EvalSet:
    """Read one evaluation file (ConfigError with the reason if it is not one)."""
    try:
        if path.suffix == ".jsonl":
            return _load_conversations(path)
        return _load_squad(path)
    except FileNotFoundError:
        raise ConfigError(f"evaluation file {path} does not exist") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        kind = "conversation (.jsonl)" if path.suffix == ".jsonl" else "SQuAD-format JSON"
        raise ConfigError(f"{path} is not a {kind} file ({exc})") from None


def _load_squad(path: Path) -> EvalSet:
    data = json.loads(path.read_text(encoding="utf-8"))
    articles: list[Article] = []
    cases: list[Case] = []
    for a_index, article in enumerate(data["data"]):
        paragraphs = tuple(str(p["context"]) for p in article["paragraphs"])
        articles.append(Article(str(article.get("title") or f"article {a_index}"), paragraphs))
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = tuple(sorted({a["text"] for a in qa.get("answers", []) if a["text"]}))
                impossible = bool(qa.get("is_impossible")) or not answers
                cases.append(
                    Case(
                        a_index, str(qa["question"]), answers, (), impossible, paragraph["context"]
                    )
                )
    if not articles:
        raise ValueError("no articles")
    return EvalSet(path.stem, path, "squad", tuple(articles), tuple(cases))


def _load_conversations(path: Path) -> EvalSet:
    articles: list[Article] = []
    row_of: dict[str, int] = {}
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            key = str(item.get("title") or item["document"][:80])
            if key not in row_of:
                row_of[key] = len(articles)
                paragraphs = tuple(p for p in str(item["document"]).split("\n\n") if p.strip())
                articles.append(Article(key, paragraphs))
            history = tuple(str(h) for h in item.get("history", []))
            answers = tuple(sorted({str(a) for a in item["answers"] if str(a).strip()}))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"line {number}: {exc}") from None
        cases.append(
            Case(
                row_of[key], str(item["question"]), answers, history, not answers, item["document"]
            )
        )
    if not articles:
        raise ValueError("no conversations")
    return EvalSet(path.stem, path, "conversation", tuple(articles), tuple(cases))


def sample(items: Sequence[Case], n: int, seed: int) -> list[Case]:
    """At most ``n`` of ``items``, a fixed-seed sample in their original order."""
    if len(items) <= n:
        return list(items)
    chosen = sorted(random.Random(seed).sample(range(len(items)), n))
    return [items[i] for i in chosen]


def off_topic(case: Case) -> Case:
    """A question of another set, asked of a document it was not written for."""
    return replace(case, article=-1, answers=(), impossible=False, context="")


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def misspell(case: Case, seed: int) -> Case:
    """The question with one word of five letters or more misspelt as people do: a letter
    dropped, doubled, replaced or two neighbours swapped (never the first letter). Fixed by
    ``seed`` and the question; a question without such a word is returned as it is."""
    import re

    rng = random.Random(f"{seed}:{case.question}")
    words = [m for m in re.finditer(r"[A-Za-z]{5,}", case.question)]
    if not words:
        return case
    word = rng.choice(words)
    text = word.group()
    at = rng.randrange(1, len(text) - 1)
    edit = rng.choice(("drop", "double", "replace", "swap"))
    if edit == "drop":
        typo = text[:at] + text[at + 1 :]
    elif edit == "double":
        typo = text[:at] + text[at] + text[at:]
    elif edit == "replace":
        typo = text[:at] + rng.choice(_LETTERS.replace(text[at].lower(), "")) + text[at + 1 :]
    else:
        typo = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    question = case.question[: word.start()] + typo + case.question[word.end() :]
    return replace(case, question=question)
