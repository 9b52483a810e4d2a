"""What a quote holds around its best sentence, in documents as people write them: minutes'
"Label: value" lines, a sentence that introduces a command or a list."""

from pathlib import Path

import pytest

from index.text_features import is_field, is_section_heading
from tests.conftest import engine_over


def test_a_field_line_is_its_own_answer_not_a_heading(tmp_path: Path) -> None:
    """A trial's minutes: "Chair: Renata Kovac" alone on its line was taken for a heading, so
    its quote went on to the next line and bolded that; and such lines, or a list's item,
    were given as the section of the quotes under them."""
    engine = engine_over(
        tmp_path,
        "minutes.txt",
        "Steering Committee Minutes\n\nDate: Thursday 27 February 2025\n\n"
        "Chair: Renata Kovac (Head of Operations)\n\nMinutes: Tomás Ferreira\n\n"
        "1. Budget\n\nThe approved budget is 480,000 euros.\n\n"
        "- Stainless steel tamper\n\nThe tamper fits every basket of the machine.\n",
    )
    chair = engine.answer("Chair: Renata Kovac (Head of Operations)", k=1, force=True)
    passage = chair.passages[0]
    assert passage.highlight == "Chair: Renata Kovac (Head of Operations)"
    assert passage.section is None  # not "Date: Thursday 27 February 2025"
    tamper = engine.answer("The tamper fits every basket of the machine.", k=1, force=True)
    assert tamper.passages[0].section == "1. Budget"  # not "- Stainless steel tamper"


def test_a_quote_that_ends_on_a_colon_goes_on_to_what_it_introduces(tmp_path: Path) -> None:
    """A policy's long paragraph ending "… with the following parties:" was quoted without
    the list it introduces (a quote that stops on a colon answers nothing)."""
    engine = engine_over(
        tmp_path,
        "policy.txt",
        "Sharing your data\n\n"
        "We take the protection of your personal information seriously and we never sell it "
        "to anyone. We keep it on servers in the European Union, encrypted at rest and in "
        "transit, and only the staff who need it for their work can read it. Where the law "
        "requires it, or where you have agreed to it, we share your data with the following "
        "parties:\n\n"
        "- payment processors\n\n- delivery companies\n\n- tax authorities\n\n"
        "Retention\n\nWe keep your data for two years.\n",
    )
    passage = engine.answer(
        "Where the law requires it, or where you have agreed to it, we share your data with "
        "the following parties:",
        k=1,
        force=True,
    ).passages[0]
    assert passage.text.endswith(
        "- payment processors\n\n- delivery companies\n\n- tax authorities"
    )
    assert "Retention" not in passage.text


def test_a_heading_shaped_like_a_field_is_still_a_heading(tmp_path: Path) -> None:
    """A reviewer's: "Conclusion: The road ahead" was taken for a field, so the quote of its
    section grew backwards into the section before, cited under that one."""
    engine = engine_over(
        tmp_path,
        "report.txt",
        "Annual report\n\nIntroduction\n\nThe company grew in every market this year.\n\n"
        "Conclusion: The road ahead\n\n"
        "We will open a second factory in Brno in 2027. Hiring starts in spring.\n",
    )
    passage = engine.answer(
        "We will open a second factory in Brno in 2027.", k=1, force=True
    ).passages[0]
    assert passage.section == "Conclusion: The road ahead"
    assert "grew in every market" not in passage.text


def test_what_a_colon_introduces_however_it_is_listed(tmp_path: Path) -> None:
    """A list longer than the short-passage growth, a list of capitalised items without
    bullets (as Word gives it), and a marked heading after the command a colon introduces
    (found by a reviewer)."""
    long = "We never sell your data and keep it encrypted on servers in the European Union. " * 3
    engine = engine_over(
        tmp_path,
        "policy.txt",
        f"Sharing\n\n{long}We share it with the following parties:\n\n"
        "Payment processors\n\nDelivery companies\n\nTax authorities\n\n"
        "Retention\n\nWe keep your data for two years.\n",
    )
    passage = engine.answer("We share it with the following parties:", k=1, force=True).passages[0]
    assert passage.text.endswith("Payment processors\n\nDelivery companies\n\nTax authorities")
    guide = engine_over(
        tmp_path / "md",
        "guide.md",
        "# Guide\n\n"
        + "Kestrel resizes images in parallel on every core you have. " * 3
        + "On Debian, install libvips first:\n\n```\nsudo apt-get install libvips-dev\n```\n\n"
        "## Note: legacy systems\n\nOlder systems need the static build.\n",
    )
    command = guide.answer("On Debian, install libvips first:", k=1, force=True).passages[0]
    assert command.text.endswith("sudo apt-get install libvips-dev")


