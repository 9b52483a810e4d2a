"""Telling scripts and words apart (index.languages)."""

from __future__ import annotations

import pytest

from index.languages import word_count


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("And Kang Song NET?", 4),
        ("Kang Song NETは？", 4),  # a name and one kana
        ("東京の人口は何人ですか？", 7),  # no spaces: one word per two letters of each run
        ("김치 만드는 방법을 알려주세요", 4),  # Korean puts spaces between its words
        ("설립자는 누구인가요?", 2),
        ("ประชากรของโตเกียวมีกี่คน", 5),  # Thai does not: four letters a word
        ("那 Kang Song NET 呢？", 5),
        ("???", 1),
    ],
)
def test_words_are_counted_in_scripts_without_spaces_too(text: str, words: int) -> None:
    assert word_count(text) == words
