"""Quotes of a FAQ's questions and answers, and follow-ups over them: the text's own question is
not its answer, a question in prose is, and a follow-up is answered with what it adds."""

from pathlib import Path

import pytest

from index.embedding import SentenceTransformerEmbedder
from tests.conftest import engine_over


def test_a_question_of_the_text_is_quoted_with_its_answer_highlighted(tmp_path: Path) -> None:
    """A FAQ: the best match is often the document's own question ("Q: Can I bring my
    dog?"); the highlight is the sentence after it, the quote the question and its answer's
    paragraph, not grown into the answer before or the question after (a user saw
    "Q: Can I bring my dog?" in bold and a quote ending on the next "Q:")."""
    engine = engine_over(
        tmp_path,
        "faq.txt",
        _faq(
            "Harbour Coworking: questions and answers",
            ("How much is a day pass?", "A day pass costs 27 EUR and includes coffee."),
            (
                "Can I bring my dog?",
                "Yes, dogs are welcome on the second floor only. Keep them on a leash.",
            ),
            ("Is there parking?", "We have no parking of our own."),
        ),
    )
    passage = engine.answer("Can I bring my dog?", k=1, force=True).passages[0]
    assert passage.highlight == "A: Yes, dogs are welcome on the second floor only."
    assert passage.text == (
        "Q: Can I bring my dog?\n\n"
        "A: Yes, dogs are welcome on the second floor only. Keep them on a leash."
    )
    doc = engine.answerer.stored.documents[0]
    assert doc.text[passage.start : passage.end] == passage.text
    assert doc.text[passage.highlight_start : passage.highlight_end] == passage.highlight


def test_a_question_inside_prose_keeps_the_highlight(tmp_path: Path) -> None:
    """Only a FAQ's question (alone in its paragraph, or marked "Q:") hands the highlight to
    what follows: a question in prose, or a quoted one, is followed by anything (found by a
    reviewer: the next paragraph's "In other news…" was highlighted)."""
    engine = engine_over(
        tmp_path,
        "news.txt",
        "Harbour news\n\n"
        "The ferry stopped in May. Nobody knows yet: will the ferry return next summer?\n\n"
        "In other news, the primary school reopened after its repairs.\n\n"
        'She asked the mayor: "Why was the library closed?" The mayor did not answer.\n',
    )
    ferry = engine.answer("Will the ferry return next summer?", k=1, force=True).passages[0]
    assert ferry.highlight.endswith("will the ferry return next summer?")
    assert "primary school" not in ferry.highlight
    mayor = engine.answer("Why was the library closed?", k=1, force=True).passages[0]
    assert "Why was the library closed?" in mayor.highlight


def test_a_paragraph_that_opens_with_a_question_goes_on_with_its_answer(tmp_path: Path) -> None:
    """A product page's FAQ, each question and its answer one paragraph (a trial's page
    bolded "How often should I descale the machine?" itself)."""
    engine = engine_over(
        tmp_path,
        "corvo.txt",
        "Frequently asked questions\n\n"
        "Can I use pre-ground coffee? Yes, but fresh beans taste better.\n\n"
        "How often should I descale the machine? With the water filter in use, descale every "
        "three months. Without it, descale every month.\n\n"
        "Are spare parts available? We keep spare parts for ten years.\n",
    )
    passage = engine.answer("How often should I descale the machine?", k=1, force=True).passages[0]
    assert passage.highlight == "With the water filter in use, descale every three months."
    assert passage.text.startswith("How often should I descale the machine?")
    assert passage.text.endswith("Without it, descale every month.")
    # a question that tells rather than asks keeps the highlight (a reviewer's)
    told = engine_over(
        tmp_path / "told",
        "facts.txt",
        "Australia\n\nDid you know that Canberra, not Sydney, is the capital of Australia? "
        "Many visitors are surprised by this.\n",
    )
    asked = "Did you know that Canberra, not Sydney, is the capital of Australia?"
    assert told.answer(asked, k=1, force=True).passages[0].highlight == asked