def test_a_markdown_list_item_is_not_a_heading(tmp_path: Path) -> None:
    """A trial's waste guide: "- Pizza boxes with grease on them (these go in the black bin)"
    ends without a full stop, was taken for a heading (a Markdown list loses its bullets),
    and the highlight went on to the next paragraph. A line after other lines is a list's
    item."""
    engine = engine_over(
        tmp_path,
        "waste.md",
        "# Waste guide\n\n## The blue recycling bin\n\n**No thanks:**\n\n- Polystyrene\n- Nappies\n"
        "- Pizza boxes with grease or food on them (these go in the black bin)\n\n"
        "If your bin holds the wrong items, our crew will leave it unemptied.\n",
    )
    passage = engine.answer("Pizza boxes with grease or food on them", k=1, force=True).passages[0]
    assert passage.highlight == (
        "Pizza boxes with grease or food on them (these go in the black bin)"
    )
    assert passage.section == "The blue recycling bin"


def test_plain_text_headings_one_after_another_stay_headings(tmp_path: Path) -> None:
    """A reviewer's handbook in plain text: "Part 2", "Leave and absence", "Annual leave" are
    headings one after another, not a list's items: "Annual leave" is quoted with what it
    heads, and the highlight is what it says."""
    engine = engine_over(
        tmp_path,
        "handbook.txt",
        "Staff Handbook\n\nPart 2\n\nLeave and absence\n\nAnnual leave\n\n"
        "Full-time staff receive 25 days of annual leave a year.\n\nSick leave\n\n"
        "Tell your manager before 10am on your first day of absence.\n",
    )
    passage = engine.answer("Annual leave", k=1, force=True).passages[0]
    assert passage.highlight == "Full-time staff receive 25 days of annual leave a year."
    assert passage.section == "Annual leave"


def test_a_table_row_ending_with_its_figure_is_its_own_answer_not_a_heading(
    tmp_path: Path,
) -> None:
    """A fourth trial's annual report: "Hot meals served at the community kitchen 21,340"
    was taken for a heading, so its quote went on to the prose after the table and bolded
    that. A row that ends with its figure answers; "Part 2" or "Annual Report 2023" heads."""
    engine = engine_over(
        tmp_path,
        "report.txt",
        "Annual Report 2023\n\nPart 2\n\n"
        "Food parcels distributed 18,907\n\nHot meals served at the community kitchen 21,340\n\n"
        "Active volunteers 312\n\n"
        "Compared with 2022, the number of households supported rose by 27 per cent.\n",
    )
    meals = engine.answer("Hot meals served at the community kitchen 21,340", k=1, force=True)
    assert meals.passages[0].highlight == "Hot meals served at the community kitchen 21,340"
    assert meals.passages[0].section == "Part 2"
    part = engine.answer("Part 2", k=1, force=True).passages[0]
    assert part.highlight != "Part 2"  # a heading says nothing: what it heads is bolded


@pytest.mark.parametrize(
    ("line", "row"),
    [
        ("Hot meals served at the community kitchen 21,340", True),
        ("Active volunteers 312", True),
        ("Total 386 100%", True),
        ("Surplus food rescued from retailers (tonnes) 186", True),
        ("Re-inspection fee £85", True),
        # a reviewer's headings that end with a number
        ("Agenda Item 12", False),
        ("Release Notes 4.2", False),
        ("The Top 100", False),
        ("Unit 4 Lesson 12", False),
        ("Annual Report 2023", False),
        ("Part 2", False),
    ],
)
def test_a_row_ends_with_its_figure_a_heading_with_its_number(line: str, row: bool) -> None:
    assert is_field(line) is row
    assert is_section_heading(line) is not row
