"""BM25 and the IDF-overlap features, checked against their plain definitions."""

import json
import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index.lexical import Bm25, tokenize, tokenizer_id

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
        alone, window = bm25.overlaps(query, [[rows], [rows, prev_rows, next_rows]])
        for i, r in enumerate(rows):
            assert abs(alone[i] - plain_overlap(bm25, query, token_sets[r])) < 1e-12
            union = token_sets[r - 1] | token_sets[r] | token_sets[r + 1]
            assert abs(window[i] - plain_overlap(bm25, query, union)) < 1e-12


def test_overlaps_of_an_empty_or_unknown_query_are_zero() -> None:
    bm25 = Bm25(["lava flows", "sea ice"])
    rows = np.array([0, 1], dtype=np.int64)
    assert bm25.overlaps([], [[rows]]).tolist() == [[0.0, 0.0]]
    assert bm25.overlaps(tokenize("penguins"), [[rows]]).tolist() == [[0.0, 0.0]]
    assert bm25.contains("lava").tolist() == [True, False]
    assert bm25.contains("penguin").tolist() == [False, False]


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


def test_idf_is_the_document_frequency_of_each_term() -> None:
    rng = random.Random(9)
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(0, 5))) for _ in range(50)]
    bm25 = Bm25(texts)
    df: Counter[str] = Counter(t for text in texts for t in set(tokenize(text)))
    for term, n in df.items():
        assert bm25.knows(term)
        assert abs(bm25.idf(term) - math.log(1 + (50 - n + 0.5) / (n + 0.5))) < 1e-12
    assert not bm25.knows("\u2205") and not bm25.knows("")  # bm25s's placeholders


def test_a_saved_index_loads_with_the_same_scores(tmp_path: Path) -> None:
    texts = ["Strokkur erupts every few minutes.", "", "Lava and ash from Hekla.", "Sea ice."]
    bm25 = Bm25(texts)
    bm25.save(tmp_path)
    loaded = Bm25.load(tmp_path)
    for query in (["lava", "ash"], ["sea"], ["strokkur", "minut", "penguin"], []):
        assert np.array_equal(loaded.scores(query), bm25.scores(query))
        assert (
            loaded.overlaps(query, [[np.arange(4)]]).tolist()
            == bm25.overlaps(query, [[np.arange(4)]]).tolist()
        )
    meta = tmp_path / "verbatim.json"
    data = json.loads(meta.read_text())
    assert data["tokenizer"] == tokenizer_id()
    meta.write_text(json.dumps({**data, "tokenizer": "0/PyStemmer-0/000000000000"}))
    with pytest.raises(ValueError, match="tokenizer"):
        Bm25.load(tmp_path)


def test_stems_that_snowball_folds_together_are_kept_apart() -> None:
    assert tokenize("author authors") == ["author", "author"]
    assert tokenize("the authorities") == ["authorit"]
    assert tokenize("Who is the author?") != tokenize("the authority")
    assert tokenize("experiment") != tokenize("experience")
    assert tokenize("busy") != tokenize("business")
    assert tokenize("networks network") == ["network", "network"]  # the rest as before
