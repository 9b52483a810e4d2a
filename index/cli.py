"""The index's commands of the ``verbatim`` command line: build and inspect the index, ask,
chat, evaluate. The bot adds its own (``serve``, ``unanswered``, ``feedback``) in ``bot.cli``,
the entry point: this module never imports the bot.

A set of commands is a ``Commands``: a function that registers them on the sub-command
parser, and one that runs the parsed command (None: not one of these). ``main`` runs any
list of them, with one error handling for all.

One module (about 390 lines): each command is a few lines of argument handling and output
formatting over the library; the work is in ``Engine`` and ``index.evaluation``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from index import corpus as corpus_folder
from index.answering import clean_question
from index.config import Settings, chunking_settings, load_settings
from index.errors import (
    DocumentError,
    FetchError,
    IndexLoadError,
    QuestionError,
    VerbatimError,
)
from index.evaluation.sets import Budget
from index.follow_ups import HISTORY_TURNS
from index.process import prepare_process
from index.types import Answer

log = logging.getLogger("verbatim")

_QUIET_LOGGERS = (
    "faiss",
    "faiss.loader",
    "bm25s",
    "sentence_transformers",
    "transformers",
    "httpx",
    "urllib3",
    "trafilatura",
    "htmldate",
    "courlan",
    "pypdf",
)


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s: %(message)s"
        if not verbose
        else "%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.INFO if verbose else logging.WARNING)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if verbose else logging.ERROR)


SubParsers = Any  # argparse's _SubParsersAction (a private name)


@dataclass(frozen=True)
class Commands:
    """Some of the command line's commands: ``register`` adds them to the sub-command
    parser; ``run`` runs a parsed one, or returns None when it is not one of them."""

    register: Callable[[SubParsers], None]
    run: Callable[[argparse.Namespace], int | None]


def folder_options(
    parser: argparse.ArgumentParser, *, corpus: str | None = "corpus folder (VERBATIM_CORPUS_DIR)"
) -> None:
    """--corpus (with ``corpus`` as its help; None: no such option) and --index."""
    if corpus is not None:
        parser.add_argument("--corpus", type=Path, help=corpus)
    parser.add_argument("--index", type=Path, help="index folder (VERBATIM_INDEX_DIR)")


def _register(sub: SubParsers) -> None:
    index = sub.add_parser("index", help="build or inspect the index")
    index_sub = index.add_subparsers(dest="index_command", required=True, metavar="ACTION")
    build = index_sub.add_parser("build", help="build or update the index from the corpus")
    folder_options(build)
    build.add_argument("--full", action="store_true", help="re-embed every document")
    info = index_sub.add_parser("info", help="show what the index holds")
    folder_options(info, corpus=None)
    info.add_argument("--json", action="store_true", help="print the manifest as JSON")

    add = sub.add_parser("add", help="add documents by their links: fetch, read, index")
    add.add_argument("urls", nargs="+", metavar="URL", help="http(s) links to web pages or PDFs")
    folder_options(add)

    refresh = sub.add_parser("refresh", help="fetch the documents added by link again")
    folder_options(refresh)
    documents = sub.add_parser("documents", help="list the indexed documents")
    folder_options(documents)
    documents.add_argument("--json", action="store_true", help="one JSON object per document")
    remove = sub.add_parser("remove", help="remove documents from the corpus and the index")
    remove.add_argument("names", nargs="+", metavar="NAME", help="as `verbatim documents` shows")
    folder_options(remove)

    ask = sub.add_parser("ask", help="answer a question (or one per line from stdin)")
    ask.add_argument("question", nargs="?", help="the question; omit to read stdin")
    folder_options(ask, corpus="corpus folder, if the index must be built")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer")
    ask.add_argument("-k", type=int, default=3, help="passages to quote (default 3)")

    chat = sub.add_parser("chat", help="a conversation in the terminal, with follow-ups")
    folder_options(chat, corpus="corpus folder, if the index must be built")
    chat.add_argument("-k", type=int, default=1, help="passages to quote (default 1)")

    ev = sub.add_parser(
        "eval", help="evaluate on SQuAD-format and conversation files beside naive baselines"
    )
    ev.add_argument(
        "--data",
        type=Path,
        nargs="+",
        required=True,
        metavar="PATH",
        help="data files (.json SQuAD form, .jsonl conversations) or folders of them",
    )
    ev.add_argument(
        "--questions",
        type=positive,
        default=Budget.questions,
        help=f"answerable questions asked per set and mode (default {Budget.questions})",
    )
    ev.add_argument(
        "--documents",
        type=positive,
        default=Budget.documents,
        help=f"indexes built per set in per-document mode (default {Budget.documents})",
    )
    ev.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    ev.add_argument(
        "--cache", type=Path, help="folder keeping the embeddings between runs (default none)"
    )
    ev.add_argument("--json", action="store_true", help="print the rows as JSON")


def positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parser(commands: Sequence[Commands]) -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="verbatim",
        description="Answers questions about documents by quoting them, word for word.",
    )
    top.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for some in commands:
        some.register(sub)
    return top


def main(argv: Sequence[str] | None = None, commands: Sequence[Commands] | None = None) -> int:
    """Run the command line with ``commands`` (default: the index's own)."""
    commands = commands or [INDEX_COMMANDS]
    args = parser(commands).parse_args(argv)
    _configure_logging(args.verbose)
    prepare_process()
    try:
        for some in commands:
            status = some.run(args)
            if status is not None:
                return status
        raise AssertionError(args.command)  # pragma: no cover - argparse checked it
    except VerbatimError as exc:
        print(f"verbatim: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # `verbatim documents | head`: the reader has what it wanted
        # Python would complain again when it flushes stdout at exit: point it at nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def settings_of(args: argparse.Namespace) -> Settings:
    """The settings, with the folders given on the command line."""
    return load_settings(
        corpus_dir=getattr(args, "corpus", None), index_dir=getattr(args, "index", None)
    )


def _run(args: argparse.Namespace) -> int | None:
    if args.command == "index":
        if args.index_command == "build":
            return _cmd_build(settings_of(args), full=args.full)
        return _cmd_info(settings_of(args), as_json=args.json)
    if args.command == "ask":
        return _cmd_ask(args)
    if args.command == "chat":
        return _cmd_chat(args)
    if args.command == "eval":
        return _cmd_eval(args)
    if args.command == "add":
        return _cmd_add(settings_of(args), args.urls)
    if args.command == "refresh":
        return _cmd_refresh(settings_of(args))
    if args.command == "documents":
        return _cmd_documents(settings_of(args), as_json=args.json)
    if args.command == "remove":
        return _cmd_remove(settings_of(args), args.names)
    return None


def _cmd_add(settings: Settings, urls: Sequence[str]) -> int:
    """Fetch each link, save it into the corpus, then update the index once."""
    from index import fetch
    from index.store import current_version_path

    fetch_settings = fetch.FetchSettings(allow_private=settings.fetch_allow_private)
    status, changed = 0, 0
    for url in urls:
        try:
            saved = fetch.add_link(url, settings.corpus_dir, settings.index_dir, fetch_settings)
        except FetchError as exc:
            print(f"verbatim: {exc}", file=sys.stderr)
            status = 1
            continue
        changed += saved.changed
        verb = "added" if saved.new else "refreshed" if saved.changed else "unchanged"
        print(f"{verb} {saved.path.name}: {saved.title}")
    if changed or current_version_path(settings.index_dir) is None:
        _update_index(settings)
    return status


def _cmd_refresh(settings: Settings) -> int:
    """Fetch every document added by its link again (a conditional request where the server
    gave an ETag or Last-Modified) and update the index once if any changed."""
    from index import fetch, links
    from index.store import load_version

    fetch_settings = fetch.FetchSettings(allow_private=settings.fetch_allow_private)
    validators = links.load_validators(settings.index_dir)
    linked = [
        (d.url, d.source)
        for d in load_version(settings.index_dir).documents
        if d.url and fetch.saved_as(d.url, d.source)
    ]
    status, changed = 0, 0
    for url, source in linked:
        try:
            fetched = fetch.fetch_if_changed(
                url, fetch_settings, validators.get(url, links.Validators())
            )
            if fetched is None:
                print(f"unchanged {source} (the server says so)")
                continue
            saved = fetch.save_fetched(fetched, settings.corpus_dir)
        except FetchError as exc:
            print(f"verbatim: {exc}", file=sys.stderr)
            status = 1
            continue
        links.remember(settings.index_dir, fetched.url, fetched.validators)
        changed += saved.changed
        print(f"{'refreshed' if saved.changed else 'unchanged'} {saved.path.name}: {saved.title}")
    if not linked:
        print("no document was added by its link (verbatim add URL)")
    if changed:
        _update_index(settings)
    return status


def _update_index(settings: Settings) -> None:
    """Build the index incrementally after the corpus changed, and print the summary."""
    from index.engine import Engine

    print(Engine.open(settings, builds_only=True).build(progress=sys.stderr.isatty()).line())


def _cmd_documents(settings: Settings, *, as_json: bool) -> int:
    """Each indexed document: its corpus name, title, link, size, when its file last changed
    and its chunk count."""
    from index.engine import indexed_documents
    from index.store import load_version

    for entry in corpus_folder.entries(
        indexed_documents(load_version(settings.index_dir)), settings.corpus_dir
    ):
        if as_json:
            print_json(entry.to_json())
            continue
        size = f"{entry.bytes:,} bytes" if entry.bytes is not None else "file gone"
        link = f", {entry.url}" if entry.url else ""
        print(
            f"{entry.name}: {entry.title} ({size}, {entry.chunks} chunks, added "
            f"{entry.added[:10]}, file changed {entry.changed}{link})"
        )
    return 0


def _cmd_remove(settings: Settings, names: Sequence[str]) -> int:
    """Move the named documents out of the corpus (into its ``.removed/`` folder), then
    update the index once."""
    status, removed = 0, 0
    for name in names:
        try:
            kept = corpus_folder.remove(settings.corpus_dir, name)
        except DocumentError as exc:
            print(f"verbatim: {exc}", file=sys.stderr)
            status = 1
            continue
        removed += 1
        print(f"removed {name} (kept as {kept} in the corpus folder)")
    if removed:
        _update_index(settings)
    return status


def _cmd_build(settings: Settings, *, full: bool) -> int:
    from index.engine import Engine

    engine = Engine.open(settings, builds_only=True)
    summary = engine.build(full=full, progress=sys.stderr.isatty())  # each failure is logged
    print(summary.line())
    return 0


def _cmd_info(settings: Settings, *, as_json: bool) -> int:
    from index.store import Manifest, current_version_path, load_words

    path = current_version_path(settings.index_dir)
    if path is None:
        raise IndexLoadError(
            f"no index in {settings.index_dir}: build one with `verbatim index build`"
        )
    m = Manifest.from_file(path / "manifest.json")
    if as_json:
        print(m.to_json())
        return 0
    print(f"index:     {path}")
    print(f"model:     {m.model} ({m.dimension} dimensions, {m.backend} backend)")
    ml = m.multilingual
    if "words" in ml:
        # what a loaded index would have: the files may be unreadable (a warning says why)
        readable = load_words(path, int(ml["words"]), int(ml.get("dimension", 0))) is not None
        words = (
            f"{ml['words']:,} words to put their words into"
            if readable
            else "not put into the documents' words (their word files cannot be read: "
            "rebuild to embed them again)"
        )
    else:
        words = "not put into the documents' words (rebuild to add them)"
    print(
        f"languages: documents in {m.language or 'en'}; other languages "
        + (
            f"searched with {ml.get('model')} ({ml.get('dimension')} dimensions), {words}"
            if ml
            else "not served (VERBATIM_MULTILINGUAL=false when it was built)"
        )
    )
    print(
        f"chunking:  {m.chunking['chunk_size']} characters, {m.chunking['chunk_overlap']} overlap"
    )
    print(
        f"counts:    {m.counts['documents']} documents, {m.counts['chunks']} chunks, "
        f"{m.counts['sentences']} sentences"
    )
    print(f"built:     {m.built_at} in {m.build_seconds:.1f} s")
    print("documents:")
    for source, doc in sorted(m.documents.items()):
        print(f"  {source}  —  {doc['title']}  ({doc['chunks']} chunks)")
    return 0


def _open_engine(args: argparse.Namespace) -> object:
    from index.engine import Engine

    settings = settings_of(args)
    engine = Engine.open(settings)
    if not engine.has_index():
        print(
            f"No index in {settings.index_dir} yet: building it from {settings.corpus_dir}…",
            file=sys.stderr,
        )
        summary = engine.build(progress=sys.stderr.isatty())  # each failure is logged
        print(summary.line(), file=sys.stderr)
    return engine


def _cmd_ask(args: argparse.Namespace) -> int:
    from index.engine import Engine

    if args.k < 1 or args.k > 20:
        raise QuestionError("-k must be between 1 and 20")
    if args.question is not None:
        try:
            clean_question(args.question, settings_of(args).max_question_chars)  # fail fast
        except QuestionError as exc:
            if args.json:  # the answer's shape still, for a program reading stdout
                print_json(_refused(args.question, exc))
            raise
    engine = _open_engine(args)
    assert isinstance(engine, Engine)
    requests: Iterable[str] = [args.question] if args.question is not None else _stdin_lines()
    status = 0
    for line in requests:
        question = line
        try:
            question, history = _request(line) if args.question is None else (line, [])
            answer = engine.answer(question, history, k=args.k)
        except QuestionError as exc:
            if args.question is not None:
                raise
            status = 1
            if args.json:
                print_json(_refused(question, exc))
            else:
                print(f"verbatim: {exc}", file=sys.stderr)
            continue
        if args.json:
            print_json(answer.to_json())
        else:
            print(render_answer(answer))
            if args.question is None:
                print()
        sys.stdout.flush()
    return status


def _refused(question: object, error: QuestionError) -> dict[str, object]:
    """The ``--json`` line of a question that could not be asked: an answer's fields, and why."""
    return {
        "question": question,
        "answered": False,
        "confidence": 0.0,
        "language": None,
        "passages": [],
        "error": str(error),
    }


def _request(line: str) -> tuple[str, list[str]]:
    """A stdin line: a plain question, or a JSON object ``{"question": str, "history": [str,
    ...]}`` with the conversation's earlier questions, oldest first."""
    if not line.lstrip().startswith("{"):
        return line, []
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QuestionError(f"the line starts with '{{' but is not valid JSON: {exc}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
        raise QuestionError('a JSON line needs a "question" string: {"question": "...", ...}')
    history = obj.get("history", [])
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise QuestionError('"history" must be a list of strings (earlier questions, oldest first)')
    unknown = set(obj) - {"question", "history"}
    if unknown:
        raise QuestionError(f"unknown field(s) in the JSON line: {', '.join(sorted(unknown))}")
    return obj["question"], history


def _stdin_lines() -> Iterable[str]:
    for line in sys.stdin:
        if line.strip():
            yield line.rstrip("\n")


def print_json(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def render_answer(answer: Answer) -> str:
    """Plain-text rendering: the quote, the highlighted sentence marked, the source."""
    if not answer.answered:
        return "I could not find that in the documents."
    blocks = []
    for i, p in enumerate(answer.passages, 1):
        rel = p.highlight_start - p.start
        marked = p.text[:rel] + "«" + p.highlight + "»" + p.text[rel + len(p.highlight) :]
        section = f", {p.section}" if p.section and p.section != p.title else ""
        section += f", p. {p.page}" if p.page is not None else ""
        source = p.title + section + (f" — {p.link or p.url}" if p.url else f" ({p.source})")
        prefix = f"[{i}] " if len(answer.passages) > 1 else ""
        blocks.append(f"{prefix}“{marked}”\n    — {source}")
    return "\n\n".join(blocks)


#: Documents named when ``verbatim chat`` starts (``/sources`` lists them all).
_CHAT_TITLES = 5
_CHAT_HELP = "/sources lists the documents, /reset forgets the conversation, /quit leaves."


def _cmd_chat(args: argparse.Namespace) -> int:
    from index.engine import Engine

    engine = _open_engine(args)
    assert isinstance(engine, Engine)
    docs = engine.documents()
    # while the user types: the models of questions in other languages (index.multilingual)
    threading.Thread(target=engine.answerer.warm_up, name="warm-up", daemon=True).start()
    shown = "; ".join(d.title for d in docs[:_CHAT_TITLES])
    more = f"; … and {len(docs) - _CHAT_TITLES} more (/sources)" if len(docs) > _CHAT_TITLES else ""
    print(f"Ask about {len(docs)} document(s): {shown}{more}")
    print(f"Follow-up questions are understood. {_CHAT_HELP}\n")
    history: list[str] = []
    while True:
        try:
            question = input("you> ")
        except EOFError:
            print()
            return 0
        command = question.strip().lower()
        if command in ("/quit", "/exit", "quit", "exit"):
            return 0
        if command == "/reset":
            history.clear()
            print("(conversation forgotten)\n")
            continue
        if command == "/help":
            print(f"Ask a question in words; I quote the passages that answer it. {_CHAT_HELP}\n")
            continue
        if command == "/sources":
            for d in docs:
                print(f"  {d.title} ({d.document.source}, {d.chunks} chunks)")
            print()
            continue
        if command.startswith("/"):
            print(f"(unknown command {command.split()[0]}) {_CHAT_HELP}\n")
            continue
        if not command:
            continue
        started = time.perf_counter()
        try:
            answer = engine.answer(question, history, k=args.k)
        except QuestionError as exc:
            print(f"bot> {exc}\n")
            continue
        history.append(clean_question(question, engine.settings.max_question_chars))
        del history[:-HISTORY_TURNS]
        took = (time.perf_counter() - started) * 1000
        print(
            "bot> " + render_answer(answer).replace("\n", "\n     ") + f"\n     ({took:.0f} ms)\n"
        )


def _cmd_eval(args: argparse.Namespace) -> int:
    from index.embedding import load_embedder
    from index.evaluation import evaluate
    from index.multilingual import multilingual_of

    settings = settings_of(args)
    budget = replace(Budget(), questions=args.questions, documents=args.documents, seed=args.seed)
    report = evaluate(
        args.data,
        load_embedder(settings.model, settings.backend, settings.model_cache),
        chunking_settings(settings.chunk_size, settings.chunk_overlap),
        budget=budget,
        cache_dir=args.cache,
        progress=lambda msg: print(msg, file=sys.stderr),
        multilingual=multilingual_of(settings),
    )
    if args.json:
        print_json(
            {
                "rows": [r.to_json() for r in report.rows],
                "seconds": {k: round(v, 1) for k, v in report.seconds.items()},
            }
        )
    else:
        print(report.format())
    return 0


INDEX_COMMANDS = Commands(_register, _run)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
