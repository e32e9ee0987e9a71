"""Methodology-adjusted year-over-year change.

A unit scored under version A in one period and under version B in the next changed
by ``index_B(later) − index_A(earlier)``. Scoring the later submission under A as well
splits that change in two: the *methodology effect*, ``index_B(later) −
index_A(later)`` (same submission, two versions: attributed per node as an audit
does), and the *performance effect*, ``index_A(later) − index_A(earlier)`` (same
version, two submissions: attributed per node to the cause ``performance``). Inputs
A needs that the later submission lacks (criteria B removed) are carried from the
earlier submission and listed, so they contribute no performance change; a unit that
still lacks inputs is reported incomplete. Amounts sum exactly to the published delta,
the rest of rounding the two indices being the cause ``rounding``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from evaluators.analysis.attribution import (
    Entry,
    Scored,
    Skipped,
    VersionPair,
    entries,
    find_unit,
    index_exact,
    ranks,
    sort_notes,
    to_index,
)
from evaluators.analysis.labels import number, vn
from evaluators.analysis.reports import (
    cell,
    chart_lines,
    rank_text,
    row_start,
    skipped_markdown,
    skipped_text,
    table,
    version_name,
    versions_line,
)
from evaluators.errors import EvaluatorError
from evaluators.program import Program
from evaluators.scoring.ranking import vietnamese_key
from evaluators.submission import Submission
from methodology import Versions, cause_label

__all__ = ["Trend", "UnitTrend", "trend"]


@dataclass
class UnitTrend:
    """One unit's change between two periods, split into methodology and performance."""

    unit: str
    unit_name: str
    period_from: str
    period_to: str
    complete: bool
    ranked: bool
    index_from: Decimal | None = None
    index_to: Decimal | None = None
    index_later_under_from: Decimal | None = None
    rank_from: int | None = None
    rank_to: int | None = None
    attribution: list[Entry] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    filled: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def delta(self) -> Decimal | None:
        if self.index_from is None or self.index_to is None or not self.complete:
            return None
        return self.index_to - self.index_from

    def effect(self, *causes: str, exclude: bool = False) -> Decimal | None:
        if self.delta is None:
            return None
        return sum(
            (e.amount for e in self.attribution if (e.cause in causes) != exclude),
            Decimal(0),
        )

    @property
    def rank_change(self) -> int | None:
        if self.rank_from is None or self.rank_to is None:
            return None
        return self.rank_from - self.rank_to

    def to_json(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "unit_name": self.unit_name,
            "period_from": self.period_from,
            "period_to": self.period_to,
            "complete": self.complete,
            "ranked": self.ranked,
            "index_from": number(self.index_from),
            "index_to": number(self.index_to),
            "index_later_under_from": number(self.index_later_under_from),
            "delta": number(self.delta),
            "methodology_effect": number(self.effect("performance", "rounding", exclude=True)),
            "performance_effect": number(self.effect("performance")),
            "rounding": number(self.effect("rounding")),
            "rank_from": self.rank_from,
            "rank_to": self.rank_to,
            "rank_change": self.rank_change,
            "attribution": [e.to_json() for e in self.attribution],
            "missing": self.missing,
            "filled": self.filled,
            "notes": self.notes,
        }


@dataclass
class Trend:
    """Year-over-year changes of a cohort (`to_json`, `to_markdown`)."""

    source: dict[str, Any]
    target: dict[str, Any]
    units: list[UnitTrend]
    unmatched: list[dict[str, Any]]
    skipped: list[Skipped] = field(default_factory=list)

    def unit(self, unit_id: str) -> UnitTrend:
        return find_unit(self.units, unit_id)

    def to_json(self) -> dict[str, Any]:
        complete = [u for u in self.units if u.complete]
        return {
            "from": self.source,
            "to": self.target,
            "summary": {
                "units": len(self.units),
                "complete": len(complete),
                "methodology_effect": number(
                    _mean([u.effect("performance", "rounding", exclude=True) for u in complete])
                ),
                "performance_effect": number(_mean([u.effect("performance") for u in complete])),
                "skipped": len(self.skipped),
            },
            "unmatched": self.unmatched,
            "units": [u.to_json() for u in self.units],
            "skipped": [s.to_json() for s in self.skipped],
        }

    def to_markdown(self, *, charts: dict[str, str] | None = None) -> str:
        return trend_markdown(self, charts or {})


