"""The evaluation suite: every set, in every mode that makes sense for it, beside baselines.

Each set becomes a list of ``Scenario``: an index over some of its articles, built with the
real ingestion and index build, and the questions to ask of it.

* ``all`` (SQuAD-format sets): one index over every article. Answerable questions measure the
  ranking (abstention off: ``quote@1``, ``highlight@1``, ``quote@3``, ``MRR``) and the answer
  rate (abstention on); ``is_impossible`` questions are reported as a decline rate.
* ``per-doc`` (SQuAD-format sets): one index per article, as the bot over one document; its
  own questions, then questions written for other sets' documents, which must be declined.
* ``conversation`` (``.jsonl``): one index over every document; the follow-up is asked with
  the earlier questions as its history (the answerer keeps no other state), and its first
  passage must hold the gold span. Beside the naive
  baseline asked the follow-up alone and with every earlier question before it.
* ``short`` (SQuAD-format sets): one index per article cut to its first ``SHORT_PARAGRAPHS``
  paragraphs, a short document like the bundled article; the questions written on those
  paragraphs must be answered, those written on the article's other paragraphs (close in
  topic: same article, same names) declined.
* ``typos`` (SQuAD-format sets): the index of ``all``, asked a sample of its answerable questions
  again with one word misspelt in each (``sets.misspell``): the ranking figures, as in ``all``.
* ``abstention`` (multi-document modes): the articles are split into folds; each fold is left
  out of an index over the others in turn. Its questions must be declined, the others answered.

Large sets are sampled with a fixed seed (``Budget``); every row prints its n.

One module (about 300 lines): the scenarios and the run over them share the modes' rules.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.answering import Answerer
from index.build import build_index
from index.config import ChunkingSettings
from index.evaluation.baseline import CachingEmbedder, NaiveBaseline, Ranking
from index.evaluation.sets import Article, Budget, Case, EvalSet, misspell, off_topic, sample
from index.store import StoredIndex, load_version

#: Makes the answerer for a loaded index; the set's name lets a caller pick a scorer that
#: never saw that set.
AnswererFactory = Callable[[StoredIndex, str], Answerer]

#: ``short`` mode: the paragraphs an article is cut to (articles with at least twice as many).
SHORT_PARAGRAPHS = 3


@dataclass(frozen=True)
class Scenario:
    """One index (``indexed`` article rows of ``data``) and the questions asked of it."""

    data: EvalSet
    mode: str  # "all", "per-doc", "conversation"
    group: str  # "ranking" or "abstention": which rows its questions count in
    indexed: tuple[int, ...]
    cases: tuple[Case, ...]
    paragraphs: int | None = None  # index only the first paragraphs of each article

    def in_corpus(self, case: Case) -> bool:
        return case.answerable and case.article in self.indexed

    def articles(self) -> list[Article]:
        """The documents of the index, as written into its corpus."""
        out = [self.data.articles[row] for row in self.indexed]
        if self.paragraphs is not None:
            out = [Article(a.title, a.paragraphs[: self.paragraphs]) for a in out]
        return out


def scenarios(data: EvalSet, others: Sequence[EvalSet], budget: Budget) -> Iterator[Scenario]:
    """Every scenario of ``data``; ``others`` give the off-topic questions of per-doc mode."""
    everything = tuple(range(len(data.articles)))
    answerable = sample(data.answerable, budget.questions, budget.seed)
    if data.kind == "conversation":
        yield Scenario(data, "conversation", "ranking", everything, tuple(answerable))
        yield from _leave_out(data, "conversation", budget)
        return
    impossible = sample(data.impossible, budget.impossible, budget.seed)
    yield Scenario(data, "all", "ranking", everything, tuple(answerable + impossible))
    misspelt = [misspell(c, budget.seed) for c in sample(answerable, budget.typos, budget.seed)]
    yield Scenario(data, "typos", "ranking", everything, tuple(misspelt))
    yield from _leave_out(data, "all", budget)
    yield from _per_document(data, others, budget)
    yield from _short_documents(data, budget)


def _leave_out(data: EvalSet, mode: str, budget: Budget) -> Iterator[Scenario]:
    n = len(data.articles)
    folds = min(budget.folds, n)
    if folds < 2:
        return
    order = list(range(n))
    random.Random(budget.seed).shuffle(order)
    fold_of = {article: i % folds for i, article in enumerate(order)}
    pool = sample(data.answerable, 2 * budget.abstention, budget.seed + 1)
    per_fold = max(1, budget.abstention // folds)
    for fold in range(folds):
        indexed = tuple(a for a in range(n) if fold_of[a] != fold)
        out = [c for c in pool if fold_of[c.article] == fold][:per_fold]
        kept = [c for c in pool if fold_of[c.article] != fold][:per_fold]
        if out:
            yield Scenario(data, mode, "abstention", indexed, tuple(out + kept))


def _per_document(data: EvalSet, others: Sequence[EvalSet], budget: Budget) -> Iterator[Scenario]:
    by_article: dict[int, list[Case]] = {}
    for case in data.answerable:
        by_article.setdefault(case.article, []).append(case)
    articles = sorted(by_article)
    rng = random.Random(budget.seed + 2)
    if len(articles) > budget.documents:
        articles = sorted(rng.sample(articles, budget.documents))
    per_doc = max(1, budget.questions // max(len(articles), 1))
    foreign = [c for other in others if other.name != data.name for c in other.answerable]
    for article in articles:
        own = sample(by_article[article], per_doc, budget.seed + article)
        strangers = [
            off_topic(c)
            for c in (rng.sample(foreign, budget.off_topic_per_document) if foreign else [])
        ]
        yield Scenario(data, "per-doc", "ranking", (article,), tuple(own + strangers))


def _short_documents(data: EvalSet, budget: Budget) -> Iterator[Scenario]:
    n = SHORT_PARAGRAPHS
    long_enough = [a for a, art in enumerate(data.articles) if len(art.paragraphs) >= 2 * n]
    rng = random.Random(budget.seed + 3)
    if len(long_enough) > budget.documents:
        long_enough = sorted(rng.sample(long_enough, budget.documents))
    per_doc = max(1, budget.abstention // max(len(long_enough), 1))
    by_article: dict[int, list[Case]] = {}
    for case in data.answerable:
        by_article.setdefault(case.article, []).append(case)
    for article in long_enough:
        kept = set(data.articles[article].paragraphs[:n])
        mine = by_article.get(article, [])
        own = [c for c in mine if c.context in kept]
        elsewhere = [off_topic(c) for c in mine if c.context and c.context not in kept]
        if own and elsewhere:
            cases = sample(own, per_doc, budget.seed + article) + sample(
                elsewhere, per_doc, budget.seed + article
            )
            yield Scenario(data, "short", "abstention", (article,), tuple(cases), paragraphs=n)


# -- running ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts for one (set, mode, group)."""

    n: int = 0
    quote1: int = 0
    quote3: int = 0
    highlight1: int = 0
    rr: float = 0.0
    answered: int = 0
    out_n: int = 0
    out_declined: int = 0
    impossible_n: int = 0
    impossible_declined: int = 0
    #: (confidence, first quote right) of every question asked with a confidence
    calibration: list[tuple[float, bool]] = field(default_factory=list)

    def ranked(self, case: Case, r: Ranking) -> None:
        self.n += 1
        hits = [contains(p, case.answers) for p in r.passages[:10]]
        self.quote1 += bool(hits[:1] and hits[0])
        self.quote3 += any(hits[:3])
        self.highlight1 += contains(r.highlight, case.answers)
        self.rr += next((1.0 / (i + 1) for i, h in enumerate(hits) if h), 0.0)
        self.answered += r.answered
        if r.confidence is not None:
            self.calibration.append((r.confidence, bool(hits[:1] and hits[0])))

    def outside(self, r: Ranking) -> None:
        self.out_n += 1
        self.out_declined += not r.answered
        if r.confidence is not None:
            self.calibration.append((r.confidence, False))

    def impossible(self, r: Ranking) -> None:
        self.impossible_n += 1
        self.impossible_declined += not r.answered


