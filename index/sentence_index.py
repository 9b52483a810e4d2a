"""A version's indexes over its sentences other than vectors: the sentence↔chunk maps, the
sentence and chunk BM25 indexes and the speller's vocabulary. Built and saved with each
version (``save``, called by ``index.build`` through ``index.store.write_version``), loaded
with it (``load``, by ``index.retrieval.Retriever``).

In a version folder::

    lexical/sentences/, lexical/chunks/   the two Bm25 indexes (bm25s, memory-mapped)
    lexical/words.json                     the speller's vocabulary
    lexical/maps.npz                       each sentence's home chunk; each chunk's sentences
    lexical/tokens.npz, lexical/vocabulary.json   every sentence's tokens, as ids

Building them was most of a large index's start-up (about 13 s for 265,791 sentences) and of
every hot reload; a version without them (older, or damaged files) still loads: what is
missing is built in memory, with one warning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from index.lexical import Bm25, tokenize, tokenizer_id
from index.sentence_tables import ChunkSentences, SentenceTexts
from index.spelling import WORDS_FILE, Speller
from index.store import StoredIndex
from index.types import Chunk, Document, SentenceTable

log = logging.getLogger(__name__)

LEXICAL_DIR = "lexical"  # in a version folder
MAPS_FILE = "maps.npz"
TOKENS_FILE = "tokens.npz"
VOCABULARY_FILE = "vocabulary.json"
#: Bump when what ``save`` writes changes (2: the sentence↔chunk maps; 3: the tokens).
FORMAT = 3


def signature() -> str:
    """What the saved indexes depend on: their format and the tokenizer (recorded in each
    version's manifest; a build whose signature differs writes them again)."""
    return f"{FORMAT}/{tokenizer_id()}"


@dataclass(frozen=True)
class SentenceIndexes:
    """What ``load`` gives the retriever: every sentence's text, the maps, BM25, speller."""

    texts: SentenceTexts
    tokens: SentenceTokens
    home_chunk: npt.NDArray[np.int64]  # per sentence: the first chunk holding it
    chunk_sentences: ChunkSentences  # per chunk: its sentences' rows, in order
    sentence_bm25: Bm25
    chunk_bm25: Bm25
    speller: Speller


class SentenceTokens:
    """Every sentence's tokens (``index.lexical.tokenize``), as ids into a vocabulary: what the
    text features of each candidate read, made once with the version instead of at every
    question. ``of(rows)`` gives the candidates' token ids; ``query(tokens)`` the question's
    in the same ids (a token no sentence has gets its own negative id, so that two unknown
    words still differ)."""

    def __init__(
        self, ids: npt.NDArray[np.int32], offsets: npt.NDArray[np.int64], vocabulary: list[str]
    ) -> None:
        if len(offsets) == 0 or offsets[-1] != len(ids):
            raise ValueError("token offsets do not match the tokens")
        self.ids = ids
        self.offsets = offsets
        self.vocabulary = {term: i for i, term in enumerate(vocabulary)}

    @classmethod
    def of_tokens(cls, tokens: Sequence[list[str]]) -> SentenceTokens:
        vocabulary: dict[str, int] = {}
        ids = np.fromiter(
            (vocabulary.setdefault(t, len(vocabulary)) for ts in tokens for t in ts),
            dtype=np.int32,
        )
        offsets = np.cumsum([0] + [len(ts) for ts in tokens], dtype=np.int64)
        return cls(ids, offsets, list(vocabulary))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def of(self, rows: Sequence[int]) -> list[list[int]]:
        ids, offsets = self.ids, self.offsets
        return [ids[offsets[r] : offsets[r + 1]].tolist() for r in rows]

    def query(self, tokens: Sequence[str]) -> list[int]:
        unknown: dict[str, int] = {}
        return [self.vocabulary.get(t, unknown.setdefault(t, -1 - len(unknown))) for t in tokens]

    def save(self, folder: Path) -> None:
        with (folder / TOKENS_FILE).open("wb") as out:
            np.savez(out, ids=self.ids, offsets=self.offsets)
        (folder / VOCABULARY_FILE).write_text(
            json.dumps(list(self.vocabulary), ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> SentenceTokens:
        with np.load(folder / TOKENS_FILE, allow_pickle=False) as data:
            ids, offsets = data["ids"].astype(np.int32), data["offsets"].astype(np.int64)
        vocabulary = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
        if not isinstance(vocabulary, list) or not all(isinstance(t, str) for t in vocabulary):
            raise ValueError("the vocabulary is not a list of words")
        return cls(ids, offsets, vocabulary)


def save(
    folder: Path, documents: Sequence[Document], chunks: Sequence[Chunk], sentences: SentenceTable
) -> None:
    """Build the indexes of a version and save them in ``folder`` (the version's
    ``lexical/``), before the version is switched in."""
    texts = SentenceTexts(documents, sentences)
    home, chunk_sentences = sentence_chunk_maps(documents, chunks, sentences)
    folder.mkdir(parents=True, exist_ok=True)
    tokens = [tokenize(t) for t in texts]
    for name, bm25 in zip(
        ("sentences", "chunks"),
        _lexical_indexes(texts, chunk_sentences, tokens),
        strict=True,
    ):
        (folder / name).mkdir(parents=True)
        bm25.save(folder / name)
    SentenceTokens.of_tokens(tokens).save(folder)
    Speller.from_texts(texts).save(folder / WORDS_FILE)
    with (folder / MAPS_FILE).open("wb") as out:
        np.savez(out, home=home, offsets=chunk_sentences.offsets, rows=chunk_sentences.rows)


def load(stored: StoredIndex) -> SentenceIndexes:
    """The indexes saved with ``stored``; what cannot be read is built in memory."""
    folder = stored.path / LEXICAL_DIR
    sentences = stored.sentences
    texts = SentenceTexts(stored.documents, sentences)
    maps = _load_maps(folder, len(sentences), len(stored.chunks)) or sentence_chunk_maps(
        stored.documents, stored.chunks, sentences
    )
    tokens = _load_tokens(folder, len(sentences)) or SentenceTokens.of_tokens(
        [tokenize(t) for t in texts]
    )
    bm25 = _load_lexical(folder, len(sentences), len(stored.chunks)) or _lexical_indexes(
        texts, maps[1]
    )
    speller = _load_speller(folder) or Speller.from_texts(texts)
    return SentenceIndexes(texts, tokens, maps[0], maps[1], bm25[0], bm25[1], speller)


def sentence_chunk_maps(
    documents: Sequence[Document], chunks: Sequence[Chunk], sents: SentenceTable
) -> tuple[npt.NDArray[np.int64], ChunkSentences]:
    """For each sentence its home chunk (the first chunk holding it); for each chunk its
    sentences."""
    home = np.zeros(len(sents), dtype=np.int64)
    chunk_sentences: list[list[int]] = [[] for _ in chunks]
    doc_row = {d.doc_id: i for i, d in enumerate(documents)}
    by_doc: dict[int, list[int]] = {}
    for row, doc in enumerate(sents.doc.tolist()):
        by_doc.setdefault(doc, []).append(row)
    assigned = np.zeros(len(sents), dtype=bool)
    for c_row, chunk in enumerate(chunks):
        rows = by_doc.get(doc_row.get(chunk.doc_id, -1), [])
        starts = sents.start[rows] if rows else np.zeros(0, dtype=np.int64)
        lo = int(np.searchsorted(starts, chunk.start, side="left"))
        hi = int(np.searchsorted(starts, chunk.end, side="left"))
        for r in rows[lo:hi]:
            if sents.end[r] <= chunk.end:
                chunk_sentences[c_row].append(r)
                if not assigned[r]:
                    home[r] = c_row
                    assigned[r] = True
    return home, ChunkSentences.of(chunk_sentences)


def _load_maps(
    folder: Path, sentences: int, chunks: int
) -> tuple[npt.NDArray[np.int64], ChunkSentences] | None:
    path = folder / MAPS_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            home, offsets, rows = data["home"], data["offsets"], data["rows"]
        if len(home) != sentences or len(offsets) != chunks + 1 or offsets[-1] != len(rows):
            raise ValueError("they do not match the version's sentences and chunks")
        return home.astype(np.int64), ChunkSentences(offsets, rows)
    except Exception as exc:  # any damage: compute them again rather than fail
        log.warning("cannot read %s (%s): mapping sentences to chunks in memory", path, exc)
        return None


def _load_tokens(folder: Path, sentences: int) -> SentenceTokens | None:
    if not (folder / TOKENS_FILE).is_file():
        return None
    try:
        tokens = SentenceTokens.load(folder)
        if len(tokens) != sentences:
            raise ValueError(f"they are of {len(tokens)} sentences, the version has {sentences}")
        return tokens
    except Exception as exc:  # any damage: tokenize again rather than fail
        log.warning("cannot read %s (%s): tokenizing the sentences in memory", folder, exc)
        return None


def _load_speller(folder: Path) -> Speller | None:
    """The saved vocabulary, or None (an older version without it, or a damaged one)."""
    path = folder / WORDS_FILE
    if not path.is_file():
        return None
    try:
        return Speller.load(path)
    except Exception as exc:  # any damage: count the words again rather than fail
        log.warning("cannot read %s (%s): counting the documents' words in memory", path, exc)
        return None


def _load_lexical(folder: Path, sentences: int, chunks: int) -> tuple[Bm25, Bm25] | None:
    """The saved indexes, or None (an older version without them, or an unreadable one, or
    one of other texts: then they are built in memory, as before, and the index serves)."""
    if not (folder / "sentences").is_dir():
        return None
    try:
        loaded = Bm25.load(folder / "sentences"), Bm25.load(folder / "chunks")
        if (len(loaded[0]), len(loaded[1])) != (sentences, chunks):
            raise ValueError(
                f"they index {len(loaded[0])} sentences and {len(loaded[1])} chunks, "
                f"the version {sentences} and {chunks}"
            )
        return loaded
    except Exception as exc:  # any damage: rebuild rather than fail
        log.warning("cannot read %s (%s): building the BM25 indexes in memory", folder, exc)
        return None


def _lexical_indexes(
    sentence_texts: Sequence[str],
    chunk_sentences: ChunkSentences,
    tokens: Sequence[list[str]] | None = None,
) -> tuple[Bm25, Bm25]:
    # Each sentence is tokenized once: a chunk is a run of whole sentences, so its tokens
    # are theirs, in order.
    if tokens is None:
        tokens = [tokenize(t) for t in sentence_texts]
    sentence_bm25 = Bm25(sentence_texts, tokens=tokens)
    chunk_bm25 = Bm25((), tokens=[[t for r in rows for t in tokens[r]] for rows in chunk_sentences])
    return sentence_bm25, chunk_bm25
