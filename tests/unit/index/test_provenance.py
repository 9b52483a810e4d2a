"""Questions about where the text comes from are answered by its byline or attribution."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.config import Settings
from index.engine import Engine
from index.provenance import asks_about_origin, asks_about_origin_in_words, is_byline
from tests.conftest import CountingEmbedder


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who wrote the article?", "author"),
        ("who wrote this story", "author"),
        ("Who wrote it?", "author"),
        ("Who is the author?", "author"),
        ("Who's the journalist?", "author"),
        ("Who is the author of this article?", "author"),
        ("By whom was it written?", "author"),
        ("Which publication first reported this?", "source"),
        ("Who reported the imports?", "source"),
        ("What is the source?", "source"),
        ("According to whom?", "source"),
        ("What is the title of the article?", "title"),
        ("What is this story called?", "title"),
        # words of its own may name a story the text tells (a reviewer's cases)
        ("Who wrote the Harry Potter story?", None),
        ("Who wrote the law on the report?", None),
        ("Who wrote this news article?", "author"),
        ("When was the article published?", "date"),
        ("When was it published?", "date"),
        ("What is the date of the news story?", "date"),
        ("What is the date of the treaty?", None),
        # what the text tells, or a follow-up's "it" (a reviewer's cases)
        ("When was the Harry Potter story written?", None),
        ("When was it written?", None),
        ("What was the date?", None),
        ("What is the title of Hamlet?", None),
        # about something else than the text itself
        ("Who wrote the Magna Carta?", None),
        ("Who is the author of Hamlet?", None),
        ("What did the authorities report?", None),
        ("When was Koryolink established?", None),
    ],
)
def test_questions_about_the_texts_origin_are_recognised(question: str, kind: str | None) -> None:
    assert asks_about_origin(question) == kind


@pytest.mark.parametrize(
    ("words", "kind"),
    [
        # questions in other languages as index.translation puts them into English words
        ("who author articles", "author"),  # Кто автор статьи?
        ("whose written el article", "author"),  # ¿Quién escribió el artículo?
        ("who hat den articles written", "author"),  # Wer hat den Artikel geschrieben?
        ("this articles article ye author es who", "author"),  # 这篇文章的作者是谁？
        ("what header le articles", "title"),  # Какой заголовок у статьи?
        ("who author law communications", None),  # names no text
        ("who president france", None),
        ("author article huawei equipment imported north korea", None),  # asks something else
        ("", None),
    ],
)
def test_questions_put_into_english_words_are_recognised(words: str, kind: str | None) -> None:
    assert asks_about_origin_in_words(words) == kind


def test_words_spelt_like_english_ones_count_only_when_they_name_the_text() -> None:
    # "Qui est l'auteur de l'article ?": "article", "est", "de" were left out as spelt like
    # English words; "article" names the text, "est" and "de" are not other content words
    assert asks_about_origin_in_words("who author") is None
    assert asks_about_origin_in_words("who author", ["est", "de", "article"]) == "author"
    assert asks_about_origin_in_words("what title", ["est", "le", "de", "article"]) == "title"
    assert asks_about_origin_in_words("who author", ["est", "de", "loi"]) is None


@pytest.mark.parametrize(
    ("sentence", "byline"),
    [
        ("By Jane Doe", True),
        ("Written by Jane van Doe", True),
        ("Author: Jane Doe", True),
        ("I'm Vasyl Kolomiiets, a seasoned tech journalist regularly contributing.", True),
        ("I am Ann Lee, and I have been a reporter for twenty years.", True),
        ("By Katrin Albers, Transport Correspondent", True),  # a trial's news article
        ("By Ana Lima and Jo Park", True),
        ("By 2030, the network will be finished", False),
        # a reviewer's: a heading or a sentence that opens with "By"
        ("By Train, Bus and Ferry", False),
        ("By Monday, Berlin will have new rules", False),
        ("By the end of the year the network was finished.", False),
        ("I'm sure the network will be finished, a reporter said.", False),
        ("The author of the report is unknown.", False),
    ],
)
def test_bylines_are_recognised(sentence: str, byline: bool) -> None:
    assert is_byline(sentence) is byline


NEWS = (
    "Glacier retreat speeds up\n\n"
    "By Jane Doe\n\n"
    "The Solheimajokull glacier lost forty metres this year, the survey shows. "
    "As reported by the Reykjavik Tribune, the melt started early in April.\n\n"
    "Scientists expect the retreat to continue over the next decade.\n"
)


@pytest.fixture
def news_engine(tmp_path: Path) -> Engine:
    return _engine(tmp_path, {"glacier.txt": NEWS})


def _engine(tmp_path: Path, files: dict[str, str]) -> Engine:
    """An engine (the fake embedder) over a corpus of ``files`` (name: text)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", model="hashing-fake")
    engine = Engine.open(settings, CountingEmbedder())
    engine.build()
    return engine


