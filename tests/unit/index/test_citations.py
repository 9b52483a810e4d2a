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
from tests.conftest import make_pdf

GUIDE = """# Geysers of Iceland

URL: https://example.org/guide/geysers

Iceland has many hot springs, and a few of them erupt.

## Strokkur

The Strokkur geyser erupts every six to ten minutes, up to twenty metres high.

## Geysir

The Great Geysir, which gave all geysers their name, is mostly quiet nowadays.
"""


def test_the_section_is_the_nearest_heading_before_the_quote() -> None:
    text = "Title\n\nIntro.\n\nCauses\n\nWarmer summers melt the ice.\n\nMore of it."
    assert section_of(text, text.index("More")) == "Causes"
    assert section_of(text, text.index("Warmer")) == "Causes"
    assert section_of(text, text.index("Intro")) is None  # under the title only


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
