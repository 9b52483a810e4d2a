"""What the bot remembers between messages, in a store that survives restarts and that several
bot processes can share: each chat's recent questions (follow-ups), what each answer's
buttons need (``Asked``), and each user's vote on each answer.

Two back-ends, the same SQL: an embedded SQLite file next to the index by default
(``state.sqlite``, WAL mode), or PostgreSQL when ``VERBATIM_STATE_URL``
says so (``postgresql://user:password@host:port/db``; the password never appears in a log or an
error). Upserts are ``INSERT … ON CONFLICT … DO UPDATE``. Every call blocks: the bot makes them
off the event loop (``AnswerService``). Not python-telegram-bot's pickle persistence, which
one process owns and writes whole.

The flood window (how many messages each user sent lately, and whether they were told to
slow down) is kept here too, so a user who floods two processes is counted once. The per-user
question queue stays in each process: it is that process's own tasks.

One module (about 330 lines): every statement the bot runs against the store is here, beside
the schema it relies on and the two back-ends' differences.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.errors import ConfigError
from index.follow_ups import HISTORY_TURNS

STATE_FILE = "state.sqlite"
#: the PostgreSQL advisory lock held while the tables are created (any fixed number)
_SCHEMA_LOCK = 0x7665726261  # "verba"
#: answers whose buttons are kept (the oldest go first)
MAX_ANSWERS = 20_000

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS history (
        chat_id BIGINT PRIMARY KEY,
        questions TEXT NOT NULL,
        updated DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS answers (
        qid TEXT PRIMARY KEY,
        chat_id BIGINT NOT NULL,
        data TEXT NOT NULL,
        shown INTEGER NOT NULL,
        updated DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS votes (
        qid TEXT NOT NULL,
        user_id BIGINT NOT NULL,
        vote TEXT NOT NULL,
        PRIMARY KEY (qid, user_id)
    )""",
    "CREATE INDEX IF NOT EXISTS answers_updated ON answers (updated)",
    """CREATE TABLE IF NOT EXISTS flood (
        user_id BIGINT NOT NULL,
        at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS flood_user ON flood (user_id, at)",
    """CREATE TABLE IF NOT EXISTS flood_warned (
        user_id BIGINT PRIMARY KEY,
        until DOUBLE PRECISION NOT NULL
    )""",
]


@dataclass
class Asked:
    """What an answer's buttons need: the question and its history, the chat it was answered
    in and the messages that carry its buttons (a button from anywhere else has expired), and
    how many passages the chat has seen (More goes on from there)."""

    question: str
    history: list[str]
    chat: int
    passages: list[str]
    messages: set[int] = field(default_factory=set)
    shown: int = 0

    def to_json(self) -> str:
        data = asdict(self)
        data["messages"] = sorted(self.messages)
        del data["shown"]  # a column of its own: More moves it atomically
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_row(cls, data: str, shown: int) -> Asked:
        raw = json.loads(data)
        return cls(
            str(raw["question"]),
            [str(h) for h in raw["history"]],
            int(raw["chat"]),
            [str(p) for p in raw["passages"]],
            {int(m) for m in raw["messages"]},
            int(shown),
        )


def _wal(conn: sqlite3.Connection, patience: float = 10.0) -> None:
    """Put the file in WAL mode (it sticks to the file; then this is a no-op). The switch does
    not wait for another connection's lock as statements do, so wait here: processes that
    start together on a new file would otherwise fail with "database is locked"."""
    deadline = time.monotonic() + patience
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class State:
    """The store (see the module's docstring). Thread-safe: one connection, one lock."""

    def __init__(self, url: str | None, index_dir: Path) -> None:
        self._lock = threading.RLock()  # re-entered by steps that must not interleave
        if url and url.startswith(("postgresql://", "postgres://")):
            import psycopg

            try:
                self._conn: Any = psycopg.connect(url, autocommit=True, connect_timeout=10)
            except psycopg.Error as exc:
                raise StateError(
                    f"cannot connect to VERBATIM_STATE_URL ({_redact(exc, url)})"
                ) from None
            self._param = "%s"
            self.where = f"PostgreSQL {_redact_url(url)}"
        elif url and not url.startswith("sqlite:"):
            raise StateError("VERBATIM_STATE_URL must start with postgresql:// or sqlite:///")
        else:
            path = Path(url.removeprefix("sqlite:///")) if url else index_dir / STATE_FILE
            path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(
                path, check_same_thread=False, isolation_level=None, timeout=10
            )
            self._param = "?"
            self.where = str(path)
        try:
            self._create_tables()
        except Exception as exc:  # sqlite3.Error, psycopg.Error: the store is unusable
            reason = _redact(exc, url) if url else str(exc)
            self._conn.close()
            raise StateError(f"cannot create the bot's tables in {self.where} ({reason})") from None

    def _create_tables(self) -> None:
        """The tables, created once however many processes start at the same moment: in one
        transaction that holds the store's lock (PostgreSQL's ``CREATE TABLE IF NOT EXISTS`` is
        not safe against a concurrent one: the second fails on a duplicate type name)."""
        with self._cursor() as cur, self._holding_the_store(cur):
            for statement in _SCHEMA:
                cur.execute(statement)

    @contextmanager
    def _holding_the_store(self, cur: Any) -> Iterator[None]:
        """One transaction that no other process's schema work can interleave with."""
        if self._param != "?":
            with self._conn.transaction():
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                yield
            return
        _wal(self._conn)
        cur.execute("BEGIN IMMEDIATE")  # waits (timeout) for another process's write
        try:
            yield
        except BaseException:
            with suppress(sqlite3.Error):  # (SQLite may have rolled back itself)
                cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        with self._lock:
            cur = self._conn.cursor()
            try:
                yield cur
            finally:
                cur.close()

    def _sql(self, statement: str) -> str:
        return statement if self._param == "?" else statement.replace("?", "%s")

    def _run(self, statement: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run a statement; the rows it returns."""
        return self._execute(statement, params)[0]

    def _count(self, statement: str, params: Sequence[object]) -> int:
        """Run a write; how many rows it changed."""
        return self._execute(statement, params)[1]

    def _execute(
        self, statement: str, params: Sequence[object]
    ) -> tuple[list[tuple[Any, ...]], int]:
        with self._cursor() as cur:
            cur.execute(self._sql(statement), tuple(params))
            return (list(cur.fetchall()) if cur.description else []), int(cur.rowcount)

    # -- conversations -------------------------------------------------------------------------

    def history(self, chat_id: int) -> list[str]:
        rows = self._run("SELECT questions FROM history WHERE chat_id = ?", [chat_id])
        return [str(q) for q in json.loads(rows[0][0])] if rows else []

    def add_question(self, chat_id: int, question: str) -> None:
        """Append to the chat's history (its last ``HISTORY_TURNS`` questions)."""
        kept = [*self.history(chat_id), question][-HISTORY_TURNS:]
        self._run(
            "INSERT INTO history (chat_id, questions, updated) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET questions = excluded.questions, "
            "updated = excluded.updated",
            [chat_id, json.dumps(kept, ensure_ascii=False), time.time()],
        )

    def forget(self, chat_id: int) -> None:
        self._run("DELETE FROM history WHERE chat_id = ?", [chat_id])

    # -- buttons -------------------------------------------------------------------------------

    def remember(self, qid: str, asked: Asked) -> None:
        self._run(
            "INSERT INTO answers (qid, chat_id, data, shown, updated) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (qid) DO UPDATE SET data = excluded.data, updated = excluded.updated",
            [qid, asked.chat, asked.to_json(), asked.shown, time.time()],
        )
        if hash(qid) % 100 == 0:  # now and then: keep the newest MAX_ANSWERS
            self._run(
                "DELETE FROM answers WHERE qid IN (SELECT qid FROM answers "
                "ORDER BY updated DESC LIMIT -1 OFFSET ?)"
                if self._param == "?"
                else "DELETE FROM answers WHERE qid IN (SELECT qid FROM answers "
                "ORDER BY updated DESC OFFSET ?)",
                [MAX_ANSWERS],
            )

    def recall(self, qid: str) -> Asked | None:
        rows = self._run("SELECT data, shown FROM answers WHERE qid = ?", [qid])
        return Asked.from_row(rows[0][0], rows[0][1]) if rows else None

    def add_message(self, qid: str, message_id: int) -> None:
        """One more message carries the answer's buttons."""
        asked = self.recall(qid)
        if asked is not None:
            asked.messages.add(message_id)
            self.remember(qid, asked)

    def take_passages(self, qid: str, step: int) -> int:
        """Reserve the next ``step`` passages of an answer for a More press: the first one's
        position (what the chat had seen). Atomic, across processes too."""
        rows = self._run(
            "UPDATE answers SET shown = shown + ? WHERE qid = ? RETURNING shown", [step, qid]
        )
        return int(rows[0][0]) - step if rows else 0

    def give_back(self, qid: str, start: int, step: int) -> None:
        """Undo ``take_passages`` when those passages could not be sent — unless another
        press has taken further ones since (then they stay taken: no passage twice)."""
        self._run(
            "UPDATE answers SET shown = ? WHERE qid = ? AND shown = ?", [start, qid, start + step]
        )

    # -- flood control ---------------------------------------------------------------------------

    def flooding(self, user_id: int, limit: int, window: float) -> tuple[bool, bool]:
        """(limited, warn) for one more message from the user: limited when ``limit``
        messages came in the last ``window`` seconds; warn the first time in a burst."""
        with self._lock:  # count and add as one step within this process
            return self._flooding(user_id, limit, window)

    def _flooding(self, user_id: int, limit: int, window: float) -> tuple[bool, bool]:
        now = time.time()
        self._run("DELETE FROM flood WHERE user_id = ? AND at < ?", [user_id, now - window])
        rows = self._run("SELECT COUNT(*) FROM flood WHERE user_id = ?", [user_id])
        if int(rows[0][0]) >= limit:
            told = self._count(
                "INSERT INTO flood_warned (user_id, until) VALUES (?, ?) "
                "ON CONFLICT (user_id) DO UPDATE SET until = excluded.until "
                "WHERE flood_warned.until < ?",
                [user_id, now + window, now],
            )
            return True, bool(told)
        self._run("INSERT INTO flood (user_id, at) VALUES (?, ?)", [user_id, now])
        if hash(user_id) % 50 == 0:  # now and then: the windows of users gone quiet
            self._run("DELETE FROM flood WHERE at < ?", [now - 3600])
        return False, False

    def vote(self, qid: str, user_id: int, vote: str) -> str | None:
        """Record the user's vote (``up`` or ``down``) on the answer; the vote it replaces
        (None: a first vote), or ``vote`` itself when it is the same as before (nothing
        changed). Each step is one atomic statement, so twenty quick presses — from any
        number of threads or processes — record one vote."""
        first = self._count(
            "INSERT INTO votes (qid, user_id, vote) VALUES (?, ?, ?) "
            "ON CONFLICT (qid, user_id) DO NOTHING",
            [qid, user_id, vote],
        )
        if first:
            return None
        changed = self._count(
            "UPDATE votes SET vote = ? WHERE qid = ? AND user_id = ? AND vote <> ?",
            [vote, qid, user_id, vote],
        )
        if changed:
            return "down" if vote == "up" else "up"
        return vote


class StateError(ConfigError):
    """The state store cannot be used (the message names the setting, never a password)."""


_PASSWORD = re.compile(r"(://[^:/@]+:)([^@]*)@")


def password_in(url: str) -> str | None:
    """The password of a ``scheme://user:password@host/…`` URL, if it has one."""
    match = _PASSWORD.search(url)
    return match.group(2) if match and match.group(2) else None


def _redact_url(url: str) -> str:
    return _PASSWORD.sub(r"\1***@", url)


def _redact(exc: BaseException, url: str) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    password = password_in(url)
    if password:
        text = text.replace(password, "***")
    return text.replace(url, _redact_url(url))
