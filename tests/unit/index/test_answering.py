"""Answering over small corpora with a fake embedder: quotes, declines, cleaning, follow-ups.

One module (about 310 lines): the answer's contract, from the question's cleaning to the
passage quoted, over the shared fixtures' corpus."""

from pathlib import Path

import pytest

from index.answering import clean_question
from index.embedding import SentenceTransformerEmbedder
from index.engine import Engine
from index.errors import QuestionError
from index.follow_ups import is_follow_up, topic_of
from index.quoting import MAX_PASSAGE_CHARS, MIN_PASSAGE_CHARS
from tests.conftest import engine_over


def test_answer_quotes_verbatim_with_highlight(engine: Engine) -> None:
    answer = engine.answer("When did Eyjafjallajökull erupt and disrupt air travel?")
    assert answer.answered
    first = answer.passages[0]
    assert "2010" in first.highlight
    assert first.title == "Volcanoes of Iceland"
    docs = {d.source: d for d in engine.answerer.stored.documents}
    for p in answer.passages:
        assert docs[p.source].text[p.start : p.end] == p.text
        assert p.highlight in p.text
        assert p.text[p.highlight_start - p.start :].startswith(p.highlight)
        assert len(p.text) <= 600


def test_unrelated_question_is_declined(engine: Engine) -> None:
    answer = engine.answer("What is the best recipe for banana bread?")
    assert not answer.answered
    assert answer.passages == ()


def test_a_year_the_quote_does_not_hold_is_not_answered(engine: Engine) -> None:
    """A fourth trial's report on 2023 answered "How many food parcels were given out in
    2021?" with its 2023 figure: a year the question names must be in the quote, its section
    or its document's title."""
    right = engine.answer("Did Eyjafjallajökull erupt and disrupt air travel in 2010?")
    assert right.answered and "2010" in right.passages[0].text
    other = engine.answer("Did Eyjafjallajökull erupt and disrupt air travel in 1999?")
    assert not other.answered and other.passages == ()
    forced = engine.answer("Did Eyjafjallajökull erupt and disrupt air travel in 1999?", force=True)
    assert forced.passages and not forced.answered  # quoted when asked to quote anyway


def test_json_shape(engine: Engine) -> None:
    data = engine.answer("Which Koryolink joint venture was established in 2008?").to_json()
    # "language": additive (issue 14), null for a question in the documents' language
    assert set(data) == {"question", "answered", "confidence", "language", "passages"}
    assert data["language"] is None
    assert isinstance(data["confidence"], float) and 0.0 <= data["confidence"] <= 1.0
    assert data["answered"] is True
    passage = data["passages"][0]  # type: ignore[index]
    contract = {"text", "highlight", "title", "source", "start", "end", "score"}
    assert set(passage) == contract | {"url", "section", "link", "page"}  # citation: additive


@pytest.mark.parametrize("question", ["", "   ", "\u200b\u200b", "?!..."])
def test_empty_questions_are_refused(question: str) -> None:
    with pytest.raises(QuestionError):
        clean_question(question)


def test_long_question_is_refused_with_its_length() -> None:
    with pytest.raises(QuestionError, match="10,000 characters"):
        clean_question("a" * 10_000)


def test_question_is_cleaned() -> None:
    assert clean_question("  When\u200b was\tit\x00 built?\n") == "When was it built?"
    # Markup is dropped (scripts with their content); comparisons and entities survive.
    assert clean_question("<b>When</b> was <script>x</script>it?") == "When was it?"
    assert clean_question("Is 1 < 2 &amp; 3 > 2?") == "Is 1 < 2 & 3 > 2?"
    with pytest.raises(QuestionError):
        clean_question("<p><br/></p>")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("And Kang Song NET?", True),
        ("What about Kang Song NET?", True),
        ("When did it start?", True),
        ("Who founded it?", True),
        ("When was Koryolink established?", False),
        ("Which cities will get 4G networks first in North Korea?", False),
        # "there" that says something exists, in a question that names where, points nowhere
        # (a helper found this question quoting the previous topic's passage); without a
        # place of its own, or as a place, it still leans on the last turn
        ("How many mobile operators are there in North Korea?", False),
        ("Is there a 4G network in Pyongyang?", False),
        ("In North Korea, how many operators are there?", False),
        ("Was there a discount?", True),
        ("How many are there in Pyongyang?", True),  # names where, not what
        ("Who lives there?", True),
        # a few words that ask nothing of their own lean on the last turn (a trial: "the Vela
        # X" after "How heavy is it?"); a short order or a whole question does not
        ("the Vela X", True),
        ("Samuel?", True),
        ("in 2019?", True),
        ("reset password", False),
        ("Koryolink established when", False),
        ("Is Koryolink a joint venture?", False),
        ("Кто автор?", False),
        ("a", False),  # another script: its own path reads it (index.routing)
    ],
)
def test_follow_up_detection(question: str, expected: bool) -> None:
    assert is_follow_up(question) is expected


