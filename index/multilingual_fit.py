"""Fit the decline rule of questions searched in the multilingual space (``index.scorer``).

    .venv/bin/python -m index.multilingual_fit --cache .verbatim/eval-cache --data \\
        ../shared/eval/mlqa-dev/context-en-question-de.json \\
        ../shared/eval/mlqa-dev/context-en-question-zh.json

The rule has the hand-set rule's form, ``10 * top_dense + 7 * top_overlap + intercept >= 0``,
over that space's cosines; only the intercept is fitted: the one that maximises, over the
abstention scenarios of ``verbatim eval`` for the given sets (documents left out of the index,
other sets' questions asked of one document, a short document's other paragraphs), the mean of
min(out-of-corpus declined, in-corpus answered). It prints the intercept, to be written into
``index.scorer.MULTILINGUAL_INTERCEPT``; ``verbatim eval`` reports the other languages.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.answering import Answerer
from index.config import ChunkingSettings
from index.embedding import load_embedder
from index.evaluation.baseline import CachingEmbedder
from index.evaluation.sets import Budget, data_files, load_set
from index.evaluation.suite import build_answerer, scenarios
from index.multilingual import USE_MODEL, load_multilingual
from index.scorer import MULTILINGUAL_WEIGHTS

#: Intercepts tried (a grid: the rule is one number).
GRID = np.round(np.arange(-8.0, -1.0, 0.05), 2)


def collect(
    paths: Sequence[Path], main: CachingEmbedder, multilingual: CachingEmbedder
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Per abstention scenario: its name, each foreign question's rule score without the
    intercept, and whether its answer is in the index."""
    sets = [load_set(p) for p in data_files(list(paths))]
    groups: dict[str, tuple[list[float], list[bool]]] = {}
    with tempfile.TemporaryDirectory(prefix="verbatim-mlfit-") as tmp:
        for data in sets:
            for number, scenario in enumerate(scenarios(data, sets, Budget())):
                abstention = scenario.mode in ("per-doc", "short") or (
                    scenario.mode == "all" and scenario.group == "abstention"
                )
                if not abstention:
                    continue
                answerer = build_answerer(
                    scenario,
                    main,
                    ChunkingSettings(),
                    lambda stored, _name: Answerer(stored, main, multilingual=multilingual),
                    Path(tmp) / f"{data.name}-{number}",
                    multilingual,
                )
                scores, labels = groups.setdefault(f"{data.name} {scenario.mode}", ([], []))
                for case in scenario.cases:
                    if case.impossible or not answerer.is_foreign(case.question):
                        continue
                    ranked, follow_up = answerer.ranking(case.question, case.history)
                    if not len(ranked.rows):
                        continue
                    q = answerer.question_features(ranked, follow_up)
                    scores.append(
                        MULTILINGUAL_WEIGHTS["top_dense"] * q.top_dense
                        + MULTILINGUAL_WEIGHTS["top_overlap"] * q.top_overlap
                    )
                    labels.append(scenario.in_corpus(case))
            print(f"{data.name}: collected", file=sys.stderr)
    return [(name, np.array(s), np.array(y)) for name, (s, y) in groups.items() if s]


def fit(groups: list[tuple[str, np.ndarray, np.ndarray]]) -> float:
    """The intercept with the best mean of min(declined, answered) over the groups."""

    def quality(c: float) -> float:
        mins = []
        for _, score, inside in groups:
            if inside.all() or not inside.any():
                continue
            answered = score + c >= 0
            mins.append(min(float(answered[inside].mean()), float((~answered[~inside]).mean())))
        return float(np.mean(mins)) if mins else 0.0

    return float(max(GRID, key=quality))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--cache", type=Path, help="embedding cache folder (as verbatim eval)")
    args = parser.parse_args(argv)
    main_model = CachingEmbedder(load_embedder("all-MiniLM-L6-v2", "onnx"), args.cache)
    ml = CachingEmbedder(load_multilingual(USE_MODEL), args.cache)
    try:
        groups = collect(args.data, main_model, ml)
    finally:
        main_model.save()
        ml.save()
    c = fit(groups)
    for name, score, inside in groups:
        answered = score + c >= 0
        print(
            f"{name}: n {inside.sum()} in / {(~inside).sum()} out; "
            f"answered {answered[inside].mean() if inside.any() else float('nan'):.3f}, "
            f"declined {(~answered[~inside]).mean() if (~inside).any() else float('nan'):.3f}"
        )
    print(f"MULTILINGUAL_INTERCEPT = {c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
