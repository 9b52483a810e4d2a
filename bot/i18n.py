"""The bot's own words in the user's language (issue 14); the quotes stay verbatim.

The English text is the message id (gettext's convention); ``N_`` marks each one where it is
defined. The translations are gettext catalogs, ``bot/locale/<lang>/LC_MESSAGES/verbatim.po``,
read with Babel once, when the bot starts (``load``). A user's language is the one their
Telegram app reports (``language_code``: "ru", "pt-br", "zh-hans"); a language without a
catalog, or a message without a translation, falls back to English.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "verbatim"
ENGLISH = "en"

_MARKED: list[str] = []


def N_(message: str) -> str:  # gettext's name for "mark for translation"
    """Mark an English message for translation; it is returned as it is."""
    _MARKED.append(message)
    return message


def marked() -> tuple[str, ...]:
    """Every message marked so far (the bot's modules mark theirs when imported)."""
    return tuple(dict.fromkeys(_MARKED))


@dataclass(frozen=True)
class Texts:
    """One language's messages: ``texts(MESSAGE, name=...)`` is MESSAGE in that language,
    its ``{placeholders}`` filled."""

    language: str
    messages: dict[str, str]

    def __call__(self, message: str, **values: Any) -> str:
        text = self.messages.get(message) or message
        return text.format(**values) if values else text


_ENGLISH = Texts(ENGLISH, {})
_catalogs: dict[str, Texts] | None = None
_lock = threading.Lock()


def load(folder: Path = LOCALE_DIR) -> dict[str, Texts]:
    """Read every catalog (once per process; later calls return the same)."""
    global _catalogs
    with _lock:
        if _catalogs is None:
            _catalogs = read_catalogs(folder)
        return _catalogs


def read_catalogs(folder: Path) -> dict[str, Texts]:
    from babel.messages.pofile import read_po

    out: dict[str, Texts] = {}
    for path in sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        language = path.parent.parent.name
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        out[language] = Texts(
            language,
            {
                str(m.id): str(m.string)
                for m in catalog
                if m.id and isinstance(m.string, str) and m.string and not m.fuzzy
            },
        )
    return out


def texts_for(language_code: str | None) -> Texts:
    """The messages for a Telegram ``language_code`` (English when there is none)."""
    if not language_code:
        return _ENGLISH
    base = language_code.replace("_", "-").split("-", 1)[0].casefold()
    return load().get(base, _ENGLISH)
