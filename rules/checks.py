"""Static checks of scoring rules: ranges, tier coverage, thresholds, reachable points."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from rules import _intervals, _tiers_exact, _tiers_sampled
from rules._findings import Finding
from rules._locate import Locate, nearest_origin
from rules._numbers import format_decimal
from rules.adjustments import Adjustment
from rules.inputs import InputSpec
from rules.scoring import Boolean, Formula, Linear, Scoring, Tiers

__all__ = ["Problem", "check_adjustment", "check_scoring"]

_EMPTY: Mapping[str, InputSpec] = MappingProxyType({})


@dataclass(frozen=True)
class Problem:
    """One finding of a static check, located in the methodology file."""

    severity: str  # "error" | "warning"
    code: str  # short slug, e.g. "tier-gap"
    message: str
    path: str | None = None
    file: str | None = None
    line: int | None = None
    column: int | None = None
    suggestion: str | None = None

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        if self.line is None and self.path:
            where = f"{where}: {self.path}" if where else self.path
        text = f"{self.severity}[{self.code}]: {self.message}"
        text = f"{where}: {text}" if where else text
        return f"{text} ({self.suggestion})" if self.suggestion else text

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "path": self.path,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "suggestion": self.suggestion,
        }


class _Report:
    def __init__(self, locate: Locate | None) -> None:
        self.locate = locate
        self.problems: list[Problem] = []

    def add(
        self,
        code: str,
        message: str,
        path: str,
        *,
        severity: str = "error",
        suggestion: str | None = None,
    ) -> None:
        origin = nearest_origin(self.locate, path)
        self.problems.append(
            Problem(
                severity,
                code,
                message,
                path,
                origin.file,
                origin.line,
                origin.column,
                suggestion,
            )
        )

    def points(self, value: Decimal, max_points: Decimal, path: str, what: str) -> None:
        if not Decimal(0) <= value <= max_points:
            self.add(
                "points-out-of-range",
                f"{what} gives {format_decimal(value)} points, outside [0, {format_decimal(max_points)}]",
                path,
            )


def check_scoring(
    scoring: Scoring,
    *,
    inputs: Mapping[str, InputSpec],
    max_points: Decimal | None,
    path: str = "scoring",
    locate: Locate | None = None,
    facts: Mapping[str, InputSpec] = _EMPTY,
    bonus: Adjustment | None = None,
    penalty: Adjustment | None = None,
    places: int | None = None,
) -> list[Problem]:
    """Problems of a scoring rule: points out of range, tier overlaps / gaps /
    unreachable tiers, badly ordered linear thresholds, and a rule (with its ``bonus``)
    that can never give ``max_points`` once rounded to ``places`` (None: not rounded).
    ``max_points`` None: the node's maximum is itself invalid, so nothing is checked
    against it."""
    report = _Report(locate)
    top = None if max_points is None else Decimal(str(max_points))
    unreachable: set[int] = set()
    if isinstance(scoring, Tiers):
        if top is not None:
            for index, tier in enumerate(scoring.tiers):
                where = f"{path}.tiers[{index}].points"
                report.points(tier.points, top, where, f"tier {index + 1}")
        unreachable = _check_tiers(scoring, {**facts, **inputs}, path, report)
    elif isinstance(scoring, Boolean) and scoring.points is not None and top is not None:
        report.points(scoring.points, top, f"{path}.points", "the condition")
    elif isinstance(scoring, Linear):
        _check_linear(scoring, top, path, report)
    # a rule with errors of its own is fixed first: its reach is checked once it is right
    if top is not None and not any(p.severity == "error" for p in report.problems):
        base = _base_range(scoring, {**facts, **inputs}, top, unreachable)
        if base is not None:
            _check_reach(base, top, bonus, penalty, places, report)
    return report.problems


def _base_range(
    scoring: Scoring, specs: Mapping[str, InputSpec], top: Decimal, unreachable: set[int]
) -> tuple[Decimal, Decimal] | None:
    """The lowest and highest points the rule itself can give, before bonus and penalty;
    None when that cannot be bounded (a ratio's quotient, a formula over an unbounded
    input or dividing by something that can be 0, kinds without a rule)."""
    if isinstance(scoring, Tiers):
        points = [t.points for i, t in enumerate(scoring.tiers) if i not in unreachable]
        return (min(points), max(points)) if points else None
    if isinstance(scoring, Boolean):
        return Decimal(0), top if scoring.points is None else scoring.points
    if isinstance(scoring, Linear) and scoring.thresholds:
        points = [p for _, p in scoring.thresholds]
        return min(points), max(points)
    if isinstance(scoring, Formula):
        found = _intervals.number_range(scoring.expression.ast, specs)
        ends = None if found is None else _intervals.bounded(found)
        if ends is None:
            return None
        lo, hi = ends
        return min(top, max(Decimal(0), lo)), min(top, max(Decimal(0), hi))  # clamped
    return None


# Interval arithmetic is exact for sums, products and bounds, but a quotient is rounded
# to 60 digits: a formula whose range reaches its maximum up to this much does reach it.
_SLACK = Decimal("1e-40")


def _check_reach(
    base: tuple[Decimal, Decimal],
    top: Decimal,
    bonus: Adjustment | None,
    penalty: Adjustment | None,
    places: int | None,
    report: _Report,
) -> None:
    # points = clamp(clamp(base, 0, top) + bonus − penalty, 0, top), each adjustment
    # at most its cap: the range below can only be wider than the real one, so an
    # error here is never a false one
    lo, hi = (min(top, max(Decimal(0), b)) for b in base)
    up = bonus.cap if bonus is not None and bonus.rules else Decimal(0)
    down = penalty.cap if penalty is not None and penalty.rules else Decimal(0)
    hi, lo = min(top, hi + up), max(Decimal(0), lo - down)
    if places is not None:  # leaves are scored rounded half-up to the places
        unit = Decimal(1).scaleb(-places)
        hi = min(top, hi + _SLACK).quantize(unit, rounding=ROUND_HALF_UP).normalize()
        lo = lo.quantize(unit, rounding=ROUND_HALF_UP).normalize()
    if hi + _SLACK < top:
        shown = f"[{format_decimal(lo)}, {format_decimal(hi)}]"
        report.add(
            "max-unreachable",
            f"quy tắc chấm không bao giờ cho đủ max_points {format_decimal(top)}: "
            f"điểm chỉ nằm trong {shown}" + (" (kể cả điểm thưởng)" if up else ""),
            "max_points",
            suggestion=f"đặt max_points là {format_decimal(hi)} hoặc sửa quy tắc để cho "
            f"được {format_decimal(top)} điểm",
        )


def _check_tiers(
    tiers: Tiers, specs: Mapping[str, InputSpec], path: str, report: _Report
) -> set[int]:
    """Report the tier findings; return the tiers no value can reach."""
    conditions = [t.condition for t in tiers.tiers]
    try:
        findings = _tiers_exact.analyse([c.ast if c else None for c in conditions], specs)
    except _tiers_exact.NotExact:
        findings = _tiers_sampled.analyse(conditions, specs)
    for finding in findings:
        report.add(
            finding.code,
            finding.message,
            _finding_path(finding, tiers, path),
            severity=finding.severity,
        )
    return {f.tier for f in findings if f.code == "tier-unreachable"}


def _finding_path(finding: Finding, tiers: Tiers, path: str) -> str:
    if finding.code == "tier-gap":
        return f"{path}.tiers"
    key = "otherwise" if tiers.tiers[finding.tier].condition is None else "when"
    return f"{path}.tiers[{finding.tier}].{key}"


def _check_linear(linear: Linear, max_points: Decimal | None, path: str, report: _Report) -> None:
    rows = linear.thresholds
    if len(rows) < 2:
        report.add(
            "linear-thresholds",
            f"linear scoring needs at least 2 thresholds, got {len(rows)}",
            f"{path}.thresholds",
        )
    for index, (at, points) in enumerate(rows):
        where = f"{path}.thresholds[{index}]"
        if max_points is not None:
            report.points(points, max_points, f"{where}.points", f"threshold {index + 1}")
        if index and at <= rows[index - 1][0]:
            report.add(
                "linear-thresholds",
                f"threshold {index + 1} (at {format_decimal(at)}) must be above "
                f"threshold {index} (at {format_decimal(rows[index - 1][0])})",
                f"{where}.at",
                suggestion="list thresholds with strictly ascending `at`",
            )


def check_adjustment(
    adjustment: Adjustment, *, path: str | None = None, locate: Locate | None = None
) -> list[Problem]:
    """Problems of a bonus/penalty block: its cap and each rule's points must be > 0."""
    path = path if path is not None else adjustment.kind
    report = _Report(locate)
    if adjustment.cap <= 0:
        report.add(
            "adjustment-cap",
            f"{adjustment.kind} cap must be greater than 0, got {format_decimal(adjustment.cap)}",
            f"{path}.cap",
        )
    for index, rule in enumerate(adjustment.rules):
        if rule.points <= 0:
            hint = "a penalty's points are subtracted, so write them as positive numbers"
            report.add(
                "adjustment-points",
                f"{adjustment.kind} rule {index + 1} must give more than 0 points, "
                f"got {format_decimal(rule.points)}",
                f"{path}.rules[{index}].points",
                suggestion=hint if adjustment.kind == "penalty" else None,
            )
    return report.problems