def test_a_bare_yes_is_highlighted_with_what_it_says(tmp_path: Path) -> None:
    """A trial's FAQ bolded "Yes." alone for "What happens to collections on bank
    holidays?"."""
    engine = engine_over(
        tmp_path,
        "faq.txt",
        "Bins\n\nDo collections change on bank holidays?\n\n"
        "Yes. Collections take place one day later in a bank holiday week. Check the calendar.\n",
    )
    passage = engine.answer("Do collections change on bank holidays?", k=1, force=True).passages[0]
    assert passage.highlight == "Yes. Collections take place one day later in a bank holiday week."
    # not into a question after it (a reviewer's)
    permit = engine_over(
        tmp_path / "permit",
        "faq.txt",
        "Parking\n\nCan I park here?\n\nYes. Do you need a permit? Permits cost 5 EUR.\n",
    ).answer("Can I park here?", k=1, force=True)
    assert permit.passages[0].highlight == "Yes."


def test_a_transcripts_bare_reply_is_highlighted_with_what_it_says(tmp_path: Path) -> None:
    """A fifth trial's interview bolded "DR. OKAFOR: Yes." alone: the speaker's label and a
    stage direction are no reason to stop at the bare reply."""
    engine = engine_over(
        tmp_path,
        "interview.txt",
        "Seagrass in Lammer Bay\nInterviewer: Tom Ashby\n\n"
        "INTERVIEWER: Are there places you won't plant?\n\n"
        "DR. OKAFOR: (laughs) Yes. We don't plant inside the shipping channel. "
        "Curlews need the open mud.\n",
    )
    passage = engine.answer("Where won't they plant seagrass?", k=1, force=True).passages[0]
    assert passage.highlight == (
        "DR. OKAFOR: (laughs) Yes. We don't plant inside the shipping channel."
    )
    # "Interviewer: Tom Ashby" names who asked; no answer is cited under it
    assert passage.section != "Interviewer: Tom Ashby"


