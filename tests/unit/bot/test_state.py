"""The bot's shared state (bot.state), on SQLite and on a real PostgreSQL server started by the
test; and two bot processes on one store."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.state import Asked, State, StateError
from index.config import Settings
from index.embedding import HashingEmbedder
from index.engine import Engine
from index.follow_ups import HISTORY_TURNS
from tests.fakebotapi import FakeBotApi, private, user
from tests.postgres import PASSWORD, postgres_bin, postgres_server

needs_postgres = pytest.mark.skipif(
    postgres_bin() is None, reason="PostgreSQL is not installed (.ci/run installs it)"
)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (.ci/run installs it)")
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=needs_postgres)])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[State]:
    if request.param == "sqlite":
        store = State(None, tmp_path)
    else:
        url = request.getfixturevalue("postgres_url")
        store = State(url, tmp_path)
        for table in ("history", "answers", "votes"):
            store._run(f"DELETE FROM {table}")
    yield store
    store.close()


def test_history_keeps_the_last_questions_and_forgets_on_request(state: State) -> None:
    for n in range(8):
        state.add_question(7, f"question {n}")
    state.add_question(8, "elsewhere")
    assert state.history(7) == [f"question {n}" for n in range(8 - HISTORY_TURNS, 8)]
    assert state.history(8) == ["elsewhere"]
    state.forget(7)
    assert state.history(7) == [] and state.history(8) == ["elsewhere"]


def test_answers_are_recalled_and_more_takes_each_passage_once(state: State) -> None:
    asked = Asked("When?", ["Before?"], 7, ["d:0-10"], {100}, shown=1)
    state.remember("a" * 12, asked)
    state.add_message("a" * 12, 101)
    again = state.recall("a" * 12)
    assert again == Asked("When?", ["Before?"], 7, ["d:0-10"], {100, 101}, shown=1)
    assert state.recall("b" * 12) is None
    # 40 presses at once, from 8 threads: every start is different (no passage twice).
    with ThreadPoolExecutor(8) as pool:
        starts = list(pool.map(lambda _: state.take_passages("a" * 12, 3), range(40)))
    assert sorted(starts) == list(range(1, 1 + 3 * 40, 3))


def test_one_vote_per_user_and_answer(state: State) -> None:
    assert state.vote("q" * 12, 5, "up") is None
    assert state.vote("q" * 12, 5, "up") == "up"  # the same again: nothing changes
    assert state.vote("q" * 12, 5, "down") == "up"  # a change of mind replaces it
    assert state.vote("q" * 12, 6, "up") is None
    rows = state._run("SELECT user_id, vote FROM votes ORDER BY user_id")
    assert [tuple(r) for r in rows] == [(5, "down"), (6, "up")]
    # Twenty presses at once: one first vote, nineteen "the same as before".
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: state.vote("r" * 12, 9, "up"), range(20)))
    assert results.count(None) == 1 and results.count("up") == 19


def test_sqlite_is_in_wal_mode_next_to_the_index(tmp_path: Path) -> None:
    State(None, tmp_path).close()
    with sqlite3.connect(tmp_path / "state.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=needs_postgres)])
def test_processes_starting_at_once_on_a_new_store_all_start(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Eight connections created at the same moment on a store without tables (as bot processes
    started together): every one starts, none fails on another's half-made table."""
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    if url:
        first = State(url, tmp_path)
        first._run("DROP TABLE IF EXISTS history, answers, votes, flood, flood_warned")
        first.close()
    barrier = threading.Barrier(8)

    def start(_: int) -> State:
        barrier.wait()
        return State(url, tmp_path)

    with ThreadPoolExecutor(8) as pool:
        stores = list(pool.map(start, range(8)))
    stores[0].add_question(5, "When?")
    assert all(store.history(5) == ["When?"] for store in stores)
    for store in stores:
        store.close()


