"""The suite's table: one row per set, mode and figure, the system beside its baseline."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from index.evaluation.suite import SetResult, Tally


@dataclass(frozen=True, slots=True)
class Row:
    set: str
    mode: str
    metric: str
    n: int
    system: float
    baseline: float | None  # None: no baseline for this figure
    baseline_name: str = "baseline"

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline <= 0:
            return None
        return self.system / self.baseline

    def to_json(self) -> dict[str, object]:
        out = asdict(self)
        out["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        return out


def rows(result: SetResult) -> list[Row]:
    out: list[Row] = []
    for (mode, group), systems in result.tallies.items():
        mine = systems["verbatim"]
        if group == "ranking":
            baselines = {k: v for k, v in systems.items() if k != "verbatim"}
            for metric, value in _ranking(mine).items():
                for base_name, base in baselines.items():
                    out.append(
                        Row(
                            result.name,
                            mode,
                            metric,
                            mine.n,
                            value,
                            _ranking(base)[metric],
                            base_name,
                        )
                    )
                    if metric not in {"quote@1", "highlight@1"}:
                        break  # the other figures beside the naive baseline only
        if mine.out_n:
            label = {"per-doc": "off-topic declined", "short": "other-paragraph declined"}.get(
                mode, "held-out declined"
            )
            out.append(
                Row(
                    result.name,
                    mode,
                    label,
                    mine.out_n,
                    mine.out_declined / mine.out_n,
                    systems["baseline"].out_declined / max(systems["baseline"].out_n, 1),
                )
            )
        if group == "abstention" and mine.n:
            out.append(
                Row(
                    result.name,
                    mode,
                    "in-index answered",
                    mine.n,
                    mine.answered / mine.n,
                    systems["baseline"].answered / max(systems["baseline"].n, 1),
                )
            )
        if mine.impossible_n:
            out.append(
                Row(
                    result.name,
                    mode,
                    "is_impossible declined",
                    mine.impossible_n,
                    mine.impossible_declined / mine.impossible_n,
                    systems["baseline"].impossible_declined / systems["baseline"].impossible_n,
                )
            )
    return _merge_abstention(out)


def _ranking(t: Tally) -> dict[str, float]:
    n = max(t.n, 1)
    return {
        "quote@1": t.quote1 / n,
        "highlight@1": t.highlight1 / n,
        "quote@3": t.quote3 / n,
        "MRR": t.rr / n,
        "answered": t.answered / n,
    }


def _merge_abstention(out: list[Row]) -> list[Row]:
    """Rows of the same (set, mode, figure) from several groups are added up by n."""
    merged: dict[tuple[str, str, str, str], Row] = {}
    for row in out:
        key = (row.set, row.mode, row.metric, row.baseline_name)
        if key in merged:
            old = merged[key]
            n = old.n + row.n
            base = None
            if old.baseline is not None and row.baseline is not None:
                base = (old.baseline * old.n + row.baseline * row.n) / n
            merged[key] = Row(
                row.set,
                row.mode,
                row.metric,
                n,
                (old.system * old.n + row.system * row.n) / n,
                base,
                row.baseline_name,
            )
        else:
            merged[key] = row
    return list(merged.values())


#: A set of the same questions in several languages (MLQA's ``context-en-question-de.json``)
_LANGUAGE_SET = re.compile(r"^(?P<stem>.+-question-)(?P<lang>[a-z]{2,3})$")


def language_rows(table: Sequence[Row]) -> list[Row]:
    """Each language's ranking figures beside the same questions asked in English, when both
    sets ran (``…-question-de`` beside ``…-question-en``): baseline "English"."""
    by_key = {(r.set, r.mode, r.metric): r for r in table if r.baseline_name == "baseline"}
    out = []
    for (name, mode, metric), row in by_key.items():
        match = _LANGUAGE_SET.match(name)
        if not match or match["lang"] == "en" or metric not in {"quote@1", "highlight@1"}:
            continue
        if mode == "typos":  # one word misspelt: a check of the English speller
            continue
        english = by_key.get((f"{match['stem']}en", mode, metric))
        if english is not None:
            out.append(Row(name, mode, metric, row.n, row.system, english.system, "English"))
    return out


def expected_calibration_error(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> float:
    """Mean |confidence - accuracy| over equal-width confidence bins, weighted by size."""
    if not pairs:
        return 0.0
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(c, y) for c, y in pairs if lo <= c < hi or (b == bins - 1 and c == 1.0)]
        if inside:
            conf = sum(c for c, _ in inside) / len(inside)
            acc = sum(y for _, y in inside) / len(inside)
            total += len(inside) * abs(conf - acc)
    return total / len(pairs)


def calibration_rows(result: SetResult) -> list[Row]:
    pairs = [p for systems in result.tallies.values() for p in systems["verbatim"].calibration]
    if not pairs:
        return []
    return [
        Row(result.name, "all modes", "ECE", len(pairs), expected_calibration_error(pairs), None)
    ]


def format_table(table: Sequence[Row], seconds: dict[str, float]) -> str:
    head = (
        f"{'set':<24}{'mode':<14}{'figure':<24}{'n':>6}{'verbatim':>10}{'baseline':>10}{'ratio':>8}"
    )
    lines = [head, "-" * len(head)]
    last = ""
    timed: set[str] = set()  # the language rows come back to sets already shown
    for row in table:
        if row.set != last and last and last not in timed:
            lines.append(f"{'':<24}{'':<14}{'seconds':<24}{'':>6}{seconds.get(last, 0):>10.0f}")
            timed.add(last)
        last = row.set
        metric = (
            row.metric
            if row.baseline_name == "baseline"
            else f"{row.metric} vs {row.baseline_name}"
        )
        base = "" if row.baseline is None else f"{row.baseline:.3f}"
        ratio = "" if row.ratio is None else f"{row.ratio:.2f}×"
        lines.append(
            f"{row.set[:23]:<24}{row.mode:<14}{metric[:23]:<24}{row.n:>6}{row.system:>10.3f}"
            f"{base:>10}{ratio:>8}"
        )
    if last and last not in timed:
        lines.append(f"{'':<24}{'':<14}{'seconds':<24}{'':>6}{seconds.get(last, 0):>10.0f}")
    return "\n".join(lines)
