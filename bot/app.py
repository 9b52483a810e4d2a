"""Entry point of the Telegram bot (``verbatim serve``)."""

from __future__ import annotations

from index.config import Settings
from index.errors import ConfigError


def run(settings: Settings, webhook_url: str | None, listen: str, port: int) -> int:
    raise ConfigError("the Telegram bot is not part of this build yet (issue #3)")
