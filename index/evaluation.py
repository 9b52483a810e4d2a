"""SQuAD-format evaluation of the answering pipeline beside a naive baseline, in one run.

* One document per article (its paragraphs, separated by blank lines), built with the real
  ingestion and index build into a temporary folder.
* Answerable questions: ``quote@1`` / ``quote@3`` (a gold answer inside the first passage / one
  of the first three), ``highlight@1`` (inside the first highlight) and ``MRR`` over the first
  ten passages — ranking quality, measured with abstention off — plus the answer rate with
  abstention on. Matching is case-insensitive, with whitespace collapsed.
* ``--holdout N``: the articles are split into folds of N; each fold is left out of the index
  in turn. Its questions must be declined; the indexed articles' questions answered.
* ``is_impossible`` questions (written to look answerable from their paragraph) are reported
  as a decline rate, with no target.
* The baseline: fixed 500-character chunks with 50 overlap, dense search only, the first chunk
  quoted and its most similar sentence highlighted; it declines below a cosine of 0.4.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.answering import Answerer
from index.build import build_index, embed_all
from index.chunking import split_sentences
from index.config import ChunkingSettings
from index.embedding import Embedder, Vectors
from index.errors import ConfigError
from index.store import load_version

BASELINE_CHUNK = 500
BASELINE_OVERLAP = 50
BASELINE_DECLINE_COSINE = 0.4


@dataclass(frozen=True)
class Question:
    article: int
    text: str
    answers: tuple[str, ...]
    impossible: bool


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[str, ...]


@dataclass
class Ranking:
    """What a system returned for one question."""

    passages: list[str]
    highlight: str
    answered: bool


@dataclass
class Scores:
    n: int = 0
    quote1: int = 0
    quote3: int = 0
    highlight1: int = 0
    rr: float = 0.0
    answered: int = 0

    def add(self, q: Question, r: Ranking) -> None:
        self.n += 1
        hits = [_contains(p, q.answers) for p in r.passages[:10]]
        self.quote1 += bool(hits[:1] and hits[0])
        self.quote3 += any(hits[:3])
        self.highlight1 += _contains(r.highlight, q.answers)
        self.rr += next((1.0 / (i + 1) for i, h in enumerate(hits) if h), 0.0)
        self.answered += r.answered

    def row(self) -> dict[str, float]:
        n = max(self.n, 1)
        return {
            "quote@1": self.quote1 / n,
            "quote@3": self.quote3 / n,
            "highlight@1": self.highlight1 / n,
            "MRR": self.rr / n,
            "answer rate": self.answered / n,
        }


@dataclass
class Report:
    data: str
    articles: list[str]
    system: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, float] = field(default_factory=dict)
    abstention: dict[str, dict[str, float]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def load_squad(path: Path) -> tuple[list[Article], list[Question]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        articles: list[Article] = []
        questions: list[Question] = []
        for a_index, article in enumerate(data["data"]):
            paragraphs = tuple(p["context"] for p in article["paragraphs"])
            articles.append(Article(str(article.get("title") or f"article {a_index}"), paragraphs))
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    answers = tuple(sorted({a["text"] for a in qa.get("answers", []) if a["text"]}))
                    impossible = bool(qa.get("is_impossible")) or not answers
                    questions.append(Question(a_index, qa["question"], answers, impossible))
    except FileNotFoundError:
        raise ConfigError(f"evaluation file {path} does not exist") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path} is not a SQuAD-format JSON file ({exc})") from None
    return articles, questions


class CachingEmbedder:
    """Remembers vectors by text, so folds re-embed nothing they have already seen."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._cache: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def encode(self, texts: list[str], *, show_progress: bool = False) -> Vectors:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            for text, vector in zip(missing, self._inner.encode(missing), strict=True):
                self._cache[text] = vector
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._cache[text]
        return out


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _contains(passage: str, answers: Sequence[str]) -> bool:
    hay = _norm(passage)
    return any(_norm(a) in hay for a in answers)


