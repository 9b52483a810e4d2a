"""Per-sentence and per-chunk data of an index held as arrays, not as Python objects: each
sentence's text cut from its document when asked for (``SentenceTexts``), each chunk's
sentence rows as one array and its offsets (``ChunkSentences``), the chunks themselves as
columns (``ChunkTable``). At 136,574 chunks and 265,791 sentences, the lists they replace
were most of a serving process's own memory. Each reads like the list it replaces
(``_Rows``: length, index, negative index, slice, iteration).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar, overload

import numpy as np
import numpy.typing as npt

from index.types import Chunk, Document, SentenceTable

T = TypeVar("T")


class _Rows(Sequence[T]):
    """A read-only sequence whose items are made by ``_row(i)`` for ``0 <= i < len``."""

    def _row(self, i: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, row: int) -> T: ...
    @overload
    def __getitem__(self, row: slice) -> list[T]: ...
    def __getitem__(self, row: int | slice) -> T | list[T]:
        n = len(self)
        if isinstance(row, slice):
            return [self._row(i) for i in range(*row.indices(n))]
        if not -n <= row < n:
            raise IndexError(row)
        return self._row(int(row) % n)


class SentenceTexts(_Rows[str]):
    """Every sentence's text, cut from its document when asked for: a question reads a few
    hundred of them, and a list of them all held each sentence twice (72 MiB of strings for
    361,671 sentences)."""

    def __init__(self, documents: Sequence[Document], sentences: SentenceTable) -> None:
        self._texts = [d.text for d in documents]
        self._doc, self._start, self._end = sentences.doc, sentences.start, sentences.end

    def __len__(self) -> int:
        return len(self._doc)

    def _row(self, row: int) -> str:
        return self._texts[int(self._doc[row])][int(self._start[row]) : int(self._end[row])]

    def __iter__(self) -> Iterator[str]:
        return iter(self.take(slice(None)))

    def take(self, rows: npt.NDArray[np.int64] | slice) -> list[str]:
        """The texts of many rows at once (a question's candidates: one pass over the
        columns instead of one lookup a row)."""
        texts = self._texts
        columns = (self._doc[rows].tolist(), self._start[rows].tolist(), self._end[rows].tolist())
        return [texts[d][s:e] for d, s, e in zip(*columns, strict=True)]


class ChunkSentences(_Rows[list[int]]):
    """Each chunk's sentence rows, in order, as one array and its offsets (a list of lists
    was 34 MiB of Python ints for 186,017 chunks)."""

    def __init__(self, offsets: npt.NDArray[np.int64], rows: npt.NDArray[np.int64]) -> None:
        if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(rows):
            raise ValueError("chunk offsets do not match the rows")
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.rows = np.asarray(rows, dtype=np.int64)

    @classmethod
    def of(cls, lists: Sequence[Sequence[int]]) -> ChunkSentences:
        offsets = np.cumsum([0] + [len(rows) for rows in lists], dtype=np.int64)
        rows = np.fromiter((r for rs in lists for r in rs), dtype=np.int64, count=int(offsets[-1]))
        return cls(offsets, rows)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def rows_of(self, chunks: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """The sentence rows of all ``chunks``, one after the other (in one pass)."""
        chunks = np.asarray(chunks, dtype=np.int64)
        starts = self.offsets[chunks]
        lengths = self.offsets[chunks + 1] - starts
        first = np.cumsum(lengths) - lengths  # where each chunk's rows start in the output
        picks = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - first, lengths)
        return np.asarray(self.rows[picks], dtype=np.int64)

    def _row(self, chunk: int) -> list[int]:
        return self.rows[self.offsets[chunk] : self.offsets[chunk + 1]].tolist()  # type: ignore[no-any-return]


class ChunkTable(_Rows[Chunk]):
    """Every chunk of a loaded index as columns — its document's row, start, end and id —
    giving ``Chunk`` objects when read (a list of them held ~190 bytes a chunk)."""

    def __init__(
        self,
        doc_ids: Sequence[str],
        doc: npt.NDArray[np.int32],
        start: npt.NDArray[np.int64],
        end: npt.NDArray[np.int64],
        ids: npt.NDArray[np.bytes_],
    ) -> None:
        if not len(doc) == len(start) == len(end) == len(ids):
            raise ValueError("chunk columns of different lengths")
        self._doc_ids = list(doc_ids)
        self._doc, self._start, self._end, self._ids = doc, start, end, ids

    @classmethod
    def of(
        cls, documents: Sequence[Document], rows: Iterable[tuple[str, str, int, int]]
    ) -> ChunkTable:
        """The table of ``(chunk id, document id, start, end)`` rows of ``documents``'
        chunks (KeyError for a chunk of another document)."""
        row_of = {d.doc_id: i for i, d in enumerate(documents)}
        ids: list[bytes] = []
        doc: list[int] = []
        start: list[int] = []
        end: list[int] = []
        for chunk_id, doc_id, s, e in rows:
            ids.append(chunk_id.encode("ascii"))
            doc.append(row_of[doc_id])
            start.append(s)
            end.append(e)
        return cls(
            [d.doc_id for d in documents],
            np.array(doc, dtype=np.int32),
            np.array(start, dtype=np.int64),
            np.array(end, dtype=np.int64),
            np.array(ids, dtype=np.bytes_) if ids else np.zeros(0, dtype="S16"),
        )

    def __len__(self) -> int:
        return len(self._doc)

    def _row(self, row: int) -> Chunk:
        return Chunk(
            self._ids[row].decode("ascii"),
            self._doc_ids[int(self._doc[row])],
            int(self._start[row]),
            int(self._end[row]),
        )
