"""Train the scorer (``index/scorer.json``) on the evaluation sets, leave-one-set-out.

    .venv/bin/python -m index.training --data ../shared/eval \
        ../shared/eval/mlqa-dev/context-en-question-en.json --cache .verbatim/eval-cache

The scenarios are those of ``verbatim eval`` (``index.evaluation.suite``): the same indexes,
built the same way, and the same questions. For every question the candidate sentences' features
are computed once, with labels: does the sentence hold a gold answer (the highlight), does its
quoted window (the quote). Then, with a fixed seed:

1. the ranker: logistic regression over the candidates of answerable questions, each question
   weighing the same within its set and each set the same;
2. from the ranked lists, the question features; ``answerable`` learns in-corpus questions (1)
   against questions whose document is not in the index (0); ``correct`` learns whether the
   first quote holds the answer (0 for out-of-corpus questions);
3. the decline threshold on ``answerable``: the one that maximises, over the training sets and
   modes, the mean of min(out-of-corpus declined, in-corpus answered); with ``--learn
   threshold`` (the hand-set rule's threshold alone), one for indexes of many documents and
   one for an index of one document, each over its own modes.

The whole is done once with every set, and once with each set left out (``leave_out`` in the
file): ``verbatim eval`` scores each set with the models that never saw it.

One module (about 400 lines): the three learned parts are trained from one pass of features
over the scenarios, in order (the ranker's output feeds the others).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from index.answering import Answerer
from index.config import ChunkingSettings
from index.embedding import load_embedder
from index.evaluation.baseline import CachingEmbedder
from index.evaluation.sets import Budget, EvalSet, data_files, load_set
from index.evaluation.suite import build_answerer, contains, scenarios
from index.features import (
    QUESTION_FEATURES,
    SENTENCE_FEATURES,
    SentenceFeatures,
    question_features,
)
from index.multilingual import USE_MODEL, load_multilingual
from index.scorer import (
    FORMAT,
    MULTILINGUAL_SCORER_FILE,
    SCORER_FILE,
    LinearModel,
    hand_set,
    load_scorer,
)
from index.store import StoredIndex
from index.types import SentenceHit

FloatArray = npt.NDArray[np.float32]


@dataclass
class Record:
    """One question asked in one scenario, with its candidates' features and labels."""

    set: str
    mode: str
    in_corpus: bool
    features: FloatArray  # candidates x SENTENCE_FEATURES
    highlight: npt.NDArray[np.bool_]  # the candidate sentence holds a gold answer
    quote: npt.NDArray[np.bool_]  # its quoted window does
    coverage: float
    terms: int
    sentences: int
    documents: int
    follow_up: bool


#: Modes of ``verbatim eval`` the models are not trained on: ``typos`` asks questions of
#: ``all`` again, misspelt (a check of the speller, not new evidence); ``short`` was tried and
#: made both the decline rule and the confidence worse on the sets left out (README, Quality).
NOT_TRAINED_ON = frozenset({"typos", "short"})


def collect(
    sets: Sequence[EvalSet],
    embedder: CachingEmbedder,
    chunking: ChunkingSettings,
    budget: Budget,
    progress: Any = print,
    multilingual: CachingEmbedder | None = None,
) -> list[Record]:
    """Every question's candidates with their labels. With ``multilingual``, the indexes have
    the multilingual space and only the questions searched in it are kept (its models are
    trained on those)."""
    records: list[Record] = []

    def answerer(stored: StoredIndex, _name: str) -> Answerer:
        # the candidates are gathered with the hand-set ranker in either space
        hand = load_scorer()
        return Answerer(stored, embedder, multilingual=multilingual, multilingual_scorer=hand)

    with tempfile.TemporaryDirectory(prefix="verbatim-train-") as tmp:
        for data in sets:
            progress(f"{data.name}: collecting features")
            for number, scenario in enumerate(scenarios(data, sets, budget)):
                if scenario.mode in NOT_TRAINED_ON:
                    continue
                a = build_answerer(
                    scenario,
                    embedder,
                    chunking,
                    answerer,
                    Path(tmp) / f"{data.name}-{number}",
                    multilingual,
                )
                windows: dict[int, tuple[str, str]] = {}
                for case in scenario.cases:
                    if case.impossible or (multilingual and not a.is_foreign(case.question)):
                        continue
                    ranked, follow_up = a.ranking(case.question, case.history)
                    hl = np.zeros(len(ranked.rows), dtype=bool)
                    quote = np.zeros(len(ranked.rows), dtype=bool)
                    in_corpus = scenario.in_corpus(case)
                    if in_corpus:
                        scores = ranked.scores_by_row()
                        for i, row in enumerate(ranked.rows):
                            r = int(row)
                            if r not in windows:
                                p = a.quoter.window(SentenceHit(a.stored.sentences[r], 0.0))
                                windows[r] = (p.text, p.highlight)
                            text, highlight = windows[r]
                            if highlight != a.retriever.sentence_texts.take(np.asarray([r]))[0]:
                                # under a heading, the highlight depends on the question's
                                # scores (``Quoter.window``)
                                hit = SentenceHit(a.stored.sentences[r], 0.0)
                                highlight = a.quoter.window(hit, scores=scores).highlight
                            quote[i] = contains(text, case.answers)
                            hl[i] = contains(highlight, case.answers) and (
                                highlight.strip() in case.context
                            )
                    records.append(
                        Record(
                            data.name,
                            scenario.mode,
                            in_corpus,
                            ranked.features.matrix(),
                            hl,
                            quote,
                            ranked.coverage,
                            ranked.terms,
                            len(a.stored.sentences),
                            len(a.stored.documents),
                            follow_up,
                        )
                    )
    return records


