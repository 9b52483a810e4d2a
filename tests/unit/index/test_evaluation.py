"""The evaluation suite over small data files made here (fast fake embedder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.config import ChunkingSettings
from index.embedding import HashingEmbedder
from index.errors import ConfigError
from index.evaluation import Budget, evaluate
from index.evaluation.baseline import CachingEmbedder
from index.evaluation.report import Row, expected_calibration_error, format_table, language_rows
from index.evaluation.sets import data_files, load_set
from index.evaluation.suite import SHORT_PARAGRAPHS, contains, scenarios

TOPICS = {
    "Glaciers": [
        "A glacier is a persistent body of dense ice. Glaciers form where snow accumulates.",
        "The Vatnajokull glacier covers eight percent of Iceland. It is the largest in Europe.",
    ],
    "Volcanoes": [
        "Hekla is a stratovolcano in the south of Iceland. It erupted in the year 1104.",
        "Lava from Hekla covers a large area. The volcano is called the gateway to hell.",
    ],
    "Telescopes": [
        "The Hubble telescope was launched in 1990. It orbits the Earth at 540 kilometres.",
        "Hubble's mirror is 2.4 metres wide. Its successor is the James Webb telescope.",
    ],
}
QUESTIONS = {
    "Glaciers": [("How much of Iceland does Vatnajokull cover?", "eight percent")],
    "Volcanoes": [("When did Hekla erupt?", "1104"), ("What is Hekla called?", "gateway")],
    "Telescopes": [("When was Hubble launched?", "1990"), ("How wide is the mirror?", "2.4")],
}


def squad_file(path: Path) -> Path:
    data = []
    for title, paragraphs in TOPICS.items():
        qas: list[dict[str, object]] = [
            {"id": q, "question": q, "answers": [{"text": a, "answer_start": 0}]}
            for q, a in QUESTIONS[title]
        ]
        qas.append(
            {"id": title, "question": "Who painted it?", "answers": [], "is_impossible": True}
        )
        data.append(
            {
                "title": title,
                "paragraphs": [
                    {"context": p, "qas": qas if i == 0 else []} for i, p in enumerate(paragraphs)
                ],
            }
        )
    path.write_text(json.dumps({"data": data}), encoding="utf-8")
    return path


def conversation_file(path: Path) -> Path:
    lines = [
        {
            "title": "hekla",
            "document": "\n\n".join(TOPICS["Volcanoes"]),
            "history": ["Where is Hekla?"],
            "question": "When did it erupt?",
            "answers": ["It erupted in the year 1104."],
        },
        {
            "title": "hubble",
            "document": "\n\n".join(TOPICS["Telescopes"]),
            "history": ["When was Hubble launched?", "How high is its orbit?"],
            "question": "What is its successor?",
            "answers": ["James Webb"],
        },
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def test_sets_are_read_into_one_shape(tmp_path: Path) -> None:
    squad = load_set(squad_file(tmp_path / "mini.json"))
    assert squad.kind == "squad" and len(squad.articles) == 3
    assert len(squad.answerable) == 5 and len(squad.impossible) == 3
    conv = load_set(conversation_file(tmp_path / "talk.jsonl"))
    assert conv.kind == "conversation" and len(conv.articles) == 2
    assert conv.cases[1].history == ("When was Hubble launched?", "How high is its orbit?")


def test_bad_data_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [{"title": "x"}]}', encoding="utf-8")
    with pytest.raises(ConfigError, match="not a SQuAD-format JSON file"):
        load_set(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"title": "a", "document": "x", "question": "q", "answers": []}\n{oops\n')
    with pytest.raises(ConfigError, match="line 2"):
        load_set(broken)
    with pytest.raises(ConfigError, match="does not exist"):
        data_files([tmp_path / "missing.json"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="holds no"):
        data_files([tmp_path / "empty"])


def test_the_suite_prints_every_mode_beside_its_baselines(tmp_path: Path) -> None:
    files = [squad_file(tmp_path / "mini.json"), conversation_file(tmp_path / "talk.jsonl")]
    budget = Budget(folds=2, off_topic_per_document=2)
    report = evaluate(files, HashingEmbedder(), ChunkingSettings(), budget=budget)
    table = report.format()
    for mode in ("all", "per-doc", "conversation"):
        assert mode in table
    assert report.row("mini", "all", "quote@1").n == 5
    assert report.row("mini", "all", "is_impossible declined").n == 3
    # per-doc: each article's own questions, then questions of the other set (off-topic)
    assert report.row("mini", "per-doc", "quote@1").n == 5
    assert report.row("mini", "per-doc", "off-topic declined").n == 6
    assert report.row("talk", "conversation", "quote@1").n == 2
    assert report.row("talk", "conversation", "quote@1", "baseline + history").n == 2
    held_out = report.row("mini", "all", "held-out declined")
    assert held_out.n > 0 and 0.0 <= held_out.system <= 1.0
    assert set(report.seconds) == {"mini", "talk"}


def test_the_embedding_cache_survives_runs(tmp_path: Path) -> None:
    first = CachingEmbedder(HashingEmbedder(), tmp_path)
    vectors = first.encode(["one text", "another"])
    first.save()
    again = CachingEmbedder(HashingEmbedder(name="hashing-fake"), tmp_path)
    assert again._loaded == 2
    assert (again.encode(["another"]) == vectors[1]).all()


def test_containment_and_calibration_error() -> None:
    assert contains("The Vatnajokull  glacier covers", ["vatnajokull glacier"])
    assert not contains("nothing here", ["glacier"])
    assert expected_calibration_error([(0.9, True), (0.9, True)]) == pytest.approx(0.1)
    assert expected_calibration_error([(0.0, False), (1.0, True)]) == 0.0


def test_short_documents_index_the_first_paragraphs_and_ask_the_others_questions(
    tmp_path: Path,
) -> None:
    """``short`` mode: an article cut to its first paragraphs; questions written on them are
    in the index, those written on the article's other paragraphs (same topic) are not."""
    paragraphs = [f"Paragraph {i} says that the value of item {i} is {100 + i}." for i in range(8)]
    qas = [
        {
            "id": str(i),
            "question": f"What is the value of item {i}?",
            "answers": [{"text": str(100 + i), "answer_start": 0}],
        }
        for i in range(8)
    ]
    data = {
        "data": [
            {
                "title": "Items",
                "paragraphs": [{"context": p, "qas": [qas[i]]} for i, p in enumerate(paragraphs)],
            }
        ]
    }
    (tmp_path / "items.json").write_text(json.dumps(data), encoding="utf-8")
    items = load_set(tmp_path / "items.json")
    (short,) = [s for s in scenarios(items, [items], Budget()) if s.mode == "short"]
    (article,) = short.articles()
    assert article.paragraphs == tuple(paragraphs[:SHORT_PARAGRAPHS])
    inside = {c.question for c in short.cases if short.in_corpus(c)}
    outside = {c.question for c in short.cases if not short.in_corpus(c)}
    assert inside == {f"What is the value of item {i}?" for i in range(SHORT_PARAGRAPHS)}
    assert outside == {f"What is the value of item {i}?" for i in range(SHORT_PARAGRAPHS, 8)}
    report = evaluate([tmp_path / "items.json"], HashingEmbedder(), ChunkingSettings())
    assert report.row("items", "short", "other-paragraph declined").n == 8 - SHORT_PARAGRAPHS
    assert report.row("items", "short", "in-index answered").n == SHORT_PARAGRAPHS


def test_each_language_is_shown_beside_the_same_questions_in_english() -> None:
    table = [
        Row("mlqa-question-en", "all", "quote@1", 500, 0.85, 0.58),
        Row("mlqa-question-en", "all", "answered", 500, 0.95, 0.87),
        Row("mlqa-question-de", "all", "quote@1", 500, 0.64, 0.44),
        Row("mlqa-question-de", "per-doc", "quote@1", 90, 0.81, 0.58),  # no English per-doc row
        Row("squad", "all", "quote@1", 500, 0.93, 0.66),
    ]
    extra = language_rows(table)
    assert extra == [Row("mlqa-question-de", "all", "quote@1", 500, 0.64, 0.85, "English")]
    assert extra[0].ratio == pytest.approx(0.64 / 0.85)
    text = format_table(table + extra, {"mlqa-question-en": 1, "mlqa-question-de": 2, "squad": 3})
    assert "quote@1 vs English" in text and text.count("seconds") == 3
