"""Whom a follow-up's pronoun means when the previous answer named them (``index.referents``):
the rules alone, on sentences written for them."""

import pytest

from index.referents import (
    asks_for_someone,
    is_body,
    is_person,
    named_as,
    names_a_person,
    new_names,
    pronoun_kind,
    resolved,
    with_referent,
)
from index.text_features import ASKS_FOR_MORE


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Who designed the Quarry Lane Bridge?", True),
        ("Who was Ilse Varga married to?", True),  # asks for her husband
        ("Whose company gave the largest donation?", True),
        ("Which of her students led the inspection service?", True),
        ("And who founded it?", True),
        ("Who is Tom Reyes?", False),  # asks about someone it names
        ("Who's Paul Dunmore?", False),
        ("Who was Edwin Marsh?", False),
        ("Who is the current CEO of Brightwater?", True),
        ("When was the bridge built?", False),
    ],
)
def test_a_question_that_asks_for_someone(question: str, asks: bool) -> None:
    assert asks_for_someone(question) is asks


def test_the_names_an_answer_adds() -> None:
    said = "Who designed the Quarry Lane Bridge?"
    assert new_names("The bridge was designed by the engineer Thomas Aldane in 1901.", said) == [
        "Thomas Aldane"
    ]
    # the names the questions hold are not new; a place, a month and a day are no one
    assert new_names("Crowds lined the Quarry Lane Bridge in Linwick on Monday in May.", said) == []
    # a sentence's capital and a contraction are no name; an honorific is part of one
    assert new_names("\"Don't call him Mr. Finn, Papa.\" We've seen Mr Gordon.", "Mr. Finn") == [
        "Papa",
        "Mr Gordon",
    ]
    assert new_names("1.3 The Club has organised the Regatta since 1889.", "regatta") == [
        "The Club"
    ]
    assert new_names("The Hungarian-born engineer met Anna Kis.", "") == ["Anna Kis"]
    assert new_names("Her brother is Charles Strange, Henry's son.", "") == [
        "Charles Strange",
        "Henry",
    ]


def test_who_a_pronoun_can_stand_for() -> None:
    assert is_person("Sofia Brandt") and is_person("Varga")
    assert not is_person("Keele & Marsh")
    assert not is_person("Brightwater Filtration")
    assert not is_person("River Lin") and not is_person("NCAA Division")
    assert is_body("The Club") and is_body("Brightwater Filtration")
    assert not is_body("Edwin Marsh")


def test_the_pronoun_is_replaced_by_the_name() -> None:
    assert with_referent("What else did he design?", "Thomas Aldane") == (
        "What else did Thomas Aldane design?"
    )
    assert with_referent("What does his company make?", "Teodor Vasquez") == (
        "What does Teodor Vasquez's company make?"
    )
    assert with_referent("What is her job?", "Sofia Brandt") == "What is Sofia Brandt's job?"
    assert with_referent("Is he related to her?", "Robert Fenn") == "Is Robert Fenn related to her?"
    assert with_referent("Where is it?", "Thomas Aldane") is None  # "it" is a thing
    assert pronoun_kind("When did she join?") == "she"
    assert pronoun_kind("Is it open?") is None


def test_the_name_a_reading_gave_is_carried_on() -> None:
    question = "What else did he design?"
    assert named_as(question, "What else did Thomas Aldane design?") == "Thomas Aldane"
    assert named_as("What does his company make?", "What does T. Vasquez's company make?") == (
        "T. Vasquez"
    )
    assert named_as(question, question) is None  # read as it was asked: no name


def test_a_follow_up_resolved_from_the_previous_answer() -> None:
    who = "Who said the restoration was like surgery?"
    said = "The firm Keele & Marsh, whose project lead, Sofia Brandt, said so."
    # "she" is a person's: the firm is passed over
    assert resolved("Which firm does she work for?", who, said, who) == (
        "Which firm does Sofia Brandt work for?"
    )
    # "they" is a body's
    club = "The Kessford Rowing Club has organised it every July since 1889."
    assert resolved("When is their meeting?", "Who organises the regatta?", club, "regatta") == (
        "When is Kessford Rowing Club's meeting?"
    )
    assert resolved("When is their meeting?", "Who founded it?", "Edwin Marsh did.", "") is None
    # the previous question's own "her" is whom the follow-up's means
    comforting = "Who was comforting her?"
    assert resolved("Who is her husband?", comforting, "Arthur Bede held her hand.", "") is None
    # after a question that asks nothing about someone, nothing is replaced
    when = "When was the bridge built?"
    assert resolved("Who paid him?", when, "Thomas Aldane built it in 1901.", when) is None


def test_a_pronoun_that_may_mean_the_one_the_question_named_is_left_alone() -> None:
    """ "Who did Paul Dunmore marry?" → "When did he die?": he may be Paul Dunmore himself."""
    married = "Who did Paul Dunmore marry?"
    assert names_a_person(married)
    assert not names_a_person("Who designed the Millrace Footbridge?")
    said = "In 1957 Paul Dunmore married Ilse Varga, an engineer."
    assert resolved("When did he die?", married, said, married) is None
    designed = "Who designed the Millrace Footbridge?"
    assert resolved("Where did she study?", designed, "It was designed by Ilse Varga.", designed)


def test_the_quote_says_whether_a_name_is_a_he_or_a_she() -> None:
    founded = "Who founded Brandt & Lund?"
    line = "Brandt & Lund was founded in 1998 by Sofia Brandt."
    passage = line + " She studied chemistry in Uppsala."
    assert resolved("What did he study?", founded, line, founded, passage) is None
    assert resolved("What did she study?", founded, line, founded, passage) == (
        "What did Sofia Brandt study?"
    )


def test_else_asks_for_more_and_other_may_not() -> None:
    assert ASKS_FOR_MORE.search("What else did he design?")
    assert ASKS_FOR_MORE.search("Who else?")
    # "What do other members pay?" after the adult fee: "…juniors pay £60" is the same sentence
    assert not ASKS_FOR_MORE.search("What do other members pay?")
