"""A sentence is read with its section's heading: "Price: €1,790." under "Corvo Deluxe" is
about the Deluxe (a trial's product page: "What colours is the Uno available in?" was
declined, its answer "Available in matte black and cream white." naming no model)."""

from pathlib import Path

import numpy as np

from index.text_features import refers_back
from index.types import SentenceHit
from tests.conftest import engine_over

PAGE = (
    "Corvo espresso machines\n\n"
    "Every Corvo machine is designed in Turin and assembled in Brno.\n\n"
    "Corvo Uno\n\n"
    "The Uno has a single boiler that switches between brewing and steaming.\n\n"
    "Price: €549. Available in matte black and cream white.\n\n"
    "Delivery takes three days.\n\n"
    "Corvo Deluxe\n\n"
    "The Deluxe adds a rotary pump and a larger steam boiler.\n\n"
    "Price: €1,790. Available in stainless steel only.\n"
)


def test_each_sentence_knows_its_sections_heading(tmp_path: Path) -> None:
    engine = engine_over(tmp_path, "corvo.txt", PAGE)
    retriever = engine.answerer.retriever
    texts = list(retriever.sentence_texts)
    heading = {texts[i]: texts[int(h)] for i, h in enumerate(retriever.heading_row)}
    assert heading["Price: €549."] == "Corvo Uno"
    assert heading["Available in stainless steel only."] == "Corvo Deluxe"
    assert heading["Corvo Deluxe"] == "Corvo Deluxe"
    # not the title (a quote is not cited under it; its words are read apart: ``title_row``)
    first = "Every Corvo machine is designed in Turin and assembled in Brno."
    assert heading[first] == first


def test_the_heading_counts_as_the_sentences_context(tmp_path: Path) -> None:
    engine = engine_over(tmp_path, "corvo.txt", PAGE)
    ranked, _ = engine.answerer.ranking("Which colours is the Corvo Uno available in?")
    texts = engine.answerer.retriever.sentence_texts.take(ranked.rows)
    at = texts.index("Available in matte black and cream white.")
    # "Corvo" and "Uno" come from the heading two paragraphs up, not from its neighbours
    assert ranked.features.overlap_window[at] > ranked.features.overlap[at]
    deluxe = texts.index("Available in stainless steel only.")
    assert ranked.features.overlap_window[at] > ranked.features.overlap_window[deluxe]


VIADUCT = (
    "Edmund Lyle, engineer\n\n"
    "Edmund Lyle built railways in the north of England.\n\n"
    "The Corran Water Viaduct\n\n"
    "Lyle's reputation rests on the Corran Water Viaduct in the Borders. Built between 1855 "
    "and 1858, it has 21 stone arches and stands 38 metres above the river. The stone came "
    "from quarries at Whinfell.\n\n"
    "Marriage\n\n"
    "In 1852 Lyle married Margaret Cairns. They had three children.\n"
)


def test_a_sentence_that_refers_back_is_read_with_the_one_before_it(tmp_path: Path) -> None:
    """A trial's biography: "How tall is the Corran Water Viaduct?" bolded the sentence that
    names the viaduct, not "Built …, it … stands 38 metres above the river.": the words the
    question shares with the answer were in the sentence before it."""
    engine = engine_over(tmp_path, "lyle.txt", VIADUCT)
    ranked, _ = engine.answerer.ranking("How tall is the Corran Water Viaduct?")
    texts = engine.answerer.retriever.sentence_texts.take(ranked.rows)
    answer = texts.index(
        "Built between 1855 and 1858, it has 21 stone arches and stands 38 metres above the river."
    )
    named = texts.index("Lyle's reputation rests on the Corran Water Viaduct in the Borders.")
    assert ranked.features.overlap[answer] == ranked.features.overlap[named] > 0
    # a sentence that does not refer back keeps its own words only
    stone = texts.index("The stone came from quarries at Whinfell.")
    assert ranked.features.overlap[stone] == 0
    children, _ = engine.answerer.ranking("How many children did Margaret Cairns have?")
    texts = engine.answerer.retriever.sentence_texts.take(children.rows)
    assert children.features.overlap[texts.index("They had three children.")] == max(
        children.features.overlap
    )


def test_what_refers_back() -> None:
    assert refers_back("They had three children.")
    assert refers_back("In 1841 he went to Glasgow.")
    assert refers_back("Built between 1855 and 1858, it has 21 stone arches.")
    assert refers_back("This made it the longest bridge in Scotland.")
    assert refers_back("It’s the oldest.")
    # a possessive further on points inside its own sentence (a reviewer's hotel page)
    assert not refers_back("The restaurant and its terrace open at 7am.")
    assert not refers_back("In 1852 Lyle married Margaret Cairns, whom he had met in Glasgow.")
    assert not refers_back("Lyle was born on 2 May 1824.")


