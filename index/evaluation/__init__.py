"""Evaluation of the answering over several data sets, beside naive baselines, in one run.

``evaluate`` reads the data files (``index.evaluation.sets``), runs every scenario of each
(``index.evaluation.suite``) and returns the table (``index.evaluation.report``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.answering import Answerer
from index.config import ChunkingSettings
from index.embedding import Embedder
from index.evaluation.baseline import CachingEmbedder
from index.evaluation.report import Row, calibration_rows, format_table, language_rows, rows
from index.evaluation.sets import Budget, data_files, load_set
from index.evaluation.suite import AnswererFactory, SetResult, run_set
from index.scorer import MULTILINGUAL_SCORER_FILE, load_scorer
from index.store import StoredIndex

__all__ = ["Budget", "Report", "Row", "evaluate", "format_table"]


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    results: list[SetResult] = field(default_factory=list)
    total_seconds: float = 0.0

    def row(self, set_name: str, mode: str, metric: str, baseline: str = "baseline") -> Row:
        for r in self.rows:
            if (r.set, r.mode, r.metric, r.baseline_name) == (set_name, mode, metric, baseline):
                return r
        raise KeyError((set_name, mode, metric, baseline))

    def format(self) -> str:
        return format_table(self.rows, self.seconds) + f"\n\n({self.total_seconds:.0f} s)"


def evaluate(
    paths: Sequence[Path],
    embedder: Embedder,
    chunking: ChunkingSettings,
    *,
    budget: Budget | None = None,
    make_answerer: AnswererFactory | None = None,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
    multilingual: Embedder | None = None,
) -> Report:
    """The suite over the data files; with ``multilingual``, every index has the multilingual
    space and questions in other languages are searched there, as in the product."""
    started = time.perf_counter()
    budget = budget or Budget()
    sets = [load_set(p) for p in data_files(paths)]
    cached = CachingEmbedder(embedder, cache_dir)
    cached_ml = CachingEmbedder(multilingual, cache_dir) if multilingual is not None else None
    if make_answerer is None:

        def make_answerer(stored: StoredIndex, name: str) -> Answerer:
            # the scorer trained without this set, when the shipped file has one
            return Answerer(
                stored,
                cached,
                scorer=load_scorer(leave_out=name),
                multilingual=cached_ml,
                multilingual_scorer=load_scorer(MULTILINGUAL_SCORER_FILE, leave_out=name),
            )

    report = Report()
    try:
        for data in sets:
            result = run_set(
                data, sets, cached, chunking, make_answerer, budget, progress, cached_ml
            )
            report.results.append(result)
            report.rows.extend(rows(result) + calibration_rows(result))
            report.seconds[data.name] = result.seconds
            cached.save()
            if cached_ml is not None:
                cached_ml.save()
    finally:
        cached.save()
        if cached_ml is not None:
            cached_ml.save()
    report.rows.extend(language_rows(report.rows))
    report.total_seconds = time.perf_counter() - started
    return report