def _write_corpus(folder: Path, articles: Sequence[Article]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, article in enumerate(articles):
        body = article.title + "\n\n" + "\n\n".join(p.strip() for p in article.paragraphs)
        (folder / f"{i:03d}.txt").write_text(body + "\n", encoding="utf-8")


def _system(answerer: Answerer) -> Callable[[str], Ranking]:
    def run(question: str) -> Ranking:
        forced = answerer.answer(question, k=10, force=True)
        p = list(forced.passages)
        return Ranking(
            [x.text for x in p],
            p[0].highlight if p else "",
            forced.confidence >= answerer.abstention.threshold,
        )

    return run


class NaiveBaseline:
    """Fixed-size character chunks, dense only, first chunk quoted."""

    def __init__(self, articles: Sequence[Article], embedder: Embedder) -> None:
        import faiss

        self.embedder = embedder
        self.chunks: list[str] = []
        step = BASELINE_CHUNK - BASELINE_OVERLAP
        for article in articles:
            text = article.title + "\n\n" + "\n\n".join(article.paragraphs)
            for lo in range(0, max(len(text) - BASELINE_OVERLAP, 1), step):
                self.chunks.append(text[lo : lo + BASELINE_CHUNK])
        vectors = embed_all(self.chunks, embedder)
        self.index = faiss.IndexFlatIP(embedder.dimension)
        self.index.add(vectors)

    def __call__(self, question: str) -> Ranking:
        q = self.embedder.encode([question])
        scores, ids = self.index.search(q, 10)
        passages = [self.chunks[int(i)] for i in ids[0] if i >= 0]
        first = passages[0] if passages else ""
        spans = split_sentences(first)
        sentences = [first[s.start : s.end] for s in spans] or [first]
        sims = self.embedder.encode(sentences) @ q[0]
        highlight = sentences[int(np.argmax(sims))]
        return Ranking(passages, highlight, float(scores[0][0]) >= BASELINE_DECLINE_COSINE)


def _build(
    articles: Sequence[Article], embedder: Embedder, chunking: ChunkingSettings, workdir: Path
) -> Answerer:
    corpus = workdir / "corpus"
    index = workdir / "index"
    _write_corpus(corpus, articles)
    build_index(corpus, index, embedder, chunking, full=True)
    return Answerer(load_version(index), embedder)


def evaluate(
    data: Path,
    embedder: Embedder,
    chunking: ChunkingSettings,
    *,
    holdout: int = 0,
    articles: Sequence[int] | None = None,
    limit: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Report:
    started = time.perf_counter()
    all_articles, all_questions = load_squad(data)
    chosen = sorted(set(articles)) if articles else list(range(len(all_articles)))
    if any(i < 0 or i >= len(all_articles) for i in chosen):
        raise ConfigError(f"--articles must be between 0 and {len(all_articles) - 1}")
    subset = [all_articles[i] for i in chosen]
    remap = {old: new for new, old in enumerate(chosen)}
    questions = [
        Question(remap[q.article], q.text, q.answers, q.impossible)
        for q in all_questions
        if q.article in remap
    ]
    if limit:
        questions = questions[:limit]
    answerable = [q for q in questions if not q.impossible]
    impossible = [q for q in questions if q.impossible]
    cached = CachingEmbedder(embedder)
    report = Report(str(data), [a.title for a in subset])
    report.counts = {
        "articles": len(subset),
        "answerable": len(answerable),
        "impossible": len(impossible),
    }
    with tempfile.TemporaryDirectory(prefix="verbatim-eval-") as tmp:
        progress(f"building the index over {len(subset)} articles")
        answerer = _build(subset, cached, chunking, Path(tmp) / "all")
        baseline = NaiveBaseline(subset, cached)
        progress(f"answering {len(answerable)} answerable questions")
        system_scores, base_scores = Scores(), Scores()
        system = _system(answerer)
        for q in answerable:
            system_scores.add(q, system(q.text))
            base_scores.add(q, baseline(q.text))
        report.system = system_scores.row()
        report.baseline = base_scores.row()
        sys_imp = sum(not system(q.text).answered for q in impossible)
        base_imp = sum(not baseline(q.text).answered for q in impossible)
        report.abstention["is_impossible declined"] = {
            "system": sys_imp / max(len(impossible), 1),
            "baseline": base_imp / max(len(impossible), 1),
        }
        if holdout:
            progress(f"abstention: holding out {holdout} article(s) at a time")
            report.abstention.update(
                _holdout(subset, answerable, cached, chunking, holdout, Path(tmp))
            )
    report.seconds = time.perf_counter() - started
    return report


def _holdout(
    articles: Sequence[Article],
    answerable: Sequence[Question],
    embedder: Embedder,
    chunking: ChunkingSettings,
    holdout: int,
    workdir: Path,
) -> dict[str, dict[str, float]]:
    if holdout >= len(articles):
        raise ConfigError(f"--holdout must be less than the number of articles ({len(articles)})")
    folds = math.ceil(len(articles) / holdout)
    declined = {"system": 0, "baseline": 0}
    answered = {"system": 0, "baseline": 0}
    n_out = n_in = 0
    for fold in range(folds):
        out = set(range(fold * holdout, min((fold + 1) * holdout, len(articles))))
        kept = [i for i in range(len(articles)) if i not in out]
        answerer = _build([articles[i] for i in kept], embedder, chunking, workdir / f"fold{fold}")
        baseline = NaiveBaseline([articles[i] for i in kept], embedder)
        system = _system(answerer)
        for q in answerable:
            s, b = system(q.text).answered, baseline(q.text).answered
            if q.article in out:
                n_out += 1
                declined["system"] += not s
                declined["baseline"] += not b
            else:
                n_in += 1
                answered["system"] += s
                answered["baseline"] += b
    return {
        "held-out declined": {k: v / max(n_out, 1) for k, v in declined.items()},
        "in-index answered": {k: v / max(n_in, 1) for k, v in answered.items()},
    }


def format_report(report: Report) -> str:
    lines = [
        f"data: {report.data} — {report.counts['articles']} articles, "
        f"{report.counts['answerable']} answerable, {report.counts['impossible']} impossible",
        "",
        f"{'metric':<26}{'verbatim':>10}{'baseline':>10}{'ratio':>8}",
    ]
    for key in ("quote@1", "quote@3", "highlight@1", "MRR", "answer rate"):
        s, b = report.system[key], report.baseline[key]
        lines.append(f"{key:<26}{s:>10.3f}{b:>10.3f}{_ratio(s, b):>8}")
    for key, row in report.abstention.items():
        s, b = row["system"], row["baseline"]
        lines.append(f"{key:<26}{s:>10.3f}{b:>10.3f}{_ratio(s, b):>8}")
    lines.append(f"\n({report.seconds:.0f} s)")
    return "\n".join(lines)


def _ratio(s: float, b: float) -> str:
    return f"{s / b:.2f}×" if b > 0 else "—"