def test_under_a_heading_the_best_rated_sentence_is_the_highlight(tmp_path: Path) -> None:
    """A heading that wins says nothing itself: the quote goes on to what it heads, and the
    highlight is the sentence of it the ranker rates best, not simply the first."""
    engine = engine_over(tmp_path, "lyle.txt", VIADUCT)
    answerer = engine.answerer
    sentences = answerer.stored.sentences
    texts = list(answerer.retriever.sentence_texts)
    row = {text: i for i, text in enumerate(texts)}
    heading = SentenceHit(sentences[row["The Corran Water Viaduct"]], 5.0)
    height = row[
        "Built between 1855 and 1858, it has 21 stone arches and stands 38 metres above the river."
    ]
    named = row["Lyle's reputation rests on the Corran Water Viaduct in the Borders."]
    passage = answerer.quoter.window(
        heading, scores={heading.sentence.row: 5.0, named: 1.0, height: 3.0}
    )
    assert passage.highlight == texts[height]
    # only when rated much better than the first (odds at least twice): "Who is Tom Reyes?"
    # keeps the first sentence under his name
    near = answerer.quoter.window(
        heading, scores={heading.sentence.row: 5.0, named: 2.8, height: 3.0}
    )
    assert near.highlight == texts[named]
    assert passage.text.startswith("The Corran Water Viaduct")
    # without the ranker's scores (or none for that paragraph): its first sentence
    assert answerer.quoter.window(heading).highlight == texts[named]
    assert answerer.quoter.window(heading, scores={}).highlight == texts[named]


BRIDGE = (
    "Quarry Lane Bridge reopens after two-year restoration\n\n"
    "Crowds lined both banks of the river on Saturday as the Quarry Lane Bridge reopened.\n\n"
    "The bridge was designed by the engineer Thomas Aldane and opened in 1903.\n\n"
    "Sights\n\n"
    "The Museum of the River. Housed in a former flour mill, the museum tells the story of "
    "the river. The museum is open from Tuesday to Saturday, 10:00 to 17:00.\n\n"
    "2.5 Overtime. Staff at grades 1 to 4 are paid for approved overtime.\n\n"
    "4.1 Salaries are paid. They are paid on the 25th of each month.\n"
)


def test_a_sentence_is_read_with_its_documents_title_and_its_run_in_heading(
    tmp_path: Path,
) -> None:
    """A fourth trial: "Who designed the Quarry Lane Bridge?" quoted the sentences naming the
    bridge, not "The bridge was designed by…" (the title names it); "When is the Museum of
    the River open?" bolded the run-in heading "The Museum of the River." and not the hours."""
    engine = engine_over(tmp_path, "bridge.txt", BRIDGE)
    retriever = engine.answerer.retriever
    texts = list(retriever.sentence_texts)
    row = {t: i for i, t in enumerate(texts)}
    title = row["Quarry Lane Bridge reopens after two-year restoration"]
    assert retriever.title_row[row["Sights"]] == title
    museum = row["The Museum of the River."]
    hours = row["The museum is open from Tuesday to Saturday, 10:00 to 17:00."]
    assert retriever.run_in_rows(np.asarray([hours, museum])).tolist() == [museum, museum]
    assert (
        retriever.run_in_rows(
            np.asarray([row["Staff at grades 1 to 4 are paid for approved overtime."]])
        )[0]
        == (row["2.5 Overtime."])
    )
    paid = row["They are paid on the 25th of each month."]
    assert (
        retriever.run_in_rows(np.asarray([paid]))[0] == paid
    )  # "4.1 Salaries are paid." is a sentence

    ranked, _ = engine.answerer.ranking("Who designed the Quarry Lane Bridge?")
    at = {t: i for i, t in enumerate(retriever.sentence_texts.take(ranked.rows))}
    designed = at["The bridge was designed by the engineer Thomas Aldane and opened in 1903."]
    crowds = at[
        "Crowds lined both banks of the river on Saturday as the Quarry Lane Bridge reopened."
    ]
    assert ranked.features.overlap[designed] == 1.0 > ranked.features.overlap[crowds]
    # whether the documents answer at all reads the text's own words: the title's are in
    # every sentence's context
    assert ranked.features.overlap_said[designed] < 1.0
    assert ranked.features.overlap_said[crowds] == ranked.features.overlap[crowds]
    ranked, _ = engine.answerer.ranking("When is the Museum of the River open?")
    at = {t: i for i, t in enumerate(retriever.sentence_texts.take(ranked.rows))}
    assert ranked.features.overlap[at[texts[hours]]] == 1.0

    heading = SentenceHit(engine.answerer.stored.sentences[museum], 1.0)
    housed = museum + 1
    passage = engine.answerer.quoter.window(heading, scores={museum: 5.0, housed: 1.0, hours: 6.0})
    assert passage.highlight == texts[hours]  # rated far better than the first after it
    first = engine.answerer.quoter.window(heading, scores={museum: 5.0, housed: 1.0, hours: 0.1})
    assert first.highlight.startswith("Housed in a former flour mill")
    assert first.text.startswith("The Museum of the River.")
