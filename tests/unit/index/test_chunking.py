from itertools import pairwise

import pytest

from index.chunking import chunk_document, split_sentences
from index.config import ChunkingSettings, chunking_settings
from index.documents import read_document
from index.errors import ConfigError
from tests.conftest import ARTICLE


def test_sentences_keep_exact_offsets() -> None:
    text = "Dr. Smith arrived at 5 p.m. on Monday. He left!\n\n" + (
        'U.S. officials said "no." Then 3 more came.'
    )
    spans = split_sentences(text)
    pieces = [text[s.start : s.end] for s in spans]
    assert pieces == [
        "Dr. Smith arrived at 5 p.m. on Monday.",
        "He left!",
        'U.S. officials said "no."',
        "Then 3 more came.",
    ]
    assert [s.paragraph for s in spans] == [0, 0, 1, 1]


@pytest.mark.parametrize(("size", "overlap"), [(300, 40), (500, 100), (1200, 0)])
def test_chunks_are_verbatim_bounded_and_overlapping(size: int, overlap: int) -> None:
    doc = read_document(ARTICLE, ARTICLE.parent)
    chunks = chunk_document(doc, ChunkingSettings(chunk_size=size, chunk_overlap=overlap))
    assert chunks
    for chunk in chunks:
        text = chunk.chunk_text(doc)
        assert text.strip() and text == doc.text[chunk.start : chunk.end]
        assert len(text) <= size
    # Every sentence of the document is in some chunk.
    covered: set[int] = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    for span in split_sentences(doc.text):
        assert span.start in covered
    if overlap and len(chunks) > 1:
        assert any(b.start < a.end for a, b in pairwise(chunks))
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_chunk_ids_are_stable() -> None:
    doc = read_document(ARTICLE, ARTICLE.parent)
    settings = ChunkingSettings()
    assert [c.chunk_id for c in chunk_document(doc, settings)] == [
        c.chunk_id for c in chunk_document(doc, settings)
    ]


def test_long_sentence_is_cut_at_words() -> None:
    from index.chunking import sentences_for
    from index.types import Document

    text = " ".join(["word"] * 400)
    doc = Document("d", "d.txt", "d", text, "h")
    spans = sentences_for(doc, 150)
    assert all(s.end - s.start <= 150 for s in spans)
    assert all(text[s.start : s.end].strip() == text[s.start : s.end] for s in spans)


