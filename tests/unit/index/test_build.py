from pathlib import Path
from typing import Any

import numpy as np
import pytest

import index.chunking as chunking_module
from index.build import build_index
from index.chunking import SPLITTER_VERSION
from index.config import ChunkingSettings
from index.embedding import Vectors
from index.errors import CorpusError, IndexLoadError
from index.sentence_index import signature
from index.store import current_version_path, load_version
from tests.conftest import CountingEmbedder, edit_manifest, make_pdf


def test_build_writes_manifest_and_loads(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    summary = build_index(corpus, index, CountingEmbedder(), chunking)
    assert (summary.added, summary.changed, summary.removed, summary.unchanged) == (2, 0, 0, 0)
    stored = load_version(index)
    m = stored.manifest
    assert m.model == "hashing-fake" and m.dimension == 256
    assert m.chunking == {"chunk_size": 300, "chunk_overlap": 60, "splitter": SPLITTER_VERSION}
    assert set(m.documents) == {
        "north-korea-upgrades-mobile-networks-with-huawei.txt",
        "volcanoes.md",
    }
    assert m.counts["chunks"] == len(stored.chunks) == stored.faiss_index.ntotal
    for chunk in stored.chunks:
        doc = next(d for d in stored.documents if d.doc_id == chunk.doc_id)
        assert 0 <= chunk.start < chunk.end <= len(doc.text)
        assert chunk.chunk_text(doc).strip()
    assert np.allclose(np.linalg.norm(stored.chunk_vectors, axis=1), 1.0, atol=1e-5)
    assert not list(index.rglob("*.pkl")) and not list(index.rglob("*.pickle"))


def test_a_version_made_with_another_tokenizer_is_written_again_without_reembedding(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    """An upgrade that changes the tokenizer (or the lexical files, or the scorer) must not
    leave the old version in use for ever, rebuilding its BM25 indexes at every start."""
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    first = load_version(index)

    def older_lexical(manifest: dict[str, Any]) -> str:
        lexical: str = manifest["extra"]["lexical"]
        manifest["extra"]["lexical"] = "1/PyStemmer-0/000000000000"  # as an older release wrote
        return lexical

    assert edit_manifest(first.path, older_lexical) == signature()
    again = CountingEmbedder()
    summary = build_index(corpus, index, again, chunking)
    assert summary.written and again.texts == []  # a new version, nothing re-embedded
    assert "lexical indexes were made otherwise; nothing re-embedded" in summary.line()
    second = load_version(index)
    assert second.path != first.path and second.manifest.extra["lexical"] == signature()
    assert np.array_equal(second.sentence_vectors, first.sentence_vectors)
    assert not build_index(corpus, index, CountingEmbedder(), chunking).written


def test_incremental_build_reembeds_only_changes(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    again = CountingEmbedder()
    summary = build_index(corpus, index, again, chunking)
    assert (summary.unchanged, summary.written) == (2, False)
    assert again.texts == []

    (corpus / "volcanoes.md").write_text("# Volcanoes\n\nKatla last erupted in 1918.\n")
    (corpus / "new.txt").write_text("Geysers\n\nStrokkur erupts every few minutes.\n")
    (corpus / "north-korea-upgrades-mobile-networks-with-huawei.txt").rename(
        corpus / "moved.txt.bak"
    )
    third = CountingEmbedder()
    summary = build_index(corpus, index, third, chunking)
    assert (summary.added, summary.changed, summary.removed, summary.unchanged) == (1, 1, 1, 0)
    assert any("Katla" in t for t in third.texts)
    assert not any("Koryolink" in t for t in third.texts)
    stored = load_version(index)
    assert {d.source for d in stored.documents} == {"volcanoes.md", "new.txt"}
    docs = {d.doc_id: d for d in stored.documents}
    assert not any("Hekla" in c.chunk_text(docs[c.doc_id]) for c in stored.chunks)  # replaced


def test_unchanged_documents_keep_their_vectors(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    before = load_version(index)
    (corpus / "extra.txt").write_text("Extra\n\nA new document about glaciers.\n")
    counting = CountingEmbedder()
    build_index(corpus, index, counting, chunking)
    after = load_version(index)
    assert all("Koryolink" not in t for t in counting.texts)
    old = {c.chunk_id: i for i, c in enumerate(before.chunks)}
    for i, chunk in enumerate(after.chunks):
        if chunk.chunk_id in old:
            assert np.array_equal(after.chunk_vectors[i], before.chunk_vectors[old[chunk.chunk_id]])


def test_full_rebuild_reembeds_everything(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    counting = CountingEmbedder()
    summary = build_index(corpus, index, counting, chunking, full=True)
    assert summary.written and (summary.added, summary.reembedded) == (0, 2)
    assert "0 added, 0 changed, 0 removed, 0 unchanged, 2 re-embedded" in summary.line()
    assert any("Koryolink" in t for t in counting.texts)


def test_an_index_with_directly_encoded_chunk_vectors_is_rebuilt_not_mixed(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    """Before chunk vectors were pooled from sentences, builds encoded chunk texts: such an
    index still loads, but an update re-embeds every document instead of reusing vectors of
    the other kind."""
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    version = current_version_path(index)
    assert version is not None
    assert edit_manifest(version, lambda m: m.pop("chunk_vectors")) == "sentence-mean"
    assert load_version(index).manifest.chunk_vectors == "encoded"

    counting = CountingEmbedder()
    summary = build_index(corpus, index, counting, chunking)
    assert summary.written
    assert any("Koryolink" in t for t in counting.texts)  # unchanged document re-embedded
    assert load_version(index).manifest.chunk_vectors == "sentence-mean"
    again = CountingEmbedder()
    assert build_index(corpus, index, again, chunking).unchanged == 2 and again.texts == []


def test_an_index_split_by_an_older_splitter_is_split_again(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version whose sentences were cut by another splitter (the manifest's chunking says
    which) is split again: the documents the new splitter cuts otherwise are embedded again,
    the others keep their vectors, and the new version records the splitter."""
    (corpus / "russian.txt").write_text(
        "Северная Корея модернизирует сети. Оборудование поставляет Huawei.\n", "utf-8"
    )
    index = tmp_path / "index"
    # as splitter 3 did: only a Latin capital opened a sentence
    monkeypatch.setattr(
        chunking_module,
        "_starts_sentence",
        lambda text, at: text[at].isascii() and (text[at].isupper() or text[at].isdigit()),
    )
    build_index(corpus, index, CountingEmbedder(), chunking)
    monkeypatch.undo()
    version = current_version_path(index)
    assert version is not None
    assert edit_manifest(version, lambda m: m["chunking"].update(splitter=3)) is None

    counting = CountingEmbedder()
    summary = build_index(corpus, index, counting, chunking)
    assert summary.written and (summary.unchanged, summary.reembedded) == (2, 1)
    assert sorted(counting.texts) == [
        "Оборудование поставляет Huawei.",
        "Северная Корея модернизирует сети.",
    ]
    assert "new version: its sentences were made otherwise" in summary.line()
    assert load_version(index).manifest.chunking["splitter"] == SPLITTER_VERSION
    # written before the splitter was recorded: split again, nothing cut otherwise
    version = current_version_path(index)
    assert version is not None
    edit_manifest(version, lambda m: m["chunking"].pop("splitter"))
    again = CountingEmbedder()
    summary = build_index(corpus, index, again, chunking)
    assert summary.written and summary.unchanged == 3 and again.texts == []
    assert "nothing re-embedded" in summary.line()
    assert not build_index(corpus, index, again, chunking).written  # up to date now


def test_a_document_unreadable_when_the_splitter_changed_is_kept_cut_anew(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document that cannot be read at the build that re-splits keeps its last readable
    text, cut by the new splitter (not the old cut for good)."""
    russian = corpus / "russian.txt"
    russian.write_text("Первое предложение. Второе предложение.\n", "utf-8")
    index = tmp_path / "index"
    monkeypatch.setattr(chunking_module, "_starts_sentence", lambda text, at: text[at].isascii())
    build_index(corpus, index, CountingEmbedder(), chunking)
    monkeypatch.undo()
    version = current_version_path(index)
    assert version is not None
    edit_manifest(version, lambda m: m["chunking"].update(splitter=3))
    russian.write_bytes(bytes(range(256)) * 20)  # now a binary file named .txt
    summary = build_index(corpus, index, CountingEmbedder(), chunking)
    assert len(summary.failed) == 1 and summary.reembedded == 1
    stored = load_version(index)
    row = next(i for i, d in enumerate(stored.documents) if d.source == "russian.txt")
    text = stored.documents[row].text
    spans = stored.sentences.spans(stored.sentences.of_document(row))
    assert [text[s.start : s.end] for s in spans] == ["Первое предложение.", "Второе предложение."]


def test_bad_files_are_reported_and_do_not_stop_the_build(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    (corpus / "nav.html").write_text("<html><body><nav><a href='/'>Home</a></nav></body></html>")
    (corpus / "good.pdf").write_bytes(make_pdf(["Glaciers cover 11 percent of Iceland."]))
    summary = build_index(corpus, tmp_path / "index", CountingEmbedder(), chunking)
    assert summary.added == 3
    failed = " ".join(summary.failed)
    for name in ("binary.txt", "broken.pdf", "nav.html"):
        assert name in failed


def test_empty_corpus_is_a_clear_error(tmp_path: Path, chunking: ChunkingSettings) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match="no readable document"):
        build_index(empty, tmp_path / "index", CountingEmbedder(), chunking)


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexLoadError, match="verbatim index build"):
        load_version(tmp_path / "nowhere")


def test_index_from_another_model_is_refused(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(name="other-model"), chunking)
    with pytest.raises(IndexLoadError, match=r"other-model.*--full"):
        load_version(index, expected_model="hashing-fake")


def test_corrupt_manifest_and_files_are_clear_errors(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    path = current_version_path(index)
    assert path is not None
    (path / "chunks.faiss").write_bytes(b"not faiss")
    with pytest.raises(IndexLoadError, match="corrupt"):
        load_version(index)
    (path / "manifest.json").write_text("{ truncated")
    with pytest.raises(IndexLoadError, match=r"manifest\.json.*corrupt"):
        load_version(index)


class ExplodingEmbedder(CountingEmbedder):
    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        raise RuntimeError("power cut")


def test_interrupted_build_leaves_the_old_index_in_use(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    before = current_version_path(index)
    (corpus / "more.txt").write_text("More\n\nAnother fact about lava fields.\n")
    with pytest.raises(RuntimeError, match="power cut"):
        build_index(corpus, index, ExplodingEmbedder(), chunking)
    assert current_version_path(index) == before
    assert len(load_version(index).documents) == 2
    summary = build_index(corpus, index, CountingEmbedder(), chunking)
    assert summary.added == 1 and len(load_version(index).documents) == 3
    assert not list((index / "versions").glob(".tmp-*"))
    assert len([p for p in (index / "versions").iterdir()]) <= 2


def test_each_sentence_is_encoded_once_and_chunks_pool_their_sentences(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    embedder = CountingEmbedder()
    build_index(corpus, tmp_path / "index", embedder, chunking)
    stored = load_version(tmp_path / "index")
    assert len(embedder.texts) == len(stored.sentences)  # no chunk text encoded again
    doc_row = {d.doc_id: i for i, d in enumerate(stored.documents)}
    for row, chunk in enumerate(stored.chunks):
        sents = stored.sentences
        inside = np.flatnonzero(
            (sents.doc == doc_row[chunk.doc_id])
            & (sents.start >= chunk.start)
            & (sents.end <= chunk.end)
        )
        assert len(inside) >= 1
        weights = (sents.end[inside] - sents.start[inside]).astype(np.float32)
        pooled = weights @ np.asarray(stored.sentence_vectors[inside])
        pooled /= np.linalg.norm(pooled)
        assert np.allclose(stored.chunk_vectors[row], pooled, atol=1e-5)
