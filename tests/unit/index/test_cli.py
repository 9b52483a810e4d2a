"""The command line, run as a user runs it (a subprocess), with the fast fake embedder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(
    args: list[str],
    env_extra: dict[str, str],
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VERBATIM_MODEL": "hashing-fake", **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def env(corpus: Path, tmp_path: Path) -> dict[str, str]:
    return {"VERBATIM_CORPUS_DIR": str(corpus), "VERBATIM_INDEX_DIR": str(tmp_path / "idx")}


def test_build_info_and_incremental_summary(env: dict[str, str]) -> None:
    first = run(["index", "build"], env)
    assert first.returncode == 0, first.stderr
    assert "2 added, 0 changed, 0 removed, 0 unchanged" in first.stdout
    again = run(["index", "build"], env)
    assert "0 added, 0 changed, 0 removed, 2 unchanged" in again.stdout
    info = run(["index", "info"], env)
    assert info.returncode == 0
    assert "hashing-fake" in info.stdout and "volcanoes.md" in info.stdout
    assert "Volcanoes of Iceland" in info.stdout
    assert "documents in en; other languages not served" in info.stdout
    multilingual = {
        **env,
        "VERBATIM_MULTILINGUAL": "true",
        "VERBATIM_MULTILINGUAL_MODEL": "hashing-fake-ml",
    }
    on = run(["index", "build"], multilingual)
    assert "the multilingual space embedded, the documents' vectors kept" in on.stdout
    info = run(["index", "info"], multilingual)
    assert "other languages searched with hashing-fake-ml (256 dimensions)," in info.stdout
    assert "words to put their words into" in info.stdout
    # word files that cannot be read: info says so, as a loaded index would have them
    for words in Path(env["VERBATIM_INDEX_DIR"]).glob("versions/*/multilingual_words.json"):
        words.write_text("{", "utf-8")
    info = run(["index", "info"], multilingual)
    assert info.returncode == 0
    assert "words to put their words into" not in info.stdout
    assert "their word files cannot be read: rebuild to embed them again" in info.stdout


def test_ask_builds_when_needed_and_prints_json(env: dict[str, str]) -> None:
    result = run(["ask", "--json", "When did Eyjafjallajökull erupt?"], env)
    assert result.returncode == 0, result.stderr
    assert "building it" in result.stderr
    data = json.loads(result.stdout)
    assert data["answered"] is True
    p = data["passages"][0]
    assert "2010" in p["highlight"] and p["highlight"] in p["text"]
    assert p["source"] == "volcanoes.md"


def test_ask_reads_questions_from_stdin(env: dict[str, str]) -> None:
    questions = "When did Hekla erupt?\n\nWhat is a good banana bread recipe?\n" + "x" * 5000 + "\n"
    result = run(["ask", "--json", "-k", "1"], env, stdin=questions)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [q["answered"] for q in lines] == [True, False, False]
    assert "too long" in lines[2]["error"]
    # a refused question has every field of the contract, and why
    assert set(lines[2]) == set(lines[0]) | {"error"}
    assert result.returncode == 1  # one question could not be asked


def test_ask_reads_json_requests_with_history_from_stdin(env: dict[str, str]) -> None:
    lines = [
        json.dumps({"question": "And Eyjafjallajökull?", "history": ["When did Hekla erupt?"]}),
        "And Eyjafjallajökull?",  # the same follow-up without its history
        '{"question": "When did Hekla erupt?", "history": "not a list"}',
        '{"question": broken',
        json.dumps({"question": "When did Hekla erupt?", "histroy": []}),
    ]
    result = run(["ask", "--json", "-k", "1"], env, stdin="\n".join(lines) + "\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 5
    assert out[0]["answered"] is True and "2010" in out[0]["passages"][0]["highlight"]
    assert out[0]["question"] == "And Eyjafjallajökull?"
    assert "error" not in out[1]
    assert "list of strings" in out[2]["error"]
    assert "not valid JSON" in out[3]["error"]
    assert "histroy" in out[4]["error"]
    assert result.returncode == 1


def test_chat_keeps_the_conversation(env: dict[str, str]) -> None:
    result = run(["chat"], env, stdin="When did Hekla erupt?\nAnd Eyjafjallajökull?\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "2000" in result.stdout and "2010" in result.stdout


def test_chat_names_its_first_documents_and_says_how_many_more(tmp_path: Path) -> None:
    corpus = tmp_path / "many"
    corpus.mkdir()
    for n in range(7):
        (corpus / f"d{n}.txt").write_text(
            f"Report {n}\n\nThe harbour number {n} reopened after repairs to its pier.\n",
            encoding="utf-8",
        )
    env = {"VERBATIM_CORPUS_DIR": str(corpus), "VERBATIM_INDEX_DIR": str(tmp_path / "idx")}
    assert run(["index", "build"], env).returncode == 0
    result = run(["chat"], env, stdin="/quit\n")
    assert result.returncode == 0, result.stderr
    banner = result.stdout.splitlines()[0]
    assert banner.startswith("Ask about 7 document(s): ")
    assert banner.count("Report ") == 5 and banner.endswith("… and 2 more (/sources)")


def test_a_question_that_cannot_be_asked_still_gets_an_answer_shaped_json_line(
    env: dict[str, str],
) -> None:
    for result, status in (
        (run(["ask", "--json", "???"], env), 2),
        (run(["ask", "--json"], env, stdin="???\n"), 1),
    ):
        assert result.returncode == status, result.stderr
        (line,) = result.stdout.splitlines()
        data = json.loads(line)
        assert data["answered"] is False and data["confidence"] == 0.0 and data["passages"] == []
        assert "no words" in data["error"]


def test_chat_commands_are_not_asked_as_questions(env: dict[str, str]) -> None:
    result = run(["chat"], env, stdin="/help\n/sources\n/nonsense\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "I quote the passages" in result.stdout
    assert "volcanoes.md" in result.stdout  # /sources lists the documents
    assert "unknown command /nonsense" in result.stdout
    assert "could not find" not in result.stdout and "“" not in result.stdout


@pytest.mark.parametrize(
    ("args", "extra", "message"),
    [
        (["ask", ""], {}, "question is empty"),
        (["ask", "y" * 10_000], {}, "too long"),
        (["index", "build"], {"VERBATIM_CORPUS_DIR": "/nonexistent/corpus"}, "does not exist"),
        (["index", "info"], {"VERBATIM_INDEX_DIR": "/nonexistent/idx"}, "no index"),
        (["index", "build"], {"VERBATIM_CHUNK_SIZE": "10"}, "VERBATIM_CHUNK_SIZE"),
        (["index", "build"], {"VERBATIM_CHUNK_SIZE": "abc"}, "VERBATIM_CHUNK_SIZE"),
        (["index", "build"], {"VERBATIM_BACKEND": "tensorflow"}, "VERBATIM_BACKEND"),
        (["index", "build"], {"VERBATIM_INDEX_DIR": "/dev/null/idx"}, "cannot use /dev/null"),
        (["ask", "hi"], {"VERBATIM_INDEX_DIR": "/dev/null"}, "is a file, not a folder"),
        (["unanswered"], {"VERBATIM_INDEX_DIR": "/nonexistent/idx"}, "no index folder"),
        (["feedback"], {"VERBATIM_INDEX_DIR": "/nonexistent/idx"}, "no index folder"),
    ],
)
def test_expected_failures_are_one_clear_line(
    env: dict[str, str], args: list[str], extra: dict[str, str], message: str
) -> None:
    result = run(args, {**env, **extra})
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_index_inside_the_corpus_is_refused(env: dict[str, str]) -> None:
    """Its files would be read back as documents at the next build."""
    corpus = env["VERBATIM_CORPUS_DIR"]
    for index in (corpus, f"{corpus}/idx"):
        result = run(["index", "build"], {**env, "VERBATIM_INDEX_DIR": index})
        assert result.returncode == 2
        assert "must not be the corpus folder" in result.stderr
    assert sorted(p.name for p in Path(corpus).iterdir()) == [
        "north-korea-upgrades-mobile-networks-with-huawei.txt",
        "volcanoes.md",
    ]
    hidden = run(["index", "build"], {**env, "VERBATIM_INDEX_DIR": f"{corpus}/.index"})
    assert hidden.returncode == 0, hidden.stderr  # hidden folders are not read as corpus
    assert "2 added" in hidden.stdout and "skipped" not in hidden.stderr


def test_a_symlink_loop_is_one_clear_line(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    result = run(["index", "info"], {**env, "VERBATIM_INDEX_DIR": str(tmp_path / "loop" / "x")})
    assert result.returncode == 2
    assert "cannot use the corpus or index folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_file_is_reported_once(env: dict[str, str]) -> None:
    (Path(env["VERBATIM_CORPUS_DIR"]) / "junk.txt").write_bytes(b"\x00\x01binary\x00" * 50)
    result = run(["index", "build"], env)
    assert result.returncode == 0
    assert result.stderr.count("junk.txt") == 1, result.stderr


def test_empty_corpus_fails_clearly(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(["index", "build"], {**env, "VERBATIM_CORPUS_DIR": str(empty)})
    assert result.returncode == 2
    assert "no readable document" in result.stderr and "Traceback" not in result.stderr


def test_index_from_another_model_says_how_to_rebuild(env: dict[str, str]) -> None:
    assert run(["index", "build"], env).returncode == 0
    # Same index, asked with another model: the fake under another dimension name.
    result = run(["ask", "When did Hekla erupt?"], {**env, "VERBATIM_MODEL": "hashing-fake-2"})
    assert result.returncode == 2
    assert "verbatim index build --full" in result.stderr


def test_unanswered_and_feedback_reports(tmp_path: Path) -> None:
    from bot import journal
    from index.store import utc_now

    index = tmp_path / "index"
    for question, answered in [
        ("Who won the cup?", False),
        ("who won the  cup", False),
        ("When was Koryolink established?", True),
        ("What is the capital of France?", False),
    ]:
        journal.append(
            index / journal.QUESTIONS_FILE,
            journal.QuestionRecord(utc_now(), "abc", question, answered, 0.5, 10.0, ()),
        )
    with (index / journal.QUESTIONS_FILE).open("a") as f:
        f.write('{"question": "cut off by a cra')  # a torn last line is skipped
    journal.append(
        index / journal.FEEDBACK_FILE,
        journal.Feedback("Who built it?", ["doc:1-9"], "down", "abc", utc_now()),
    )
    journal.append(
        index / journal.FEEDBACK_FILE,
        journal.Feedback("When?", ["doc:1-9"], "up", "abc", utc_now()),
    )
    out = run(["unanswered", "--index", str(index), "--json"], {})
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [(r["count"], r["question"]) for r in rows] == [
        (2, "Who won the cup?"),
        (1, "What is the capital of France?"),
    ]
    out = run(["feedback", "--index", str(index)], {})
    assert out.returncode == 0, out.stderr
    assert "👍 1   👎 1" in out.stdout and "doc:1-9" in out.stdout and "Who built it?" in out.stdout


def test_documents_lists_and_remove_removes(env: dict[str, str], corpus: Path) -> None:
    assert run(["index", "build"], env).returncode == 0
    listed = run(["documents", "--json"], env)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["name"] for r in rows} == {p.name for p in corpus.iterdir()}
    assert all(r["chunks"] >= 1 and r["bytes"] > 0 for r in rows)
    added = {r["name"]: r["added"] for r in rows}
    assert all(a and a.endswith("Z") for a in added.values())
    assert run(["index", "build", "--full"], env).returncode == 0  # every vector made again
    again = [json.loads(line) for line in run(["documents", "--json"], env).stdout.splitlines()]
    assert {r["name"]: r["added"] for r in again} == added  # still when each came in
    gone = run(["remove", "volcanoes.md", "nothing.txt", "../etc/passwd"], env)
    assert gone.returncode == 1  # two of the three are not documents of the corpus
    assert "removed volcanoes.md" in gone.stdout and "1 removed" in gone.stdout
    assert "nothing.txt: no such document" in gone.stderr and "passwd: no such" in gone.stderr
    assert not (corpus / "volcanoes.md").exists()
    (aside,) = (corpus / ".removed").iterdir()  # moved aside, recoverable, never indexed
    assert aside.name.startswith("volcanoes.") and aside.suffix == ".md"
    assert f"kept as .removed/{aside.name}" in gone.stdout
    after = run(["documents"], env)
    assert "volcanoes.md" not in after.stdout and after.stdout.count("chunks") == len(rows) - 1