def trend(
    a: Program,
    b: Program,
    earlier: Sequence[Submission],
    later: Sequence[Submission],
    *,
    not_ranked: Sequence[str] = (),
    pair: VersionPair | None = None,
    versions: Versions | None = None,
) -> Trend:
    """Split each unit's change from ``earlier`` (scored under ``a``) to ``later``
    (scored under ``b``) into a methodology effect and a performance effect, each
    attributed per node. Units are matched by id; the others are listed unmatched.
    ``versions`` tells which version each submission was made for, however its ref is
    spelled; every step left out is listed in ``skipped``."""
    if not earlier or not later:
        raise EvaluatorError("a trend needs submissions for both periods")
    pair = pair or VersionPair(a, b, versions)
    by_unit = {s.unit: s for s in earlier}
    later_units = {s.unit for s in later}
    unmatched = [
        {"unit": s.unit, "period": s.period, "message": "no submission in the other period"}
        for s in [*earlier, *later]
        if (s.unit not in later_units if s in earlier else s.unit not in by_unit)
    ]
    skipped = [
        Skipped(
            "unmatched",
            f"đơn vị '{m['unit']}' chỉ có hồ sơ kỳ {m['period']}, không so sánh được giữa hai kỳ",
            m["unit"],
            period=m["period"],
        )
        for m in unmatched
    ]
    matched = [s for s in later if s.unit in by_unit]
    if not matched:
        raise EvaluatorError("no unit has a submission in both periods")
    first, later_a, later_b, filled, notes = [], [], [], [], []
    for sub in matched:
        before = by_unit[sub.unit]
        old, n_old = pair.project(before, "a")
        on_a, n_a = pair.project(sub, "a")
        on_a, carried = pair.fill(on_a, old, "a")
        on_b, n_b = pair.project(sub, "b")
        first.append(old)
        later_a.append(on_a)
        later_b.append(on_b)
        filled.append([{**f, "version": "from"} for f in carried])
        kept: list[dict[str, Any]] = []
        for n, version, period in (
            (n_old, "from", before.period),
            (n_a, "from", sub.period),
            (n_b, "to", sub.period),
        ):
            k, s = sort_notes(n, unit=sub.unit, version=version, period=period)
            kept += [{**note, "period": period} for note in k]
            skipped += s
        notes.append(kept)
    s1, s2a, s2b = Scored.of(pair.a, first), Scored.of(pair.a, later_a), Scored.of(pair.b, later_b)
    skip = pair.not_ranked(not_ranked)
    ranks_from = ranks(s1, matched, skip)
    ranks_to = ranks(s2b, matched, skip)
    places = max(pair.a.places, pair.b.places) + 2
    units = []
    for row, sub in enumerate(matched):
        complete = all(bool(s.batch.complete[row]) for s in (s1, s2a, s2b))
        u = UnitTrend(
            unit=sub.unit,
            unit_name=sub.unit_name or sub.unit,
            period_from=by_unit[sub.unit].period,
            period_to=sub.period,
            complete=complete,
            ranked=sub.unit not in skip,
            filled=filled[row],
            notes=notes[row],
        )
        for scored, version in ((s1, "from"), (s2a, "from"), (s2b, "to")):
            if not scored.batch.complete[row]:
                (result,) = scored.batch.results([row])
                u.missing += [
                    {"version": version, "period": result.period, **p} for p in result.problems
                ]
        if s1.batch.complete[row]:
            u.index_from, u.rank_from = s1.batch.index[row], ranks_from.get(sub.unit)
        if s2b.batch.complete[row]:
            u.index_to, u.rank_to = s2b.batch.index[row], ranks_to.get(sub.unit)
        if complete:
            u.index_later_under_from = s2a.batch.index[row]
        # A complete unit whose every node is not applicable (exclude_and_normalize) has
        # no index, so no change to split.
        if u.delta is not None and u.index_later_under_from is not None:
            u.attribution = _attribute(pair, s1, s2a, s2b, row, u.delta, places)
        units.append(u)
    units.sort(key=lambda u: (u.rank_to is None, u.rank_to or 0, vietnamese_key(u.unit_name)))
    return Trend(pair.a.describe(), pair.b.describe(), units, unmatched, skipped)


