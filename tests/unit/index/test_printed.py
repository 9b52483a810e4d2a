"""Printed documents as people have them: a PDF handbook's numbered clauses and its running
header and footer, a report printed to pages with form feeds, hard-wrapped, with plain-text
tables (a fourth trial's documents)."""

from pathlib import Path

from index.documents import read_document
from tests.conftest import make_pdf
from tests.conftest import write_file as _write


def test_a_pdf_handbook_reads_clause_by_clause_without_running_header_and_footer(
    tmp_path: Path,
) -> None:
    """A handbook's numbered clauses and their items are paragraphs of their own, a heading
    before a clause's number is apart from it, and the line that heads and foots every page
    ("Acme Ltd - Staff Handbook", "Page 2 of 3 - Internal") is not the text."""
    pages = [
        [
            "Acme Ltd - Staff Handbook",
            "3. PAY AND EXPENSES",
            "3.1 Salaries are paid monthly in arrears by bank transfer on the 25th day of each",
            "month, or on the Working Day before it.",
            "3.2 Expenses are reimbursed subject to the following:",
            "(a) claims must be made within 60 days of the expense being incurred;",
            "(b) rail travel is reimbursed at standard class fares; first class travel is not.",
            f"Page {n} of 3 - Internal",
        ]
        for n in (1, 2, 3)
    ]
    pages[1][1:7] = [
        "4. HOLIDAYS",
        "4.1 Full-time employees are entitled to 25 Working Days of paid holiday per year in",
        "addition to the public holidays, and the year runs from 1 January. They also get",
        "25 pence per mile for journeys in their own car, which is paid monthly with salary.",
    ]
    doc = read_document(_write(tmp_path, "handbook.pdf", make_pdf(*pages)), tmp_path)
    paragraphs = doc.text.split("\n\n")
    assert "Acme Ltd - Staff Handbook" not in doc.text and "Internal" not in doc.text
    assert "3. PAY AND EXPENSES" in paragraphs and "4. HOLIDAYS" in paragraphs
    assert (
        "3.1 Salaries are paid monthly in arrears by bank transfer on the 25th day of each "
        "month, or on the Working Day before it." in paragraphs
    )
    assert "(a) claims must be made within 60 days of the expense being incurred;" in paragraphs
    # a wrapped line that opens with a number goes on the sentence it continues
    assert any(p.startswith("4.1 Full-time") and "25 pence per mile" in p for p in paragraphs)
    assert [doc.page_at(doc.text.index(s)) for s in ("3. PAY", "4. HOL")] == [1, 2]


def test_a_printed_reports_pages_are_unwrapped_alike_and_its_tables_keep_their_rows(
    tmp_path: Path,
) -> None:
    """A text printed to pages (form feeds): the footer on every page is not the text; a page
    that is mostly a table is unwrapped at the text's width all the same, and the table's rows
    (columns apart by runs of spaces) stay rows."""
    prose = (
        "The trustees aim to hold free reserves equal to at least four months of\n"
        "operating expenditure, so that the Network could continue its core services\n"
        "for that period if major funding were lost unexpectedly. At 31 December 2023\n"
        "free reserves stood at 204,600 pounds, which is equivalent to about 4.2 months\n"
        "of expenditure at the 2023 level, which the trustees consider adequate.\n"
    )
    footer = "Harbourvale Food Network - Annual Report 2023                Page {}\n"
    table = (
        "EXPENDITURE                                  2023 (GBP)    2022 (GBP)\n"
        "  Food purchasing                              96,300        41,200\n"
        "  Staff costs                                 214,800       187,600\n"
        "  Premises and utilities                       88,950        79,400\n"
        "  Governance and other costs                   33,990        11,400\n"
    )
    governance = (
        "Governance costs rose sharply because of a one-off expense of 18,500 pounds\n"
        "for the replacement of our client database.\n"
    )
    text = (
        f"{prose}\n{prose}\n{footer.format(1)}\f{prose}\n{footer.format(2)}\f"
        f"{table}\n{governance}\n{footer.format(3)}"
    )
    doc = read_document(_write(tmp_path, "report.txt", text), tmp_path)
    paragraphs = doc.text.split("\n\n")
    assert "Annual Report" not in doc.text
    assert "Food purchasing 96,300 41,200" in paragraphs
    assert "Staff costs 214,800 187,600" in paragraphs
    assert (
        "Governance costs rose sharply because of a one-off expense of 18,500 pounds for the "
        "replacement of our client database." in paragraphs
    )
    assert doc.page_at(doc.text.index("Governance")) == 3


def test_a_line_that_changes_from_page_to_page_is_text_and_a_date_no_clause(
    tmp_path: Path,
) -> None:
    """A reviewer's: a region's total at the foot of each page ("Total households helped
    412", 298, …) was taken for a running footer, and a wrapped PDF line opening with a date
    ("14 March in the main hall…") for a clause of its own."""
    pages = "\f".join(
        f"Region {name}\n\nThe figures below are the year's totals.\n\n"
        f"Total households helped {total}\n"
        for name, total in (("North", 412), ("South", 298), ("East", 356), ("West", 187))
    )
    doc = read_document(_write(tmp_path, "regions.txt", pages), tmp_path)
    assert "Total households helped 187" in doc.text.split("\n\n")
    pdf = make_pdf(
        [
            "The annual general meeting of the society will be held on Friday,",
            "14 March in the main hall of the village institute, starting at 7.30pm.",
        ]
    )
    meeting = read_document(_write(tmp_path, "agm.pdf", pdf), tmp_path)
    assert meeting.text == (
        "The annual general meeting of the society will be held on Friday, 14 March in the "
        "main hall of the village institute, starting at 7.30pm."
    )