@pytest.mark.parametrize(("size", "overlap"), [(50, 0), (500, 300), (500, -1), (10_000, 0)])
def test_bad_chunk_settings_are_rejected(size: int, overlap: int) -> None:
    with pytest.raises(ConfigError, match="VERBATIM_CHUNK"):
        chunking_settings(size, overlap)


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (  # web and review text that lost the space after the full stop
            "Blood tests are the most common tests.If only a few drops are needed, prick.",
            ["Blood tests are the most common tests.", "If only a few drops are needed, prick."],
        ),
        (
            "It has 307,930 people (2010 census).From 1921 it was free. Great!The end.",
            [
                "It has 307,930 people (2010 census).",
                "From 1921 it was free.",
                "Great!",
                "The end.",
            ],
        ),
        ("In 2008.The network began.", ["In 2008.", "The network began."]),
        (  # names in code: the word after the dot does not open sentences
            "Call fmt.Println to print, os.Exit to stop, time.Now for the clock (models.Model).",
            ["Call fmt.Println to print, os.Exit to stop, time.Now for the clock (models.Model)."],
        ),
        (  # a token far longer than a word (a hash, a path, code) ends no sentence; nor, read
            # in time linear in its length, does a long run of dotted pieces
            "x" * 60 + "aa.The end. " + "aa.Bb," * 3000,
            ["x" * 60 + "aa.The end. " + "aa.Bb," * 3000],
        ),
        ("I bought it for my son.He's happy.", ["I bought it for my son.", "He's happy."]),
        (  # dotted names, addresses, abbreviations and initials are not boundaries
            "Use Console.WriteLine and Math.Max(a) here. See www.example.Com or St.Petersburg "
            "e.g.The U.S.A. is big.",
            [
                "Use Console.WriteLine and Math.Max(a) here.",
                "See www.example.Com or St.Petersburg e.g.The U.S.A. is big.",
            ],
        ),
    ],
)
def test_a_boundary_without_its_space_ends_a_sentence(text: str, pieces: list[str]) -> None:
    assert [text[s.start : s.end] for s in split_sentences(text)] == pieces


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        (  # capitals of other scripts open sentences as Latin ones do
            "Северная Корея модернизирует сети. Оборудование поставляет Huawei. Это так.",
            ["Северная Корея модернизирует сети.", "Оборудование поставляет Huawei.", "Это так."],
        ),
        ("Η Κορέα αναβαθμίζει. Οι πόλεις πρώτα.", ["Η Κορέα αναβαθμίζει.", "Οι πόλεις πρώτα."]),
        (  # scripts without capitals, and the Arabic question mark
            "هل هذا صحيح؟ نعم. شكرا.",
            ["هل هذا صحيح؟", "نعم.", "شكرا."],
        ),
        (  # the danda ends Hindi sentences; a full stop there abbreviates
            'यह सच है। हाँ। A book entitled "डॉ. आनंदीबाई जोशी" was written.',
            ["यह सच है।", "हाँ।", 'A book entitled "डॉ. आनंदीबाई जोशी" was written.'],
        ),
        (  # full-width marks need no space after them
            "朝鲜正在升级其移动网络。该设备来自华为！运营商有两家？是的。",
            ["朝鲜正在升级其移动网络。", "该设备来自华为！", "运营商有两家？", "是的。"],
        ),
        (  # ... but a quote's mark followed by a particle goes on
            "「行こう！」と彼は言った。次の文です。",
            ["「行こう！」と彼は言った。", "次の文です。"],
        ),
        (  # German ordinal dates and centuries are not sentence ends; a year is
            "Am 3. Oktober begann es. Im 19. Jahrhundert war es so. Er kam 2008. Dann ging er.",
            [
                "Am 3. Oktober begann es.",
                "Im 19. Jahrhundert war es so.",
                "Er kam 2008.",
                "Dann ging er.",
            ],
        ),
        ("Er sagte „Das ist gut.“ Dann ging er.", ["Er sagte „Das ist gut.“", "Dann ging er."]),
        (  # abbreviated months, and any noun after an article English lacks
            "Am 3. Okt. begann es. Er belegte den 3. Platz. Nach dem 2. Weltkrieg. "
            "I got 3. Jan left.",
            [
                "Am 3. Okt. begann es.",
                "Er belegte den 3. Platz.",
                "Nach dem 2. Weltkrieg.",
                "I got 3.",
                "Jan left.",
            ],
        ),
        ("你好吗?我很好!谢谢。", ["你好吗?", "我很好!", "谢谢。"]),  # ASCII marks in Chinese
        (  # a month spelt as in English is a German date only after a German word
            "He was 21. September brought rain. Am 21. September begann es.",
            ["He was 21.", "September brought rain.", "Am 21. September begann es."],
        ),
        (  # lower case still goes on; English is cut as before
            "In 1998. the end. Dr. Smith left at 5 p.m. yesterday. He was 3. Then 4.",
            ["In 1998. the end.", "Dr. Smith left at 5 p.m. yesterday.", "He was 3.", "Then 4."],
        ),
    ],
)
def test_sentences_of_other_languages_end_where_they_should(text: str, pieces: list[str]) -> None:
    spans = split_sentences(text)
    assert [text[s.start : s.end] for s in spans] == pieces


def test_the_splitter_stays_linear_on_long_lines() -> None:
    """Every boundary's checks read a few characters around it, not the line before it."""
    import time

    started = time.perf_counter()
    for text in ("3. " * 100_000, "xx. Ä" * 60_000, "。" * 300_000, "am 3. April " * 30_000):
        assert split_sentences(text)
    assert time.perf_counter() - started < 10  # quadratic, these took hours


