"""The multilingual space (issue 14) with fakes: stored with the version, built
incrementally, searched for questions in other languages; language routing.

One module (about 300 lines): every test here shares the fake encoders and the built index
of its fixtures."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from index.answering import Answerer
from index.build import build_index
from index.config import ChunkingSettings, Settings
from index.embedding import HashingEmbedder, Vectors
from index.engine import Engine
from index.errors import IndexLoadError
from index.follow_ups import is_follow_up
from index.languages import LanguageIdentifier, other_script_share, shared_identifier
from index.multilingual import USE_MODEL, languages_of
from index.routing import LanguageRouter
from index.spelling import Speller
from index.store import current_version_path, load_version
from tests.conftest import CountingEmbedder

#: What the fake multilingual encoder "understands": these words mean the English ones.
_LEXICON = {
    "когда": "when",
    "извергался": "erupted",
    "вулкан": "volcano",
    "eyjafjallajökull": "eyjafjallajökull",
    "сколько": "how many",
    "вулканов": "volcanic mountains",
    "в": "in",
    "исландии": "iceland",
    "операторов": "mobile operators",
    "мобильной": "mobile",
    "связи": "operators",
}


class TranslatingEmbedder(HashingEmbedder):
    """A fake multilingual encoder: words of ``_LEXICON`` are embedded as their English
    meaning, so a Russian question and the English sentence it asks about meet."""

    def __init__(self, name: str = "fake-multilingual") -> None:
        super().__init__(dimension=128, name=name)
        self.texts: list[str] = []

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        self.texts.extend(texts)
        meant = [
            " ".join(_LEXICON.get(w.casefold(), w) for w in re.findall(r"\w+", t)) for t in texts
        ]
        return super().encode(meant)


def test_the_multilingual_space_is_stored_with_the_version_and_recorded(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking, multilingual=TranslatingEmbedder())
    stored = load_version(index)
    ml = stored.multilingual
    assert ml is not None and ml.model == "fake-multilingual" and ml.vocabulary is not None
    assert stored.manifest.multilingual == {
        "model": "fake-multilingual",
        "dimension": 128,
        "backend": "hashing",
        "words": len(ml.vocabulary.words),
    }
    assert stored.manifest.language == "en" == stored.language
    assert ml.sentence_vectors.shape == (len(stored.sentences), 128)
    assert ml.chunk_vectors.shape == (len(stored.chunks), 128)
    assert np.allclose(np.linalg.norm(ml.chunk_vectors, axis=1), 1.0, atol=1e-5)
    # the documents' words, then English's common ones (index.translation), with vectors
    words = ml.vocabulary
    own = words.words[: words.documents]
    assert "eyjafjallajökull" in own and "erupted" in own and "when" not in own
    assert "when" in words.words[words.documents :]
    assert words.vectors.shape == (len(words.words), 128)


def test_switching_it_on_embeds_only_the_multilingual_space_and_off_drops_it(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    main = CountingEmbedder()
    build_index(corpus, index, main, chunking)
    assert load_version(index).multilingual is None
    embedded = len(main.texts)

    ml = TranslatingEmbedder()
    summary = build_index(corpus, index, main, chunking, multilingual=ml)
    assert summary.written and "multilingual vectors" in summary.remade
    assert len(main.texts) == embedded  # the main vectors are reused
    stored = load_version(index)
    assert stored.multilingual is not None and stored.multilingual.vocabulary is not None
    words = stored.multilingual.vocabulary.words
    assert len(ml.texts) == len(stored.sentences) + len(words)

    summary = build_index(corpus, index, main, chunking)
    assert summary.written and load_version(index).multilingual is None
    path = current_version_path(index)
    assert path is not None and not list(path.glob("multilingual_*"))


def test_an_update_embeds_only_the_changed_document_in_both_spaces(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking, multilingual=TranslatingEmbedder())
    before = load_version(index)
    article = before.documents[0].source
    (corpus / "volcanoes.md").write_text("# Volcanoes\n\nKatla erupted in 1918.\n", "utf-8")
    main, ml = CountingEmbedder(), TranslatingEmbedder()
    summary = build_index(corpus, index, main, chunking, multilingual=ml)
    assert (summary.changed, summary.unchanged) == (1, 1)
    assert main.texts == ["Volcanoes", "Katla erupted in 1918."]
    # the one word no version had before is the only word embedded (index.translation)
    assert ml.texts == ["Volcanoes", "Katla erupted in 1918.", "katla"]
    after = load_version(index)
    assert after.multilingual is not None and before.multilingual is not None
    rows = [i for i in range(len(after.sentences)) if after.sentences[i].doc == 0]
    old = [i for i in range(len(before.sentences)) if before.sentences[i].doc == 0]
    assert after.documents[0].source == article
    assert np.array_equal(
        after.multilingual.sentence_vectors[rows], before.multilingual.sentence_vectors[old]
    )


def test_multilingual_vectors_that_do_not_match_are_refused_at_load(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    index = tmp_path / "index"
    build_index(corpus, index, CountingEmbedder(), chunking, multilingual=TranslatingEmbedder())
    path = current_version_path(index)
    assert path is not None
    np.save(path / "multilingual_chunk_vectors.npy", np.zeros((1, 128), dtype=np.float32))
    with pytest.raises(IndexLoadError, match="multilingual vectors do not match"):
        load_version(index)


@pytest.fixture
def answerer(corpus: Path, tmp_path: Path, chunking: ChunkingSettings) -> Answerer:
    index = tmp_path / "index"
    main, ml = CountingEmbedder(), TranslatingEmbedder()
    build_index(corpus, index, main, chunking, multilingual=ml)
    return Answerer(load_version(index), main, multilingual=ml)


def test_a_question_in_another_language_is_answered_from_the_multilingual_space(
    answerer: Answerer, corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    question = "Когда извергался вулкан Eyjafjallajökull?"
    assert answerer.is_foreign(question)
    answer = answerer.answer(question, force=True)
    assert "erupted in 2010" in answer.passages[0].highlight  # the English text, verbatim
    assert answer.language == "ru" and answer.to_json()["language"] == "ru"
    # The same index without the multilingual encoder: the main path alone
    alone = Answerer(answerer.stored, answerer.embedder)
    assert not alone.is_foreign(question)


def test_a_question_in_another_language_is_declined_below_the_confidence_floor(
    answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the decline rule says, a quote whose calibrated chance is below the floor is
    not given (the floor is read at each answer; the English path has none)."""
    import index.answering

    question = "Когда извергался вулкан Eyjafjallajökull?"
    monkeypatch.setattr(index.answering, "MULTILINGUAL_MIN_CONFIDENCE", 0.0)
    before = answerer.answer(question)
    assert before.answered and before.confidence is not None
    monkeypatch.setattr(index.answering, "MULTILINGUAL_MIN_CONFIDENCE", before.confidence + 1e-6)
    after = answerer.answer(question)
    assert not after.answered and after.confidence == before.confidence
    monkeypatch.setattr(index.answering, "MULTILINGUAL_MIN_CONFIDENCE", 1.1)
    assert answerer.answer("When did Eyjafjallajökull erupt?").answered  # English: no floor


