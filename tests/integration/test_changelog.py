"""A changelog asked about its versions, with the real model: a version the quote is not under
is no answer (a fifth trial's "What changed in version 2.1.0?" quoted 2.2's upgrade note)."""

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
