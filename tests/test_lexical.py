"""BM25 and the IDF-overlap features, checked against their plain definitions."""

import random

import numpy as np
import threadpoolctl

from index.engine import Engine
from index.lexical import Bm25, tokenize

WORDS = ["geyser", "erupt", "volcano", "ice", "river", "lava", "ash", "glacier", "island", "sea"]


def plain_overlap(bm25: Bm25, query: list[str], text_tokens: set[str]) -> float:
    """Share of the query's IDF mass present in the text (the definition)."""
    terms = set(query)
    total = sum(bm25.idf(t) for t in terms)
    return sum(bm25.idf(t) for t in terms & text_tokens) / total if total else 0.0


def test_overlaps_match_the_definition_for_sentences_and_windows() -> None:
    rng = random.Random(3)
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(0, 6))) for _ in range(60)]
    bm25 = Bm25(texts)
    token_sets = [set(tokenize(t)) for t in texts]
    rows = np.arange(1, 59, dtype=np.int64)
    prev_rows, next_rows = rows - 1, rows + 1
    for _ in range(40):
        # Known words, repeated words and a word no text holds (part of the mass, never found).
        query = tokenize(" ".join(rng.choices([*WORDS, "penguin"], k=rng.randint(1, 5))))
        alone = bm25.overlaps(query, [rows])
        window = bm25.overlaps(query, [rows, prev_rows, next_rows])
        for i, r in enumerate(rows):
            assert abs(alone[i] - plain_overlap(bm25, query, token_sets[r])) < 1e-12
            union = token_sets[r - 1] | token_sets[r] | token_sets[r + 1]
            assert abs(window[i] - plain_overlap(bm25, query, union)) < 1e-12


def test_overlaps_of_an_empty_or_unknown_query_are_zero() -> None:
    bm25 = Bm25(["lava flows", "sea ice"])
    rows = np.array([0, 1], dtype=np.int64)
    assert bm25.overlaps([], [rows]).tolist() == [0.0, 0.0]
    assert bm25.overlaps(tokenize("penguins"), [rows]).tolist() == [0.0, 0.0]
    assert bm25.contains("lava").tolist() == [True, False]
    assert bm25.contains("penguin").tolist() == [False, False]


def test_answering_puts_blas_on_one_thread(engine: Engine) -> None:
    """index.threads: multi-threaded BLAS spinning beside the model made answers 5x slower."""
    engine.answer("When did Eyjafjallajökull erupt?")
    blas = threadpoolctl.threadpool_info()
    assert [lib["num_threads"] for lib in blas if lib["user_api"] == "blas"] == [1] * sum(
        lib["user_api"] == "blas" for lib in blas
    )


def test_scores_equal_bm25s_own_scoring() -> None:
    """Bm25.scores reads bm25s's weight columns directly; the figures must be bm25s's."""
    rng = random.Random(5)
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(1, 8))) for _ in range(80)]
    bm25 = Bm25(texts)
    for _ in range(30):
        query = tokenize(" ".join(rng.choices([*WORDS, "penguin"], k=rng.randint(1, 6))))
        known = [t for t in query if bm25.knows(t)]
        expected = bm25._model.get_scores(known) if known else np.zeros(len(texts))
        assert np.allclose(bm25.scores(query), expected, rtol=0, atol=1e-6)
