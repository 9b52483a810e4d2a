"""Storing an upload (bot.uploads): a replaced document is always kept aside, never lost."""

from __future__ import annotations

from pathlib import Path

from bot.uploads import store


def test_replacing_twice_in_one_second_keeps_every_old_version(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "notes.txt").write_text("Notes\n\nThe original version.\n", encoding="utf-8")
    versions = ["Notes\n\nVersion two.\n", "Notes\n\nVersion three.\n"]
    kept = [store(corpus, "notes.txt", v.encode(), replace=True)[1] for v in versions]
    assert kept[0] != kept[1] and all(k and k.startswith(".replaced/") for k in kept)
    aside = sorted((corpus / ".replaced").iterdir())
    texts = {p.read_text(encoding="utf-8") for p in aside}
    assert texts == {"Notes\n\nThe original version.\n", versions[0]}
    assert (corpus / "notes.txt").read_text(encoding="utf-8") == versions[1]
    assert {corpus / k for k in kept if k} == set(aside)


def test_keep_both_takes_a_free_name(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# A\n\nfirst text here\n", encoding="utf-8")
    assert store(corpus, "a.md", b"# A\n\nsecond text here\n", replace=False) == ("a-2.md", None)
    assert store(corpus, "a.md", b"# A\n\nthird text here\n", replace=False) == ("a-3.md", None)
