"""Taking documents out of the corpus (index.corpus): moved aside, never lost, and only
documents of the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.corpus import REMOVED_DIR, remove
from index.errors import DocumentError


def test_remove_moves_the_file_aside_and_twice_keeps_both(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "reports").mkdir(parents=True)
    (corpus / "reports" / "a.txt").write_text("first", encoding="utf-8")
    kept = remove(corpus, "reports/a.txt")
    assert kept.startswith(f"{REMOVED_DIR}/reports/a.") and kept.endswith(".txt")
    assert not (corpus / "reports" / "a.txt").exists()
    (corpus / "reports" / "a.txt").write_text("second", encoding="utf-8")
    again = remove(corpus, "reports/a.txt")  # within the same second: a free name
    assert again != kept
    texts = {(corpus / k).read_text(encoding="utf-8") for k in (kept, again)}
    assert texts == {"first", "second"}


@pytest.mark.parametrize(
    "name", ["missing.txt", "../outside.txt", "/etc/passwd", ".removed/x.txt", "reports", ""]
)
def test_remove_refuses_what_is_not_a_document_of_the_corpus(tmp_path: Path, name: str) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "reports").mkdir(parents=True)
    (corpus / ".removed").mkdir()
    (corpus / ".removed" / "x.txt").write_text("kept aside", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("not ours", encoding="utf-8")
    with pytest.raises(DocumentError, match="no such document"):
        remove(corpus, name)
    assert (tmp_path / "outside.txt").exists() and (corpus / ".removed" / "x.txt").exists()
