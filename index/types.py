"""The core's types, in one place: what a corpus is made of (``Document``; its sentences as
the splitter finds them, ``Span``; its ``Chunk``s), what an index holds (``Sentence``s in a
``SentenceTable``) and what answering returns (``SentenceHit``, ``Passage``, ``Answer``).
Every text span is an offset pair into a document's cleaned text, so every quote is a slice of
it."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Document:
    """One cleaned document of the corpus."""

    doc_id: str  # stable identity: hash of the path relative to the corpus folder
    source: str  # path relative to the corpus folder, e.g. "reports/2024.pdf"
    title: str
    text: str  # cleaned text; every quote is text[start:end]
    content_hash: str  # sha256 of the file's bytes: a change means a re-embed
    url: str | None = None
    #: where each page starts in ``text`` (PDFs; empty for documents without pages)
    pages: tuple[int, ...] = ()
    #: where each heading paragraph starts in ``text``, for formats that mark headings
    #: (Word, OpenDocument, EPUB, Markdown); empty: unknown, guessed from the text
    headings: tuple[int, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The page (from 1) that ``text[offset]`` is on, or None without pages."""
        return bisect.bisect_right(self.pages, offset) if self.pages else None


@dataclass(frozen=True, slots=True)
class Span:
    """A sentence: ``text[start:end]`` of its document, inside paragraph ``paragraph``."""

    start: int
    end: int
    paragraph: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """A retrieval unit: ``doc.text[start:end]`` of the document ``doc_id``, a run of whole
    sentences. Its text is not held twice: ``chunk_text(doc)`` cuts it from the document."""

    chunk_id: str
    doc_id: str
    start: int
    end: int

    def chunk_text(self, doc: Document) -> str:
        return doc.text[self.start : self.end]


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of an index: ``documents[doc].text[start:end]``, in paragraph
    ``paragraph``; ``row`` is its place in the index's ``SentenceTable`` (and its vector's)."""

    row: int
    doc: int  # the document's place in the index's document list
    start: int
    end: int
    paragraph: int


class SentenceTable:
    """Every sentence of an index, in document order, as named columns (``doc``, ``start``,
    ``end``, ``paragraph``: int64 arrays, one entry per sentence). Saved as one int64 matrix
    (``sentences.npy``, one row per sentence, the columns in that order); the columns are views
    of it, so the whole-corpus passes (which document, which paragraph) stay vectorised."""

    COLUMNS = ("doc", "start", "end", "paragraph")

    __slots__ = ("doc", "end", "matrix", "paragraph", "start")

    def __init__(self, matrix: npt.NDArray[np.int64]) -> None:
        matrix = np.asarray(matrix, dtype=np.int64)
        if matrix.size == 0:
            matrix = matrix.reshape(0, len(self.COLUMNS))
        if matrix.ndim != 2 or matrix.shape[1] != len(self.COLUMNS):
            raise ValueError(
                f"a sentence table has {len(self.COLUMNS)} columns, not {matrix.shape}"
            )
        self.matrix = matrix
        self.doc, self.start, self.end, self.paragraph = (matrix[:, i] for i in range(4))

    @classmethod
    def of(cls, sentences: Iterable[tuple[int, Span]]) -> SentenceTable:
        """The table of ``(document row, span)`` pairs, in that order."""
        rows = [(doc, s.start, s.end, s.paragraph) for doc, s in sentences]
        return cls(np.asarray(rows, dtype=np.int64).reshape(-1, len(cls.COLUMNS)))

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    def __getitem__(self, row: int) -> Sentence:
        doc, start, end, paragraph = (int(x) for x in self.matrix[row])
        return Sentence(int(row), doc, start, end, paragraph)

    def of_document(self, doc: int) -> npt.NDArray[np.int64]:
        """The rows of document ``doc``'s sentences, in order."""
        return np.flatnonzero(self.doc == doc).astype(np.int64)

    def spans(self, rows: npt.NDArray[np.int64]) -> list[Span]:
        return [Span(int(s), int(e), int(p)) for s, e, p in self.matrix[rows, 1:]]


@dataclass(frozen=True, slots=True)
class SentenceHit:
    """A scored candidate sentence."""

    sentence: Sentence
    score: float  # the ranker's logit


@dataclass(frozen=True, slots=True)
class Passage:
    """A verbatim quote: ``text == document.text[start:end]``; ``highlight`` is inside it."""

    text: str
    highlight: str
    title: str
    source: str
    start: int
    end: int
    score: float
    highlight_start: int
    highlight_end: int
    doc_id: str
    url: str | None = None  # the document's own link
    section: str | None = None  # the heading the quote sits under
    link: str | None = None  # the document's link, scrolled to the quoted sentence
    page: int | None = None  # the page the quote starts on (PDFs)


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answered: bool
    passages: tuple[Passage, ...]
    resolved_question: str  # the question as searched (with the borrowed topic, if any)
    confidence: float = 0.0
    #: the question's language when it was searched in the multilingual space (ISO 639-1)
    language: str | None = None

    def to_json(self) -> dict[str, object]:
        """The JSON shape of ``verbatim ask --json`` (a stable contract)."""
        return {
            "question": self.question,
            "answered": self.answered,
            # the calibrated probability that the first passage holds the answer
            "confidence": round(self.confidence, 4),
            # the question's language when it was not the documents' (null: theirs)
            "language": self.language,
            "passages": [
                {
                    "text": p.text,
                    "highlight": p.highlight,
                    "title": p.title,
                    "source": p.source,
                    "start": p.start,
                    "end": p.end,
                    "score": round(p.score, 4),
                    "url": p.url,
                    "section": p.section,
                    "link": p.link,
                    "page": p.page,
                }
                for p in self.passages
            ],
        }
