"""The bounded nearest-neighbour search gives the full pass's answer, faster."""

import numpy as np
import pytest

from index.nearest import SMALL, BoundedNearest


def _unit(rows: np.ndarray) -> np.ndarray:
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


def _full_pass(vectors: np.ndarray, queries: np.ndarray, floor: float) -> list[int | None]:
    sims = vectors @ queries.T
    best = sims.argmax(axis=0)
    return [int(b) if sims[b, i] >= floor else None for i, b in enumerate(best)]


@pytest.mark.parametrize("rows", [50, SMALL + 3000])
@pytest.mark.parametrize("floor", [0.3, 0.7, 0.95])
def test_the_same_answers_as_a_pass_over_every_vector(rows: int, floor: float) -> None:
    rng = np.random.default_rng(rows)
    # clustered, like word vectors: many near neighbours, some far
    centres = rng.standard_normal((40, 512))
    vectors = _unit(centres[rng.integers(0, 40, rows)] + 0.8 * rng.standard_normal((rows, 512)))
    # queries near some rows (a translation exists), and far from all of them
    near = vectors[rng.integers(0, rows, 60)] + 0.01 * rng.standard_normal((60, 512))
    queries = _unit(np.vstack([near, rng.standard_normal((30, 512))]))
    search = BoundedNearest.of(vectors)
    assert (search.basis is None) == (rows < SMALL)
    found = search.nearest(queries, floor)
    assert found == _full_pass(vectors, queries, floor)
    assert all(f is not None for f in found[:60])  # (the test can tell the two apart)
    if floor >= 0.7:
        assert all(f is None for f in found[60:])


def test_barred_queries_and_empty_vocabularies_find_nothing() -> None:
    rng = np.random.default_rng(0)
    vectors = _unit(rng.standard_normal((SMALL + 10, 64)))
    search = BoundedNearest.of(vectors)
    queries = vectors[[3, 7]]
    assert search.nearest(queries, 0.9) == [3, 7]
    assert search.nearest(queries, 0.9, [True, False]) == [None, 7]
    assert BoundedNearest.of(np.zeros((0, 64), np.float32)).nearest(queries, 0.5) == [None, None]


def test_a_tie_goes_to_the_first_row_as_in_the_full_pass() -> None:
    rng = np.random.default_rng(1)
    vectors = _unit(rng.standard_normal((SMALL + 500, 512)))
    vectors[SMALL + 100] = vectors[17]  # the same word vector twice
    assert BoundedNearest.of(vectors).nearest(vectors[[17]], 0.9) == [17]


def test_rows_just_outside_the_basis_are_still_found() -> None:
    """A row's length outside the basis is tiny here, where float32 loses most digits of it:
    the slack must cover that (a review found such rows missed with a slack of 1e-4)."""
    rng = np.random.default_rng(9)
    vectors = _unit(rng.standard_normal((9000, 512)))  # row 1 is not in the basis's sample
    basis = BoundedNearest.of(vectors).basis
    assert basis is not None
    b = basis.astype(np.float64)
    eps = 2.8e-4
    for _ in range(10):
        inside = b @ rng.standard_normal(b.shape[1])
        inside /= np.linalg.norm(inside)
        outside = rng.standard_normal(512)
        outside -= b @ (b.T @ outside)
        outside /= np.linalg.norm(outside)
        vectors[1] = np.sqrt(1 - eps**2) * inside + eps * outside
        # a query at cosine 0.70005 with row 1: just above the floor
        angle = np.arccos(0.70005) + np.arctan2(eps, np.sqrt(1 - eps**2))
        queries = _unit((np.cos(angle) * inside + np.sin(angle) * outside)[None, :])
        assert _full_pass(vectors, queries, 0.7) == [1]
        assert BoundedNearest.of(vectors).nearest(queries, 0.7) == [1]


def test_a_damaged_row_matches_nothing_and_spoils_no_other() -> None:
    rng = np.random.default_rng(2)
    vectors = _unit(rng.standard_normal((SMALL + 1000, 512)))
    vectors[0] = np.nan  # in the basis's sample
    vectors[1] = np.inf
    with np.errstate(invalid="ignore"):
        search = BoundedNearest.of(vectors)
        assert search.basis is not None and np.isfinite(search.basis).all()
        assert search.nearest(vectors[[5, 7]], 0.9) == [5, 7]
