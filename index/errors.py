"""Expected failures: each carries a message meant for a person, printed without a traceback."""


class VerbatimError(Exception):
    """Base class for failures the user can act on."""


class ConfigError(VerbatimError):
    """A setting is missing or invalid."""


class CorpusError(VerbatimError):
    """The corpus folder is missing or holds no readable document."""


class DocumentError(VerbatimError):
    """One document could not be read; the build reports it and goes on."""


class FetchError(DocumentError):
    """A link that cannot be added, and why (no secret, no stack trace)."""


class IndexLoadError(VerbatimError):
    """The index is missing, corrupt or incompatible with the current settings."""


class QuestionError(VerbatimError):
    """The question cannot be answered as asked (empty, too long...). ``reason`` names the
    case ("empty", "too long", "no words") and ``values`` its figures, for callers that say it
    in other words (the bot, in the user's language); "" for any other."""

    def __init__(self, message: str, reason: str = "", **values: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.values = values
