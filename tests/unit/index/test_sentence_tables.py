"""The array-backed sentence texts and chunk→sentence map behave as the lists they replace."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.build import build_index
from index.config import ChunkingSettings
from index.sentence_tables import ChunkSentences, ChunkTable, SentenceTexts
from index.store import load_version
from index.types import Chunk, Document, SentenceTable
from tests.conftest import CountingEmbedder


def _document(doc_id: str, text: str) -> Document:
    return Document(doc_id, f"{doc_id}.txt", doc_id, text, f"hash-{doc_id}")


def test_sentence_texts_cut_each_sentence_from_its_document() -> None:
    docs = [_document("a", "One. Two three."), _document("b", "Four five six.")]
    table = SentenceTable(np.array([[0, 0, 4, 0], [0, 5, 15, 0], [1, 0, 14, 0]]))
    texts = SentenceTexts(docs, table)
    expected = ["One.", "Two three.", "Four five six."]
    assert len(texts) == 3
    assert list(texts) == expected
    assert [texts[i] for i in range(3)] == expected
    assert texts[-1] == "Four five six." and texts[1:] == expected[1:]
    assert "Two three." in texts
    with pytest.raises(IndexError):
        texts[3]
    with pytest.raises(IndexError):
        texts[-4]


def test_chunk_sentences_give_each_chunks_rows_in_order() -> None:
    lists = [[0, 1], [1, 2, 3], [], [4]]
    chunks = ChunkSentences.of(lists)
    assert len(chunks) == 4
    assert list(chunks) == lists
    assert chunks[1] == [1, 2, 3] and chunks[2] == [] and chunks[-1] == [4]
    assert chunks[1:3] == lists[1:3]
    assert all(isinstance(r, int) for r in chunks[1])
    with pytest.raises(IndexError):
        chunks[4]
    with pytest.raises(ValueError, match="offsets"):
        ChunkSentences(np.array([0, 2, 5]), np.arange(4))
    assert list(ChunkSentences.of([])) == []


def test_a_loaded_index_holds_no_copy_of_its_texts(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    """Chunks carry offsets only (their text is their document's), and the chunks file no
    longer repeats the text."""
    build_index(corpus, tmp_path / "index", CountingEmbedder(), chunking)
    stored = load_version(tmp_path / "index")
    assert not hasattr(stored.chunks[0], "text")
    assert '"text"' not in (stored.path / "chunks.jsonl").read_text(encoding="utf-8")
    docs = {d.doc_id: d for d in stored.documents}
    for chunk in stored.chunks:
        assert chunk.doc_id is docs[chunk.doc_id].doc_id  # one string per document id
        assert chunk.chunk_text(docs[chunk.doc_id]).strip()


def test_a_version_whose_chunks_file_holds_their_texts_still_loads(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    """Versions written before chunks lost their text keep loading, to the same chunks."""
    build_index(corpus, tmp_path / "index", CountingEmbedder(), chunking)
    stored = load_version(tmp_path / "index")
    docs = {d.doc_id: d for d in stored.documents}
    path = stored.path / "chunks.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for row, chunk in zip(rows, stored.chunks, strict=True):
        row["text"] = chunk.chunk_text(docs[chunk.doc_id])
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert list(load_version(tmp_path / "index").chunks) == list(stored.chunks)


def test_the_chunk_table_gives_the_chunks_it_was_made_of() -> None:
    docs = [_document("a", "One. Two three."), _document("b", "Four five six.")]
    chunks = [Chunk("c0", "a", 0, 4), Chunk("c1", "a", 0, 15), Chunk("c2", "b", 0, 14)]
    table = ChunkTable.of(docs, [(c.chunk_id, c.doc_id, c.start, c.end) for c in chunks])
    assert len(table) == 3 and list(table) == chunks
    assert table[-1] == chunks[-1] and table[1:] == chunks[1:]
    assert table[1].chunk_text(docs[0]) == "One. Two three."
    with pytest.raises(IndexError):
        table[3]
    with pytest.raises(KeyError):  # a chunk of a document the index does not have
        ChunkTable.of(docs, [("c9", "z", 0, 1)])
    assert len(ChunkTable.of(docs, [])) == 0


def test_the_rows_of_many_chunks_are_theirs_one_after_the_other() -> None:
    lists = [[0, 1], [1, 2, 3], [], [4]]
    chunks = ChunkSentences.of(lists)
    for picked in ([1, 3], [2], [3, 0, 1], [], [1, 1]):
        expected = [r for c in picked for r in lists[c]]
        assert chunks.rows_of(np.array(picked, dtype=np.int64)).tolist() == expected
