"""Static checks of scoring rules: each kind's own (`rules.Scoring.check`), reachable
points, and bonus and penalty blocks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Any

from rules._locate import Locate, nearest_origin
from rules._numbers import format_decimal
from rules.adjustments import Adjustment
from rules.inputs import InputSpec
from rules.scoring import Scoring

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
    """Problems located in the methodology file (a `rules.Findings` for kinds' checks)."""

    def __init__(
        self,
        locate: Locate | None,
        path: str = "",
        names: Mapping[str, InputSpec] = _EMPTY,
    ) -> None:
        self.locate = locate
        self.path = path
        self.names = names
        self.problems: list[Problem] = []
        self.range: tuple[Decimal, Decimal] | None = None

    def at(
        self,
        code: str,
        message: str,
        path: str,
        *,
        severity: str = "error",
        suggestion: str | None = None,
    ) -> None:
        """A problem at ``path``, a key path from the top of the front matter."""
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

    def add(
        self,
        code: str,
        message: str,
        where: str = "",
        *,
        severity: str = "error",
        suggestion: str | None = None,
    ) -> None:
        path = f"{self.path}.{where}" if where else self.path
        self.at(code, message, path, severity=severity, suggestion=suggestion)

    def points(self, value: Decimal, max_points: Decimal, where: str, what: str) -> None:
        if not Decimal(0) <= value <= max_points:
            self.add(
                "points-out-of-range",
                f"{what} gives {format_decimal(value)} points, outside [0, {format_decimal(max_points)}]",
                where,
            )

    def reach(self, low: Decimal, high: Decimal) -> None:
        self.range = (low, high)


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
    """Problems of a scoring rule: the kind's own (`rules.Scoring.check`: points out
    of range, tier overlaps / gaps / unreachable tiers, badly ordered linear thresholds,
    a registered kind's) and a rule (with its ``bonus``) that can never give
    ``max_points`` once rounded to ``places`` (None: not rounded). ``max_points`` None:
    the node's maximum is itself invalid, so nothing is checked against it."""
    report = _Report(locate, path, {**facts, **inputs})
    top = None if max_points is None else Decimal(str(max_points))
    scoring.check(report, top)
    # a rule with errors of its own is fixed first: its reach is checked once it is right
    errors = any(p.severity == "error" for p in report.problems)
    if top is not None and report.range is not None and not errors:
        _check_reach(report.range, top, bonus, penalty, places, report)
    return report.problems


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
        report.at(
            "max-unreachable",
            f"quy tắc chấm không bao giờ cho đủ max_points {format_decimal(top)}: "
            f"điểm chỉ nằm trong {shown}" + (" (kể cả điểm thưởng)" if up else ""),
            "max_points",
            suggestion=f"đặt max_points là {format_decimal(hi)} hoặc sửa quy tắc để cho "
            f"được {format_decimal(top)} điểm",
        )


def check_adjustment(
    adjustment: Adjustment, *, path: str | None = None, locate: Locate | None = None
) -> list[Problem]:
    """Problems of a bonus/penalty block: its cap and each rule's points must be > 0."""
    path = path if path is not None else adjustment.kind
    report = _Report(locate, path)
    if adjustment.cap <= 0:
        report.add(
            "adjustment-cap",
            f"{adjustment.kind} cap must be greater than 0, got {format_decimal(adjustment.cap)}",
            "cap",
        )
    for index, rule in enumerate(adjustment.rules):
        if rule.points <= 0:
            hint = "a penalty's points are subtracted, so write them as positive numbers"
            report.add(
                "adjustment-points",
                f"{adjustment.kind} rule {index + 1} must give more than 0 points, "
                f"got {format_decimal(rule.points)}",
                f"rules[{index}].points",
                suggestion=hint if adjustment.kind == "penalty" else None,
            )
    return report.problems