def test_the_author_question_quotes_the_byline_alone(news_engine: Engine) -> None:
    answer = news_engine.answer("Who wrote the article?")
    assert answer.answered
    assert [p.highlight for p in answer.passages] == ["By Jane Doe"]


def test_the_date_question_quotes_the_date_line(tmp_path: Path) -> None:
    """A user asked "When was the article published?" of a page read with its date line
    ("Published 2026-10-14", index.documents) and got the article's first sentence (it holds
    "from November 1"); a line that merely starts like one is no date line."""
    engine = _engine(
        tmp_path,
        {
            "library.txt": "Eastfield library ends late fees\n\nBy Priya Raman\n\n"
            "Published 2026-10-14\n\n"
            "The library will stop charging late fees from November 1, the board decided.\n\n"
            "Posted 5 letters to the board.\n\nDate of birth: 1990 is what the form asks.\n"
        },
    )
    corpus = tmp_path / "corpus"
    for question in ("When was the article published?", "When was it published?"):
        answer = engine.answer(question)
        assert answer.answered and answer.passages[0].highlight == "Published 2026-10-14"
    assert engine.answer("When did the board decide?").passages[0].highlight != (
        "Published 2026-10-14"
    )
    # a news dateline opening the first sentence dates the article too (a trial's)
    (corpus / "library.txt").write_text(
        "Ring line to get new signals\n\nBy Katrin Albers, Transport Correspondent\n\n"
        "BERLIN, 3 March 2026 — The Ring line will get digital signals, the city said.\n\n"
        "Work will begin in spring 2027.\n",
        encoding="utf-8",
    )
    engine.build()
    dated = engine.answer("When was the article published?")
    assert dated.answered and dated.passages[0].highlight.startswith("BERLIN, 3 March 2026 —")


def test_the_source_question_quotes_the_attribution(news_engine: Engine) -> None:
    answer = news_engine.answer("Which newspaper first reported the melt?")
    assert answer.answered
    assert "Reykjavik Tribune" in answer.passages[0].highlight


def test_a_question_about_another_work_is_not_answered_by_the_byline(news_engine: Engine) -> None:
    answer = news_engine.answer("Who wrote the Magna Carta?")
    assert all("Jane Doe" not in p.text for p in answer.passages) or not answer.answered


def test_the_title_question_quotes_the_title_of_a_single_document(news_engine: Engine) -> None:
    for question in ("What is the title of the article?", "What's the headline?"):
        answer = news_engine.answer(question)
        assert answer.answered
        assert answer.passages[0].highlight == "Glacier retreat speeds up"


def test_the_title_question_is_not_guessed_among_several_documents(
    news_engine: Engine, tmp_path: Path
) -> None:
    corpus = news_engine.settings.corpus_dir
    (corpus / "other.txt").write_text("Lava fields\n\nThe lava fields cooled slowly.\n")
    news_engine.build()
    answer = news_engine.answer("What is the title of the article?")
    assert all(p.highlight != "Glacier retreat speeds up" for p in answer.passages)
