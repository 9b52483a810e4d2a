"""The bot's texts in other languages (bot.i18n, bot/locale): complete, well-formed, and
English where there is no catalog."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import bot
from bot.i18n import LOCALE_DIR, N_, marked, read_catalogs, texts_for

#: Issue 14: at least these besides English.
REQUIRED = {"ru", "uk", "de", "es", "zh", "ko"}
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_TAG = re.compile(r"</?[a-z]+>")


def _all_messages() -> tuple[str, ...]:
    for module in pkgutil.walk_packages(bot.__path__, "bot."):
        importlib.import_module(module.name)  # each module marks its messages when imported
    return marked()


def test_every_language_translates_every_message_keeping_placeholders_and_markup() -> None:
    catalogs = read_catalogs(LOCALE_DIR)
    assert set(catalogs) >= REQUIRED
    messages = _all_messages()
    assert len(messages) >= 25
    for language, texts in catalogs.items():
        for message in messages:
            translated = texts.messages.get(message)
            assert translated, f"{language}: no translation of {message!r}"
            assert translated != message or message in {"👍", "👎"}, (language, message)
            assert sorted(_PLACEHOLDER.findall(translated)) == sorted(
                _PLACEHOLDER.findall(message)
            ), (language, message)
            assert _TAG.findall(translated) == _TAG.findall(message), (language, message)
        assert set(texts.messages) <= set(messages), f"{language}: messages no longer used"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("ru", "Ближайший отрывок"),
        ("ru-RU", "Ближайший отрывок"),
        ("zh-hans", "最接近的段落"),
        ("uk", "Найближчий уривок"),
        ("pt-br", "Closest passage"),  # no catalog: English
        (None, "Closest passage"),
        ("", "Closest passage"),
    ],
)
def test_the_telegram_language_code_picks_the_catalog(code: str | None, expected: str) -> None:
    assert texts_for(code)("Closest passage") == expected


def test_placeholders_are_filled_and_unknown_messages_stay_english() -> None:
    assert texts_for("de")("{count} document(s)", count=3) == "3 Dokument(e)"
    assert texts_for("ko")("A message nobody translated") == "A message nobody translated"


def test_a_catalog_with_a_fuzzy_or_empty_entry_falls_back_to_english(tmp_path: Path) -> None:
    folder = tmp_path / "xx" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "verbatim.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        '#, fuzzy\nmsgid "More"\nmsgstr "Plus"\n\nmsgid "Closest passage"\nmsgstr ""\n\n'
        'msgid "Thanks for the feedback!"\nmsgstr "Merci !"\n',
        encoding="utf-8",
    )
    texts = read_catalogs(tmp_path)["xx"]
    assert texts("More") == "More" and texts("Closest passage") == "Closest passage"
    assert texts("Thanks for the feedback!") == "Merci !"


def test_marking_returns_the_message_itself() -> None:
    assert N_("Some English") == "Some English"
