"""Shared fixtures: a small corpus, a fast fake embedder and helpers to make files."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from index.config import ChunkingSettings, Settings
from index.embedding import Embedder, HashingEmbedder, SentenceTransformerEmbedder, Vectors
from index.engine import Engine
from index.process import prepare_process

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "corpus" / "north-korea-upgrades-mobile-networks-with-huawei.txt"
SQUAD = ROOT.parent / "shared" / "eval" / "squad2-dev-subset.json"
_T = TypeVar("_T")


def edit_manifest(version: Path, edit: Callable[[dict[str, Any]], _T]) -> _T:
    """Rewrite a version's manifest.json through ``edit`` (as an older release, or damage,
    would have left it); returns what ``edit`` returns."""
    path = version / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    out = edit(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    return out


def pytest_configure(config: pytest.Config) -> None:
    prepare_process()  # as the verbatim command does (index.process)
    # The multilingual space (on by default) is built only by the tests that are about it
    # (tests/unit/index/test_multilingual.py, tests/integration/test_multilingual.py): the
    # others, and the commands they start, keep to the main model.
    os.environ.setdefault("VERBATIM_MULTILINGUAL", "false")


class CountingEmbedder(HashingEmbedder):
    """The hashing fake, counting what it was asked to embed."""

    def __init__(self, name: str = "hashing-fake") -> None:
        super().__init__(name=name)
        self.texts: list[str] = []

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        self.texts.extend(texts)
        return super().encode(texts, show_progress=show_progress)


def engine_over(tmp_path: Path, name: str, text: str, embedder: Embedder | None = None) -> Engine:
    """An engine over one document ``name`` holding ``text``, built with ``embedder`` (the
    counting fake by default)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir(parents=True)
    (corpus / name).write_text(text, encoding="utf-8")
    engine = Engine.open(
        Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embedder or CountingEmbedder()
    )
    engine.build()
    return engine


def write_file(folder: Path, name: str, data: bytes | str) -> Path:
    """``data`` written to ``folder / name`` (text as UTF-8), for reader tests."""
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def make_pdf(lines: list[str], *more_pages: list[str]) -> bytes:
    """A minimal valid PDF showing ``lines`` (Helvetica) on its first page, and each of
    ``more_pages`` on a page of its own, for reader tests."""
    pages = [lines, *more_pages]
    font = 3 + 2 * len(pages)  # catalog, page tree, then a page and its content per page
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids ["
        + " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
        + f"] /Count {len(pages)} >>",
    ]
    for i, page in enumerate(pages):
        content = (
            "BT /F1 12 Tf 72 720 Td 14 TL "
            + " ".join(
                "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
                for line in page
            )
            + " ET"
        )
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return out


def article_settings(root: Path) -> Settings:
    """Settings of a corpus under ``root`` holding the bundled article alone."""
    (root / "corpus").mkdir()
    shutil.copy(ARTICLE, root / "corpus" / ARTICLE.name)
    return Settings(corpus_dir=root / "corpus", index_dir=root / "index")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(ARTICLE, folder / ARTICLE.name)
    (folder / "volcanoes.md").write_text(
        "# Volcanoes of Iceland\n\n"
        "Iceland has about 130 volcanic mountains. Hekla erupted in 2000 and is among the "
        "most active volcanoes in the country.\n\n"
        "Eyjafjallajökull erupted in 2010 and disrupted air travel across Europe for six days.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def settings(tmp_path: Path, corpus: Path) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="hashing-fake")


@pytest.fixture
def chunking() -> ChunkingSettings:
    return ChunkingSettings(chunk_size=300, chunk_overlap=60)


@pytest.fixture
def engine(settings: Settings) -> Engine:
    eng = Engine.open(settings, CountingEmbedder())
    eng.build()
    return eng


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The real default model, loaded once per test session."""
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")
