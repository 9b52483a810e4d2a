"""What each linked page's server said about the version saved (``links.json`` in the index
folder): its ETag and Last-Modified, for the conditional requests of ``verbatim refresh``.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

#: One change of links.json at a time in this process (the bot adds links from several
#: threads).
_WRITING = threading.Lock()


@dataclass(frozen=True)
class Validators:
    """What the server said identifies this version of the page (for a conditional request)."""

    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag:
            out["If-None-Match"] = self.etag
        if self.last_modified:
            out["If-Modified-Since"] = self.last_modified
        return out


LINKS_FILE = "links.json"  # in the index folder: what each linked page's server said last


def load_validators(index_dir: Path) -> dict[str, Validators]:
    try:
        raw = json.loads((index_dir / LINKS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(raw, dict):
        return {}
    return {
        url: Validators(v.get("etag"), v.get("last_modified"))
        for url, v in raw.items()
        if isinstance(v, dict)
    }


def save_validators(index_dir: Path, validators: dict[str, Validators]) -> None:
    index_dir.mkdir(parents=True, exist_ok=True)
    data = {
        url: {"etag": v.etag, "last_modified": v.last_modified} for url, v in validators.items()
    }
    tmp = index_dir / f".{LINKS_FILE}.{uuid.uuid4().hex[:8]}.tmp"
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(index_dir / LINKS_FILE)


def remember(index_dir: Path, url: str, validators: Validators) -> None:
    """Keep what the server said about this version of the page, for the next refresh."""
    with _WRITING:  # read, change, write: never two at once (entries would be lost)
        known = load_validators(index_dir)
        known[url] = validators
        save_validators(index_dir, known)
