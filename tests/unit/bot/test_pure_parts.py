"""Unit tests of the bot's pure parts: settings, rendering, file names, log redaction."""

from __future__ import annotations

import dataclasses
import logging
from html.parser import HTMLParser

import pytest

from bot.config import load_bot_settings
from bot.handlers import sanitise_filename
from bot.redaction import RedactSecrets
from bot.render import (
    MESSAGE_LIMIT,
    answer_html,
    cut_utf16,
    pack,
    passage_html,
    plain_blocks,
    utf16_len,
)
from index.errors import ConfigError
from index.types import Answer, Passage

TOKEN = "123456:AAbbCCddEEffGGhhIIjjKKllMM"


def _passage(text: str, highlight: str, title: str = "T", url: str | None = None) -> Passage:
    start = text.index(highlight)
    return Passage(
        text, highlight, title, "t.txt", 0, len(text), 0.9, start, start + len(highlight), "d", url
    )


class _Balanced(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag


def _assert_valid_html(text: str) -> None:
    parser = _Balanced()
    parser.feed(text)
    parser.close()
    assert parser.stack == []


def test_passage_is_escaped_with_bold_highlight_and_source() -> None:
    p = _passage(
        "Before <b>x</b> & then. The key sentence. After.",
        "The key sentence.",
        title="A <title>",
        url="https://example.org/?a=1&b=2",
    )
    html = passage_html(p)
    assert "<blockquote>Before &lt;b&gt;x&lt;/b&gt; &amp; then. <b>The key sentence.</b>" in html
    assert "<i>A &lt;title&gt;</i>" in html
    assert 'href="https://example.org/?a=1&amp;b=2"' in html
    _assert_valid_html(html)


def test_the_source_line_gives_section_page_and_the_link_to_the_quote() -> None:
    base = _passage("Intro. The key sentence. After.", "The key sentence.", title="Report")
    cited = dataclasses.replace(
        base,
        url="https://example.org/r",
        section="Budget <2026>",
        page=12,
        link="https://example.org/r#:~:text=The%20key%20sentence.",
    )
    html = passage_html(cited)
    assert "— <i>Report</i>, Budget &lt;2026&gt;, p. 12" in html
    assert 'href="https://example.org/r#:~:text=The%20key%20sentence."' in html
    _assert_valid_html(html)
    plain = passage_html(base)
    assert plain.endswith("— <i>Report</i>") and "p. " not in plain


def test_not_found_answer() -> None:
    parts = answer_html(Answer("q", False, (), "q"))
    assert parts[0].startswith("I could not find that in the documents.")


def test_long_output_is_split_into_valid_messages() -> None:
    blocks = [
        passage_html(_passage(f"Sentence number {i} is here. " * 20, "Sentence")) for i in range(30)
    ]
    parts = pack(blocks)
    assert len(parts) > 1
    for part in parts:
        assert len(part) <= MESSAGE_LIMIT
        _assert_valid_html(part)
    text = ("A sentence with <tags> & ampersands. " * 400).strip()
    pieces = plain_blocks(text)
    assert all(len(p) <= MESSAGE_LIMIT for p in pieces)
    assert all(not p.endswith("&amp") for p in pieces)
    assert "".join(pieces).count("&amp;") == 400


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_messages_are_measured_as_telegram_counts_them_in_utf16() -> None:
    """A passage full of emoji is twice as long to Telegram as len() says: three of them no
    longer fit in one message, and a plain text cut never splits an emoji."""
    emoji = "🚀🔥 " * 200  # 600 characters, 1,000 UTF-16 code units
    assert utf16_len(emoji) == _utf16(emoji) == 1000
    blocks = [passage_html(_passage(emoji * 2, "🚀🔥")) for _ in range(3)]
    assert len("\n\n".join(blocks)) <= MESSAGE_LIMIT < _utf16("\n\n".join(blocks))
    parts = pack(blocks)
    assert len(parts) >= 2 and all(_utf16(p) <= MESSAGE_LIMIT for p in parts)
    pieces = plain_blocks("🚀" * 5000)
    assert all(_utf16(p) <= MESSAGE_LIMIT for p in pieces)
    assert "".join(pieces) == "🚀" * 5000
    assert cut_utf16("a🚀b", 2) == "a" and cut_utf16("a🚀b", 3) == "a🚀"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/abs/path/report.PDF", "report.pdf"),
        ("..\\..\\win.md", "win.md"),
        ("bad\x00na\x1bme.txt", "badname.txt"),
        ("...hidden.txt", "hidden.txt"),
        ("Отчёт 2024 (final).html", "2024_final.html"),
        ("", "document"),
    ],
)
def test_uploaded_names_are_sanitised(name: str, expected: str) -> None:
    assert sanitise_filename(name) == expected


def test_settings_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("VERBATIM_ADMIN_IDS", "1, 2,3")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:9/bot")
    settings = load_bot_settings()
    assert settings.admin_ids == frozenset({1, 2, 3})
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    monkeypatch.setenv("VERBATIM_ADMIN_IDS", "alice")
    with pytest.raises(ConfigError, match="VERBATIM_ADMIN_IDS"):
        load_bot_settings()
    monkeypatch.delenv("VERBATIM_ADMIN_IDS")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "not-a-token-" + TOKEN[-6:])
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN") as info:
        load_bot_settings()
    assert TOKEN[-6:] not in str(info.value)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN")
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN: is not set"):
        load_bot_settings()


def test_secrets_are_redacted_from_logs(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    caplog.handler.addFilter(RedactSecrets([TOKEN]))
    with caplog.at_level(logging.INFO):
        logger.info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        try:
            raise RuntimeError(f"failed url /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logger.exception("boom")
    assert TOKEN not in caplog.text
    assert "[REDACTED]" in caplog.text


def test_the_links_an_operators_message_asks_to_add() -> None:
    from bot.handlers.operators import links_in

    words = (
        "Please add <http://127.0.0.1:5/geysers>, and (https://a.example/c?d=1). "
        "see:https://x.example www.example.org/news. www. ftp://files.example/x "
        "https://a.example/c?d=1"
    ).split()
    assert links_in(words) == [
        "http://127.0.0.1:5/geysers",
        "https://a.example/c?d=1",
        "https://x.example",
        "https://www.example.org/news",
    ]
    assert links_in("When was Koryolink established?".split()) == []
