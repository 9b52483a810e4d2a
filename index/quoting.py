"""From the sentence the ranker chose to the passage quoted: whole sentences of the cleaned
document around it, and the sentence that answers — the *highlight*.

The window stays inside the hit's paragraph, at most ``MAX_PASSAGE_CHARS``; a short one (a
list item, a line) goes on into its section; a heading alone is quoted with what it heads
(``Quoter.window``). A FAQ's question is quoted with its answer, and the answer is the
highlight; a bare "Yes." runs on into what it says; a quote ending on a colon goes on to what
it introduces.

One module (about 420 lines): the rules are the steps of one function, ``Quoter.window``,
reading the same sentence table and its paragraphs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping

import numpy as np

from index.citations import deep_link, section_of
from index.provenance import is_byline
from index.retrieval import Retriever
from index.store import StoredIndex
from index.text_features import is_field, is_heading, is_section_heading
from index.types import Passage, Sentence, SentenceHit

MAX_PASSAGE_CHARS = 600
#: A passage shorter than this (a list item, a one-line paragraph) goes on into the
#: neighbouring paragraphs, whole sentences, up to MAX_PASSAGE_CHARS: half of it
MIN_PASSAGE_CHARS = MAX_PASSAGE_CHARS // 2
#: Lines alone (a byline, a section number) a title's quote goes past to what it heads.
_HEADING_LINES = 4
#: Under a heading, a later sentence is the highlight instead of the first when the ranker's
#: odds for it are at least twice the first one's (hand-set)
HEADED_HIGHLIGHT_GAP = math.log(2.0)

#: A sentence of the text that asks (ends with a question mark, its own or another script's,
#: before any closing quote or bracket): a FAQ's question, a rhetorical one.
_ASKS = re.compile(r"[?？؟][\"'”’»)\]]*\s*$")
_QUESTION_ENDS = "?？؟"
#: At most this long, a statement opening a paragraph may be the situation its question asks
#: about (``Answerer._states_situation``)
_SITUATION_CHARS = 100
#: ... and the question after it is a short one that opens with its question word
_SHORT_QUESTION = re.compile(
    r"^\W*(?:what|how|why|when|where|who|which|can|could|should|do|does|did|is|are|will|"
    r"would|may|must)\b[^.!?]{0,60}[?？]",
    re.IGNORECASE,
)
#: An answer that says yes or no and little else: "Yes.", "No, it does not.", "Mostly.", and
#: so in a transcript, after its speaker's label and a stage direction: "DR. OKAFOR: (laughs)
#: No.", "INTERVIEWER: Thanks, Tom."
_BARE_ANSWER = re.compile(
    r"^\W*(?:(?:A|Answer)\s*[:.)]\s*|(?-i:[A-Z][A-Z.'’ -]{0,40}):\s*)?"
    r"(?:\([^()]{1,30}\)\s*)?"
    r"(?:yes|no|yep|nope|correct|of course|sure|mostly|absolutely|exactly|definitely|"
    r"certainly|indeed|not really|not at all|not quite|partly|sometimes|thanks|thank you)"
    r"(?:[.!]|,[^.!?]{0,24}[.!])$",
    re.IGNORECASE,
)
#: A question that tells rather than asks ("Did you know that Canberra is the capital?")
_RHETORICAL = re.compile(
    r"\b(?:did|do) you know\b|\bhave you ever\b|\bever wonder|\b(?:isn't|wasn't|aren't) it\b",
    re.IGNORECASE,
)
#: A list item's marker at the start of its paragraph ("1. ", "2) ", "- ").
_ITEM = re.compile(r"[ \t]*(?:\d{1,3}[.)]|[-*•])[ \t]+\S")
#: A FAQ's marks: "Q: …?" / "A: …" (or "Question:" / "Answer:").
_QUESTION_MARK = re.compile(r"\s*(?:Q|Question)\s*[:.)]\s", re.IGNORECASE)
_ANSWER_MARK = re.compile(r"\s*(?:A|Answer)\s*[:.)]\s", re.IGNORECASE)
#: A statement told by the one who asks: "I received…", "My cake sank…", "We moved…"
_FIRST_PERSON = re.compile(
    r"^\W*(?:I|I'm|I’m|I've|I’ve|I'd|I’d|My|We|We're|We’re|We've|We’ve|Our|Me)\b"
)


def _in_list(text: str, at: int) -> bool:
    """Is the paragraph (the line) holding ``at`` a list's item ("1. Empty the jug.")?"""
    return bool(_ITEM.match(text, text.rfind("\n", 0, at) + 1))