@dataclass
class SetResult:
    """Everything measured on one set: per (mode, group), the system and each baseline."""

    name: str
    kind: str
    tallies: dict[tuple[str, str], dict[str, Tally]] = field(default_factory=dict)
    seconds: float = 0.0

    def tally(self, mode: str, group: str, system: str) -> Tally:
        return self.tallies.setdefault((mode, group), {}).setdefault(system, Tally())


System = Callable[[Case], Ranking]


def run_set(
    data: EvalSet,
    others: Sequence[EvalSet],
    embedder: CachingEmbedder,
    chunking: ChunkingSettings,
    make_answerer: AnswererFactory,
    budget: Budget,
    progress: Callable[[str], None] = lambda _: None,
    multilingual: CachingEmbedder | None = None,
) -> SetResult:
    """Every scenario of ``data``, the system beside the baselines; with ``multilingual``, the
    indexes have the multilingual space too (questions in other languages are searched
    there)."""
    started = time.perf_counter()
    result = SetResult(data.name, data.kind)
    with tempfile.TemporaryDirectory(prefix="verbatim-eval-") as tmp:
        for number, scenario in enumerate(scenarios(data, others, budget)):
            if number % 20 == 0:
                progress(f"{data.name}: {scenario.mode} {scenario.group} ({number})")
            answerer = build_answerer(
                scenario, embedder, chunking, make_answerer, Path(tmp) / str(number), multilingual
            )
            texts = [article.text() for article in scenario.articles()]
            naive = NaiveBaseline(texts, embedder)
            systems: dict[str, System] = {
                "verbatim": verbatim_system(answerer),
                "baseline": naive_system(naive),
            }
            if scenario.mode == "conversation":
                systems["verbatim alone"] = verbatim_system(answerer, with_history=False)
                systems["baseline + history"] = naive_system(naive, with_history=True)
            for case in scenario.cases:
                for name, system in systems.items():
                    tally = result.tally(scenario.mode, scenario.group, name)
                    ranking = system(case)
                    if case.impossible:
                        tally.impossible(ranking)
                    elif scenario.in_corpus(case):
                        tally.ranked(case, ranking)
                    else:
                        tally.outside(ranking)
    result.seconds = time.perf_counter() - started
    return result


