"""What the bot was asked and what users thought: two JSON-lines files next to the index.

* ``questions.jsonl`` — one record per answered question (``QuestionRecord``): time, hashed
  chat id, the question, answered or not, confidence, latency, the quoted passage ids.
  Written unless ``VERBATIM_RECORD_QUESTIONS=false``.
* ``feedback.jsonl`` — one record per 👍/👎 (``Feedback``); when a user changes their vote on an
  answer, the summary counts the last one only.

Each record is appended with a single ``write`` on an ``O_APPEND`` descriptor, so concurrent
writers never interleave and a crash leaves at most one partial last line, which the readers
skip. ``verbatim unanswered`` and ``verbatim feedback`` read them back.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

QUESTIONS_FILE = "questions.jsonl"
FEEDBACK_FILE = "feedback.jsonl"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class QuestionRecord:
    time: str
    chat: str  # hashed chat id, never the id itself
    question: str
    answered: bool
    confidence: float
    latency_ms: float
    passages: tuple[str, ...]


@dataclass(frozen=True)
class Feedback:
    question: str
    passages: list[str]
    vote: str  # "up" or "down"
    chat: str  # hashed chat id
    time: str
    answer: str = ""  # the answer's id: one vote per user and answer, the last one counts
    user: str = ""  # hashed user id


def chat_hash(chat_id: int) -> str:
    """A stable pseudonym for a chat id (logs and journals never hold the id)."""
    return hashlib.sha256(str(chat_id).encode()).hexdigest()[:12]


def append(path: Path, record: QuestionRecord | Feedback) -> None:
    """Append one record as one line, whole or not at all (OSError when the disk refuses)."""
    line = (json.dumps(asdict(record), ensure_ascii=False) + "\n").encode("utf-8")
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            written = os.write(fd, line)
            if written != len(line):  # a full disk can cut a write short: take it back
                os.ftruncate(fd, os.fstat(fd).st_size - written)
                raise OSError(f"short write to {path.name}: disk full?")
        finally:
            os.close(fd)


def read(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a journal, skipping lines that are not whole JSON objects."""
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                yield record


def _normalised(question: str) -> str:
    return " ".join(question.casefold().split()).rstrip("?!. ")


def unanswered(index_dir: Path, limit: int = 20) -> list[tuple[int, str, str]]:
    """The most frequent questions the documents did not answer: (count, question, last asked),
    most frequent first. Spelling variants that differ only in case, spaces or the final
    question mark count as one."""
    counts: Counter[str] = Counter()
    example: dict[str, str] = {}
    last: dict[str, str] = {}
    for record in read(index_dir / QUESTIONS_FILE):
        if record.get("answered") is not False or not isinstance(record.get("question"), str):
            continue
        key = _normalised(record["question"])
        counts[key] += 1
        example.setdefault(key, record["question"])
        last[key] = str(record.get("time", ""))
    ranked = sorted(counts.items(), key=lambda kv: (kv[1], last[kv[0]]), reverse=True)
    return [(n, example[key], last[key]) for key, n in ranked[:limit]]


@dataclass(frozen=True)
class FeedbackSummary:
    up: int
    down: int
    worst: list[tuple[int, int, str]]  # (down, up, passage id), most down-voted first
    recent_down: list[str]  # questions of the latest down-votes, newest first


def feedback(index_dir: Path, limit: int = 10) -> FeedbackSummary:
    votes: dict[str, Counter[str]] = {}
    up = down = 0
    downs: list[str] = []
    # A user who changed their mind: only their last vote on that answer counts.
    last: dict[tuple[str, str], dict[str, Any]] = {}
    records: list[dict[str, Any]] = []
    for record in read(index_dir / FEEDBACK_FILE):
        key = (str(record.get("answer") or ""), str(record.get("user") or ""))
        if all(key):
            last.pop(key, None)
            last[key] = record
        else:
            records.append(record)  # older records, without the keys: each counts
    for record in [*records, *last.values()]:
        vote = record.get("vote")
        if vote not in ("up", "down"):
            continue
        if vote == "up":
            up += 1
        else:
            down += 1
            downs.append(str(record.get("question", "")))
        for passage in record.get("passages") or []:
            votes.setdefault(str(passage), Counter())[vote] += 1
    worst = sorted(
        ((c["down"], c["up"], p) for p, c in votes.items() if c["down"]),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    return FeedbackSummary(up, down, worst[:limit], downs[::-1][:limit])
