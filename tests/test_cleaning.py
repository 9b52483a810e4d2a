from index.cleaning import clean_lines, is_furniture
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
