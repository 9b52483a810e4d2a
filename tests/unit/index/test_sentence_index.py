"""index.sentence_index: the lexical indexes, maps and vocabulary saved with each version, and
what happens when they are missing, damaged or of other texts."""

import logging
import shutil
from dataclasses import astuple
from pathlib import Path

import numpy as np
import pytest

from index.build import build_index
from index.config import ChunkingSettings
from index.lexical import tokenize
from index.retrieval import Retriever
from index.sentence_index import LEXICAL_DIR, MAPS_FILE, TOKENS_FILE, sentence_chunk_maps
from index.spelling import WORDS_FILE
from index.store import load_version
from index.text_features import text_features
from tests.conftest import CountingEmbedder


def test_bm25_indexes_are_saved_with_the_version_and_rebuilt_when_damaged(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """A version carries its BM25 indexes (loading beats rebuilding them at every start and
    reload); one without them (older) or with damaged ones still serves the same scores."""
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    stored = load_version(index)
    lexical = stored.path / LEXICAL_DIR
    assert (lexical / "sentences").is_dir() and (lexical / "chunks").is_dir()
    queries = [tokenize("When was Koryolink established?"), tokenize("Katla Hekla eruption")]

    def scores(r: Retriever) -> list[list[float]]:
        return [
            [*r.sentence_bm25.scores(q).tolist(), *r.chunk_bm25.scores(q).tolist()] for q in queries
        ]

    loaded = Retriever(stored)
    assert isinstance(loaded.sentence_bm25._model.scores["data"], np.memmap)  # read, not built
    saved = scores(loaded)
    assert any(any(row) for row in saved)
    other_corpus = tmp_path / "other"
    other_corpus.mkdir()
    (other_corpus / "one.txt").write_text("One\n\nA single short document.\n")
    build_index(other_corpus, tmp_path / "other-index", CountingEmbedder(), chunking)
    other = load_version(tmp_path / "other-index").path / LEXICAL_DIR
    shutil.rmtree(lexical)
    shutil.copytree(other, lexical)  # saved indexes of other texts: never used
    with caplog.at_level(logging.WARNING, logger="index.sentence_index"):
        assert scores(Retriever(stored)) == saved
    assert "they index" in caplog.text
    caplog.clear()
    shutil.rmtree(lexical / "chunks")
    with caplog.at_level(logging.WARNING, logger="index.sentence_index"):
        damaged = scores(Retriever(stored))
    assert damaged == saved
    assert "building the BM25 indexes in memory" in caplog.text
    shutil.rmtree(lexical)
    assert scores(Retriever(stored)) == saved


def test_the_sentence_chunk_maps_are_saved_with_the_version_and_computed_when_damaged(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings, caplog: pytest.LogCaptureFixture
) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    stored = load_version(index)
    home, chunk_sentences = sentence_chunk_maps(stored.documents, stored.chunks, stored.sentences)
    maps = stored.path / LEXICAL_DIR / MAPS_FILE
    assert maps.is_file() and any(len(rows) > 1 for rows in chunk_sentences)
    loaded = Retriever(stored)
    assert loaded.home_chunk.tolist() == home.tolist()
    assert list(loaded.chunk_sentences) == list(chunk_sentences)
    maps.write_bytes(b"not a zip file")
    with caplog.at_level(logging.WARNING, logger="index.sentence_index"):
        again = Retriever(stored)
    assert "mapping sentences to chunks in memory" in caplog.text
    assert list(again.chunk_sentences) == list(chunk_sentences)
    assert again.home_chunk.tolist() == home.tolist()


def test_the_documents_words_are_saved_with_the_version_and_counted_when_damaged(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """The vocabulary that misspelt questions are corrected against (index.spelling) is
    counted at build time; a version without it, or with a damaged one, counts it again."""
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    stored = load_version(index)
    words = stored.path / LEXICAL_DIR / WORDS_FILE
    saved = Retriever(stored).speller.counts
    assert words.is_file() and saved["koryolink"] >= 1
    words.write_text("{broken", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="index.sentence_index"):
        assert Retriever(stored).speller.counts == saved
    assert "counting the documents' words" in caplog.text
    words.unlink()
    assert Retriever(stored).speller.counts == saved


def test_the_sentence_tokens_are_saved_with_the_version_and_made_again_when_damaged(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings, caplog: pytest.LogCaptureFixture
) -> None:
    """The candidates' text features read tokens made at build time; the same features as
    tokenizing the sentences at every question, saved or not."""
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking)
    stored = load_version(index)
    retriever = Retriever(stored)
    rows = list(range(len(stored.sentences)))
    assert retriever.tokens.of(rows) == [
        retriever.tokens.query(tokenize(t)) for t in retriever.sentence_texts
    ]
    question = "When was Koryolink established, and by which zorblat frobnicators?"
    query = tokenize(question)
    ids = retriever.tokens.query(query)
    unknown = [i for i, t in zip(ids, query, strict=True) if t not in retriever.tokens.vocabulary]
    assert len(unknown) == 2 and len(set(unknown)) == 2 and all(i < 0 for i in unknown)
    by_ids = text_features(question, ids, retriever.sentence_texts, retriever.tokens.of(rows))
    by_text = text_features(question, query, retriever.sentence_texts)
    assert all(np.array_equal(a, b) for a, b in zip(astuple(by_ids), astuple(by_text), strict=True))
    (stored.path / LEXICAL_DIR / TOKENS_FILE).write_bytes(b"damaged")
    with caplog.at_level(logging.WARNING, logger="index.sentence_index"):
        again = Retriever(stored)
    assert "tokenizing the sentences in memory" in caplog.text
    assert again.tokens.of(rows) == [again.tokens.query(tokenize(t)) for t in again.sentence_texts]


def test_the_features_of_token_ids_are_those_of_tokens_on_random_sentences() -> None:
    """The numpy path (token ids) against the token loop, on 300 random questions and
    candidate lists: repeated and unknown (negative) query ids, empty and one-word sentences,
    repeated words."""
    import random

    rng = random.Random(11)
    for _ in range(300):
        vocabulary = rng.randint(2, 40)
        query = [rng.randint(-3, vocabulary) for _ in range(rng.randint(0, 8))]
        sentences = [
            [rng.randint(0, vocabulary) for _ in range(rng.choice([0, 1, 2, 5, 12, 30]))]
            for _ in range(rng.randint(1, 12))
        ]
        words = [" ".join(f"w{t}" for t in s) or "." for s in sentences]
        as_words = [f"w{t}" if t >= 0 else f"u{-t}x" for t in query]
        by_ids = text_features("Who?", query, words, sentences)
        by_words = text_features("Who?", as_words, words)  # tokenized here: "w3" is w3
        for a, b in zip(astuple(by_ids), astuple(by_words), strict=True):
            assert np.array_equal(a, b), (query, sentences)
