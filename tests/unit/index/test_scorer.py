"""The shipped scorer loads and scores as recorded; the features it reads behave."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.errors import ConfigError
from index.features import QUESTION_FEATURES, SENTENCE_FEATURES
from index.lexical import tokenize
from index.scorer import MULTILINGUAL_SCORER_FILE, SCORER_FILE, LinearModel, load_scorer
from index.text_features import answer_type, text_features, without_frame


@pytest.mark.parametrize("path", [SCORER_FILE, MULTILINGUAL_SCORER_FILE])
def test_the_shipped_scorers_score_as_recorded(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    scorer = load_scorer(path)
    models = {"ranker": scorer.ranker, "answerable": scorer.answerable, "correct": scorer.correct}
    assert len(data["checks"]) >= 6
    for check in data["checks"]:
        x = np.array([check["x"]], dtype=np.float32)
        assert models[check["model"]].logits(x)[0] == pytest.approx(check["logit"], abs=1e-3)
    assert scorer.ranker.names == SENTENCE_FEATURES
    assert scorer.answerable.names == QUESTION_FEATURES
    assert 0.0 < scorer.threshold < 1.0


@pytest.mark.parametrize("path", [SCORER_FILE, MULTILINGUAL_SCORER_FILE])
def test_every_set_has_a_model_that_never_saw_it(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data["leave_out"]) == set(data["trained_on"])
    for name in data["leave_out"]:
        scorer = load_scorer(path, leave_out=name)
        assert scorer.left_out == name
        full = load_scorer(path)
        for learned in data["learned"]:  # a learned model differs without the set
            if learned == "threshold":  # on a grid: one of the two may come out the same
                assert (scorer.threshold, scorer.one_document) != (
                    full.threshold,
                    full.one_document,
                )
                continue
            attribute = {"ranker": "ranker", "abstention": "answerable", "confidence": "correct"}
            mine, theirs = getattr(scorer, attribute[learned]), getattr(full, attribute[learned])
            assert not np.allclose(mine.coef, theirs.coef)
    assert load_scorer(path, leave_out="a set it has never heard of").left_out is None


def test_a_damaged_scorer_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "scorer.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cannot be read.*index\.training"):
        load_scorer(bad)
    data = json.loads(SCORER_FILE.read_text(encoding="utf-8"))
    data["models"]["ranker"]["names"] = ["something", "else"]
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="do not match"):
        load_scorer(other)
    with pytest.raises(ConfigError, match="missing"):
        load_scorer(tmp_path / "none.json")


def test_answer_types() -> None:
    assert answer_type("When was Koryolink established?") == 0
    assert answer_type("How many mobile operators are there?") == 1
    assert answer_type("Who wrote the article?") == 2
    assert answer_type("Which publication first reported this?") == 2
    assert answer_type("Where is Hekla?") == 3
    assert answer_type("Is the equipment new?") is None
    # a time of day asked for, in the forms a guest or a customer asks it
    for question in ("How late can I check out?", "What hours is the pool open?", "By when?"):
        assert answer_type(question) == 0, question


def test_a_time_of_day_answers_a_when_question() -> None:
    """A trial's hotel page: "Check-out is at 11:00 am." held no time for "When do I have to
    be out of the room?" (only years, months and days counted); a price is not one."""
    f = _features(
        "When do I have to be out of the room?",
        [
            "Check-out is at 11:00 am.",
            "Breakfast is served from 7am to 10.30am.",
            "The front door is locked at midnight.",
            "A tray charge of 3.50 euros applies.",
            "Dogs must not be left alone in the room.",
            "Read John 3:16 aloud, then use a 1:50 dilution.",
            "The desk is open 07:30–18:00.",
        ],
    )
    assert f["answer_type"] == [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    # "how soon" asks for a delay ("within 5 working days"), not a date or a time of day
    assert answer_type("How soon will I get my refund?") is None
    assert answer_type("At what time does the pool close?") == 0


def test_the_noun_of_a_questions_frame_is_no_evidence() -> None:
    """ "What time can I get into my room?" was answered with "Dogs must not be left alone in
    the room at any time.": "time" asks for a kind of answer, it is not a word the answer
    holds."""
    assert without_frame("What time can I get into my room?") == "What can I get into my room?"
    assert without_frame("In which year did it open?") == "In which did it open?"
    assert without_frame("What is the time limit?") == "What is the time limit?"
    # a frame's noun followed by another noun names a topic (a reviewer's API README)
    assert without_frame("What date format does the API accept?") == (
        "What date format does the API accept?"
    )
    assert without_frame("What time zone is used?") == "What time zone is used?"


def test_a_number_inside_a_name_is_no_quantity() -> None:
    """A "how many" question is not answered by "3G" or "MP3": a digit in a name is no count."""
    f = _features(
        "How many mobile operators are there?",
        [
            "North Korea operates on 3G networks.",
            "It plays MP3 files, flies F-16s, tracks COVID-19 and builds the A320.",
            "There are two mobile operators.",
            "The 12-15 km route cost $5,000, 10% less, in 2015.",
            "Nineteen people lost their lives, and seventy homes were destroyed.",
        ],
    )
    assert f["answer_type"] == [0.0, 0.0, 1.0, 1.0, 1.0]


def test_a_share_or_a_price_is_no_count() -> None:
    """A trial's syllabus: "How many problem sets are there?" bolded "Problem sets: 20%"
    (the share of the grade) over "There are ten weekly problem sets."; a count is asked, and
    a percentage or a price is none. A question that asks for a share still finds one."""
    sentences = [
        "Problem sets: 20%",
        "There are ten weekly problem sets.",
        "The fee is £30 a term.",
        "About 10 percent pass.",
        "Three problem sets count double.",
    ]
    counted = _features("How many problem sets are there?", sentences)
    assert counted["answer_type"] == [0.0, 1.0, 0.0, 0.0, 1.0]
    shared = _features("What percentage of the grade are problem sets?", sentences)
    assert shared["answer_type"] == [1.0, 1.0, 1.0, 1.0, 1.0]


def _features(question: str, sentences: list[str]) -> dict[str, list[float]]:
    f = text_features(question, tokenize(question), sentences)
    return {k: [float(x) for x in v] for k, v in vars(f).items()}


def test_text_features_prefer_what_answers_over_what_restates() -> None:
    q = "When was Koryolink established?"
    f = _features(
        q,
        [
            "Koryolink was established in 2008 as a joint venture.",
            "Koryolink is one of two operators.",
            "When was Koryolink established",
        ],
    )
    assert f["answer_type"] == [1.0, 0.0, 0.0]  # a year; none; none
    assert f["novelty"][0] > f["novelty"][2] == 0.0  # the restatement says nothing new
    assert f["heading"] == [0.0, 0.0, 1.0]
    near = _features("Huawei equipment imports", ["Huawei equipment imports rose."])
    far = _features(
        "Huawei equipment imports", ["Huawei sold much old and used equipment, imports"]
    )
    assert near["proximity"][0] > far["proximity"][0]
    assert near["phrase"][0] == 1.0 and far["phrase"][0] < 1.0
    assert _features("Who?", ["Is it new?"])["is_question"] == [1.0]


def test_a_year_the_question_names_is_not_an_answer() -> None:
    f = _features(
        "What happened in 2008?", ["In 2008 it began.", "It began in 2008 and grew by 2010."]
    )
    assert f["answer_type"] == [0.0, 0.0]  # "what happened" asks for no type
    g = _features("When did it grow after 2008?", ["In 2008 it began.", "It grew by 2010."])
    assert g["answer_type"] == [0.0, 1.0]


def test_the_decline_threshold_follows_the_corpus_size_between_one_document_and_many() -> None:
    scorer = load_scorer(MULTILINGUAL_SCORER_FILE)
    assert scorer.one_document is not None and scorer.many_documents > 2
    assert scorer.threshold_for(1) == pytest.approx(scorer.one_document)
    assert scorer.threshold_for(scorer.many_documents) == pytest.approx(scorer.threshold)
    assert scorer.threshold_for(10 * scorer.many_documents) == pytest.approx(scorer.threshold)
    two = scorer.threshold_for(2)  # two articles are much more like one than like hundreds
    assert scorer.one_document < two < scorer.threshold
    assert two - scorer.one_document < scorer.threshold - two
    # the English scorer has one threshold for every corpus
    english = load_scorer()
    assert english.one_document is None and english.threshold_for(1) == english.threshold


def test_the_decision_reads_the_corpus_size_from_the_question_features() -> None:
    scorer = load_scorer(MULTILINGUAL_SCORER_FILE)
    assert scorer.one_document is not None
    between = (scorer.one_document + scorer.threshold) / 2  # answered on one document only
    logit = float(np.log(between / (1 - between)))
    names = scorer.answerable.names
    zeros = np.zeros(len(names), dtype=np.float32)
    constant = LinearModel(names, zeros, np.ones(len(names), np.float32), zeros, logit)
    deciding = replace(scorer, answerable=constant)
    question = np.zeros(len(QUESTION_FEATURES), dtype=np.float32)
    documents = QUESTION_FEATURES.index("corpus_documents")
    for count, answered in ((1, True), (2, True), (scorer.many_documents, False)):
        question[documents] = np.log10(count)
        assert deciding.answers(question, follow_up=False) is answered, count


def test_a_one_document_threshold_without_its_corpus_size_is_refused(tmp_path: Path) -> None:
    data = json.loads(MULTILINGUAL_SCORER_FILE.read_text(encoding="utf-8"))
    del data["models"]["threshold_documents"]
    damaged = tmp_path / "scorer.json"
    damaged.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="one-document threshold"):
        load_scorer(damaged)
