import textwrap
from pathlib import Path

from index.cleaning import clean_lines, is_furniture, unwrap_lines
from index.documents import read_document
from tests.conftest import ARTICLE

FURNITURE = [
    "Visit Us",
    "Follow Me",
    "Author Profile",
    "You may also like...",
    "Leave a Reply",
    "Your email address will not be published. Required fields are marked *",
    "Required fields are marked *",
    "Share this:",
    "***",
    "We use cookies to improve your experience. By continuing to browse you agree to this.",
]


def test_furniture_lines_are_recognised() -> None:
    for line in FURNITURE:
        assert is_furniture(line), line


def test_content_lines_are_kept() -> None:
    for line in [
        "Vasyl Kolomiiets",
        "North Korea Upgrades Mobile Networks with Huawei Equipment Imports",
        "Follow the money: how the networks were paid for, according to Daily NK sources "
        "that asked not to be named, is still unclear; this line is well past any footer size "
        "and reads like an article sentence, which is what it is, so it stays in the text.",
        "Home prices rose 5% in Pyongyang.",
        # a privacy policy's own sentences, not a banner or a comment form (a trial's policy
        # lost "We use cookies to keep you signed in.")
        "We use cookies to keep you signed in.",
        "Your email address will not be published or shared with third parties.",
    ]:
        assert not is_furniture(line), line


def test_repeated_line_is_kept_once() -> None:
    assert clean_lines(["Vasyl Kolomiiets", "Vasyl Kolomiiets", "", "Text."]) == [
        "Vasyl Kolomiiets",
        "Text.",
    ]


def test_bundled_article_is_cleaned() -> None:
    doc = read_document(ARTICLE, ARTICLE.parent)
    for line in FURNITURE[:6]:
        assert line not in doc.text
    assert "Required fields" not in doc.text
    assert "Vasyl Kolomiiets" in doc.text  # the author line survives
    assert "Koryolink was established in 2008" in doc.text
    assert doc.title == "North Korea Upgrades Mobile Networks with Huawei Equipment Imports"


WRAPPED = """\
Glaciers of the Alps

The glaciers of the Alps have lost about half of their volume since the
middle of the nineteenth century, and the loss has quickened since the
1980s. Measurements on the Rhone glacier show a retreat of about forty
metres a year in the last decade, the fastest since records began in
1879.

Causes
- warmer summers, which melt more ice than the winters bring as new snow,
  and lower albedo
- soot and dust on the ice

The smaller glaciers will have disappeared by the end of the century; the
largest, the Aletsch, will keep a part of its tongue only if emissions fall
quickly. A glacier that has retreated does not come back within a human life-
time, even in a run of cold years.
"""


def test_hard_wrapped_text_is_joined_into_its_paragraphs() -> None:
    lines = unwrap_lines(WRAPPED.splitlines())
    paragraphs = [line for line in lines if line.strip()]
    assert paragraphs[0] == "Glaciers of the Alps"
    assert paragraphs[1].startswith("The glaciers of the Alps have lost")
    assert paragraphs[1].endswith("the fastest since records began in 1879.")
    assert "since the middle of the nineteenth century" in paragraphs[1]
    assert paragraphs[2] == "Causes"  # a heading stays a line of its own
    assert paragraphs[3] == (
        "- warmer summers, which melt more ice than the winters bring as new snow, and lower albedo"
    )
    assert paragraphs[4] == "- soot and dust on the ice"  # list items stay apart
    assert "within a human lifetime, even in a run of cold years." in paragraphs[5]
    assert len(paragraphs) == 6


def test_a_wrapped_compound_keeps_its_hyphen_and_a_minus_sign_its_sentence() -> None:
    """A trial's paper: "between-" / "group difference" became "betweengroup", and a line
    opening with "-9.8" was taken for a list item, cutting the sentence in two."""
    paper = [
        "Systolic blood pressure fell by 7.4 mmHg in the training group (95% CI",
        "-9.8 to -5.0) and by 1.2 mmHg in the control group, a between-",
        "group difference of 6.2 mmHg. The effect was larger in the partic-",
        "ipants who trained three times a week than in those who trained twice,",
        "and it lasted for the whole of the follow-up period of twelve months.",
    ]
    (joined,) = unwrap_lines(paper)
    assert unwrap_lines(paper[:1]) == paper[:1]  # (one line: nothing to join)
    assert "(95% CI -9.8 to -5.0) and by 1.2 mmHg" in joined
    assert "a between-group difference" in joined
    assert "in the participants who trained" in joined


def test_text_that_is_not_wrapped_stays_as_it_is() -> None:
    article = ARTICLE.read_text(encoding="utf-8").splitlines()
    assert unwrap_lines(article) == article  # long soft-wrapped paragraphs
    verse = ["Roses are red,", "violets are blue", "sugar is sweet", "and so are you"] * 4
    assert unwrap_lines(verse) == verse  # short lines: no wrapping width
    table = [f"2024-01-{d:02d};station {d};{d * 1.5:.1f};{d * 3}" for d in range(1, 20)]
    assert unwrap_lines(table) == table  # lines of one length, but not prose
    facts = [  # a list of sentences, one a line, of about one width (a new user's file)
        "Parking at the geyser field costs 1,000 krónur a day.",
        "The visitor centre opens at nine in the morning.",
        "Strokkur erupts every six to ten minutes or so.",
        "The Great Geysir has been mostly quiet since 1916.",
        "Buses leave Reykjavik twice a day in the summer.",
        "The hot spring water is hotter than eighty degrees.",
        "Paths are roped off around the active springs.",
        "A hotel and a restaurant stand across the road.",
        "Most tours stop here on the Golden Circle route.",
        "The nearest town with a supermarket is Reykholt.",
    ]
    assert unwrap_lines(facts) == facts


def test_a_wrapped_text_file_is_read_as_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "glaciers.txt"
    path.write_text(WRAPPED, encoding="utf-8")
    doc = read_document(path, tmp_path)
    assert doc.title == "Glaciers of the Alps"
    assert "show a retreat of about forty metres a year" in doc.text
    assert doc.text.count("\n\n") == 5


def test_a_short_wrapped_text_is_joined_too() -> None:
    """Two paragraphs wrapped at 80 columns, nine lines (a new user's file, quoted in
    fragments while the minimum was eight lines that go on)."""
    first = (
        "The old mill by the river was built in 1652 by the miller Jan Hendriks, whose family "
        "kept it running for more than two hundred years. A storm in the spring of 1901 "
        "destroyed the wheel."
    )
    second = (
        "The timbers of the house were found to come from trees felled in the winter of 1648. "
        "The house is now a small museum of rural life, open on Sundays from May to September."
    )
    lines = [*textwrap.wrap(first, 80), "", *textwrap.wrap(second, 80)]
    assert 7 <= len(lines) <= 9
    assert [line for line in unwrap_lines(lines) if line.strip()] == [first, second]