def _attribute(
    pair: VersionPair,
    s1: Scored,
    s2a: Scored,
    s2b: Scored,
    row: int,
    delta: Decimal,
    places: int,
) -> list[Entry]:
    a, b = pair.a, pair.b
    t1, m1 = s1.total(row), s1.applicable_max(row)
    t2a, m2a = s2a.total(row), s2a.applicable_max(row)
    t2b, m2b = s2b.total(row), s2b.applicable_max(row)
    exact_1 = index_exact(a.policy, a.scale, t1, m1)
    exact_2b = index_exact(b.policy, b.scale, t2b, m2b)
    assert exact_1 is not None and exact_2b is not None
    perf, den_p = to_index(
        pair.terms(s1, row, s2a, row, same_version=True),
        policy=a.policy,
        scale=a.scale,
        total_a=t1,
        amax_a=m1,
        amax_b=m2a,
    )
    method, den_m = to_index(
        pair.terms(s2a, row, s2b, row),
        policy=a.policy,
        scale=a.scale,
        total_a=t2a,
        amax_a=m2a,
        amax_b=m2b,
    )
    den = math.lcm(den_p, den_m)
    raw = [(c, n, v * (den // den_p)) for c, n, v in perf]
    raw += [(c, n, v * (den // den_m)) for c, n, v in method]
    extra: list[tuple[str, str | None, Fraction]] = []
    if (a.policy, a.scale) != (b.policy, b.scale):
        middle = index_exact(a.policy, a.scale, t2b, m2b)
        assert middle is not None
        cause = "policy_changed" if a.policy != b.policy else "scale_changed"
        extra.append((cause, None, exact_2b - middle))
    extra.append(("rounding", None, Fraction(delta) - (exact_2b - exact_1)))
    return entries(pair, raw, den, extra, delta, places)


def _mean(values: list[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    if not present:
        return None
    return (sum(present, Decimal(0)) / len(present)).quantize(Decimal("0.0001"))


def trend_markdown(trend: Trend, charts: Mapping[str, str]) -> str:
    """The year-over-year analysis as a Markdown document (no trailing newline)."""
    complete = [u for u in trend.units if u.complete]
    lines = [
        "# Biến động Chỉ số CCHC giữa hai kỳ, đã tách ảnh hưởng của thay đổi bộ chỉ số",
        "",
        f"- Kỳ trước chấm theo: {version_name(trend.source)}",
        f"- Kỳ sau chấm theo: {version_name(trend.target)}",
        "",
        "Ảnh hưởng của bộ chỉ số = chỉ số kỳ sau theo phiên bản mới − chỉ số của cùng hồ sơ "
        "kỳ sau chấm theo phiên bản cũ; phần còn lại là kết quả thực hiện của đơn vị.",
        "",
    ]
    lines += chart_lines(charts, {"waterfall": "Phân tích biến động"})
    lines += [
        "| Đơn vị | Chỉ số kỳ trước | Chỉ số kỳ sau | Chênh lệch | Do bộ chỉ số "
        f"| Do kết quả thực hiện | {cause_label('rounding')} | Hạng trước | Hạng sau |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for u in complete:
        lines.append(
            f"| {cell(u.unit_name)} | {vn(u.index_from)} | {vn(u.index_to)} "
            f"| {vn(u.delta, sign=True)} "
            f"| {vn(u.effect('performance', 'rounding', exclude=True), 4, sign=True)} "
            f"| {vn(u.effect('performance'), 4, sign=True)} "
            f"| {vn(u.effect('rounding'), 4, sign=True)} "
            f"| {rank_text(u.rank_from)} | {rank_text(u.rank_to)} |"
        )
    incomplete = [u for u in trend.units if not u.complete]
    if incomplete:
        lines += ["", "## Đơn vị chưa đủ dữ liệu", ""]
        lines += [
            f"- **{u.unit_name}**: " + "; ".join(p["message"] for p in u.missing)
            for u in incomplete
        ]
    lines += skipped_markdown(trend.skipped)
    return "\n".join(lines)


def trend_text(trend: Trend) -> str:
    """The trend for a terminal: one line per unit with the two effects."""
    lines = [
        versions_line(trend.source, trend.target),
        "",
    ]
    rows = []
    for u in trend.units:
        if u.complete:
            rows.append(
                [
                    *row_start(u),
                    vn(u.effect("performance", "rounding", exclude=True), 4, sign=True),
                    vn(u.effect("performance"), 4, sign=True),
                ]
            )
        else:
            rows.append(["—", u.unit_name, "", "", "", "", "incomplete"])
    lines += table(
        ["rank", "unit", "from", "to", "delta", "methodology", "performance"],
        rows,
        {0, 2, 3, 4, 5, 6},
    )
    lines += skipped_text(trend.skipped)
    return "\n".join(lines)