def test_a_bad_state_url_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="must start with"):
        State("mysql://x", tmp_path)
    url = "postgresql://verbatim:hunter2-secret@127.0.0.1:1/verbatim"
    with pytest.raises(StateError, match="cannot connect to VERBATIM_STATE_URL") as info:
        State(url, tmp_path)
    assert "hunter2-secret" not in str(info.value)
    (tmp_path / "state.sqlite").write_bytes(b"not a database, " * 100)
    with pytest.raises(StateError, match=r"cannot create the bot's tables in .*state.sqlite"):
        State(None, tmp_path)


# -- two bot processes on one store ---------------------------------------------------------------


def _serve(api: FakeBotApi, settings: Settings, state_url: str | None) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "VERBATIM_MODEL": "hashing-fake",
        "VERBATIM_CORPUS_DIR": str(settings.corpus_dir),
        "VERBATIM_INDEX_DIR": str(settings.index_dir),
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_API_FILE_URL": api.base_file_url,
    }
    if state_url:
        env["VERBATIM_STATE_URL"] = state_url
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=needs_postgres)])
def test_a_follow_up_through_a_second_bot_process_resolves_against_the_first(
    backend: str, settings: Settings, request: pytest.FixtureRequest
) -> None:
    """Two ``verbatim serve`` processes (each behind its own Bot API server, as behind a load
    balancer) share one store: the follow-up asked through the second is understood in the
    light of the question asked through the first."""
    Engine(settings, HashingEmbedder(name="hashing-fake")).build()
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    reader = 7007
    with FakeBotApi() as one, FakeBotApi() as two:
        bots = [_serve(one, settings, url), _serve(two, settings, url)]
        try:
            # "When did it erupt?" alone is declined: only the history says what "it" is.
            one.text(private(reader), user(reader), "What disrupted air travel across Europe?")
            first = one.wait_for_sent(reader, 1, timeout=60)[0]
            assert "Eyjafjallajökull" in first["text"]
            two.text(private(reader), user(reader), "When did it erupt?")
            follow = two.wait_for_sent(reader, 1, timeout=60)[0]
            assert "2010" in follow["text"], follow["text"]
        finally:
            for bot in bots:
                bot.terminate()
            logs = [bot.communicate(timeout=30)[0] for bot in bots]
            for n, log in enumerate(logs):  # shown by pytest if the test fails
                print(f"--- bot process {n + 1} ---\n{log[-3000:]}")
    assert all(PASSWORD not in log for log in logs)
    where = "PostgreSQL" if url else "state.sqlite"
    assert all(where in log for log in logs), logs[0][-2000:]
    if url is None:
        assert (settings.index_dir / "state.sqlite").is_file()


def test_the_flood_window_is_counted_in_the_store(state: State, tmp_path: Path) -> None:
    """Limit 3 in 60 s: the fourth message is limited and told once; another user is not;
    a second process on the same store counts the same messages."""
    results = [state.flooding(11, 3, 60.0) for _ in range(5)]
    assert results == [(False, False)] * 3 + [(True, True), (True, False)]
    assert state.flooding(12, 3, 60.0) == (False, False)
    if state.where.endswith("state.sqlite"):
        other = State(None, tmp_path)  # another process's connection to the same file
        assert other.flooding(11, 3, 60.0) == (True, False)
        other.close()
    assert state.flooding(13, 1, 0.05) == (False, False)
    time.sleep(0.1)
    assert state.flooding(13, 1, 0.05) == (False, False)  # the window has passed


def test_passages_that_could_not_be_sent_go_back(state: State) -> None:
    state.remember("g" * 12, Asked("When?", [], 7, [], shown=1))
    start = state.take_passages("g" * 12, 3)
    state.give_back("g" * 12, start, 3)
    assert state.take_passages("g" * 12, 3) == start  # the next press gets them
    later = state.take_passages("g" * 12, 3)
    state.give_back("g" * 12, start, 3)  # another press took more since: nothing goes back
    assert state.take_passages("g" * 12, 3) == later + 3
