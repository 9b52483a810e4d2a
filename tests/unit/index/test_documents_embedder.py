"""What embeds a build's documents (VERBATIM_BUILD_BACKEND): the setting's checks, the CPU
test, the choice of ``Engine.documents_embedder`` and the build's use of it, with fakes (the
real bfloat16 model: tests/integration/test_bf16.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import index.engine as engine_module
from index.build import build_index
from index.config import ChunkingSettings, Settings, load_settings
from index.embedding import Embedder, HashingEmbedder, cpu_multiplies_bf16
from index.engine import BF16_FROM_SENTENCES, Engine
from index.errors import ConfigError
from index.store import current_version_path, load_version
from tests.conftest import ARTICLE, CountingEmbedder


class FakeOnnx(CountingEmbedder):
    """The hashing fake, said to run on onnx (whose vectors torch-bf16's agree with)."""

    def __init__(self, backend: str = "onnx") -> None:
        super().__init__()
        self._backend = backend


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(ARTICLE, corpus / ARTICLE.name)
    return corpus


def test_a_build_backend_whose_vectors_differ_from_the_questions_is_refused() -> None:
    with pytest.raises(ConfigError, match="VERBATIM_BUILD_BACKEND onnx-int8 makes other vectors"):
        load_settings(backend="onnx", build_backend="onnx-int8")
    with pytest.raises(ConfigError, match="VERBATIM_BUILD_BACKEND"):
        load_settings(backend="onnx", build_backend="bf16")  # not a backend at all
    assert load_settings(backend="onnx", build_backend="torch-bf16").build_backend == "torch-bf16"
    assert load_settings(backend="onnx-int8", build_backend="same").build_backend == "same"
    assert load_settings().build_backend == "auto"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ("fpu avx2 avx512f amx_bf16 amx_tile", True),
        ("fpu avx2 avx512f avx512_bf16", True),
        ("fpu avx2 avx512f avx512_vnni", False),
    ],
)
def test_the_cpu_test_reads_the_flags(tmp_path: Path, flags: str, expected: bool) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: X\nflags\t\t: {flags}\n", "ascii")
    assert cpu_multiplies_bf16(cpuinfo) is expected
    assert cpu_multiplies_bf16(tmp_path / "missing") is False


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The backends the engine loads a documents' embedder for (a fake is loaded)."""
    loaded: list[str] = []

    def fake_load(model: str, backend: str, cache_dir: Path) -> Embedder:
        loaded.append(backend)
        return FakeOnnx(backend)

    monkeypatch.setattr(engine_module, "load_embedder", fake_load)
    return loaded


@pytest.mark.parametrize("hardware", [True, False])
def test_auto_takes_bf16_for_a_large_build_on_a_cpu_made_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loads: list[str], hardware: bool
) -> None:
    monkeypatch.setattr(engine_module, "cpu_multiplies_bf16", lambda: hardware)
    settings = Settings(corpus_dir=tmp_path / "c", index_dir=tmp_path / "i")
    serving = Engine(settings, FakeOnnx())  # a process that goes on answering (the bot)
    assert serving.documents_embedder(10 * BF16_FROM_SENTENCES) is serving.embedder
    engine = Engine(settings, FakeOnnx(), builds_only=True)  # verbatim index build
    assert engine.documents_embedder(BF16_FROM_SENTENCES - 1) is engine.embedder  # too few
    chosen = engine.documents_embedder(BF16_FROM_SENTENCES)
    assert (chosen.backend, loads) == (("torch-bf16", ["torch-bf16"]) if hardware else ("onnx", []))
    # int8 questions: bf16 vectors would not agree with them; a test fake stays itself
    for embedder in (FakeOnnx("onnx-int8"), HashingEmbedder()):
        engine = Engine(settings, embedder, builds_only=True)
        assert engine.documents_embedder(10 * BF16_FROM_SENTENCES) is embedder


def test_a_named_build_backend_is_used_whatever_the_size_and_same_never(
    tmp_path: Path, loads: list[str]
) -> None:
    settings = Settings(corpus_dir=tmp_path / "c", index_dir=tmp_path / "i")
    named = Engine(settings.model_copy(update={"build_backend": "torch-bf16"}), FakeOnnx())
    assert named.documents_embedder(1).backend == "torch-bf16"
    same = Engine(settings.model_copy(update={"build_backend": "same"}), FakeOnnx())
    assert same.documents_embedder(10**6) is same.embedder
    onnx = Engine(settings.model_copy(update={"build_backend": "onnx"}), FakeOnnx())
    assert onnx.documents_embedder(10**6) is onnx.embedder  # already the questions' backend
    assert loads == ["torch-bf16"]


def test_the_build_embeds_only_new_sentences_with_it_and_records_the_questions_backend(
    tmp_path: Path,
) -> None:
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    questions, documents = FakeOnnx(), FakeOnnx("torch-bf16")
    asked: list[int] = []

    def choose(sentences: int) -> Embedder:
        asked.append(sentences)
        return documents

    summary = build_index(corpus, index, questions, ChunkingSettings(), documents_embedder=choose)
    assert summary.embedded_with == "torch-bf16" and "embedded with torch-bf16" in summary.line()
    assert questions.texts == [] and len(documents.texts) == summary.sentences == asked[0]
    (corpus / "more.txt").write_text("Kang Song NET began operating in 2015.\n", "utf-8")
    again = build_index(corpus, index, questions, ChunkingSettings(), documents_embedder=choose)
    assert asked[1:] == [1] and again.unchanged == 1  # the new document's sentence alone
    assert load_version(index).manifest.backend == "onnx"


def test_an_embedder_whose_vectors_disagree_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    corpus, index = _corpus(tmp_path), tmp_path / "index"
    with pytest.raises(ConfigError, match="do not agree with hashing-fake on onnx"):
        build_index(
            corpus,
            index,
            FakeOnnx(),
            ChunkingSettings(),
            documents_embedder=lambda _n: FakeOnnx("onnx-int8"),
        )
    assert current_version_path(index) is None
