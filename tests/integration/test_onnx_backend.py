"""The ONNX Runtime backends (index.onnx_backend) against the torch model they are exported
from: the same vectors (float32) or close ones (int8), an export made once and reused, no
torch on the answering path, and indexes that never mix two backends' vectors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.config import Settings
from index.embedding import SentenceTransformerEmbedder, load_embedder
from index.engine import Engine
from index.errors import IndexLoadError
from index.onnx_backend import OnnxEmbedder
from index.store import Manifest, current_version_path, load_version
from tests.conftest import ARTICLE

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def texts() -> list[str]:
    paragraphs = [p for p in ARTICLE.read_text(encoding="utf-8").split("\n") if p.strip()]
    return [*paragraphs, "When was Koryolink established?", "x", "word " * 400]


@pytest.mark.parametrize(
    ("backend", "least", "mean"), [("onnx", 0.9999, 0.9999), ("onnx-int8", 0.95, 0.98)]
)
def test_onnx_vectors_agree_with_torch(
    backend: str,
    least: float,
    mean: float,
    cache: Path,
    texts: list[str],
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    onnx = OnnxEmbedder("all-MiniLM-L6-v2", backend, cache)
    assert (onnx.name, onnx.dimension, onnx.backend) == ("all-MiniLM-L6-v2", 384, backend)
    vectors = onnx.encode(texts)
    reference = real_embedder.encode(texts)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= least and cosines.mean() >= mean
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    one_by_one = np.vstack([onnx.encode([t]) for t in texts[:4]])
    if backend == "onnx":  # batching changes nothing
        assert np.allclose(one_by_one, vectors[:4], atol=1e-4)
    else:  # int8 activations are scaled per batch: a text's vector depends a little on it
        assert ((one_by_one * vectors[:4]).sum(axis=1) >= least).all()
    assert onnx.encode([]).shape == (0, 384)


def test_an_export_is_made_once_and_used_without_torch(cache: Path) -> None:
    OnnxEmbedder("all-MiniLM-L6-v2", "onnx-int8", cache)  # made (or found) here
    (folder,) = (p for p in cache.iterdir() if "onnx-int8" in p.name)
    made = (folder / "model.onnx").stat().st_mtime_ns
    details = json.loads((folder / "export.json").read_text(encoding="utf-8"))
    assert details["pooling"] == "mean" and details["max_tokens"] == 256
    script = (
        "import sys; from pathlib import Path; from index.onnx_backend import OnnxEmbedder; "
        f"e = OnnxEmbedder('all-MiniLM-L6-v2', 'onnx-int8', Path({str(cache)!r})); "
        "print(e.encode(['When was Koryolink established?']).shape); "
        "print(sorted(m for m in ('torch', 'transformers', 'sentence_transformers') "
        "if m in sys.modules))"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    assert out.stdout.splitlines() == ["(1, 384)", "[]"]
    assert (folder / "model.onnx").stat().st_mtime_ns == made  # reused, not made again


def test_a_damaged_export_says_where_it_is(cache: Path, tmp_path: Path) -> None:
    broken = tmp_path / "models"
    shutil.copytree(cache, broken)
    for model in broken.glob("*onnx-int8*/model.onnx"):
        model.write_bytes(b"not a model")
    with pytest.raises(Exception, match="delete that folder") as caught:
        OnnxEmbedder("all-MiniLM-L6-v2", "onnx-int8", broken)
    assert str(broken) in str(caught.value)


def test_an_index_records_its_backend_and_never_mixes_two(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    shutil.copy(ARTICLE, tmp_path / "corpus" / ARTICLE.name)
    settings = Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        backend="onnx-int8",
        model_cache=cache,
    )
    engine = Engine.open(settings)
    engine.build()
    version = current_version_path(settings.index_dir)
    assert version is not None
    assert Manifest.from_file(version / "manifest.json").backend == "onnx-int8"
    answer = engine.answer("When was Koryolink established?")
    assert answer.answered and "2008" in answer.passages[0].text
    with pytest.raises(IndexLoadError, match="onnx-int8 backend but VERBATIM_BACKEND is torch"):
        load_version(
            settings.index_dir, expected_model="all-MiniLM-L6-v2", expected_backend="torch"
        )
    torch_settings = settings.model_copy(update={"backend": "torch"})
    summary = Engine(torch_settings, load_embedder("all-MiniLM-L6-v2")).build()
    assert summary.reembedded == 1 and summary.unchanged == 0  # int8's vectors: made again
    version = current_version_path(settings.index_dir)
    assert version is not None
    assert Manifest.from_file(version / "manifest.json").backend == "torch"
    # torch and the float32 export make the same vectors: one reads the other's index, and
    # an update embeds only what changed.
    onnx = Engine.open(settings.model_copy(update={"backend": "onnx"}))
    assert onnx.answer("When was Koryolink established?").answered
    assert onnx.build().unchanged == 1


async def test_the_bot_answers_on_the_default_backend(cache: Path, tmp_path: Path) -> None:
    """The bot as deployed (onnx, the default): a question over HTTP against the fake Bot
    API gets its quote, and the index it built says onnx."""
    from tests.botharness import running_bot
    from tests.fakebotapi import FakeBotApi, private, user

    (tmp_path / "corpus").mkdir()
    shutil.copy(ARTICLE, tmp_path / "corpus" / ARTICLE.name)
    settings = Settings(
        corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", model_cache=cache
    )
    assert settings.backend == "onnx"
    embedder = load_embedder(settings.model, settings.backend, settings.model_cache)
    with FakeBotApi() as api:
        async with running_bot(api, settings, embedder) as bot:
            api.text(private(7), user(7), "When was Koryolink established?")
            (reply,) = await bot.replies(7, 1)
    assert "2008" in reply["text"]
    version = current_version_path(settings.index_dir)
    assert version is not None
    assert Manifest.from_file(version / "manifest.json").backend == "onnx"


def test_bf16_vectors_agree_with_torch_and_build_an_index_the_onnx_backend_reads(
    cache: Path, tmp_path: Path, texts: list[str], real_embedder: SentenceTransformerEmbedder
) -> None:
    """torch-bf16 (VERBATIM_BUILD_BACKEND): the same vectors as torch to a cosine of 0.9999,
    so the onnx questions read the documents it embedded, and an update embeds nothing."""
    bf16 = load_embedder("all-MiniLM-L6-v2", "torch-bf16")
    assert bf16.backend == "torch-bf16"
    vectors, reference = bf16.encode(texts), real_embedder.encode(texts)
    assert (vectors * reference).sum(axis=1).min() >= 0.9999
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    (tmp_path / "corpus").mkdir()
    shutil.copy(ARTICLE, tmp_path / "corpus" / ARTICLE.name)
    settings = Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        model_cache=cache,
        build_backend="torch-bf16",
    )
    engine = Engine.open(settings)
    summary = engine.build()
    assert summary.embedded_with == "torch-bf16" and summary.added == 1
    version = current_version_path(settings.index_dir)
    assert version is not None
    assert Manifest.from_file(version / "manifest.json").backend == "onnx"
    answer = engine.answer("When was Koryolink established?")
    assert answer.answered and "2008" in answer.passages[0].highlight
    onnx = Engine.open(settings.model_copy(update={"build_backend": "same"}))
    assert onnx.build().unchanged == 1
