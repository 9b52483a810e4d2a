"""Benchmark 5: the real bot under load, against the tests' fake Bot API on 127.0.0.1.

    .venv/bin/python bench/bot_load.py [--users 50] [--questions 20] [--think 1.0]

The real bot (``bot.app.build_application``, PTB's real HTTP networking, long polling) answers
``--users`` simulated users, each asking ``--questions`` distinct SQuAD questions one after the
other: a user sends a question, waits for the reply, reads it for a random 0–2×``--think``
seconds, and asks the next. The index holds the five SQuAD articles (real model).

Printed, in the same run: the baseline (one user alone, same path), then the load run with
``--think`` and a saturation run with no think time — first with the default outgoing limit of
30 messages/s (Telegram's limit for a bot, enforced by PTB's ``AIORateLimiter``), then with it
raised to 1000/s (``VERBATIM_MAX_MESSAGES_PER_SECOND``, for a self-hosted Bot API server), which
shows the bot's own capacity; and the load run again with the Bot API down for ``--outage``
seconds (5) from ``--outage-at`` seconds (4) into it: questions answered exactly once / lost /
answered twice, p50 and p95 from the update being queued at the server to the reply reaching
it, and the rate of answers per second. Bounded: every wait has a timeout.

The fake server and the simulated users run in a process of their own (this script, started
again with ``--users-process``), so that the bot's process holds only the bot: Python's GIL is
not shared with the harness, and the figures are the bot's. Both processes share the machine's
cores, as a bot and its Bot API server's clients would not.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from answer_latency import SQUAD  # noqa: E402

from index.config import Settings  # noqa: E402
from index.embedding import Embedder, SentenceTransformerEmbedder  # noqa: E402
from index.engine import Engine  # noqa: E402
from index.process import prepare_process  # noqa: E402
from tests.botharness import running_bot  # noqa: E402
from tests.fakebotapi import FakeBotApi, PortFakeBotApi, private, user  # noqa: E402


class TimingApi(PortFakeBotApi):
    """The fake server, noting when each user message got its reply (and how many), and
    waking the simulated user's coroutine (no thread blocked per waiting user: those would
    compete with the bot for the event loop's default executor)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(at_port=0)
        self.loop = loop
        self.replied: dict[int, list[float]] = {}
        self.waiting: dict[int, asyncio.Future[None]] = {}

    def expect(self, message_id: int) -> asyncio.Future[None]:
        """Call on the event loop: a future done when the message has its reply."""
        future: asyncio.Future[None] = self.loop.create_future()
        with self._cond:
            if message_id in self.replied:  # the reply beat us to it
                future.set_result(None)
            else:
                self.waiting[message_id] = future
        return future

    def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        message = super()._m_sendmessage(params)
        replied_to = (message.get("reply_to_message") or {}).get("message_id")
        if replied_to is not None:
            self.replied.setdefault(replied_to, []).append(time.monotonic())
            future = self.waiting.pop(replied_to, None)
            if future is not None:
                self.loop.call_soon_threadsafe(_done, future)
        return message