@pytest.mark.integration
def test_a_few_words_that_the_context_does_not_answer_are_asked_alone(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    """A reviewer: "thanks" after "When was Koryolink established?" quoted the Koryolink
    sentence again (confidence 0.87); read as a follow-up only for being a few words, a
    question whose words the quote in context lacks is asked on its own: declined."""
    engine = engine_over(
        tmp_path,
        "nk.txt",
        "Networks\n\nKoryolink was established in 2008 as a joint venture between Orascom "
        "and the state-owned Korean Post & Telecoms Corporation.\n\n"
        "Kang Song NET began operating in 2015 and serves the capital.\n",
        real_embedder,
    )
    history = ["When was Koryolink established?"]
    assert is_follow_up("thanks")
    assert not engine.answer("thanks", history, k=1).answered
    # a name the context's quote holds is still read in context
    named = engine.answer("Kang Song NET?", history, k=1)
    assert named.answered and "2015" in named.passages[0].highlight


def test_the_topic_is_borrowed_only_for_follow_ups() -> None:
    history = ["When was Koryolink established?"]
    assert topic_of(history) == "When was Koryolink established?"
    assert is_follow_up("And Kang Song NET?") and not is_follow_up("Where is Hekla?")
    assert topic_of([]) is None


def test_follow_up_is_answered_in_context(engine: Engine) -> None:
    first = engine.answer("When did Hekla erupt?")
    assert first.answered and "2000" in first.passages[0].highlight
    follow = engine.answer("And Eyjafjallajökull?", ["When did Hekla erupt?"])
    assert follow.answered
    assert "Eyjafjallajökull" in follow.passages[0].highlight
    assert follow.resolved_question.startswith("When did Hekla erupt?")


def test_engine_picks_up_a_new_build(engine: Engine) -> None:
    question = "How often does Strokkur geyser erupt?"
    # ``force`` quotes the best passages whatever the confidence: this test is about which
    # index answers, not about the abstention threshold (calibrated for the real model).
    before = engine.answer(question, force=True)
    assert all("Strokkur" not in p.text for p in before.passages)
    corpus = engine.settings.corpus_dir
    (corpus / "geysers.txt").write_text(
        "Geysers\n\nThe Strokkur geyser erupts every few minutes.\n"
    )
    other = Engine(engine.settings, engine.embedder)  # e.g. `verbatim index build` elsewhere
    other.build()
    assert engine.refresh()
    answer = engine.answer(question, force=True)
    assert answer.passages and "Strokkur" in answer.passages[0].highlight


def test_large_index_mode_scores_only_candidate_sentences_with_the_same_answers(
    engine: Engine,
) -> None:
    """Past SCAN_ALL_SENTENCES_UP_TO sentences a question is not scored against every
    sentence; on questions whose answer the nearest chunks hold, the quotes are the same."""
    from index.answering import Answerer
    from index.retrieval import Retriever

    stored = engine.answerer.stored
    full = Answerer(stored, engine.embedder)
    partial = Answerer(stored, engine.embedder)
    partial.retriever = Retriever(stored, scan_all_up_to=0)
    assert full.retriever.scan_all and not partial.retriever.scan_all
    for question in [
        "When did Hekla erupt?",
        "When was Koryolink established?",
        "How many volcanic mountains does Iceland have?",
    ]:
        a, b = full.answer(question, force=True), partial.answer(question, force=True)
        assert a.passages[0].highlight == b.passages[0].highlight
        assert abs(a.passages[0].score - b.passages[0].score) < 1e-5


def test_a_heading_is_quoted_with_what_it_heads(tmp_path: Path) -> None:
    """A title or heading line alone says nothing: when it is the best match, the quote goes
    on into the section it heads (still a verbatim slice, within the passage limit), and the
    highlight is the section's first sentence, not the line."""
    engine = engine_over(
        tmp_path,
        "geysers.md",
        "# Geysers of Iceland\n\n"
        "Strokkur geyser\n\n"
        "It erupts every few minutes, throwing water up to 40 metres high. "
        "Visitors gather around it all day.\n\n"
        "Geysir itself has been mostly quiet since the 1916 earthquakes.\n",
    )
    answer = engine.answer("Strokkur geyser?", k=1)
    assert answer.answered
    passage = answer.passages[0]
    assert passage.text.startswith("Strokkur geyser")
    assert passage.highlight == "It erupts every few minutes, throwing water up to 40 metres high."
    assert passage.text[passage.highlight_start - passage.start :].startswith(passage.highlight)
    assert "Geysir" not in passage.text  # the next paragraph is not what the heading heads
    doc = engine.answerer.stored.documents[0]
    assert doc.text[passage.start : passage.end] == passage.text
    assert len(passage.text) <= 600


def test_a_title_is_quoted_past_the_lines_under_it_to_what_it_heads(tmp_path: Path) -> None:
    """A user's report: "How many incidents did Northwind have in Q3?" matched the title best,
    and the quote stopped at "Prepared by: …" (a line that says nothing) with the title in
    bold; it goes on past such lines (four at most) to the paragraph they head. Under a
    heading, a list's first item says little: its next items are quoted too, not the next
    section."""
    engine = engine_over(
        tmp_path,
        "report.txt",
        "Northwind Quarterly Incident Report Q3\n\n"
        "Prepared by: Operations Safety Office\n\n"
        "Reviewed by: Dr. Priya Natarajan\n\n"
        "1. Summary\n\n"
        "During the third quarter the company recorded 14 workplace incidents. "
        "Two of them caused lost working time.\n\n"
        "2. Causes\n\n"
        "Most incidents happened while loading trucks at night.\n",
    )
    passage = engine.answer("Northwind Quarterly Incident Report Q3", k=1, force=True).passages[0]
    assert passage.text.startswith("Northwind Quarterly Incident Report Q3\n\nPrepared by")
    assert "Reviewed by" in passage.text  # three such lines (a second trial's report)
    assert (
        passage.highlight == "During the third quarter the company recorded 14 workplace incidents."
    )
    assert "Causes" not in passage.text  # what the title heads, not the next section
    steps = (
        engine_over(
            tmp_path / "steps",
            "guide.md",
            "# Filter guide\n\n## 3. Replacing the cartridge\n\n1. Empty the jug.\n"
            "2. Twist the old cartridge out.\n3. Push the new one in.\n\n## 4. Cleaning\n\n"
            "Wash the jug by hand.\n",
        )
        .answer("Replacing the cartridge", k=1, force=True)
        .passages[0]
    )
    assert steps.highlight == "1. Empty the jug."
    assert steps.text.endswith("3. Push the new one in.")  # not "4. Cleaning"


def test_a_bot_mention_is_not_part_of_the_question() -> None:
    assert (
        clean_question("@verbatim_bot When was Koryolink established?")
        == "When was Koryolink established?"
    )
    assert clean_question("When was it founded, @SomeBot?") == "When was it founded, ?"
    # a person's handle or an e-mail address stays: only bot usernames address the bot
    assert clean_question("Who is @alice?") == "Who is @alice?"
    assert clean_question("@bot Who wrote it?") == "Who wrote it?"
    assert clean_question("Mail robot@example.org") == "Mail robot@example.org"
    with pytest.raises(QuestionError, match="empty"):
        clean_question("@verbatim_bot")


def test_a_short_paragraph_is_quoted_with_the_paragraphs_around_it(tmp_path: Path) -> None:
    """A one-line paragraph (a list item) is quoted with its neighbours up to half the limit;
    a long one stays alone, and the highlight is the sentence found either way."""
    long = " ".join(
        f"Retention rule {i} keeps the backups of region {i} for a year." for i in range(8)
    )
    engine = engine_over(
        tmp_path,
        "policy.txt",
        "Privacy policy\n\n"
        "We collect the following data when you register.\n\n"
        "Your e-mail address.\n\n"
        "Your telephone number, to send you login codes.\n\n"
        f"{long}\n\n"
        "Contact the data protection officer at the address below.\n",
    )
    passage = engine.answer("Do you collect my e-mail address?", k=1, force=True).passages[0]
    assert passage.highlight == "Your e-mail address."
    assert "We collect the following data" in passage.text and "telephone number" in passage.text
    assert MIN_PASSAGE_CHARS <= len(passage.text) <= MAX_PASSAGE_CHARS
    doc = engine.answerer.stored.documents[0]
    assert doc.text[passage.start : passage.end] == passage.text
    far = engine.answer("How long are the backups of region 3 kept?", k=1, force=True).passages[0]
    assert "Retention rule" in far.highlight and "\n" not in far.text  # long enough alone