def _best_under_heading(rows: list[int], scores: Mapping[int, float]) -> int:
    """Of the sentences under a heading (``rows``, in order), the highlight: the first, unless
    the ranker rates another so much better (``HEADED_HIGHLIGHT_GAP``) that it is the answer
    ("…stands 38 metres above the river" for "How tall is the viaduct?"); "Who is Tom
    Reyes?" keeps the first sentence under his name."""
    first = rows[0]
    rated = [r for r in rows if r in scores]
    if not rated:
        return first
    best = max(rated, key=lambda r: scores[r])
    floor = scores.get(first, -math.inf) + HEADED_HIGHLIGHT_GAP
    return best if scores[best] >= floor else first


class Quoter:
    """The passages of one loaded index's sentences (``Retriever``: their paragraphs)."""

    def __init__(self, stored: StoredIndex, retriever: Retriever) -> None:
        self.stored = stored
        self.retriever = retriever

    def passages(
        self, hits: list[SentenceHit], k: int, scores: Mapping[int, float]
    ) -> list[Passage]:
        chosen: list[Passage] = []
        for hit in hits:
            if len(chosen) >= k:
                break
            passage = self.window(hit, scores=scores)
            if any(
                p.doc_id == passage.doc_id and p.start < passage.end and passage.start < p.end
                for p in chosen
            ):
                continue
            chosen.append(passage)
        return chosen

    def _grow(
        self,
        lo: int,
        hi: int,
        start: int,
        end: int,
        admits: Callable[[Sentence], bool],
        *,
        first: int,
        until: int | None = None,
    ) -> tuple[int, int, int, int]:
        """The passage of sentences ``lo``..``hi`` (``start``..``end``) grown by whole
        sentences, one side then the other (``first``: -1 before, 1 after), each side while
        its next sentence is ``admits``-ible and the passage stays within MAX_PASSAGE_CHARS;
        with ``until``, only until it is that long."""
        sents = self.stored.sentences
        open_sides, side = {1, -1}, first
        while open_sides and (until is None or end - start < until):
            if side in open_sides:
                near = hi + 1 if side > 0 else lo - 1
                other = sents[near] if 0 <= near < len(sents) else None
                if (
                    other is None
                    or not admits(other)
                    or max(end, other.end) - min(start, other.start) > MAX_PASSAGE_CHARS
                ):
                    open_sides.discard(side)  # the passage only grows: never again
                else:
                    start, end = min(start, other.start), max(end, other.end)
                    lo, hi = min(lo, near), max(hi, near)
            side = -side
        return lo, hi, start, end

    def _with_what_it_introduces(
        self, doc_row: int, hi: int, start: int, end: int
    ) -> tuple[int, int]:
        """A quote that ends on a colon ("… install libvips first:", "… with the following
        parties:") goes on to what it introduces: the next sentence, then the lines after it
        while they are lines (a command's, a list's items without a full stop), up to
        ``_HEADING_LINES``, on the same page, within the passage limit, not into a heading."""
        sents, doc = self.stored.sentences, self.stored.documents[doc_row]
        page, taken = doc.page_at(start), 0
        while hi + 1 < len(sents) and taken < _HEADING_LINES:
            last, after = sents[hi], sents[hi + 1]
            said, line = doc.text[last.start : last.end], doc.text[after.start : after.end]
            # the first sentence after the colon, whatever it looks like ("Payment
            # processors", a list's item as Word gives it); then lines, not a field's, nor a
            # heading's (a line that looks like one and is followed by prose)
            goes_on = (
                is_heading(said)
                and is_heading(line)
                and after.paragraph != last.paragraph
                and not is_field(line)
                and not (is_section_heading(line) and self._prose_after(after))
                if taken
                else said.rstrip().endswith(":")
            )
            if (
                not goes_on
                or after.doc != doc_row
                or doc.page_at(after.start) != page
                or after.start in doc.headings
                or after.end - start > MAX_PASSAGE_CHARS
            ):
                break
            hi, end, taken = hi + 1, after.end, taken + 1
        return hi, end

    def _prose_after(self, line: Sentence) -> bool:
        """Is the sentence after ``line`` in its document one that is not a line (prose)?"""
        sents = self.stored.sentences
        if line.row + 1 >= len(sents) or sents[line.row + 1].doc != line.doc:
            return False
        after, text = sents[line.row + 1], self.stored.documents[line.doc].text
        return not is_heading(text[after.start : after.end])

    def _answered_next(self, question: Sentence, start: int) -> bool:
        """Is ``question`` a question of the text answered by its next sentence, as in a FAQ:
        a question alone in its paragraph followed by the next paragraph, one that opens its
        paragraph followed by the rest of it, or one marked "Q:" followed by one marked "A:"?
        (A question inside prose — "will the ferry return next summer?", a quoted one — is
        followed by anything.) The answer must be in the same
        document, no heading, within the passage limit from ``start``."""
        sents, doc = self.stored.sentences, self.stored.documents[question.doc]
        asked = doc.text[question.start : question.end]
        if not _ASKS.search(asked) or question.row + 1 >= len(sents):
            return False
        after = sents[question.row + 1]
        said = doc.text[after.start : after.end]
        if after.doc != question.doc or after.end - start > MAX_PASSAGE_CHARS:
            return False
        if _QUESTION_MARK.match(asked) and _ANSWER_MARK.match(said):
            return True
        opens = bool(self.retriever.paragraph_start[question.row])
        if not opens and _SHORT_QUESTION.match(asked):
            # "My cake sank in the middle. What went wrong?": a FAQ's question may open with
            # a short statement of the situation ("Nobody knows yet: will the ferry
            # return?" goes on with anything)
            opens = self._states_situation(sents[question.row - 1])
        if after.paragraph == question.paragraph:
            # "How often should I descale the machine? With the filter, every three months.":
            # a paragraph that opens with a question goes on with its answer (a quoted one,
            # 'She asked: "Why…?" …', ends with its quotation mark: anything may follow; "Did
            # you know that…?" tells what it asks)
            opens = (
                opens and asked.rstrip()[-1:] in _QUESTION_ENDS and not _RHETORICAL.search(asked)
            )
        return opens and not is_heading(said) and not _ASKS.search(said)

    def _on_to_the_answer(
        self, row: int, hi: int, start: int, scores: Mapping[int, float]
    ) -> tuple[int, int]:
        """A heading's quote (``row`` to ``hi``) goes on into its section's later paragraphs,
        as far as the passage limit allows, to a sentence the ranker rates far better
        (``HEADED_HIGHLIGHT_GAP``) than the first under the heading and any before it ("What
        is Feloxan used for?": "1. What Feloxan is and what it is used for" heads "Feloxan
        contains the active substance…", then "Feloxan is used for the short-term relief of
        mild to moderate pain…"). The last row and end of the quote."""
        sents = self.stored.sentences
        if _in_list(self.stored.documents[sents[row].doc].text, sents[row + 1].start):
            # a list's steps are quoted from the first ("1. Empty the jug.", "2. …")
            return hi, int(sents[hi].end)
        floor = max(scores.get(r, -math.inf) for r in range(row + 1, hi + 1))
        floor = max(floor, scores.get(row + 1, -math.inf) + HEADED_HIGHLIGHT_GAP)
        far, near = hi, hi + 1
        if floor == -math.inf:  # nothing under the heading was rated: nothing to beat
            return hi, int(sents[hi].end)
        while (
            near < len(sents)
            and sents[near].doc == sents[row].doc
            and sents[near].end - start <= MAX_PASSAGE_CHARS
            and not self._opens_section(sents[near])
        ):
            if scores.get(near, -math.inf) >= floor:
                far, floor = near, scores[near]
            near += 1
        return far, int(sents[far].end)

    def _opens_section(self, sentence: Sentence) -> bool:
        """Is the sentence a heading that opens a section: one its document's format marks, or
        a line that looks like one (``is_section_heading``) and, in a document whose format
        marks its headings, is not one of a list's items (a Markdown list loses its bullets:
        "Pizza boxes with grease on them (black bin)" is an answer, not a heading; in plain
        text "Part 2", "Leave and absence", "Annual leave" are headings one after another)?"""
        doc = self.stored.documents[sentence.doc]
        if sentence.start in doc.headings:
            return True
        return is_section_heading(doc.text[sentence.start : sentence.end]) and not (
            doc.headings and self._among_lines(sentence)
        )

    def _among_lines(self, sentence: Sentence) -> bool:
        """Is the sentence one of a run of lines, a list's items: the two paragraphs before
        it are lines too, or the one before and the one after it are (a line is a paragraph
        of one heading-like sentence that its format does not mark as a heading)? "Strokkur
        geyser" under a document's title, or "Introduction" under "Chapter 1", is not."""
        sents, doc = self.stored.sentences, self.stored.documents[sentence.doc]
        alone = self.retriever.alone_in_paragraph

        def line(near: int) -> bool:
            if not 0 <= near < len(sents) or not alone[near]:
                return False
            other = sents[near]
            if other.doc != sentence.doc or other.start in doc.headings:
                return False
            return is_heading(doc.text[other.start : other.end])

        row = sentence.row
        return line(row - 1) and (line(row - 2) or line(row + 1))

    def _states_situation(self, line: Sentence) -> bool:
        """Is ``line`` a short statement opening its paragraph, the situation a FAQ's question
        after it asks about, told by the one who asks ("I received a suspicious email." before
        "What should I do?"; "Refunds are paid within 5 working days." before "Can I get cash
        instead?" is an answer of its own)?"""
        said = self.stored.documents[line.doc].text[line.start : line.end]
        return (
            bool(self.retriever.paragraph_start[line.row])
            and len(said) <= _SITUATION_CHARS
            and bool(_FIRST_PERSON.match(said))
            and not _ASKS.search(said)
            and not is_heading(said)
        )

    def window(
        self,
        hit: SentenceHit,
        *,
        is_answer: bool = False,
        scores: Mapping[int, float] | None = None,
    ) -> Passage:
        """Whole sentences around the hit, same paragraph, at most MAX_PASSAGE_CHARS.
        ``is_answer``: the hit is the answer even when it is a line alone (a title asked
        for), and stays the highlight. ``scores``: the ranker's scores of the question's best
        candidates, by row (under a heading, the best of them is the highlight)."""
        sents = self.stored.sentences
        hit_sentence = hit.sentence
        row, h_start, h_end = hit_sentence.row, hit_sentence.start, hit_sentence.end
        doc = self.stored.documents[hit_sentence.doc]

        def same_paragraph(other: Sentence) -> bool:
            return other.doc == hit_sentence.doc and other.paragraph == hit_sentence.paragraph

        lo, hi, start, end = self._grow(row, row, h_start, h_end, same_paragraph, first=-1)
        # ("Chair: Renata Kovac" alone on its line says who chaired: not a heading)
        headed = lo == hi == row and hi + 1 < len(sents) and self._opens_section(hit_sentence)
        h_row = row  # the highlight's sentence
        if headed:
            # A title, heading or name line alone says nothing: quote the paragraph that
            # follows it too (what it heads), as far as the passage limit allows; past lines
            # that say nothing either ("Prepared by: …", "1. Summary" under a report's
            # title), up to the first paragraph that does.
            following, lines, said = sents[hi + 1].paragraph, 0, False
            while hi + 1 < len(sents):
                after = sents[hi + 1]
                if after.doc != hit_sentence.doc or after.end - start > MAX_PASSAGE_CHARS:
                    break
                if after.paragraph != following:
                    if said or lines >= _HEADING_LINES:
                        break
                    following, lines = after.paragraph, lines + 1
                hi, end = hi + 1, after.end
                said = said or not is_heading(doc.text[after.start : after.end])
            if said and scores and is_heading(doc.text[h_start:h_end]):
                hi, end = self._on_to_the_answer(row, hi, start, scores)
            # ... and the sentence that says something is the highlight, not the line (a
            # byline says who wrote the text: it stays the highlight). Under a name ("The
            # Corran Water Viaduct" heads "Lyle's reputation rests on the viaduct… Built in
            # 1858, it stands 38 metres high." for "How tall is it?"), the one the ranker
            # rates best; under a question or a situation ("I have lost my laptop."), the
            # first: it answers
            if not is_heading(doc.text[h_start:h_end]):
                scores = None
            if not is_answer and not is_byline(doc.text[h_start:h_end]):
                saying = [
                    near
                    for near in range(row + 1, hi + 1)
                    if not is_heading(doc.text[sents[near].start : sents[near].end])
                ]
                if saying:
                    near = _best_under_heading(saying, scores or {})
                    h_row, h_start, h_end = near, sents[near].start, sents[near].end
        elif (
            not is_answer
            and hi > row
            and self.retriever.run_in_rows(np.asarray([row + 1]))[0] == row
        ):
            # a run-in heading ("The Museum of the River. Housed in a former mill…", "2.5
            # Overtime. Employees at grades…") says nothing either: of the sentences after it,
            # the first, or the one the ranker rates far better, is the highlight
            near = _best_under_heading(list(range(row + 1, hi + 1)), scores or {})
            h_row, h_start, h_end = near, sents[near].start, sents[near].end
        if (
            not (is_answer or headed)
            and h_row + 1 < len(sents)
            and sents[h_row + 1].paragraph == hit_sentence.paragraph
            and sents[h_row + 1].doc == hit_sentence.doc
            and self._states_situation(hit_sentence)
            and self._answered_next(sents[h_row + 1], start)
        ):
            # the situation a FAQ's question states ("My cake sank in the middle. What went
            # wrong?") is not the answer either: the question's answer is
            h_row = row + 1
            hi, end = max(hi, h_row), max(end, sents[h_row].end)
        asked = not is_answer and self._answered_next(sents[h_row], start)
        if (
            not (is_answer or asked or headed)
            and lo > 0
            and not same_paragraph(sents[lo - 1])  # the quote opens the hit's paragraph
            and end - sents[lo - 1].start <= MAX_PASSAGE_CHARS
            and self._answered_next(sents[lo - 1], sents[lo - 1].start)
        ):
            # the answer of a FAQ's question: quoted with its question, not grown into the
            # answer before or the question after
            lo, start, asked = lo - 1, sents[lo - 1].start, True
        elif asked:
            # A question of the text ("Q: Can I bring my dog?" in a FAQ) is not its own
            # answer: the sentence after it is, quoted and highlighted; the two are the
            # quote, not grown into the answer before or the question after
            after = sents[h_row + 1]
            hi, end = max(hi, h_row + 1), max(end, after.end)
            h_start, h_end = after.start, after.end

            def answers_paragraph(other: Sentence) -> bool:
                return other.doc == after.doc and other.paragraph == after.paragraph

            lo, hi, start, end = self._grow(lo, hi, start, end, answers_paragraph, first=1)

        if headed and end - start < MIN_PASSAGE_CHARS and _in_list(doc.text, h_start):
            # what the heading heads is a list ("1. Empty the jug.", "2. …"): its next items
            # too, on the same page
            page = doc.page_at(start)

            def in_section_after(other: Sentence) -> bool:
                return (
                    other.row > row
                    and other.doc == hit_sentence.doc
                    and doc.page_at(other.start) == page
                    and _in_list(doc.text, other.start)
                    and other.start not in doc.headings  # "4. Cleaning": the next section
                    and not is_heading(doc.text[other.start : other.end])
                )

            lo, hi, start, end = self._grow(
                lo, hi, start, end, in_section_after, first=1, until=MIN_PASSAGE_CHARS
            )
        if not (headed or asked) and end - start < MIN_PASSAGE_CHARS:  # a list item, a line
            page = doc.page_at(start)

            def same_section_and_page(other: Sentence) -> bool:
                # a heading is another section's, and so is a question alone in its paragraph
                # after the quote (a web page's "How long is a permit valid?" heads its
                # answer); a quote gives one page
                return (
                    other.doc == hit_sentence.doc
                    and doc.page_at(other.start) == page
                    and not self._opens_section(other)
                    and not (
                        other.row > row
                        and self.retriever.alone_in_paragraph[other.row]
                        and bool(_ASKS.search(doc.text[other.start : other.end]))
                    )
                )

            # (what a colon introduces first: "… the following parties:" and its list)
            hi, end = self._with_what_it_introduces(hit_sentence.doc, hi, start, end)
            lo, hi, start, end = self._grow(
                lo, hi, start, end, same_section_and_page, first=1, until=MIN_PASSAGE_CHARS
            )
        hi, end = self._with_what_it_introduces(hit_sentence.doc, hi, start, end)
        if _BARE_ANSWER.match(doc.text[h_start:h_end]):
            # "Yes." alone says little: the highlight goes on to the sentence that says what
            # ("Yes. Collections take place one day later."), when the quote holds it
            says = next((r for r in range(lo, hi + 1) if sents[r].start >= h_end), None)
            if (
                says is not None
                and sents[says].paragraph == sents[says - 1].paragraph
                and not _ASKS.search(doc.text[sents[says].start : sents[says].end])
            ):
                h_end = sents[says].end
        text = doc.text[start:end]
        if len(text) > MAX_PASSAGE_CHARS:  # one very long sentence: cut around the highlight
            end = start + MAX_PASSAGE_CHARS
            text = doc.text[start:end]
            h_end = min(h_end, end)
        return Passage(
            text=text,
            highlight=doc.text[h_start:h_end],
            title=doc.title,
            source=doc.source,
            start=start,
            end=end,
            score=hit.score,
            highlight_start=h_start,
            highlight_end=h_end,
            doc_id=doc.doc_id,
            url=doc.url,
            section=section_of(doc, start),
            link=deep_link(doc, start, h_start, h_end),
            page=doc.page_at(start),
        )
