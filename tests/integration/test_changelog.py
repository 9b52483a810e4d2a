"""Structured documents a fifth trial wrote, with the real model: a changelog asked about its
versions (a version the quote is not under is no answer: "What changed in version 2.1.0?"
had quoted 2.2's upgrade note), a medicine leaflet whose heading matches the question better
than the answer two paragraphs under it."""

import pytest

from index.embedding import SentenceTransformerEmbedder
from index.engine import Engine
from tests.conftest import engine_over

pytestmark = pytest.mark.integration

CHANGELOG = """# Changelog

All notable changes to Quillstack are documented in this file.

## 2.4.0 — 2026-03-02

### Added
- Settings can now be read from TOML files as well as YAML.

### Fixed
- The exporter no longer crashes on empty notebooks.
- Search results keep their order after a refresh.

## 2.3.0 — 2025-11-20

### Changed
- Plugins written for API v1 must be upgraded to API v2; upgrade to 2.2 first.

### Fixed
- Dark mode no longer resets on restart.
"""


@pytest.fixture(scope="module")
def changelog(
    real_embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Engine:
    return engine_over(
        tmp_path_factory.mktemp("changelog"), "CHANGELOG.md", CHANGELOG, real_embedder
    )


def test_a_version_the_changelog_has_is_answered_under_its_heading(changelog: Engine) -> None:
    """The item is under "### Fixed", itself under "## 2.3.0 — 2025-11-20"; a list's item
    above it that names another version ("…upgrade to 2.2 first.") heads nothing."""
    answer = changelog.answer("Did version 2.3.0 fix dark mode resetting?", k=1)
    assert answer.answered, answer
    assert "Dark mode no longer resets" in answer.passages[0].highlight
    assert answer.passages[0].section == "Fixed"
    # the same fix asked of the version above is no answer
    assert not changelog.answer("Did version 2.4.0 fix dark mode resetting?").answered


@pytest.mark.parametrize(
    "question",
    ["What changed in version 2.1.0?", "When will version 3.0 be released?"],
)
def test_a_version_the_changelog_lacks_is_declined(changelog: Engine, question: str) -> None:
    assert not changelog.answer(question).answered
    forced = changelog.answer(question, force=True)
    assert forced.passages and not forced.answered  # quoted when asked to quote anyway


LEAFLET = """# Package leaflet: Information for the patient

## 1. What Feloxan is and what it is used for

Feloxan contains the active substance ibrovetamol, which belongs to a group of medicines \
called non-steroidal anti-inflammatory drugs (NSAIDs). It works by reducing the chemicals \
in the body that cause pain, swelling and high temperature.

Feloxan is used for the short-term relief of mild to moderate pain such as headache, \
toothache, period pain and muscle strain.

## 2. What you need to know before you take Feloxan

Do not take Feloxan if you are allergic to ibrovetamol.
"""


def test_a_headings_quote_goes_on_to_the_answer_in_its_section(
    real_embedder: SentenceTransformerEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    leaflet = engine_over(tmp_path_factory.mktemp("leaflet"), "feloxan.md", LEAFLET, real_embedder)
    passage = leaflet.answer("What is Feloxan used for?", k=1).passages[0]
    assert passage.highlight.startswith("Feloxan is used for the short-term relief")
    assert passage.text.startswith("1. What Feloxan is and what it is used for")