def test_english_questions_keep_the_main_path(answerer: Answerer) -> None:
    for question in (
        "When did Eyjafjallajökull erupt?",
        "and Kang Song NET?",
        "Koryolink?",
        "Is it new?",
        "wich compnay equipmnt is north korea imprting?",
    ):
        assert not answerer.is_foreign(question), question


def test_languages_the_encoder_does_not_serve_keep_the_main_path(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> None:
    """USE multilingual v3 finds nothing for Hindi (MLQA paragraph@1 0.02): a Hindi question
    is not searched with it, a Russian one is."""
    index = tmp_path / "index"
    main, use = CountingEmbedder(), TranslatingEmbedder(name=USE_MODEL)
    build_index(corpus, index, main, chunking, multilingual=use)
    answerer = Answerer(load_version(index), main, multilingual=use)
    assert answerer.foreign_language("Когда извергался вулкан Eyjafjallajökull?") == "ru"
    assert answerer.foreign_language("आइसलैंड में कितने ज्वालामुखी हैं?") is None
    served = languages_of(USE_MODEL)
    assert served is not None and "hi" not in served and "ru" in served
    assert languages_of("any/other-model") is None


def test_a_follow_up_in_another_language_reads_the_earlier_question(answerer: Answerer) -> None:
    answer = answerer.answer(
        "А сколько вулканов в Исландии?", ["When did Eyjafjallajökull erupt?"], force=True
    )
    assert "130 volcanic mountains" in answer.passages[0].text


def test_language_identification_routes_by_script_and_certainty() -> None:
    languages = LanguageIdentifier()
    assert languages.is_foreign("Когда была основана Koryolink?", "en")  # Cyrillic
    assert languages.is_foreign("Koryolink是什么时候成立的？", "en")  # Han
    assert languages.is_foreign("Vasyl Kolomiiets是谁？", "en")  # two Han among many Latin
    assert languages.is_foreign("고려링크는 언제 설립되었나요?", "en")  # Hangul
    assert languages.is_foreign("Wann wurde Koryolink gegründet?", "en")  # sure it is German
    assert not languages.is_foreign("When was Koryolink established?", "en")
    assert not languages.is_foreign("Und Kang Song NET?", "en")  # too short to be sure
    assert not languages.is_foreign("Когда была основана Koryolink?", "ru")
    assert languages.corpus_language(["Der Vulkan ist im Jahr 2010 ausgebrochen."] * 3) == "de"
    assert other_script_share("Koryolink是什么时候成立的？", "LATIN") == 8 / 17
    assert not languages.is_foreign("How do you say Pyongyang (Пхеньян) in English?", "en")


def test_a_latin_question_of_mostly_foreign_words_is_foreign_below_the_usual_certainty(
    answerer: Answerer,
) -> None:
    spanish = "¿De qué empresa importa equipos Corea del Norte?"  # the identifier: 0.85 sure
    assert not LanguageIdentifier().is_foreign(spanish, "en")
    assert answerer.foreign_language(spanish) == "es"
    assert answerer.foreign_language("¿Qué dispositivos se importan?") == "es"
    # misspelt English keeps the English path and its speller, short or long
    assert answerer.foreign_language("wich compnay equipmnt is north korea imprting?") is None
    assert answerer.foreign_language("wat is koryolnk?") is None  # "Dutch" to the identifier


def test_the_engine_builds_and_serves_the_space_when_the_settings_say_so(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERBATIM_MULTILINGUAL_MODEL", "hashing-fake-ml")
    on = Settings(
        corpus_dir=settings.corpus_dir,
        index_dir=settings.index_dir,
        model="hashing-fake",
        multilingual=True,
    )
    engine = Engine.open(on)
    engine.build()
    assert engine.answerer.multilingual is not None
    assert load_version(on.index_dir).manifest.multilingual["model"] == "hashing-fake-ml"
    # a new version while serving is made ready (the word search) before it is switched in
    (on.corpus_dir / "more.txt").write_text("Geysers erupt in Iceland.\n", encoding="utf-8")
    engine.build()
    assert engine.answerer.translator is not None and engine.answerer.translator._search
    off = Engine.open(on.model_copy(update={"multilingual": False}))
    assert off.multilingual is None and off.answerer.multilingual is None


@pytest.mark.parametrize(
    "question",
    [
        "А Kang Song NET?",
        "Und welche Städte zuerst?",
        "¿Y Kang Song NET?",
        "那 Kang Song NET 呢？",
        "Et Kang Song NET ?",
    ],
)
def test_follow_up_cues_in_other_languages(question: str) -> None:
    assert is_follow_up(question)


def test_a_name_only_follow_up_keeps_the_conversations_language(answerer: Answerer) -> None:
    """ "А Eyjafjallajökull?" is mostly a name (no language to tell): after a Russian question
    it is read in the multilingual space, as the conversation is."""
    answer = answerer.answer("А Eyjafjallajökull?", ["Когда извергался вулкан Hekla?"], force=True)
    assert answer.language == "ru"
    assert answerer.answer("And Eyjafjallajökull?", ["When did Hekla erupt?"]).language is None


def test_a_common_word_of_the_questions_language_is_not_taken_for_a_name(
    answerer: Answerer,
) -> None:
    router = LanguageRouter(
        answerer.stored, Speller({"state": 5, "koryolink": 3}), None, shared_identifier()
    )
    # "статьи" in Latin letters is "stati", one edit from "state": but it is common Russian
    assert router.in_documents_spelling("Кто автор статьи?", "ru") == "Кто автор статьи?"
    assert router.in_documents_spelling("когда основали корёлинк", "ru").endswith("Koryolink")


def test_a_name_in_the_questions_alphabet_is_searched_as_the_documents_spell_it(
    answerer: Answerer,
) -> None:
    assert answerer.router.in_documents_spelling("Когда извергалась Гекла?") == (
        "Когда извергалась Hekla?"  # "Gekla": one letter from the documents' "hekla"
    )
    assert answerer.router.in_documents_spelling("متى ثار هيكلا؟") == "متى ثار هيكلا؟"  # no vowels
    assert answerer.router.in_documents_spelling("Когда?") == "Когда?"
