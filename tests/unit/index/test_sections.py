"""A sentence is read with its section's heading: "Price: €1,790." under "Corvo Deluxe" is
about the Deluxe (a trial's product page: "What colours is the Uno available in?" was
declined, its answer "Available in matte black and cream white." naming no model)."""

from pathlib import Path

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
    # not the title: its words would be in every sentence's context (a question sharing
    # them, "Which cities get the upgrade first?" of the bundled article, seemed answered)
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