def _fit(
    x: FloatArray, y: npt.NDArray[np.bool_], w: FloatArray, names: tuple[str, ...], c: float
) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardisation(x)
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, y, sample_weight=w / w.mean())
    return LinearModel(
        names,
        mean.astype(np.float32),
        scale.astype(np.float32),
        model.coef_[0].astype(np.float32),
        float(model.intercept_[0]),
    )


def _standardisation(x: npt.NDArray[Any]) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Column means and standard deviations (1 for a constant column)."""
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    return x.mean(axis=0), scale


#: L2 penalty of the listwise ranker (on standardised features).
_L2 = 0.01


def train_listwise(records: Sequence[Record]) -> LinearModel:
    """Listwise: maximise, per answerable question, the softmax probability mass of the
    sentences that hold its answer among all its candidates (L-BFGS, L2-regularised); each
    question weighs the same within its set and each set the same."""
    from scipy.optimize import minimize

    useful = [r for r in records if r.in_corpus and r.highlight.any() and not r.highlight.all()]
    per_set = _counts(useful)
    allx = np.concatenate([r.features for r in useful]).astype(np.float64)
    mean, scale = _standardisation(allx)
    z = (allx - mean) / scale
    sizes = np.array([len(r.features) for r in useful])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    group = np.repeat(np.arange(len(useful)), sizes)
    pos = np.concatenate([r.highlight for r in useful])
    qw = np.array([1.0 / per_set[r.set] for r in useful])
    qw = qw / qw.sum()

    def loss(w: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        s = z @ w
        m = np.maximum.reduceat(s, starts)
        e = np.exp(s - m[group])
        total = np.add.reduceat(e, starts)
        pe = np.add.reduceat(e * pos, starts)
        value = -np.sum(qw * (np.log(pe) - np.log(total))) + _L2 * float(w @ w)
        # d/ds of -log(pe/total): p_all - p_pos (per candidate)
        g_s = e / total[group] - (e * pos) / pe[group]
        grad = z.T @ (g_s * qw[group]) + 2 * _L2 * w
        return float(value), grad

    result = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B")
    return LinearModel(
        SENTENCE_FEATURES,
        mean.astype(np.float32),
        scale.astype(np.float32),
        result.x.astype(np.float32),
        0.0,
    )


def _counts(records: Sequence[Record]) -> Counter[str]:
    return Counter(r.set for r in records)


@dataclass
class Scored:
    """A record as ranked by a ranker: question features, first quote right."""

    record: Record
    question: FloatArray
    quote1: bool
    highlight1: bool


def rank(records: Sequence[Record], ranker: LinearModel) -> list[Scored]:
    out = []
    for r in records:
        if len(r.features) == 0:
            continue
        scores = ranker.logits(r.features)
        order = np.argsort(-scores, kind="stable")
        feats = SentenceFeatures(*[r.features[order, j] for j in range(len(SENTENCE_FEATURES))])
        qf = question_features(
            scores[order],
            feats,
            coverage=r.coverage,
            question_terms=r.terms,
            corpus_sentences=r.sentences,
            corpus_documents=r.documents,
            follow_up=r.follow_up,
        )
        first = int(order[0])
        out.append(Scored(r, qf.vector(), bool(r.quote[first]), bool(r.highlight[first])))
    return out


def train_question_models(ranked: Sequence[Scored]) -> tuple[LinearModel, LinearModel, float]:
    """``answerable`` and its threshold from the questions read alone (a follow-up is decided
    by the hand-set rule: ``Scorer.answers``); ``correct`` from every question."""
    alone = [r for r in ranked if not r.record.follow_up]
    x, w = _question_matrix(alone)
    answerable = _fit(x, np.array([r.record.in_corpus for r in alone]), w, QUESTION_FEATURES, 1.0)
    x, w = _question_matrix(ranked)
    correct_model = _fit(x, np.array([r.quote1 for r in ranked]), w, QUESTION_FEATURES, 1.0)
    return answerable, correct_model, choose_threshold(alone, answerable)


def _question_matrix(ranked: Sequence[Scored]) -> tuple[FloatArray, FloatArray]:
    """Question features, and weights making each (set, mode, in corpus) group weigh the
    same within its set and each set the same."""
    x = np.stack([r.question for r in ranked])
    groups = [(r.record.set, r.record.mode, r.record.in_corpus) for r in ranked]
    size = Counter(groups)
    sets = {r.record.set for r in ranked}
    w = np.array([1.0 / size[g] / len(sets) for g in groups], dtype=np.float32)
    return x, w


def choose_threshold(ranked: Sequence[Scored], model: LinearModel) -> float:
    """The threshold maximising the mean, over (set, mode) with both kinds of question, of
    min(out-of-corpus declined, in-corpus answered)."""
    p = model.proba(np.stack([r.question for r in ranked]))
    groups: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    for prob, r in zip(p, ranked, strict=True):
        inside, outside = groups.setdefault((r.record.set, r.record.mode), ([], []))
        (inside if r.record.in_corpus else outside).append(float(prob))
    both = [(np.array(i), np.array(o)) for i, o in groups.values() if i and o]
    best, best_t = -1.0, 0.5
    # thresholds evenly spaced in logit (0.05 apart): a rule made for another model's
    # cosines may need one far from 0.5 (the multilingual path's: about 0.02)
    for t in 1.0 / (1.0 + np.exp(-np.linspace(-8.0, 8.0, 321))):
        values = [min(float(np.mean(i >= t)), float(np.mean(o < t))) for i, o in both]
        score = float(np.mean(values)) if values else 0.0
        if score > best:
            best, best_t = score, float(t)
    return round(best_t, 5)


#: What ``--learn`` may name: the rest keep the hand-set rules (``index.scorer.hand_set``).
#: ``threshold``: the hand-set decline rule with its threshold chosen on the data (one number:
#: the multilingual path's cosines are another model's), where a whole learned rule
#: (``abstention``) would read features that do not carry over (the corpus's size).
LEARNABLE = ("ranker", "abstention", "threshold", "confidence")


def train(records: Sequence[Record], learn: Sequence[str] = LEARNABLE) -> dict[str, Any]:
    hand_ranker, hand_answerable, hand_threshold = hand_set()
    ranker = train_listwise(records) if "ranker" in learn else hand_ranker
    ranked = rank(records, ranker)
    answerable, correct, threshold = train_question_models(ranked)
    one_document, many_documents = None, 0
    if "abstention" not in learn:
        answerable, threshold = hand_answerable, hand_threshold
        if "threshold" in learn:
            # one threshold for indexes of many documents, one for an index of one: the
            # evidence of a question on one short document is weaker than on many articles
            alone = [r for r in ranked if not r.record.follow_up]
            many = [r for r in alone if r.record.documents > 1]
            one = [r for r in alone if r.record.documents == 1]
            threshold = choose_threshold(many or alone, hand_answerable)
            if many and _has_both_kinds(one):
                one_document = choose_threshold(one, hand_answerable)
                many_documents = int(np.median([r.record.documents for r in many]))
    if "confidence" not in learn:
        correct = hand_answerable
    models: dict[str, Any] = {
        "ranker": ranker.to_json(),
        "answerable": answerable.to_json(),
        "correct": correct.to_json(),
        "threshold": threshold,
    }
    if one_document is not None:
        models["threshold_one_document"] = one_document
        models["threshold_documents"] = many_documents
    return models


def _has_both_kinds(ranked: Sequence[Scored]) -> bool:
    """Questions both inside and outside the index, in some (set, mode)?"""
    kinds: dict[tuple[str, str], set[bool]] = {}
    for r in ranked:
        kinds.setdefault((r.record.set, r.record.mode), set()).add(r.record.in_corpus)
    return any(len(k) == 2 for k in kinds.values())


def summary(records: Sequence[Record], models: dict[str, Any], name: str) -> str:
    """Quick figures of ``models`` on ``name``'s records (what the leave-out models do there)."""
    from index.scorer import models_from_json, one_document_threshold

    ranker, answerable, _, many = models_from_json(models)
    one, _ = one_document_threshold(models)
    mine = [r for r in records if r.set == name]
    ranked = rank(mine, ranker)
    lines = []
    for mode in sorted({r.record.mode for r in ranked}):
        rows = [r for r in ranked if r.record.mode == mode]
        threshold = one if one is not None and rows[0].record.documents == 1 else many
        inside = [r for r in rows if r.record.in_corpus]
        outside = [r for r in rows if not r.record.in_corpus]
        empty = np.zeros(0, dtype=np.float32)
        p_in = answerable.proba(np.stack([r.question for r in inside])) if inside else empty
        p_out = answerable.proba(np.stack([r.question for r in outside])) if outside else empty
        lines.append(
            f"  {name:<24}{mode:<14}n={len(inside):<5} quote@1 "
            f"{np.mean([r.quote1 for r in inside]) if inside else 0:.3f}  highlight@1 "
            f"{np.mean([r.highlight1 for r in inside]) if inside else 0:.3f}  answered "
            f"{np.mean(np.asarray(p_in) >= threshold) if inside else 0:.3f}  declined "
            f"{np.mean(np.asarray(p_out) < threshold) if outside else float('nan'):.3f} "
            f"(n={len(outside)})"
        )
    return "\n".join(lines)


