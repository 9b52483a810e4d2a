from pathlib import Path

import pytest

from index.documents import iter_corpus_files, read_document
from index.errors import CorpusError, DocumentError
from tests.conftest import make_pdf
from tests.conftest import write_file as _write


def test_text_title_url_and_hash(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.txt", "URL: https://example.org/a\nMy Title\n\nBody sentence.\n")
    doc = read_document(path, tmp_path)
    assert doc.title == "My Title"
    assert doc.url == "https://example.org/a"
    assert "URL:" not in doc.text
    assert doc.text == "My Title\n\nBody sentence."
    assert len(doc.content_hash) == 64
    assert doc.source == "a.txt"


def test_title_falls_back_to_file_name(tmp_path: Path) -> None:
    long_first = "word " * 60
    path = _write(tmp_path, "quarterly_report-2024.txt", long_first)
    assert read_document(path, tmp_path).title == "quarterly report 2024"


def test_markdown_heading_is_title_and_markup_removed(tmp_path: Path) -> None:
    path = _write(tmp_path, "m.md", "# The Heading\n\nSee [the site](http://x.y) now.\n\n---\n")
    doc = read_document(path, tmp_path)
    assert doc.title == "The Heading"
    assert "See the site now." in doc.text
    assert "](" not in doc.text and "---" not in doc.text
    badges = _write(
        tmp_path,
        "r.md",
        "# Kestrel\n\n[![Build](https://ci.example.org/b.svg)](https://ci.example.org) "
        "[![PyPI](https://x.org/v.svg)](https://pypi.org/p/)\n\n"
        "Kestrel resizes images.\n\n![Pipeline diagram](flow.png)\n\n"
        "[![Architecture diagram](arch.png)](arch.png)\n",
    )
    # a README's badges say nothing (a trial's quote opened "Build PyPI"); a figure's does
    assert read_document(badges, tmp_path).text.split("\n\n") == [
        "Kestrel",
        "Kestrel resizes images.",
        "Pipeline diagram",
        "Architecture diagram",
    ]


def test_markdown_blocks_are_paragraphs_of_plain_text(tmp_path: Path) -> None:
    """Found by a user: a block quote wrapped over two "> " lines was cut mid-sentence with its
    markup kept; a numbered heading; a table's rows."""
    text = (
        "# Manual\n\n"
        "> **Warning:** Turn off the valve before disconnecting any pipe. Do not connect\n"
        "> the filter to the *hot-water* line.\n\n"
        "## 2. Installation\n\n"
        "1. Shut off the `cold-water` valve.\n"
        "2. Screw the adapter on.\n\n"
        "- a bullet item\n\n"
        "| Cartridge | Part number | Price |\n|---|---|---|\n| Standard | AP-C300 | $39 |\n\n"
        "Wrapped prose goes on\non the next line. ![a diagram](d.png)\n"
    )
    doc = read_document(_write(tmp_path, "m.md", text), tmp_path)
    assert doc.title == "Manual"
    assert doc.text.split("\n\n") == [
        "Manual",
        "Warning: Turn off the valve before disconnecting any pipe. Do not connect the filter "
        "to the hot-water line.",
        "2. Installation",
        "1. Shut off the cold-water valve.",
        "2. Screw the adapter on.",
        "a bullet item",
        "Cartridge: Standard; Part number: AP-C300; Price: $39.",
        "Wrapped prose goes on on the next line. a diagram",
    ]
    headings = [doc.text[h:].split("\n\n")[0] for h in doc.headings]
    assert headings == ["Manual", "2. Installation"]


def test_markdown_front_matter_and_lone_tables(tmp_path: Path) -> None:
    """Found by a reviewer: YAML front matter was read as a heading and became the title; a
    table of its header alone was lost; raw HTML of many "<" is read (its tags dropped)."""
    doc = read_document(
        _write(
            tmp_path, "f.md", "---\ntitle: My Post\nauthor: Jane\n---\n\n# Real Title\n\nBody.\n"
        ),
        tmp_path,
    )
    assert doc.title == "Real Title" and "Jane" not in doc.text
    untitled = read_document(
        _write(tmp_path, "g.md", '---\ntitle: "My Post"\n---\n\nThe body of the post.\n'),
        tmp_path,
    )
    assert untitled.title == "My Post" and untitled.text == "The body of the post."
    table = read_document(
        _write(tmp_path, "t.md", "Prices of the shop\n\n| Name | Price | Stock |\n|---|---|---|\n"),
        tmp_path,
    )
    assert table.text == "Prices of the shop\n\nName; Price; Stock."
    html = read_document(
        _write(tmp_path, "h.md", "Some words here.\n\n<div>kept <b>text</b></div>\n" + "<" * 5000),
        tmp_path,
    )
    assert "kept" in html.text and "<b>" not in html.text


def test_html_main_text_is_extracted(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Harbour news</title><script>alert('x')</script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/about'>About us</a></nav>"
        "<article><h1>Harbour reopens</h1>"
        "<p>The harbour of Nampo reopened on Monday after three weeks of repairs to its "
        "main pier, the port authority said in a statement.</p>"
        "<p>Ships carrying grain and fuel were the first to dock, and officials expect "
        "traffic to return to normal levels by the end of the month.</p></article>"
        "<footer>Leave a Reply. Your email address will not be published.</footer>"
        "</body></html>"
    )
    doc = read_document(_write(tmp_path, "n.html", html), tmp_path)
    assert "harbour of Nampo reopened on Monday" in doc.text
    assert "alert" not in doc.text
    assert "Leave a Reply" not in doc.text
    assert doc.title in ("Harbour reopens", "Harbour news")


def test_html_with_only_navigation_is_an_error(tmp_path: Path) -> None:
    html = "<html><body><nav><a href='/'>Home</a><a href='/x'>Menu</a></nav></body></html>"
    with pytest.raises(DocumentError, match=r"nav\.html"):
        read_document(_write(tmp_path, "nav.html", html), tmp_path)


def test_pdf_text_is_read(tmp_path: Path) -> None:
    pdf = make_pdf(["Annual report", "Revenue grew by 12 percent in 2023."])
    doc = read_document(_write(tmp_path, "r.pdf", pdf), tmp_path)
    assert "Revenue grew by 12 percent in 2023." in doc.text


def test_corrupt_pdf_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"broken\.pdf.*PDF"):
        read_document(_write(tmp_path, "broken.pdf", b"%PDF-1.4\n garbage \x00\x01"), tmp_path)


