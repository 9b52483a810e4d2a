"""Calibrate the abstention rule on some SQuAD articles, check it on others.

    .venv/bin/python bench/calibrate_abstention.py --data ../shared/eval/squad2-dev-subset.json \
        --fit 0,1 --report 2,3,4

For each group of articles, every article is left out of an index built over the rest of the
group in turn: its questions must be declined, the indexed ones answered. On the *fit* group a
grid over (overlap weight, threshold) picks the rule that declines at least ``--target`` of the
held-out questions while answering as many in-index ones as possible; the *report* group then
shows how that rule fares on articles that played no part in choosing it.
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
from index.evaluation import CachingEmbedder, _build, load_squad
from index.lexical import tokenize


def top_evidence(answerer: Answerer, texts: list[str]) -> np.ndarray:
    """(dense, overlap) evidence of the best sentence for each question."""
    out = np.zeros((len(texts), 2), dtype=np.float32)
    vectors = answerer.embedder.encode(texts)
    for i, (text, qv) in enumerate(zip(texts, vectors, strict=True)):
        hits = answerer.retriever.search(qv, tokenize(text), limit=1, question=text)
        if hits:
            h = hits[0]
            out[i] = (max(h.dense_sentence, h.dense_context), max(h.overlap, h.overlap_window))
    return out


def group_evidence(group: list[int], articles, questions, embedder, tmp: Path):  # type: ignore[no-untyped-def]
    inside, outside = [], []
    for out in group:
        kept = [a for a in group if a != out]
        answerer = _build(
            [articles[a] for a in kept],
            embedder,
            ChunkingSettings(),
            tmp / f"g{'-'.join(map(str, group))}-{out}",
        )
        q_in = [q.text for q in questions if q.article in kept]
        q_out = [q.text for q in questions if q.article == out]
        inside.append(top_evidence(answerer, q_in))
        outside.append(top_evidence(answerer, q_out))
    return np.vstack(inside), np.vstack(outside)


def rates(inside: np.ndarray, outside: np.ndarray, lam: float, thr: float) -> tuple[float, float]:
    ci = inside[:, 0] + lam * inside[:, 1]
    co = outside[:, 0] + lam * outside[:, 1]
    return float((ci >= thr).mean()), float((co < thr).mean())


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--fit", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--target", type=float, default=0.96)
    args = parser.parse_args()
    fit = [int(x) for x in args.fit.split(",")]
    report = [int(x) for x in args.report.split(",")]
    articles, questions = load_squad(args.data)
    answerable = [q for q in questions if not q.impossible]
    embedder = CachingEmbedder(SentenceTransformerEmbedder("all-MiniLM-L6-v2"))
    with tempfile.TemporaryDirectory() as tmp:
        fit_in, fit_out = group_evidence(fit, articles, answerable, embedder, Path(tmp))
        rep_in, rep_out = group_evidence(report, articles, answerable, embedder, Path(tmp))
    best = None
    for lam in np.arange(0.0, 1.51, 0.05):
        for thr in np.arange(0.30, 1.20, 0.005):
            answered, declined = rates(fit_in, fit_out, float(lam), float(thr))
            if declined >= args.target and (best is None or answered > best[0]):
                best = (answered, declined, float(lam), float(thr))
    if best is None:
        print("no rule reaches the target on the fit group")
        return 1
    answered, declined, lam, thr = best
    print(
        f"fit group {fit}: overlap weight {lam:.2f}, threshold {thr:.3f} -> "
        f"in-index answered {answered:.3f}, held-out declined {declined:.3f}"
    )
    answered, declined = rates(rep_in, rep_out, lam, thr)
    print(
        f"report group {report}: in-index answered {answered:.3f}, held-out declined {declined:.3f}"
    )
    for lam0, thr0 in ((0.5, 0.55),):
        a, d = rates(rep_in, rep_out, lam0, thr0)
        print(f"  (current rule {lam0}/{thr0} on report group: answered {a:.3f}, declined {d:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