def build_answerer(
    scenario: Scenario,
    embedder: CachingEmbedder,
    chunking: ChunkingSettings,
    make_answerer: AnswererFactory,
    workdir: Path,
    multilingual: CachingEmbedder | None = None,
) -> Answerer:
    """Write the scenario's articles as a corpus, build it with the real build, load it."""
    corpus, index = workdir / "corpus", workdir / "index"
    corpus.mkdir(parents=True)
    for row, article in zip(scenario.indexed, scenario.articles(), strict=True):
        (corpus / f"{row:05d}.txt").write_text(article.text(), encoding="utf-8")
    build_index(corpus, index, embedder, chunking, full=True, multilingual=multilingual)
    return make_answerer(load_version(index), scenario.data.name)


def verbatim_system(answerer: Answerer, *, with_history: bool = True) -> System:
    """The answerer, given the conversation's earlier questions as its history (ranking with
    abstention off; ``answered`` says whether it would have answered)."""

    def run(case: Case) -> Ranking:
        history = list(case.history) if with_history else []
        forced = answerer.answer(case.question, history, k=10, force=True)
        passages = tuple(p.text for p in forced.passages)
        return Ranking(
            passages,
            forced.passages[0].highlight if forced.passages else "",
            forced.answered,
            forced.confidence,
        )

    return run


def naive_system(naive: NaiveBaseline, *, with_history: bool = False) -> System:
    """The naive baseline, asked the question alone or after every earlier question."""

    def run(case: Case) -> Ranking:
        return naive(" ".join([*case.history, case.question]) if with_history else case.question)

    return run


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def contains(passage: str, answers: Sequence[str]) -> bool:
    """Does the passage hold one of the gold answers (case-insensitive, spaces collapsed)?"""
    hay = _norm(passage)
    return any(_norm(a) in hay for a in answers)
