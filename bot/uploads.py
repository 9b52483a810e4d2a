"""An operator's upload, checked and stored in the corpus folder: blocking file work, which the
bot runs off the event loop (``AnswerService.check_upload`` / ``store_upload``).

* ``check`` reads the file as the index would (a file it cannot read is refused by name) and
  looks for the same content already in the corpus, and for a document of the same name.
* ``store`` writes it atomically. A document of the same name is never replaced silently: the
  bot asks first; on "Replace" the old version is moved to ``.replaced/`` inside the corpus
  folder (hidden: never indexed, always recoverable), on "Keep both" the new one gets a free
  name ("report-2.pdf").
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from index.corpus import free_name, move_aside
from index.documents import read_document, sha256_bytes

REPLACED_DIR = ".replaced"


@dataclass(frozen=True, slots=True)
class Checked:
    """What ``check`` found: ``duplicate`` names a file that already holds this content;
    ``exists`` says that a different document already has this name."""

    duplicate: str | None
    exists: bool


def check(corpus: Path, name: str, data: bytes) -> Checked:
    """DocumentError if the index could not read the file."""
    target = corpus / name
    read_document(target, corpus, data)  # refuse what the index could not read
    digest = sha256_bytes(data)
    if corpus.is_dir():
        for existing in corpus.rglob("*"):
            if any(part.startswith(".") for part in existing.relative_to(corpus).parts):
                continue
            same_size = existing.is_file() and existing.stat().st_size == len(data)
            if same_size and sha256_bytes(existing.read_bytes()) == digest:
                return Checked(existing.relative_to(corpus).as_posix(), False)
    return Checked(None, target.exists())


def store(corpus: Path, name: str, data: bytes, *, replace: bool) -> tuple[str, str | None]:
    """Write the upload as ``name`` (``replace``: moving the document of that name to
    ``.replaced/``) or, if that name is taken and not to be replaced, as the first free
    ``stem-N`` name. Returns (the name written, where the replaced version went)."""
    corpus.mkdir(parents=True, exist_ok=True)
    target = corpus / name
    kept: str | None = None
    if target.exists() and replace:
        kept = move_aside(target, corpus / REPLACED_DIR).relative_to(corpus).as_posix()
    elif target.exists():
        target = free_name(corpus, name)
    tmp = corpus / f".upload-{uuid.uuid4().hex}"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target.name, kept
