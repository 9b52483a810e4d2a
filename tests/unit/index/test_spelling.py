"""Misspelt question words corrected against the documents' words (index.spelling)."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.spelling import Speller

TEXT = (
    "North Korea is importing second-hand telecom equipment from Huawei. Koryolink was "
    "established in 2008, and the company which runs it is a joint venture. Carrageenan is a "
    "thickener; emphysema is a disease of the lungs."
)


@pytest.fixture
def speller() -> Speller:
    return Speller.from_texts([TEXT])


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        (
            "wich compnay equipmnt is north korea imprting?",
            "which company equipment is north korea importing?",
        ),
        ("When was Koryolnk establshed?", "When was Koryolink established?"),
        ("What is carageenan?", "What is carrageenan?"),
        ("What is emphyema?", "What is emphysema?"),
        ("Whose equipmetn?", "Whose equipment?"),  # two neighbours swapped: one edit
    ],
)
def test_misspelt_words_become_the_documents_words(
    speller: Speller, typed: str, meant: str
) -> None:
    assert speller.correct(typed) == meant


@pytest.mark.parametrize(
    "question",
    [
        "Who won the world cup?",  # "world" is a word, though the documents do not use it
        "What is the capital of France?",
        "When was it established?",  # already the documents' words
        "Is the ox new?",  # too short to judge
        "What about Koryolink-3?",
    ],
)
def test_real_words_and_known_words_stay(speller: Speller, question: str) -> None:
    assert speller.correct(question) == question


def test_the_closest_word_wins_then_the_most_used() -> None:
    speller = Speller.from_texts(["stations station stations stationers"])
    assert speller.suggest("statoins") == "stations"
    assert speller.suggest("zzzzzzzz") is None


def test_saved_and_loaded_alike(speller: Speller, tmp_path: Path) -> None:
    path = tmp_path / "words.json"
    speller.save(path)
    again = Speller.load(path)
    assert again.counts == speller.counts
    assert again.correct("compnay") == "company"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="word count"):
        Speller.load(path)


def test_another_form_of_a_documents_word_is_not_a_misspelling() -> None:
    speller = Speller.from_texts(["The modernize programme will modernize the networks."])
    assert speller.correct("Which cities will be modernized first?") == (
        "Which cities will be modernized first?"
    )
