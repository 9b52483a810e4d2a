"""Which year or version a question names, and whether a quote is about it
(``index.identifiers``)."""

import pytest

from index.identifiers import another_version, another_year, asked_versions, versions_in


@pytest.mark.parametrize(
    ("question", "quoted", "another"),
    [
        ("How many parcels were given out in 2021?", "Food parcels distributed 18,907", True),
        ("How much did a ticket cost in the 1950s?", "In 1997 the council closed it.", True),
        ("How much did a ticket cost in the 1950s?", "In the 1950s it cost sixpence.", False),
        # a reviewer's: a quantity is no year; a date, a span and a title hold one
        ("What if my essay is over 2000 words?", "Essays must not exceed 2,000 words.", False),
        ("Can I bring a 1500 ml bottle?", "A bottle of up to 1.5 litres is allowed.", False),
        ("What opened in 2011?", "The lifeboat station opened on 21/03/2011.", False),
        ("What was the grant in 2020?", "Between 2019 and 2021 it was rebuilt.", False),
        ("What was the budget in 2022?", "The budget grew by a third.", False),  # the title's
    ],
)
def test_the_year_a_question_names(question: str, quoted: str, another: bool) -> None:
    assert another_year(question, f"{quoted} Budget 2022") is another  # the title: "Budget 2022"


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("What changed in version 2.1.0?", {(2, 1)}),  # "2.1.0" is "2.1"
        ("When will version 3.0 be released?", {(3,)}),
        ("Is v2.4 compatible with Python 3.12?", {(2, 4)}),
        ("What was fixed in 2.4.1?", {(2, 4, 1)}),
        ("Does release 5 support plugins?", {(5,)}),
        # a decimal or a quantity is no version
        ("Does 2.4 support TOML?", set()),
        ("Can I bring a 1.5 litre bottle?", set()),
        ("How much is the 2.50 ticket?", set()),
    ],
)
def test_the_version_a_question_names(question: str, asked: set[tuple[int, ...]]) -> None:
    assert asked_versions(question) == asked


def test_a_quote_holds_a_version_written_any_way() -> None:
    assert versions_in("## 2.4.0 — 2026-03-02") >= {(2, 4)}
    assert versions_in("Upgrade to v3.0.1 first.") == {(3, 0, 1)}
    # a long trial's manual: "If you are upgrading from Driftlog 3…" holds version 3
    assert not another_version({(3,)}, versions_in("Migrating from Driftlog 3"))
    assert not another_version({(2, 1)}, versions_in("2.1.0 (2025-11-04)"))
    assert not another_version({(3,)}, {(3, 0, 1)})
    assert another_version({(2, 1)}, versions_in("## 2.4.0 — 2026-03-02"))
    assert another_version({(2, 1)}, set())
    assert not another_version(set(), set())  # no version asked: nothing to hold