def _done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def corpus_and_questions(folder: Path) -> list[str]:
    data = json.loads(SQUAD.read_text(encoding="utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    questions = []
    for i, article in enumerate(data["data"]):
        body = "\n\n".join(p["context"] for p in article["paragraphs"])
        title = article["title"].replace("_", " ")
        (folder / f"article{i}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        questions += [q["question"] for p in article["paragraphs"] for q in p["qas"]]
    return sorted(set(questions))


async def simulate(
    api: TimingApi,
    users: int,
    per_user: int,
    think: float,
    pool: list[str],
    seed: int,
    outage: tuple[float, float] | None = None,
) -> dict[str, float]:
    """``outage``: (after how many seconds, for how many) the server is down: connections
    refused and open ones cut, while users go on asking (their questions wait at the server)."""
    rng = random.Random(seed)
    latencies: list[float] = []
    sent_ids: list[int] = []
    lost = 0

    async def one_user(uid: int) -> None:
        nonlocal lost
        mine = rng.sample(pool, per_user)
        for question in mine:
            pushed = time.monotonic()
            message = api.text(private(uid), user(uid), question)
            replied = api.expect(message["message_id"])
            sent_ids.append(message["message_id"])
            try:
                await asyncio.wait_for(replied, 30.0)
            except TimeoutError:
                lost += 1
                continue
            latencies.append(api.replied[message["message_id"]][0] - pushed)
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))

    async def go_down(at: float, seconds: float) -> None:
        await asyncio.sleep(at)
        await asyncio.to_thread(api.down)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(api.up)

    start = time.monotonic()
    outages = [go_down(*outage)] if outage else []
    await asyncio.gather(*(one_user(100_000 + u) for u in range(users)), *outages)
    elapsed = time.monotonic() - start
    await asyncio.sleep(0.5)  # let any duplicate reply arrive before counting
    counts = Counter(len(api.replied.get(m, [])) for m in sent_ids)
    latencies.sort()
    return {
        "questions": len(sent_ids),
        "once": counts[1],
        "lost": lost,
        "twice_or_more": sum(n for c, n in counts.items() if c > 1),
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan"),
        "rate": len(latencies) / elapsed,
        "seconds": elapsed,
    }


async def users_process(
    users: int, per_user: int, think: float, seed: int, outage: tuple[float, float] | None
) -> None:
    """The child: serve the fake Bot API, print its port, wait for "go" on stdin (the bot is
    polling), simulate the users, print the result as JSON, serve until "stop"."""
    pool = json.loads(sys.stdin.readline())
    api = TimingApi(asyncio.get_running_loop())
    with api:
        print(json.dumps({"port": api.port}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        result = await simulate(api, users, per_user, think, pool, seed, outage)
        print(json.dumps(result), flush=True)
        # Serve until the bot has stopped polling ("stop"), so that it never sees the server go.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


class RemoteApi(FakeBotApi):
    """The bot's view of the fake server running in the child: only its URLs."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self._port = port

    @property
    def port(self) -> int:
        return self._port


async def one_run(
    settings: Settings,
    model: Embedder,
    pool: list[str],
    users: int,
    per_user: int,
    think: float,
    rate: int,
    outage: tuple[float, float] | None = None,
) -> dict[str, float]:
    down = (
        ["--outage-at", str(outage[0]), "--outage", str(outage[1])] if outage else ["--outage", "0"]
    )
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--users-process",
        "--users",
        str(users),
        "--questions",
        str(per_user),
        "--think",
        str(think),
        *down,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        child.stdin.write((json.dumps(pool) + "\n").encode())
        await child.stdin.drain()
        port = json.loads(await asyncio.wait_for(child.stdout.readline(), 60))["port"]
        async with running_bot(
            RemoteApi(port),
            settings,
            model,
            VERBATIM_FLOOD_MESSAGES="10000",
            VERBATIM_RELOAD_SECONDS="3600",
            VERBATIM_MAX_MESSAGES_PER_SECOND=str(rate),
        ):
            child.stdin.write(b"go\n")
            await child.stdin.drain()
            line = await asyncio.wait_for(child.stdout.readline(), 600)
        child.stdin.write(b"stop\n")
        await child.stdin.drain()
        result: dict[str, float] = json.loads(line)
        return result
    finally:
        if child.returncode is None:
            child.kill()
        await child.wait()


async def run(args: argparse.Namespace) -> None:
    model = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(corpus_dir=Path(tmp) / "corpus", index_dir=Path(tmp) / "index")
        pool = corpus_and_questions(settings.corpus_dir)
        Engine(settings, model).build()
        rows: list[tuple[str, dict[str, float]]] = []
        n, q, think = args.users, args.questions, args.think
        down = (args.outage_at, args.outage)
        # label, users, questions each, think time, outgoing messages/s allowed, outage
        runs: list[tuple[str, int, int, float, int, tuple[float, float] | None]] = [
            ("baseline: 1 user alone", 1, q, 0.0, 30, None),
            (f"{n} users, think ~{think:g} s", n, q, think, 30, None),
            (f"{n} users, no think time", n, q, 0.0, 30, None),
            (f"{n} users, think ~{think:g} s, limit 1000/s", n, q, think, 1000, None),
            (f"{n} users, no think time, limit 1000/s", n, q, 0.0, 1000, None),
            (f"{n} users, think ~{think:g} s, API down {down[1]:g} s", n, q, think, 30, down),
        ]
        for label, users, per_user, pause, rate, outage in runs:
            root = Path(tmp) / f"run{len(rows)}"
            shutil.copytree(Path(tmp) / "index", root / "index", symlinks=True)
            run_settings = Settings(corpus_dir=settings.corpus_dir, index_dir=root / "index")
            result = await one_run(run_settings, model, pool, users, per_user, pause, rate, outage)
            rows.append((label, result))
    base = rows[0][1]
    print(f"index: 5 SQuAD articles; {len(pool)} distinct questions to draw from")
    print()
    header = f"{'run':44} {'asked':>6} {'once':>5} {'lost':>5} {'dup':>4}"
    print(header + f" {'p50 ms':>7} {'p95 ms':>7} {'p95/base':>9} {'answers/s':>10}")
    for label, r in rows:
        print(
            f"{label:44} {r['questions']:6.0f} {r['once']:5.0f} {r['lost']:5.0f} "
            f"{r['twice_or_more']:4.0f} {r['p50_ms']:7.0f} {r['p95_ms']:7.0f} "
            f"{r['p95_ms'] / base['p95_ms']:8.2f}× {r['rate']:10.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--outage", type=float, default=5.0, help="seconds the API is down")
    parser.add_argument("--outage-at", type=float, default=4.0, help="seconds into the run")
    parser.add_argument("--users-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.users_process:
        outage = (args.outage_at, args.outage) if args.outage > 0 else None
        asyncio.run(users_process(args.users, args.questions, args.think, 11, outage))
    else:
        asyncio.run(run(args))
    return 0


if __name__ == "__main__":
    prepare_process()  # as the verbatim command does: index.process
    sys.exit(main())
