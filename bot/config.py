"""Bot settings from the environment, validated at start (one clear line per problem).

The token and the webhook secret are ``SecretStr``: their ``repr`` and ``str`` never show the
value, so they cannot leak through a log line or an error message.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.config import describe_invalid
from index.errors import ConfigError

_TOKEN_SHAPE = r"^\d+:[A-Za-z0-9_-]{20,}$"  # noqa: S105 - a pattern, not a secret


def _int_list(value: object) -> object:
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(";", ",").split(",")]
        try:
            return [int(p) for p in parts if p]
        except ValueError:
            raise ValueError("must be comma-separated numeric ids, e.g. 12345,67890") from None
    return value


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    token: SecretStr = Field(validation_alias="TELEGRAM_BOT_TOKEN")
    base_url: str | None = Field(default=None, validation_alias="TELEGRAM_API_BASE_URL")
    base_file_url: str | None = Field(default=None, validation_alias="TELEGRAM_API_FILE_URL")
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), validation_alias="VERBATIM_ADMIN_IDS"
    )
    allowed_chat_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), validation_alias="VERBATIM_ALLOWED_CHAT_IDS"
    )
    #: keep asked questions in ``questions.jsonl`` next to the index (``verbatim unanswered``)
    record_questions: bool = Field(default=True, validation_alias="VERBATIM_RECORD_QUESTIONS")
    #: where conversations and buttons are kept (bot.state): an SQLite file next to the index
    #: by default, or postgresql://user:password@host:port/db (several bot processes share it)
    state_url: SecretStr | None = Field(default=None, validation_alias="VERBATIM_STATE_URL")
    webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_WEBHOOK_SECRET"
    )
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024,
        ge=1024,
        le=20 * 1024 * 1024,
        validation_alias="VERBATIM_MAX_UPLOAD_BYTES",
    )
    flood_messages: int = Field(default=8, ge=1, validation_alias="VERBATIM_FLOOD_MESSAGES")
    flood_seconds: float = Field(default=20.0, gt=0, validation_alias="VERBATIM_FLOOD_SECONDS")
    #: a user's questions wait their turn, answered in order; beyond this many waiting, one
    #: reply asks them to go on later
    queue_per_user: int = Field(
        default=20, ge=1, le=1000, validation_alias="VERBATIM_QUEUE_PER_USER"
    )
    reload_seconds: float = Field(default=2.0, gt=0, validation_alias="VERBATIM_RELOAD_SECONDS")
    typing_after_seconds: float = Field(
        default=0.5, ge=0, le=10, validation_alias="VERBATIM_TYPING_AFTER_SECONDS"
    )
    max_messages_per_second: int = Field(
        default=30, ge=1, le=1000, validation_alias="VERBATIM_MAX_MESSAGES_PER_SECOND"
    )
    #: a declined question whose nearest passage has at least this confidence (the calibrated
    #: probability that it holds the answer) offers it under a "Closest passage" button; 1
    #: turns the button off
    closest_passage_confidence: float = Field(
        default=0.25, ge=0, le=1, validation_alias="VERBATIM_CLOSEST_PASSAGE_CONFIDENCE"
    )

    @field_validator("admin_ids", "allowed_chat_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        return _int_list(value)

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        import re

        if not re.match(_TOKEN_SHAPE, value.get_secret_value().strip()):
            raise ValueError("does not look like a bot token from @BotFather (digits:letters)")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("base_url", "base_file_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        import re

        # Telegram accepts 1-256 of these characters; anyone who guesses the secret can post
        # forged updates to the webhook, so it must be long enough not to be guessed.
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()
        ):
            raise ValueError(
                "must be 16-256 characters of A-Z, a-z, 0-9, _ and - "
                "(make one with: openssl rand -hex 32)"
            )
        return value


_ENV_NAMES = {
    "token": "TELEGRAM_BOT_TOKEN",
    "base_url": "TELEGRAM_API_BASE_URL",
    "base_file_url": "TELEGRAM_API_FILE_URL",
    "admin_ids": "VERBATIM_ADMIN_IDS",
    "allowed_chat_ids": "VERBATIM_ALLOWED_CHAT_IDS",
    "webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    "state_url": "VERBATIM_STATE_URL",
    "record_questions": "VERBATIM_RECORD_QUESTIONS",
    "max_upload_bytes": "VERBATIM_MAX_UPLOAD_BYTES",
    "flood_messages": "VERBATIM_FLOOD_MESSAGES",
    "flood_seconds": "VERBATIM_FLOOD_SECONDS",
    "queue_per_user": "VERBATIM_QUEUE_PER_USER",
    "reload_seconds": "VERBATIM_RELOAD_SECONDS",
    "typing_after_seconds": "VERBATIM_TYPING_AFTER_SECONDS",
    "max_messages_per_second": "VERBATIM_MAX_MESSAGES_PER_SECOND",
    "closest_passage_confidence": "VERBATIM_CLOSEST_PASSAGE_CONFIDENCE",
}


def load_bot_settings(**overrides: object) -> BotSettings:
    """Settings from the environment; ConfigError with one line per problem (no values shown)."""
    try:
        return BotSettings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_invalid(exc, _ENV_NAMES)) from None