@pytest.mark.integration
def test_a_follow_up_is_not_answered_without_what_it_adds(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    """A user's conversation: "What about parking?" after "Are dogs welcome…?" quoted the
    dog's answer again (the earlier question's words won); a quote that holds none of the
    words the follow-up adds gives way to the question's own, when that one holds them and
    is more likely right than not (real model: the fake's confidences are too low)."""
    engine = engine_over(
        tmp_path,
        "faq.txt",
        "Harbour Coworking: questions and answers\n\n"
        "Q: Are dogs welcome?\n\n"
        "A: Yes, well-behaved dogs are welcome on the second floor, on a leash in the kitchen.\n\n"
        "Q: Is there parking?\n\n"
        "A: No, the space has no parking of its own; the public garage gives a discount.\n\n"
        "Q: Can I get mail here?\n\n"
        "A: Letters and parcels for members are kept at reception for two weeks.\n",
        real_embedder,
    )
    history = ["Are dogs welcome on the second floor?"]
    assert "dogs" in engine.answer(history[0], k=1).passages[0].highlight
    answer = engine.answer("What about parking?", history, k=1)
    assert answer.answered and "parking" in answer.passages[0].highlight
    again = engine.answer("And on a leash?", history, k=1)  # what it adds is in the dog's quote
    assert "dogs" in again.passages[0].highlight


def test_an_answer_found_by_a_later_sentence_is_quoted_with_its_question(
    tmp_path: Path,
) -> None:
    """A second trial: when the best sentence is not the answer's first ("On public holidays we
    close at 6 pm."), the quote opened with the previous answer's tail and ran into the next
    question; it is the question and its answer, the found sentence in bold."""
    engine = engine_over(
        tmp_path,
        "gym.txt",
        _faq(
            "Lakeside Gym: frequently asked questions",
            ("When are you open?", "We open at 6 am. On public holidays we close at 6 pm."),
            (
                "How much does a membership cost?",
                "It costs 45 EUR a month. The annual price is 450 EUR.",
            ),
        ),
    )
    passage = engine.answer("What is the annual price?", k=1, force=True).passages[0]
    assert passage.highlight == "The annual price is 450 EUR."
    assert passage.text.startswith("Q: How much does a membership cost?")
    assert "holidays" not in passage.text


def _faq(title: str, *pairs: tuple[str, str]) -> str:
    """A FAQ's text: its title, then "Q: …" and "A: …" paragraphs."""
    return "\n\n".join([title, *(f"Q: {q}\n\nA: {a}" for q, a in pairs)]) + "\n"


@pytest.mark.parametrize(
    ("name", "text", "asked", "bolded"),
    [
        (
            "cake.txt",
            "Lemon drizzle cake\n\nYour questions\n\n"
            "My cake sank in the middle. What went wrong? Usually this means the oven door was "
            "opened too early. Always test with a skewer.\n\n"
            "Can I use plain flour? Yes, with two extra teaspoons of baking powder.\n",
            "My cake sank in the middle",
            "Usually this means the oven door was opened too early.",
        ),
        (
            "faq.md",
            "# IT help\n\n## Security\n\n### I received a suspicious email. What should I do?\n\n"
            'Do not click its links. Use the "Report phishing" button in Outlook.\n\n'
            "### My laptop was stolen\n\nCall the service desk at once.\n",
            "I received a suspicious email",
            "Do not click its links.",
        ),
        # an answer followed by another question is not a situation (a reviewer's shop page:
        # "How long do refunds take?" bolded "No, refunds always go back to the card…")
        (
            "help.txt",
            "Help\n\nRefunds\n\nRefunds are paid within 5 working days. Can I get cash instead? "
            "No, refunds always go back to the card you paid with.\n",
            "Refunds are paid within 5 working days",
            "Refunds are paid within 5 working days.",
        ),
        # nor is a longer opening sentence, prose
        (
            "news.txt",
            "Harbour news\n\nThe ferry between the island and the mainland stopped running in "
            "May after the operator lost its licence. Will it return? The council hopes so.\n",
            "The ferry stopped running in May",
            "The ferry between the island and the mainland stopped running in May after the "
            "operator lost its licence.",
        ),
    ],
)
def test_a_question_that_opens_with_its_situation_highlights_its_answer(
    tmp_path: Path, name: str, text: str, asked: str, bolded: str
) -> None:
    """Two trials' FAQs: "My cake sank in the middle. What went wrong? Usually…" and a
    Markdown heading "I received a suspicious email. What should I do?" bolded the statement
    of the situation, not the answer after the question."""
    passage = engine_over(tmp_path, name, text).answer(asked, k=1, force=True).passages[0]
    assert passage.highlight == bolded


def test_a_short_quote_does_not_grow_into_the_question_after_it(tmp_path: Path) -> None:
    """A fourth trial's permits page: a short answer was quoted with the next section's
    question heading, "How long is a permit valid?", at its end (and cited under the section
    before). A question alone in its paragraph heads what follows it."""
    engine = engine_over(
        tmp_path,
        "permits.txt",
        "Building permits\n\n"
        "Inspections\n\n"
        "Someone aged 18 or older must be present for any inspection inside the home.\n\n"
        "If an inspection fails, the inspector leaves a correction notice. The first "
        "re-inspection is free.\n\n"
        "How long is a permit valid?\n\n"
        "A permit is valid for 180 days after it is issued, and each inspection renews it.\n",
    )
    passage = engine.answer(
        "If an inspection fails, the inspector leaves a correction notice.", k=1, force=True
    ).passages[0]
    assert "How long is a permit valid?" not in passage.text
    assert passage.text.startswith("Someone aged 18")  # it grew back instead, in its section
