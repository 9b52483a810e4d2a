"""Fit the sentence-scoring weights on some SQuAD articles, report on the others.

    .venv/bin/python bench/fit_scoring.py --data ../shared/eval/squad2-dev-subset.json \
        --fit 0,1 --report 2,3,4

One index over all articles (as ``verbatim eval`` builds it). For every answerable question of
the *fit* articles the candidate sentences' features are computed once; a random search over
weight vectors maximises quote@1 + highlight@1 there. The best weights are then scored on the
*report* articles, whose questions played no part in the choice. Prints both, beside the
weights currently in ``ScoringWeights``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from index.answering import Answerer
from index.config import ChunkingSettings
from index.embedding import SentenceTransformerEmbedder
from index.evaluation import _build, _contains, load_squad
from index.lexical import tokenize
from index.retrieval import FEATURES, ScoringWeights


def dump(answerer: Answerer, questions: list[tuple[int, str, tuple[str, ...]]]) -> list[dict]:
    out = []
    windows: dict[int, tuple[str, str]] = {}
    qvecs = answerer.embedder.encode([q for _, q, _ in questions])
    for (article, question, answers), qv in zip(questions, qvecs, strict=True):
        rows, feats = answerer.retriever.candidates(qv, tokenize(question), question)
        quote = np.zeros(len(rows), dtype=bool)
        hl = np.zeros(len(rows), dtype=bool)
        for i, r in enumerate(rows):
            if int(r) not in windows:
                from index.retrieval import SentenceHit

                p = answerer._window(SentenceHit(int(r), 0, 0, 0, 0, 0))
                windows[int(r)] = (p.text, p.highlight)
            text, highlight = windows[int(r)]
            quote[i] = _contains(text, answers)
            hl[i] = _contains(highlight, answers)
        out.append({"article": article, "feats": feats, "quote": quote, "hl": hl})
    return out


def score(data: list[dict], w: np.ndarray) -> tuple[float, float]:
    q = h = 0
    for d in data:
        if len(d["feats"]) == 0:
            continue
        best = int(np.argmax(d["feats"] @ w))
        q += d["quote"][best]
        h += d["hl"][best]
    n = max(len(data), 1)
    return q / n, h / n


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--fit", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--trials", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    fit = {int(x) for x in args.fit.split(",")}
    report = {int(x) for x in args.report.split(",")}
    articles, questions = load_squad(args.data)
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    with tempfile.TemporaryDirectory() as tmp:
        answerer = _build(articles, embedder, ChunkingSettings(), Path(tmp))
        qs = [(q.article, q.text, q.answers) for q in questions if not q.impossible]
        data = dump(answerer, qs)
    fit_data = [d for d in data if d["article"] in fit]
    rep_data = [d for d in data if d["article"] in report]
    current = ScoringWeights().vector()
    print("features:", ", ".join(FEATURES))
    print("current weights", np.round(current, 3).tolist())
    print("  fit    quote@1 {:.3f} highlight@1 {:.3f}".format(*score(fit_data, current)))
    print("  report quote@1 {:.3f} highlight@1 {:.3f}".format(*score(rep_data, current)))
    rng = np.random.default_rng(args.seed)
    best_w, best = current, sum(score(fit_data, current))
    for _ in range(args.trials):
        w = rng.dirichlet(np.ones(len(FEATURES)))
        s = sum(score(fit_data, w))
        if s > best:
            best_w, best = w, s
    # Local refinement around the best.
    for scale in (0.1, 0.05, 0.02):
        for _ in range(args.trials // 3):
            w = np.clip(best_w + rng.normal(0, scale, len(FEATURES)), 0, None)
            w = w / w.sum()
            s = sum(score(fit_data, w))
            if s > best:
                best_w, best = w, s
    print("fitted weights", np.round(best_w, 3).tolist())
    print("  fit    quote@1 {:.3f} highlight@1 {:.3f}".format(*score(fit_data, best_w)))
    print("  report quote@1 {:.3f} highlight@1 {:.3f}".format(*score(rep_data, best_w)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