def test_binary_file_named_txt_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"image\.txt.*binary"):
        read_document(_write(tmp_path, "image.txt", bytes(range(256)) * 10), tmp_path)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="empty"):
        read_document(_write(tmp_path, "e.txt", b"  \n"), tmp_path)


def test_unsupported_files_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(tmp_path, "a.txt", "Hello there.")
    _write(tmp_path, "b.xlsx", b"PK\x03\x04")
    _write(tmp_path, ".hidden.txt", "secret")
    files = [p.name for p in iter_corpus_files(tmp_path)]
    assert files == ["a.txt"]
    assert "b.xlsx" in caplog.text


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        list(iter_corpus_files(tmp_path / "nope"))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_text_with_a_bom_is_read(tmp_path: Path, encoding: str) -> None:
    """Notepad's "Unicode" is UTF-16 with a byte-order mark: its NUL bytes are the other
    halves of ASCII characters, not a sign of a binary file."""
    text = "Koryo notes\n\nKoryolink was established in 2008 — Pyongyang.\n"
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / "notes.txt"
    path.write_bytes(data)
    doc = read_document(path, tmp_path)
    assert doc.title == "Koryo notes"
    assert "established in 2008 — Pyongyang." in doc.text
    path.write_bytes(b"\x00\x01binary\x00" * 50)
    with pytest.raises(DocumentError, match="binary"):
        read_document(path, tmp_path)


def test_an_html_pages_byline_and_date_are_kept_as_quotable_lines(tmp_path: Path) -> None:
    html = (
        "<html><head><title>Budget approved</title>"
        '<meta name="author" content="Marta Quiroga">'
        '<meta property="article:published_time" content="2026-03-04"></head><body>'
        "<nav>Home | News</nav><article><h1>Budget approved</h1>"
        '<p class="byline">By Marta Quiroga</p><time datetime="2026-03-04">4 March 2026</time>'
        "<p>The city council approved the budget for the new bridge on Tuesday, after a long "
        "debate about its cost and the route it will take across the river.</p>"
        "<p>The first construction phase will start in June and last two years, the mayor "
        "said at a press conference held after the vote.</p></article></body></html>"
    )
    doc = read_document(_write(tmp_path, "budget.html", html), tmp_path)
    paragraphs = doc.text.split("\n\n")
    assert paragraphs[:3] == ["Budget approved", "By Marta Quiroga", "Published 2026-03-04"]
    assert paragraphs[3].startswith("The city council approved the budget")


def test_an_html_page_without_a_date_gets_none_from_its_copyright_year(tmp_path: Path) -> None:
    """The quote is the page's text: a date guessed from "© 2025" is not a date it gives."""
    html = (
        "<html><head><title>Corvo espresso machines</title></head><body>"
        "<article><h1>Corvo espresso machines</h1>"
        "<p>The Corvo Uno is a compact single-boiler machine for one or two cups a day, with "
        "a steam wand strong enough for a cappuccino and a water tank of 1.7 litres.</p>"
        "<p>The Corvo Duo heats water for coffee and milk at the same time, so you can pull a "
        "shot and steam milk without waiting between them.</p></article>"
        "<footer>© 2025 Corvo Home s.r.o. All rights reserved.</footer></body></html>"
    )
    doc = read_document(_write(tmp_path, "corvo.html", html), tmp_path)
    assert "Published" not in doc.text and "2025-01-01" not in doc.text


