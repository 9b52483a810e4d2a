"""A question in another language put into the documents' words (index.translation): the
words and their vectors stored with the version, and the fused space the multilingual path
reads (retrieval.FusedSpace)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from index.answering import Answerer
from index.build import build_index
from index.config import ChunkingSettings
from index.embedding import NamedEmbedder, Vectors
from index.languages import separate_scripts
from index.spaces import FusedSpace, VectorSpace
from index.store import current_version_path, load_version
from index.translation import (
    MIN_SIMILARITY,
    Vocabulary,
    WordTranslator,
    common_words,
    documents_words,
    embed_vocabulary,
    words_of,
)
from tests.conftest import CountingEmbedder, edit_manifest
from tests.unit.index.test_multilingual import TranslatingEmbedder

_DIM = 16


def _unit(*weights: tuple[int, float]) -> Vectors:
    vector = np.zeros(_DIM, dtype=np.float32)
    for axis, weight in weights:
        vector[axis] = weight
    return vector / np.linalg.norm(vector)


#: Each word's vector: a meaning per axis; "wann" is close to "since" (0.75) but closer to
#: "when" (0.93); "irgendwas" to nothing.
_VECTORS = {
    "founded": _unit((0, 1)),
    "gegründet": _unit((0, 1)),
    "costs": _unit((1, 1)),
    "kosten": _unit((1, 1), (2, 0.3)),
    "since": _unit((3, 1), (4, 0.5)),
    "when": _unit((4, 1)),
    "wann": _unit((4, 1), (3, 0.4)),
    "wurde": _unit((5, 1)),
    "been": _unit((5, 1)),
    "irgendwas": _unit((6, 1)),
    "koryolink": _unit((7, 1)),
    "hat": _unit((8, 1)),
    "has": _unit((8, 1), (9, 0.4)),
    "wer": _unit((10, 1)),
}


class LookupEncoder(NamedEmbedder):
    """A fake multilingual encoder that knows the vectors of ``_VECTORS`` (others: axis 15)."""

    def __init__(self) -> None:
        self._name, self._dimension, self._backend = "lookup-fake", _DIM, "fake"
        self.texts: list[str] = []

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        self.texts += texts
        fallback = _unit((15, 1))
        return np.array([_VECTORS.get(t.casefold(), fallback) for t in texts], dtype=np.float32)


def _translator(own: list[str], common: list[str]) -> WordTranslator:
    """A translator over documents that have the words ``own``."""
    encoder = LookupEncoder()
    have = {w.casefold() for w in own}
    vocabulary = embed_vocabulary(own + common, len(own), encoder)
    return WordTranslator(vocabulary, encoder, lambda word: word.casefold() in have)


def test_words_the_documents_lack_are_put_into_theirs_and_shared_words_stay() -> None:
    translator = _translator(["founded", "costs", "since", "koryolink"], ["when", "been"])
    reading = translator.read("Wann wurde Koryolink gegründet?", "de")
    assert reading.translations == ("when", "been", "founded")
    assert reading.text == "Koryolink when been founded"
    # only what the documents have is lexical evidence: "when" would dilute the overlap
    assert reading.lexical == ("founded",)
    assert translator.read("Was kosten sie?", "de").translations == ("costs",)


def test_a_word_nearer_a_common_word_is_not_put_into_a_documents_word() -> None:
    # "wann" is 0.75 from the documents' "since": without the common words it would become it
    assert float(_VECTORS["wann"] @ _VECTORS["since"]) >= MIN_SIMILARITY
    assert _translator(["since"], []).read("Wann?", "de").translations == ("since",)
    assert _translator(["since"], ["when"]).read("Wann?", "de").translations == ("when",)


def test_a_word_spelt_like_a_common_word_of_its_own_language_is_left_out() -> None:
    translator = _translator(["koryolink"], ["hat", "has"])
    reading = translator.read("Wer hat Koryolink?", "de")
    assert reading.translations == ()  # not "hat", "has"
    assert reading.alike == ("hat",)  # kept aside: the author check reads them
    # "hat" is not a common word of Spanish: there it may well be the English "hat"
    assert translator.read("hat", "es").translations == ("hat",)


def test_a_word_close_to_nothing_is_left_out() -> None:
    translator = _translator(["founded", "since"], ["when"])
    assert translator.read("irgendwas gegründet", "de").translations == ("founded",)
    assert translator.read("irgendwas", "de").text == ""


def test_words_are_embedded_once_and_remembered() -> None:
    translator = _translator(["founded", "costs"], ["when"])
    encoder = translator.encoder
    assert isinstance(encoder, LookupEncoder)
    assert translator.words_to_embed("Wann gegründet?", "de") == ["Wann", "gegründet"]
    translator.read("Wann gegründet?", "de")
    encoder.texts.clear()
    assert translator.words_to_embed("Wann gegründet? Kosten", "de") == ["Kosten"]
    assert translator.read("Kosten gegründet", "de").translations == ("costs", "founded")
    assert encoder.texts == ["Kosten"]


def test_concurrent_readings_are_right_when_the_memory_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import index.translation

    monkeypatch.setattr(index.translation, "_SEEN_WORDS", 3)  # emptied again and again
    translator = _translator(["founded", "costs", "since", "koryolink"], ["when", "been"])
    questions = {
        "Wann wurde Koryolink gegründet": ("when", "been", "founded"),
        "Was kosten": ("costs",),
        "gegründet wurde": ("founded", "been"),
    }

    def ask(question: str) -> bool:
        return all(
            translator.read(question, "de").translations == questions[question] for _ in range(300)
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert all(pool.map(ask, list(questions) * 4))


def test_chinese_is_cut_into_words_and_the_words_inside_them() -> None:
    words = words_of("朝鲜从哪家公司进口设备？Huawei")
    assert {"朝鲜", "公司", "进口", "设备", "进口设备", "Huawei"} <= set(words)
    assert words_of("Wie viele Zeilen hat NTSC?") == ["Wie", "viele", "Zeilen", "hat", "NTSC"]


def test_an_elided_article_is_cut_off_its_word() -> None:
    assert words_of("Qui est l'auteur de l'article ?") == ["Qui", "est", "auteur", "de", "article"]
    assert words_of("Chi ha scritto dell'articolo?") == ["Chi", "ha", "scritto", "articolo"]
    assert words_of("Korea's 3G: don't, I'm, it's") == ["Korea's", "3G", "don't", "I'm", "it's"]


def test_japanese_words_are_its_kanji_and_katakana_runs() -> None:
    # no segmenter for it here, and the Chinese one cut its kana into nonsense words and its
    # kanji into wrong words ("北朝鮮" -> "北朝", "鮮"): each run of kanji or katakana is a word,
    # the hiragana between them (particles, endings) are left out
    assert words_of("記事の著者は誰ですか？") == ["記事", "著者", "誰"]
    # as the answerer reads it: scripts cut apart first (languages.separate_scripts), the
    # long-vowel mark staying in its word
    question = separate_scripts("Koryolinkの北朝鮮の会社はいつ設立されましたか")
    assert words_of(question) == ["Koryolink", "北朝鮮", "会社", "設立"]
    assert words_of(separate_scripts("いつネットワークが作られましたか")) == ["ネットワーク", "作"]
    assert words_of("すごーい") == []  # a long-vowel mark after hiragana is no word
    assert words_of(separate_scripts("北朝鲜的Koryolink")) != ["Koryolink"]  # Chinese is cut


def test_the_documents_words_are_letters_only_without_function_words_most_frequent_first() -> None:
    words = documents_words(["Koryolink was founded in 2008.", "Koryolink and the 3G network"])
    assert words == ["koryolink", "founded", "network"]


def test_common_words_come_from_the_documents_language() -> None:
    english = common_words("en")
    assert "when" in english and "the" in english and len(english) > 5_000
    assert "und" in common_words("de")
    assert common_words("xx") == []


def test_a_vocabulary_re_embeds_only_words_it_has_not_seen() -> None:
    encoder = LookupEncoder()
    first = embed_vocabulary(["founded", "costs", "when"], 2, encoder)
    encoder.texts.clear()
    second = embed_vocabulary(["founded", "since", "when"], 2, encoder, previous=first)
    assert encoder.texts == ["since"]
    assert second.documents == 2 and second.words == ("founded", "since", "when")
    assert np.array_equal(second.vectors[0], first.vectors[0])
    assert np.array_equal(second.vectors[1], _VECTORS["since"])


def test_vocabulary_of_documents_lists_their_words_then_the_common_ones() -> None:
    words, own = Vocabulary.of(["Koryolink was founded in 2008 when"], "en")
    assert words[:own] == ["founded", "koryolink"]
    assert "when" in words[own:] and "founded" not in words[own:]


def _space(name: str, seed: int, dim: int, sentences: int = 12, chunks: int = 5) -> VectorSpace:
    rng = np.random.default_rng(seed)

    def rows(n: int) -> Vectors:
        v = rng.normal(size=(n, dim)).astype(np.float32)
        return np.asarray(v / np.linalg.norm(v, axis=1, keepdims=True), dtype=np.float32)

    return VectorSpace(name, rows(sentences), rows(chunks))


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_a_fused_space_mixes_the_two_cosines_by_its_weight(weight: float) -> None:
    first, second = _space("ml", 1, 8), _space("main", 2, 6)
    fused = FusedSpace(first, second, weight)
    a, b = _unit((0, 1), (3, 1))[:8], _unit((1, 1), (2, 1))[:6]
    query = np.concatenate([a, b]).astype(np.float32)
    assert fused.dimension == 14
    want = (1 - weight) * (first.sentence_vectors @ a) + weight * (second.sentence_vectors @ b)
    assert np.allclose(fused.all_sentences(query[None, :])[:, 0], want, atol=1e-6)
    rows = np.array([4, 1], dtype=np.int64)
    assert np.allclose(fused.sentences(rows, query), want[rows], atol=1e-6)
    chunks = (1 - weight) * (first.chunk_vectors @ a) + weight * (second.chunk_vectors @ b)
    nearest = fused.nearest_chunks(query[None, :], 3)[0]
    # the first space's 3 nearest (the question's own meaning), ordered by the fused cosine
    assert set(nearest) == set(np.argsort(-(first.chunk_vectors @ a))[:3])
    assert list(chunks[nearest]) == sorted(chunks[nearest], reverse=True)


def test_a_space_from_before_the_word_vectors_gets_them_with_nothing_else_re_embedded(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings, caplog: pytest.LogCaptureFixture
) -> None:
    index, main, path = _built(corpus, tmp_path, chunking)
    edit_manifest(path, lambda m: m["multilingual"].pop("words"))  # as written before them
    for old in path.glob("multilingual_word*"):
        old.unlink()
    stored = load_version(index)
    assert stored.multilingual is not None and stored.multilingual.vocabulary is None
    answerer = Answerer(stored, main, multilingual=TranslatingEmbedder())
    assert answerer.translator is None and "no word vectors" in caplog.text
    forced = answerer.answer("Когда извергался вулкан Eyjafjallajökull?", force=True)
    assert "Eyjafjallajökull" in forced.passages[0].text  # still searched, without them

    _rebuild_embeds_only_the_words(corpus, index, main, chunking)


@pytest.mark.parametrize(
    ("name", "wrong"),
    [
        ("multilingual_word_vectors.npy", (3, 128)),
        ("multilingual_words.json", '{"documents": [1]}'),
        ("multilingual_words.json", "{"),
        ("multilingual_word_vectors.npy", ""),  # empty: numpy raises EOFError
    ],
)
def test_unreadable_word_vectors_lose_only_themselves_and_the_next_build_embeds_them(
    corpus: Path,
    tmp_path: Path,
    chunking: ChunkingSettings,
    caplog: pytest.LogCaptureFixture,
    name: str,
    wrong: tuple[int, int] | str,
) -> None:
    index, main, path = _built(corpus, tmp_path, chunking)
    if isinstance(wrong, str):
        (path / name).write_text(wrong, "utf-8")
    else:
        np.save(path / name, np.zeros(wrong, dtype=np.float32))
    stored = load_version(index)  # English questions and the space itself still serve
    assert stored.multilingual is not None and stored.multilingual.vocabulary is None
    assert "multilingual words cannot be read" in caplog.text
    _rebuild_embeds_only_the_words(corpus, index, main, chunking)


def _built(
    corpus: Path, tmp_path: Path, chunking: ChunkingSettings
) -> tuple[Path, CountingEmbedder, Path]:
    """An index with the multilingual space: its folder, main embedder and version folder."""
    index, main = tmp_path / "index", CountingEmbedder()
    build_index(corpus, index, main, chunking, multilingual=TranslatingEmbedder())
    path = current_version_path(index)
    assert path is not None
    return index, main, path


def _rebuild_embeds_only_the_words(
    corpus: Path, index: Path, main: CountingEmbedder, chunking: ChunkingSettings
) -> None:
    embedded, ml = len(main.texts), TranslatingEmbedder()
    summary = build_index(corpus, index, main, chunking, multilingual=ml)
    assert summary.written and summary.remade == "multilingual words"
    assert "the documents' words embedded in the multilingual space" in summary.line()
    assert len(main.texts) == embedded
    vocabulary = load_version(index).multilingual.vocabulary  # type: ignore[union-attr]
    assert vocabulary is not None and sorted(ml.texts) == sorted(vocabulary.words)