def checks(records: Sequence[Record], models: dict[str, Any], seed: int) -> list[dict[str, Any]]:
    """A few inputs and what the models gave for them (``tests/unit/index/test_scorer.py``)."""
    from index.scorer import models_from_json

    ranker, answerable, correct, _ = models_from_json(models)
    rng = np.random.default_rng(seed)
    out: list[dict[str, Any]] = []
    for i in rng.choice(len(records), 3, replace=False):
        r = records[int(i)]
        x = r.features[:1]
        out.append({"model": "ranker", "x": [round(float(v), 6) for v in x[0]]})
    ranked = rank([records[int(i)] for i in rng.choice(len(records), 3, replace=False)], ranker)
    for q in ranked:
        out.append({"model": "answerable", "x": [round(float(v), 6) for v in q.question]})
        out.append({"model": "correct", "x": [round(float(v), 6) for v in q.question]})
    for check in out:
        model = {"ranker": ranker, "answerable": answerable, "correct": correct}[check["model"]]
        x = np.array([check["x"]], dtype=np.float32)
        check["logit"] = round(float(model.logits(x)[0]), 5)
    return out


def _cached_records(path: Path | None, make: Any) -> list[Record]:
    """The collected records, from ``path`` when it holds them (a local file of this
    machine's own making, for re-training after a change of the models only)."""
    import pickle

    if path is not None and path.exists():
        with path.open("rb") as f:
            return pickle.load(f)  # type: ignore[no-any-return]  # noqa: S301 - our own file
    records: list[Record] = make()
    if path is not None:
        with path.open("wb") as f:
            pickle.dump(records, f)
    return records


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, default=SCORER_FILE)
    parser.add_argument("--cache", type=Path, help="embedding cache folder (as verbatim eval)")
    parser.add_argument("--model", default="all-MiniLM-L6-v2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--learn",
        default="confidence",
        help="which models to learn, comma-separated, of "
        + ",".join(LEARNABLE)
        + " (default confidence: the others keep the hand-set rules)",
    )
    parser.add_argument(
        "--records", type=Path, help="keep the collected features in this file (re-training)"
    )
    parser.add_argument(
        "--multilingual",
        action="store_true",
        help="train the models of the multilingual path (questions in other languages, searched "
        f"with {USE_MODEL}) into {MULTILINGUAL_SCORER_FILE.name} (unless --out)",
    )
    args = parser.parse_args(argv)
    np.random.seed(args.seed)
    files = data_files(args.data)
    sets = [load_set(p) for p in files]
    embedder = CachingEmbedder(load_embedder(args.model), args.cache)
    ml = CachingEmbedder(load_multilingual(USE_MODEL), args.cache) if args.multilingual else None
    if args.multilingual and args.out == SCORER_FILE:
        args.out = MULTILINGUAL_SCORER_FILE
    records = _cached_records(
        args.records,
        lambda: collect(
            sets, embedder, ChunkingSettings(), Budget(seed=args.seed), multilingual=ml
        ),
    )
    embedder.save()
    if ml is not None:
        ml.save()
    names = [s.name for s in sets]
    learn = [x.strip() for x in args.learn.split(",") if x.strip()]
    if unknown := set(learn) - set(LEARNABLE):
        parser.error(f"--learn: unknown {sorted(unknown)}; choose from {', '.join(LEARNABLE)}")
    full = train(records, learn)
    leave_out = {}
    for name in names:
        leave_out[name] = train([r for r in records if r.set != name], learn)
        print(summary(records, leave_out[name], name))
    digest = hashlib.sha256()
    for p in files:
        digest.update(p.read_bytes())
    payload = {
        "format": FORMAT,
        "trained_on": {s.name: len([r for r in records if r.set == s.name]) for s in sets},
        "data_sha256": digest.hexdigest()[:16],
        "seed": args.seed,
        "learned": learn,
        "command": "python -m index.training "
        + ("--multilingual " if args.multilingual else "")
        + "--data "
        + " ".join(str(a) for a in args.data)
        + f" --learn {','.join(learn)} --seed {args.seed}",
        "models": full,
        "leave_out": leave_out,
        "checks": checks(records, full, args.seed),
    }
    args.out.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
