"""index.citations: the section a quote is under, and the link scrolled to it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from index.citations import section_of, text_fragment_link
from index.config import Settings
from index.documents import read_document
from index.embedding import HashingEmbedder
from index.engine import Engine
from index.store import load_version
from index.types import Document
from tests.conftest import make_pdf

GUIDE = """# Geysers of Iceland

URL: https://example.org/guide/geysers

Iceland has many hot springs, and a few of them erupt.

## Strokkur

The Strokkur geyser erupts every six to ten minutes, up to twenty metres high.

## Geysir

The Great Geysir, which gave all geysers their name, is mostly quiet nowadays.
"""


def _doc(text: str, headings: tuple[int, ...] = ()) -> Document:
    return Document("d", "d.txt", text.split("\n\n")[0], text, "h", headings=headings)


def test_the_section_is_the_nearest_heading_before_the_quote() -> None:
    text = (
        "Title\n\nBy Ada Lovelace\n\nIntro.\n\nCauses\n\nWarmer summers melt the ice."
        "\n\nMore of it."
    )
    doc = _doc(text)
    assert section_of(doc, text.index("More")) == "Causes"
    assert section_of(doc, text.index("Warmer")) == "Causes"
    assert section_of(doc, text.index("Intro")) is None  # under the title (and a byline) only
    # a quote that opens with its own heading is in that section, not the one before (a user
    # saw "The water tastes of plastic …" cited under "Low water flow")
    assert section_of(doc, text.index("Causes")) == "Causes"
    marked = _doc(text, headings=(text.index("Causes"),))
    assert section_of(marked, text.index("Causes")) == "Causes"
    assert section_of(marked, text.index("Intro")) is None


def test_a_format_that_marks_its_headings_is_taken_at_its_word(tmp_path: Path) -> None:
    """A Word document's heading styles: a heading that ends with "?" is a section, a table
    row ("Koryolink | 2008") is not, and the first heading, the title, is none."""
    import docx

    document = docx.Document()
    document.add_heading("Operators report", level=1)
    document.add_paragraph("An overview of the operators.")
    document.add_heading("What does the ministry plan?", level=2)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Koryolink", "2008"
    document.add_paragraph("The ministry plans a new network in the major cities.")
    (tmp_path / "report.docx").write_bytes(_saved(document))
    doc = read_document(tmp_path / "report.docx", tmp_path)
    assert doc.title == "Operators report" and len(doc.headings) == 2
    assert section_of(doc, doc.text.index("The ministry plans")) == "What does the ministry plan?"
    assert section_of(doc, doc.text.index("An overview")) is None
    assert "\ue000" not in doc.text


def _saved(document: object) -> bytes:
    import io

    out = io.BytesIO()
    document.save(out)  # type: ignore[attr-defined]
    return out.getvalue()


def test_the_link_points_at_the_quote_and_encodes_what_the_syntax_uses() -> None:
    link = text_fragment_link("https://ex.org/a?x=1#top", "A one-liner, with commas & more.")
    assert link.startswith("https://ex.org/a?x=1#:~:text=")
    directive = link.split("#:~:text=", 1)[1]
    assert "-" not in directive and "&" not in directive and "," not in directive
    assert unquote(directive) == "A one-liner, with commas & more."
    long = " ".join(f"word{i}" for i in range(40))
    start, end = text_fragment_link("https://ex.org/", long).split("#:~:text=")[1].split(",")
    assert unquote(start) == "word0 word1 word2 word3" and unquote(end).endswith("word39")
    assert text_fragment_link("https://ex.org/", "   ") == "https://ex.org/"


def test_answers_carry_section_and_link(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "guide.md").write_text(GUIDE, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "idx", model="hashing-fake")
    engine = Engine(settings, HashingEmbedder())
    engine.build()
    answer = engine.answer("How often does the Strokkur geyser erupt?", force=True)
    first = answer.passages[0]
    assert "six to ten minutes" in first.text and first.section == "Strokkur"
    assert first.url == "https://example.org/guide/geysers"
    assert first.link is not None and first.link.startswith(first.url + "#:~:text=")
    assert unquote(first.link.split("#:~:text=")[1].replace(",", " ")).split()[0] == "The"
    data = answer.to_json()["passages"][0]  # type: ignore[index]
    assert data["section"] == "Strokkur" and data["link"] == first.link
    assert first.page is None and data["page"] is None  # a document without pages


def test_a_pdf_quote_says_its_page(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "report.pdf").write_bytes(
        make_pdf(
            ["Annual report of the geyser society."],
            [],  # a blank page still counts
            ["The Strokkur geyser erupts every six to ten minutes."],
        )
    )
    doc = read_document(corpus / "report.pdf", corpus)
    assert len(doc.pages) == 3 and "\f" not in doc.text
    assert doc.page_at(doc.text.index("Annual")) == 1
    assert doc.page_at(doc.text.index("Strokkur")) == 3
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "idx", model="hashing-fake")
    engine = Engine(settings, HashingEmbedder())
    engine.build()
    answer = engine.answer("How often does the Strokkur geyser erupt?", force=True)
    assert answer.passages[0].page == 3
    assert answer.to_json()["passages"][0]["page"] == 3  # type: ignore[index]
    assert load_version(settings.index_dir).documents[0].pages == doc.pages  # kept as saved
