"""The corpus folder as an operator sees it: what each indexed document is (``CorpusEntry``),
and documents taken out of it without losing them.

A removed document is moved to ``.removed/`` inside the corpus folder (hidden folders are
never indexed), so a wrong tap or a wrong name is recoverable by moving the file back; an
upload that replaces a document puts the old one in ``.replaced/`` the same way
(``bot.uploads``). Blocking file work: the bot runs it off the event loop.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import DocumentError

if TYPE_CHECKING:
    from index.engine import IndexedDocument

REMOVED_DIR = ".removed"


@dataclass(frozen=True, slots=True)
class CorpusEntry:
    """One indexed document: its name in the corpus, title, link (for a page added by its
    link), file size and when its file last changed (None once the file is gone), chunk
    count, when it came into the index, its id (``Document.doc_id``) and the hash of the
    version indexed."""

    doc_id: str
    content_hash: str
    name: str
    title: str
    url: str | None
    bytes: int | None
    changed: str | None
    chunks: int
    added: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "title": self.title,
            "url": self.url,
            "bytes": self.bytes,
            "changed": self.changed,
            "chunks": self.chunks,
            "added": self.added or None,
        }


def entries(documents: Sequence[IndexedDocument], corpus_dir: Path) -> list[CorpusEntry]:
    """The indexed ``documents`` as entries, their files looked up in ``corpus_dir``."""
    found = []
    for d in documents:
        path = corpus_dir / d.document.source
        stat = path.stat() if path.is_file() else None
        found.append(
            CorpusEntry(
                d.document.doc_id,
                d.document.content_hash,
                d.document.source,
                d.title,
                d.document.url,
                stat.st_size if stat else None,
                iso_time(stat.st_mtime) if stat else None,
                d.chunks,
                d.added,
            )
        )
    return found


def remove(corpus_dir: Path, name: str) -> str:
    """Move the document ``name`` (as ``CorpusEntry.name`` gives it) out of the corpus into
    ``.removed/``; where it went, relative to the corpus folder. DocumentError when there is
    no such document (a name outside the folder included)."""
    corpus = corpus_dir.resolve()
    path = (corpus / name).resolve()
    hidden = path.is_relative_to(corpus) and any(
        part.startswith(".") for part in path.relative_to(corpus).parts
    )
    if corpus not in path.parents or hidden or not path.is_file():
        raise DocumentError(f"{name}: no such document in {corpus_dir}")
    folder = corpus / REMOVED_DIR / path.relative_to(corpus).parent
    try:
        return move_aside(path, folder).relative_to(corpus).as_posix()
    except FileNotFoundError:  # removed meanwhile, by another process
        raise DocumentError(f"{name}: no such document in {corpus_dir}") from None


def move_aside(target: Path, folder: Path) -> Path:
    """Move ``target`` into ``folder`` as ``stem.<UTC time>.ext`` (``set_aside``); where it
    went."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    folder.mkdir(parents=True, exist_ok=True)
    return set_aside(target, folder / f"{target.stem}.{stamp}{target.suffix}")


def set_aside(target: Path, backup: Path) -> Path:
    """Move ``target`` to ``backup``, or to ``stem-2``, ``stem-3``… beside it: an existing
    backup (two in the same second) is never overwritten."""
    for candidate in numbered(backup):
        try:
            os.link(target, candidate)  # refuses an existing name, atomically
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links
            if candidate.exists():
                continue
            os.replace(target, candidate)
            return candidate
        try:
            target.unlink()
        except FileNotFoundError:  # gone meanwhile: no second copy of it left behind
            candidate.unlink()
            raise
        return candidate
    raise FileExistsError(f"no free name for a backup of {target}")


def free_name(corpus: Path, name: str) -> Path:
    """``corpus/stem-2.ext``, ``stem-3.ext``… the first that does not exist."""
    for candidate in itertools.islice(numbered(corpus / name), 1, None):
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"no free name for {name} in {corpus}")


def numbered(path: Path) -> Iterator[Path]:
    """``path``, then ``stem-2.ext``, ``stem-3.ext``… beside it (a bounded number)."""
    yield path
    for n in range(2, 10_000):
        yield path.with_name(f"{path.stem}-{n}{path.suffix}")


def iso_time(timestamp: float) -> str:
    """A file time as ISO 8601, UTC, to the second."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