def test_an_html_tables_rows_are_sentences_with_their_headers(tmp_path: Path) -> None:
    body = "<p>" + "Every Corvo machine is designed in Turin and assembled in Brno. " * 3 + "</p>"
    html = (
        f"<html><head><title>Corvo</title></head><body><article><h1>Corvo</h1>{body}<table>"
        "<tr><th>Specification</th><th>Corvo Uno</th><th>Corvo Duo</th></tr>"
        "<tr><td>Weight</td><td>9.5 kg</td><td>18 kg</td></tr>"
        "<tr><td>Pump</td><td>Vibration</td><td>Rotary</td></tr></table>"
        f"{body}<table><tr><td>Mon–Fri</td><td>9:00–18:00</td></tr>"
        "<tr><td>Sat</td><td>10:00–14:00</td></tr></table></article></body></html>"
    )
    paragraphs = read_document(_write(tmp_path, "c.html", html), tmp_path).text.split("\n\n")
    assert "Specification: Weight; Corvo Uno: 9.5 kg; Corvo Duo: 18 kg." in paragraphs
    assert "Specification: Pump; Corvo Uno: Vibration; Corvo Duo: Rotary." in paragraphs
    assert "Mon–Fri; 9:00–18:00." in paragraphs  # no header row: the values alone
    assert not any("|" in p for p in paragraphs)
    # a table whose rows are headed by their first cell (a reviewer's: it read "Weight:
    # Pump; 9.5 kg: Vibration.", false): each value beside its row's header
    spec = (
        f"<html><body><article><h1>Corvo</h1>{body}<table>"
        "<tr><th>Weight</th><td>9.5 kg</td><td>18 kg</td></tr>"
        "<tr><th>Pump</th><td>Vibration</td><td>Rotary</td></tr></table>"
        f"{body}</article></body></html>"
    )
    paragraphs = read_document(_write(tmp_path, "s.html", spec), tmp_path).text.split("\n\n")
    assert "Weight: 9.5 kg; 18 kg." in paragraphs and "Pump: Vibration; Rotary." in paragraphs


def test_pdf_headings_stay_apart_from_the_text_they_head(tmp_path: Path) -> None:
    pdf = make_pdf(
        [
            "Budget",
            "The first construction phase will start in June and last two years, the",
            "mayor said at a press conference held after the vote on Tuesday.",
            "Figure 2",
            "Traffic on the old bridge has doubled since 2010, and repairs are due.",
        ]
    )
    doc = read_document(_write(tmp_path, "b.pdf", pdf), tmp_path)
    paragraphs = doc.text.split("\n\n")
    assert "Budget" in paragraphs and "Figure 2" in paragraphs
    assert (
        "The first construction phase will start in June and last two years, the mayor said "
        "at a press conference held after the vote on Tuesday."
    ) in paragraphs


def test_a_form_feed_in_a_text_file_starts_a_page(tmp_path: Path) -> None:
    path = tmp_path / "printout.txt"
    path.write_text(
        "Report\nURL: https://example.org/report.pdf\n\nThe first page says this.\n"
        "\fThe second page says that.\n\n\f\fThe fourth page, after a blank one.\n",
        encoding="utf-8",
    )
    doc = read_document(path, tmp_path)
    assert doc.url == "https://example.org/report.pdf" and doc.title == "Report"
    pages = [doc.page_at(doc.text.index(s)) for s in ("first page", "second page", "fourth")]
    assert pages == [1, 2, 4]
    assert "\f" not in doc.text


def test_a_short_text_without_spaces_between_words_is_read(tmp_path: Path) -> None:
    """Chinese, Japanese and Thai put no spaces between words: a one-paragraph document of
    them is text, not "no readable text" (its words are counted by their letters)."""
    chinese = "朝鲜正在用华为的二手设备升级其移动网络。现代化将从平壤等主要城市开始。"
    doc = read_document(_write(tmp_path, "zh.txt", chinese), tmp_path)
    assert doc.text == chinese
    assert read_document(_write(tmp_path, "ja.txt", "北朝鮮は携帯電話網を更新している。"), tmp_path)
    for name, text in (("nav.txt", "Home\n\nMenu"), ("one.txt", "平壤")):
        with pytest.raises(DocumentError, match="no readable text"):
            read_document(_write(tmp_path, name, text), tmp_path)
