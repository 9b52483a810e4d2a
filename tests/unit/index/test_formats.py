"""index.formats: a document of each format, made here with the format's own library, read
into paragraphs with its headings apart; damaged or mislabelled files are named errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from index.documents import read_document
from index.errors import DocumentError

HEADING = "Mobile networks"
BODY = (
    "Koryolink was established in 2008 as a joint venture. Kang Song NET began operating in 2015."
)
SECOND = "The modernization will commence in the major cities, including Pyongyang."


def _docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = "Operators report"
    document.add_heading(HEADING, level=1)
    document.add_paragraph(BODY)
    table = document.add_table(rows=2, cols=2)
    for r, (a, b) in enumerate([("Operator", "Founded"), ("Koryolink", "2008")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    document.add_paragraph(SECOND)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _odt(heading: str = HEADING, body: str = BODY, second: str = SECOND) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=heading))
    document.text.addElement(P(text=body))
    document.text.addElement(P(text=second))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def _epub(tmp_path: Path, heading: str = HEADING, body: str = BODY, second: str = SECOND) -> bytes:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("verbatim-test")
    book.set_title("Operators report")
    book.set_language("en")
    book.add_author("Ana Lima")
    chapter = epub.EpubHtml(title="Chapter One", file_name="one.xhtml", lang="en")
    chapter.content = f"<html><body><h1>{heading}</h1><p>{body}</p><p>{second}</p></body></html>"
    book.add_item(chapter)
    book.toc = [chapter]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", chapter]
    path = tmp_path / "made.epub"
    epub.write_epub(str(path), book)
    return path.read_bytes()


def _rtf(heading: str = HEADING, body: str = BODY, second: str = SECOND) -> bytes:
    return (
        "{\\rtf1\\ansi{\\fonttbl\\f0\\fswiss Helvetica;}\\f0\\pard "
        f"{{\\b {heading}}}\\par\\par {body}\\par\\par {second}\\par}}"
    ).encode()


def _read(tmp_path: Path, name: str, data: bytes) -> tuple[str, list[str]]:
    path = tmp_path / name
    path.write_bytes(data)
    doc = read_document(path, tmp_path)
    return doc.title, doc.text.split("\n\n")


@pytest.mark.parametrize("suffix", [".docx", ".odt", ".epub", ".rtf"])
def test_a_document_of_each_format_is_read_with_its_heading_apart(
    tmp_path: Path, suffix: str
) -> None:
    data = {".docx": _docx, ".odt": _odt, ".rtf": _rtf}.get(suffix, lambda: _epub(tmp_path))()
    title, paragraphs = _read(tmp_path, f"report{suffix}", data)
    assert HEADING in paragraphs  # a paragraph of its own, not glued to the sentence after it
    assert BODY in paragraphs and SECOND in paragraphs
    assert paragraphs.index(HEADING) < paragraphs.index(BODY) < paragraphs.index(SECOND)
    assert title in ("Operators report", HEADING)


def test_a_word_table_row_is_a_sentence_of_its_key_and_value(tmp_path: Path) -> None:
    _, paragraphs = _read(tmp_path, "report.docx", _docx())
    assert "Koryolink: 2008." in paragraphs


def test_word_tables_without_a_header_row_and_numbered_steps(tmp_path: Path) -> None:
    """A trial's manual: "Weight | 3.4 kg" rows lost what they were about to a search, and
    the "List Number" steps lost their numbers."""
    import docx

    document = docx.Document()
    document.add_heading("Getting started", level=1)
    for step in ("Install the dock.", "Charge the robot fully.", "Press Start."):
        document.add_paragraph(step, style="List Number")
    document.add_paragraph("Specifications")
    table = document.add_table(rows=2, cols=2)
    for r, (a, b) in enumerate([("Weight", "3.4 kg"), ("Charging time", "About 4.5 hours")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    out = io.BytesIO()
    document.save(out)
    _, paragraphs = _read(tmp_path, "manual.docx", out.getvalue())
    assert paragraphs[1:4] == [
        "1. Install the dock.",
        "2. Charge the robot fully.",
        "3. Press Start.",
    ]
    assert "Weight: 3.4 kg." in paragraphs and "Charging time: About 4.5 hours." in paragraphs
    # a two-column table whose first row holds no digit is not a header over columns (a
    # reviewer's: it read "Model: Colour; Roomba Combo: Black.")
    from index.formats import _table_sentences

    assert _table_sentences([["Model", "Combo"], ["Colour", "Black"]]) == [
        "Model: Combo.",
        "Colour: Black.",
    ]
    assert _table_sentences(
        [
            ["Part", "Clean", "Replace"],
            ["Filter", "Weekly", "Every 3 months"],
            ["Size", "Size", "Size"],
        ]
    ) == ["Part: Filter; Clean: Weekly; Replace: Every 3 months.", "Part: Size."]


def test_an_epub_is_read_without_its_table_of_contents_and_with_its_author(
    tmp_path: Path,
) -> None:
    """A trial's book: its navigation page's chapter titles were read as its first lines,
    and "Who wrote The Salt Road?" had no author to quote (dc:creator was dropped)."""
    _, paragraphs = _read(tmp_path, "book.epub", _epub(tmp_path))
    assert "Chapter One" not in paragraphs  # the navigation page's entry
    assert paragraphs[0] == "By Ana Lima"


def test_a_csv_row_is_a_paragraph_with_its_header(tmp_path: Path) -> None:
    data = "Operator;Founded;Note\nKoryolink;2008;joint venture with Orascom\nKang Song NET;2015;\n"
    title, paragraphs = _read(tmp_path, "operators.csv", data.encode())
    assert paragraphs == [
        "Operator: Koryolink; Founded: 2008; Note: joint venture with Orascom.",
        "Operator: Kang Song NET; Founded: 2015.",
    ]
    assert title == "operators"


@pytest.mark.parametrize("suffix", [".docx", ".odt", ".epub", ".rtf", ".csv"])
def test_a_damaged_or_mislabelled_file_is_named(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"PK\x03\x04 this is not really a document \x00\x01\x02" * 10)
    with pytest.raises(DocumentError, match=f"broken{suffix}"):
        read_document(path, tmp_path)