def test_a_list_items_marker_is_not_part_of_its_sentence() -> None:
    """The highlight (and a link to it in the page) starts at the item's first word."""
    text = (
        "- Parking at the field costs 1,000 krónur a day. It is cheap.\n"
        "• Your e-mail address.\n-5 degrees is cold. A - B."
    )
    pieces = [text[s.start : s.end] for s in split_sentences(text)]
    assert pieces == [
        "Parking at the field costs 1,000 krónur a day.",
        "It is cheap.",
        "Your e-mail address.",
        "-5 degrees is cold.",
        "A - B.",
    ]


def test_the_number_of_a_step_or_section_is_no_sentence_of_its_own() -> None:
    """A user's manual: "## 3. Replacing the cartridge" was two sentences, "3." and the
    heading, and a quote ended on a stray "3."; the number stays in its sentence (a German
    date or club opens with one); a decimal or a year is not such a number."""
    for text, pieces in (
        ("3. Replacing the cartridge", ["3. Replacing the cartridge"]),
        ("2. Screw the adapter on. Then wait.", ["2. Screw the adapter on.", "Then wait."]),
        ("2.1. Scope of this policy", ["2.1. Scope of this policy"]),
        ("4) Open the valve.", ["4) Open the valve."]),
        ("2. Oktober 2024 war ein Dienstag.", ["2. Oktober 2024 war ein Dienstag."]),
        ("1. FC Köln gewann. Es regnete.", ["1. FC Köln gewann.", "Es regnete."]),
        ("12.5 percent rose. It fell.", ["12.5 percent rose.", "It fell."]),
        ("1984. It was a year.", ["1984.", "It was a year."]),
        ("I got 3. Then more.", ["I got 3.", "Then more."]),
    ):
        assert [text[s.start : s.end] for s in split_sentences(text)] == pieces


def test_an_abbreviation_that_ends_a_sentence_before_it_or_the() -> None:
    """A user's page: "…to 5 p.m. It is closed on Sundays." was one sentence, so the question
    about Sundays highlighted both; a name after the abbreviation keeps the sentence whole."""
    for text, pieces in (
        (
            "Open from 9 a.m. to 5 p.m. It is closed on Sundays.",
            ["Open from 9 a.m. to 5 p.m.", "It is closed on Sundays."],
        ),
        ("Made by Acme Inc. The company grew.", ["Made by Acme Inc.", "The company grew."]),
        ("Pears, plums, etc. They are fruit.", ["Pears, plums, etc.", "They are fruit."]),
        ("It opens at 5 p.m. Eastern time.", ["It opens at 5 p.m. Eastern time."]),
        ("Acme Inc. Paris is its office.", ["Acme Inc. Paris is its office."]),
        ("Dr. It is a name here.", ["Dr. It is a name here."]),
    ):
        assert [text[s.start : s.end] for s in split_sentences(text)] == pieces


def test_a_quoted_question_and_who_asked_it_are_one_sentence() -> None:
    """A trial's story: '"Why did nobody use it?" Ilse asked.' left "Ilse asked." a sentence
    of its own, the best match of a question about Ilse."""
    text = (
        '"Why did nobody use it after the road was built?" Ilse asked. Her father laughed. '
        '"Go!" Mr. Brandauer shouted, and she went. "Really?" The crowd cheered.'
    )
    assert [text[s.start : s.end] for s in split_sentences(text)] == [
        '"Why did nobody use it after the road was built?" Ilse asked.',
        "Her father laughed.",
        '"Go!" Mr. Brandauer shouted, and she went.',
        '"Really?"',
        "The crowd cheered.",
    ]
    told = 'The crowd chanted "Resign now!" Police said 200 people attended.'
    assert len(split_sentences(told)) == 2  # a reviewer's: "said" goes on, no speech tag
