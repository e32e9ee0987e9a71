"""Scoring kinds: how a node's inputs turn into points.

Each kind is a frozen dataclass registered in :data:`KINDS` under the name
used in front matter (``scoring: {kind: tiers, ...}``). A kind is one object
that owns everything about it, and every engine reads it only through these
operations — none knows a kind by name:

- reading and checking its mapping (``from_spec``, errors through the
  `SpecContext`), writing it back (``to_dict``), the names it reads
  (``names``), its own static checks (``check``, run when a methodology is
  validated, each problem located at file:line);
- the outcomes engines test (``conditions``: the first that holds fires; none:
  the kind itself is the outcome), the number expressions its points read
  (``parts``: engines compile them once) and, for a kind whose points are
  submitted per criterion rather than computed, where they come from
  (``source``: a leaf without it is missing);
- its exact points (``score``, or the simpler ``base_points``): the base
  before bonus, penalty and the clamp, or "not applicable"; a kind whose points
  depend on the outcome alone says so (``constant_points``) and engines keep
  them per outcome;
- optional vectorised points (``vector_score``, or the simpler
  ``vector_points`` expression) over whole columns; without them every row of
  the leaf goes the exact way;
- its wording for people (``describe``).

A province adds a kind by subclassing :class:`Scoring`, implementing
``from_spec``, ``to_dict``, ``describe`` and ``base_points`` (or ``score``),
and whichever of the others it has, then calling :func:`register_kind`. The
built-in kinds below are written the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar, Protocol

from rules import _intervals, _tiers_exact, _tiers_sampled, ast
from rules._locate import Locate
from rules._numbers import format_decimal, format_percent
from rules._spec import SpecContext
from rules._suggest import did_you_mean
from rules.errors import EvaluationError
from rules.expression import Expression
from rules.inputs import InputSpec, InputType
from rules.points import EXACT, Arithmetic, interpolate
from rules.types import Type

__all__ = [
    "KINDS",
    "ON_ZERO",
    "SOURCES",
    "Base",
    "Boolean",
    "Findings",
    "Formula",
    "Given",
    "Linear",
    "Manual",
    "Ratio",
    "Scoring",
    "SpecContext",
    "Survey",
    "Tier",
    "Tiers",
    "VectorBase",
    "VectorOps",
    "points_problem",
    "register_kind",
]

ON_ZERO = ("full", "zero", "not_applicable")
_EMPTY: Mapping[str, InputSpec] = MappingProxyType({})


def _names(*expressions: Expression | None) -> frozenset[str]:
    return frozenset().union(*(e.names for e in expressions if e is not None))


# where points submitted per criterion come from: an imported survey score, or the points
# the appraisal council entered (`Scoring.source`)
SOURCES = ("survey", "appraisal")


class Given(Protocol):
    """What a kind's exact points read for one leaf in one pass of a submission."""

    @property
    def values(self) -> Mapping[str, Any]:
        """The clean inputs and facts."""

    @property
    def source(self) -> Decimal | None:
        """The number submitted for the leaf from the kind's `Scoring.source`."""

    def part(self, expression: Expression) -> Any:
        """The value of one of the kind's `Scoring.parts` (raises `rules.EvaluationError`
        like the expression would)."""


class VectorOps(Arithmetic, Protocol):
    """What a kind's vectorised points are built with: the `Arithmetic` of float values
    with error bounds over the rows of a cohort, and the columns the kind reads."""

    def part(self, expression: Expression) -> Any:
        """The column of one of the kind's `Scoring.parts` (or of ``vector_points``)."""

    def source(self) -> Any:
        """The column of the numbers submitted from the kind's `Scoring.source`."""

    def equal(self, a: Any, b: Any) -> Any:
        """The test ``a == b``."""

    def outside(self, x: Any, low: Any, high: Any) -> Any:
        """The test ``x < low or x > high``."""

    def select(self, when: Any, then: Any, otherwise: Any) -> Any:
        """``then`` where the test ``when`` holds, else ``otherwise``; the test's own
        failures and doubts count only through `VectorBase.tests`."""


@dataclass(frozen=True)
class Base:
    """A kind's exact base points for a leaf, before bonus, penalty and the clamp."""

    points: Decimal | None  # None: the rule makes the leaf not applicable
    outcome: str  # the outcome reported: the decided one unless the points change it
    reason: str | None = None  # why the leaf is not applicable


@dataclass(frozen=True)
class VectorBase:
    """A kind's vectorised base points over the rows (values of its `VectorOps`)."""

    points: Any
    # the columns the points were computed from: where one fails the row is invalid,
    # where one is in doubt the row goes the exact way
    reads: tuple[Any, ...] = ()
    # tests the points depend on: where one is in doubt the row goes the exact way
    tests: tuple[Any, ...] = ()
    # a test: where it holds the leaf is not applicable (as `Base.points` None)
    not_applicable: Any = None
    # a test: where it holds the row is invalid (as the exact points raise there)
    invalid: Any = None


class Findings(Protocol):
    """Where a kind's own checks put what they find (`Scoring.check`)."""

    @property
    def names(self) -> Mapping[str, InputSpec]:
        """The inputs and facts the rule may read."""

    def add(
        self,
        code: str,
        message: str,
        where: str = "",
        *,
        severity: str = "error",
        suggestion: str | None = None,
    ) -> None:
        """One problem; ``where`` is the key path inside the ``scoring:`` mapping
        (``"tiers[0].points"``; empty: the mapping itself), which locates it at
        file:line."""

    def points(self, value: Decimal, max_points: Decimal, where: str, what: str) -> None:
        """The problem ``points-out-of-range`` when ``value`` is outside [0, max]."""

    def reach(self, low: Decimal, high: Decimal) -> None:
        """The lowest and highest base points the rule can give (before bonus, penalty
        and the clamp): validation then checks that the node's maximum can be reached.
        A rule that cannot bound its points (a ratio's quotient) says nothing."""


class Scoring:
    """Base of all scoring kinds; ``Scoring.from_dict`` dispatches on ``kind``."""

    kind: ClassVar[str] = ""
    # the points depend on the outcome alone, ``base_points(outcome, {}, max_points)``:
    # engines keep them per outcome, and the vectorised engine picks them per row (in
    # integers when they allow it)
    constant_points: ClassVar[bool] = False
    # where points submitted per criterion come from (one of `SOURCES`), None: the
    # points are computed from the values; a leaf without its number is missing
    source: ClassVar[str | None] = None
    missing_source: ClassVar[str] = ""  # the reason given when the number is missing

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        inputs: Mapping[str, InputSpec],
        facts: Mapping[str, InputSpec] = _EMPTY,
        max_points: Decimal,
        path: str = "scoring",
        locate: Locate | None = None,
    ) -> Scoring:
        """Read a ``scoring:`` mapping; expressions may use ``inputs`` and ``facts``."""
        ctx = SpecContext({**facts, **inputs}, Decimal(str(max_points)), locate)
        data = ctx.mapping(data, path)
        kind = data.get("kind", cls.kind or None)
        if kind is None:
            raise ctx.error("missing key 'kind'", f"{path}.kind", suggestion=_kinds_hint())
        target = KINDS.get(kind) if isinstance(kind, str) else None
        if target is None:
            raise ctx.error(
                f"unknown scoring kind {kind!r}",
                f"{path}.kind",
                token=str(kind),
                suggestion=did_you_mean(str(kind), KINDS) or _kinds_hint(),
            )
        if cls is not Scoring and not issubclass(target, cls):
            raise ctx.error(f"expected kind {cls.kind!r}, got {kind!r}", f"{path}.kind")
        if "kind" not in data:
            data = {"kind": kind, **data}
        return target.from_spec(data, ctx, path)

    @classmethod
    def from_spec(cls, data: Mapping[str, Any], ctx: SpecContext, path: str) -> Scoring:
        """Build this kind from its (already dispatched) mapping."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data; ``Scoring.from_dict(s.to_dict(), ...) == s``."""
        raise NotImplementedError

    @property
    def names(self) -> frozenset[str]:
        """Inputs and facts the rule reads."""
        return frozenset()

    def check(self, report: Findings, max_points: Decimal | None) -> None:
        """Report the rule's own problems, those a methodology can have while each value
        reads well (``from_spec`` raises the others), and the range of its points;
        ``max_points`` None: the node's maximum is itself invalid, so nothing is checked
        against it."""

    def conditions(self) -> tuple[tuple[str, Expression | None], ...]:
        """The outcomes engines test in order, as (outcome id, condition): the first that
        holds fires (None: otherwise). Without conditions the outcome is the kind's name."""
        return ()

    def parts(self) -> tuple[Expression, ...]:
        """The number expressions the points read (`Given.part`, `VectorOps.part`)."""
        return ()

    def score(self, outcome: str, given: Given, max_points: Decimal) -> Base:
        """The exact base points when ``outcome`` fired. Raise `rules.EvaluationError`
        when the values give no points; it runs in `rules.DECIMAL_CONTEXT`, so
        arithmetic errors are reported like an expression's. By default: `base_points`."""
        return Base(self.base_points(outcome, given.values, max_points), outcome)

    def base_points(self, outcome: str, values: Mapping[str, Any], max_points: Decimal) -> Decimal:
        """The exact base points (before bonus, penalty and the clamp to [0, max]) when
        ``outcome`` fired, from the clean ``values`` (inputs and facts): `score` for a
        kind whose points are always a number of the values."""
        raise NotImplementedError(f"scoring kind {self.kind!r} does not compute points")

    def vector_score(self, max_points: Decimal, ops: VectorOps) -> VectorBase | None:
        """The base points over whole columns, equal to `score` on every row the error
        bounds settle; None sends every row of the leaf the exact way. By default: the
        `vector_points` expression, for a kind without conditions."""
        expression = None if self.conditions() else self.vector_points(max_points)
        if expression is None:
            return None
        points = ops.part(expression)
        return VectorBase(points, reads=(points,))

    def vector_points(self, max_points: Decimal) -> Expression | None:
        """A number expression equal to ``base_points`` for every value (`vector_score`
        for a kind whose points are one expression); None: no vectorised points."""
        return None

    def describe(self, max_points: Decimal) -> str:
        """The rule in plain Vietnamese, one line per outcome."""
        raise NotImplementedError(f"scoring kind {self.kind!r} has no description")


KINDS: dict[str, type[Scoring]] = {}


def register_kind(name: str, cls: type[Scoring], *, replace: bool = False) -> type[Scoring]:
    """Make ``cls`` available as ``scoring: {kind: <name>}``; returns ``cls``."""
    if not (isinstance(cls, type) and issubclass(cls, Scoring)):
        raise TypeError("a scoring kind must subclass rules.scoring.Scoring")
    if name in KINDS and KINDS[name] is not cls and not replace:
        raise ValueError(f"scoring kind {name!r} is already registered")
    missing = [
        m for m in ("from_spec", "to_dict", "describe") if getattr(cls, m) is getattr(Scoring, m)
    ]
    if cls.base_points is Scoring.base_points and (
        cls.constant_points or cls.score is Scoring.score
    ):
        missing.append("base_points" if cls.constant_points else "base_points (or score)")
    if cls.source is not None and cls.source not in SOURCES:
        raise TypeError(f"scoring kind {name!r}: source must be one of {', '.join(SOURCES)}")
    if missing:
        raise TypeError(f"scoring kind {name!r} must implement {', '.join(missing)}")
    cls.kind = name
    KINDS[name] = cls
    return cls


def _kinds_hint() -> str:
    return "kinds are: " + ", ".join(f"`{k}`" for k in KINDS)


@dataclass(frozen=True)
class Tier:
    """One row of a tier table; ``condition is None`` means ``otherwise``."""

    condition: Expression | None
    points: Decimal

    def to_dict(self) -> dict[str, Any]:
        """``{when, points}`` or ``{otherwise: true, points}``."""
        if self.condition is None:
            return {"otherwise": True, "points": self.points}
        return {"when": self.condition.render(), "points": self.points}


@dataclass(frozen=True)
class Tiers(Scoring):
    """Ordered conditions → points; the first tier that holds wins."""

    kind: ClassVar[str] = "tiers"
    constant_points: ClassVar[bool] = True
    tiers: tuple[Tier, ...]

    @classmethod
    def from_spec(cls, data: Mapping[str, Any], ctx: SpecContext, path: str) -> Tiers:
        """Read ``{kind: tiers, tiers: [...]}``."""
        ctx.keys(data, path, required=("kind", "tiers"))
        rows = ctx.sequence(data, "tiers", path)
        if not rows:
            raise ctx.error("tiers must not be empty", f"{path}.tiers")
        tiers = []
        for index, row in enumerate(rows):
            where = f"{path}.tiers[{index}]"
            row = ctx.mapping(row, where)
            if "otherwise" in row:
                ctx.keys(row, where, required=("otherwise", "points"))
                if row["otherwise"] is not True:
                    raise ctx.error("otherwise must be true", f"{where}.otherwise")
                if index != len(rows) - 1:
                    raise ctx.error("the otherwise tier must come last", f"{where}.otherwise")
                condition = None
            else:
                ctx.keys(row, where, required=("when", "points"))
                condition = ctx.expression(row["when"], f"{where}.when", expect=Type.BOOL)
            tiers.append(Tier(condition, ctx.number(row["points"], f"{where}.points")))
        return cls(tuple(tiers))

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data."""
        return {"kind": self.kind, "tiers": [t.to_dict() for t in self.tiers]}

    @property
    def names(self) -> frozenset[str]:
        """Inputs and facts the rule reads."""
        return _names(*(t.condition for t in self.tiers))

    def check(self, report: Findings, max_points: Decimal | None) -> None:
        """Points out of range; tier overlaps, gaps and unreachable tiers."""
        if max_points is not None:
            for index, tier in enumerate(self.tiers):
                report.points(
                    tier.points, max_points, f"tiers[{index}].points", f"tier {index + 1}"
                )
        conditions = [t.condition for t in self.tiers]
        try:
            findings = _tiers_exact.analyse(
                [c.ast if c else None for c in conditions], report.names
            )
        except _tiers_exact.NotExact:
            findings = _tiers_sampled.analyse(conditions, report.names)
        for finding in findings:
            if finding.code == "tier-gap":
                where = "tiers"
            else:
                key = "otherwise" if self.tiers[finding.tier].condition is None else "when"
                where = f"tiers[{finding.tier}].{key}"
            report.add(finding.code, finding.message, where, severity=finding.severity)
        unreachable = {f.tier for f in findings if f.code == "tier-unreachable"}
        points = [t.points for i, t in enumerate(self.tiers) if i not in unreachable]
        if points:
            report.reach(min(points), max(points))

    def conditions(self) -> tuple[tuple[str, Expression | None], ...]:
        """``tier:1``, ``tier:2``, … in order."""
        return tuple((f"tier:{i + 1}", t.condition) for i, t in enumerate(self.tiers))

    def base_points(self, outcome: str, values: Mapping[str, Any], max_points: Decimal) -> Decimal:
        """The fired tier's points."""
        return self.tiers[int(outcome.removeprefix("tier:")) - 1].points

    def describe(self, max_points: Decimal) -> str:
        """``Từ 90% đến dưới 98%: 1 điểm`` per tier."""
        return "\n".join(
            f"{'Các trường hợp còn lại' if t.condition is None else _phrase(t.condition)}: "
            f"{_vn(t.points)} điểm"
            for t in self.tiers
        )


@dataclass(frozen=True)
class Boolean(Scoring):
    """``points`` (None: the node's maximum) when ``condition`` holds, else 0."""

    kind: ClassVar[str] = "boolean"
    constant_points: ClassVar[bool] = True
    condition: Expression
    points: Decimal | None = None

    @classmethod
    def from_spec(cls, data: Mapping[str, Any], ctx: SpecContext, path: str) -> Boolean:
        """Read ``{kind: boolean, when, points?}``."""
        ctx.keys(data, path, required=("kind", "when"), optional=("points",))
        condition = ctx.expression(data["when"], f"{path}.when", expect=Type.BOOL)
        points = data.get("points")
        return cls(condition, None if points is None else ctx.number(points, f"{path}.points"))

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data."""
        out: dict[str, Any] = {"kind": self.kind, "when": self.condition.render()}
        if self.points is not None:
            out["points"] = self.points
        return out

    @property
    def names(self) -> frozenset[str]:
        """Inputs and facts the rule reads."""
        return self.condition.names

    def check(self, report: Findings, max_points: Decimal | None) -> None:
        """The points out of range."""
        if max_points is None:
            return
        if self.points is not None:
            report.points(self.points, max_points, "points", "the condition")
        report.reach(Decimal(0), max_points if self.points is None else self.points)

    def conditions(self) -> tuple[tuple[str, Expression | None], ...]:
        """``boolean:true`` when the condition holds, else ``boolean:false``."""
        return (("boolean:true", self.condition), ("boolean:false", None))

    def base_points(self, outcome: str, values: Mapping[str, Any], max_points: Decimal) -> Decimal:
        """The points (or the maximum) when true, 0 when false."""
        if outcome == "boolean:false":
            return Decimal(0)
        return max_points if self.points is None else self.points

    def describe(self, max_points: Decimal) -> str:
        """``Nếu …: 2 điểm`` then ``Nếu không: 0 điểm``."""
        points = max_points if self.points is None else self.points
        span = _range(self.condition)
        when = span[0].lower() + span[1:] if span else self.condition.render("display")
        return f"Nếu {when}: {_vn(points)} điểm\nNếu không: 0 điểm"


@dataclass(frozen=True)
class Ratio(Scoring):
    """``max × numerator / denominator`` clamped to [0, max]; ``on_zero`` decides ÷0."""

    kind: ClassVar[str] = "ratio"
    numerator: Expression
    denominator: Expression
    on_zero: str

    @classmethod
    def from_spec(cls, data: Mapping[str, Any], ctx: SpecContext, path: str) -> Ratio:
        """Read ``{kind: ratio, numerator, denominator, on_zero}``."""
        ctx.keys(data, path, required=("kind", "numerator", "denominator", "on_zero"))
        on_zero = data["on_zero"]
        if on_zero not in ON_ZERO:
            raise ctx.error(
                f"on_zero must be one of {', '.join(ON_ZERO)}; got {on_zero!r}",
                f"{path}.on_zero",
                suggestion=did_you_mean(str(on_zero), ON_ZERO),
            )
        return cls(
            ctx.expression(data["numerator"], f"{path}.numerator", expect=Type.NUMBER),
            ctx.expression(data["denominator"], f"{path}.denominator", expect=Type.NUMBER),
            on_zero,
        )

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data."""
        return {
            "kind": self.kind,
            "numerator": self.numerator.render(),
            "denominator": self.denominator.render(),
            "on_zero": self.on_zero,
        }

    @property
    def names(self) -> frozenset[str]:
        """Inputs and facts the rule reads."""
        return _names(self.numerator, self.denominator)

    def parts(self) -> tuple[Expression, ...]:
        """The numerator and the denominator."""
        return (self.numerator, self.denominator)

    def score(self, outcome: str, given: Given, max_points: Decimal) -> Base:
        """``max × numerator / denominator``; a zero denominator is the outcome
        ``ratio:zero``, with what ``on_zero`` says."""
        num, den = given.part(self.numerator), given.part(self.denominator)
        if den == 0:
            if self.on_zero == "not_applicable":
                return Base(None, "ratio:zero", "denominator is 0: not applicable")
            return Base(max_points if self.on_zero == "full" else Decimal(0), "ratio:zero")
        return Base(max_points * num / den, outcome)

    def vector_score(self, max_points: Decimal, ops: VectorOps) -> VectorBase:
        """`score` over the rows."""
        num, den = ops.part(self.numerator), ops.part(self.denominator)
        top, zero = ops.const(max_points), ops.const(Decimal(0))
        is_zero = ops.equal(den, zero)
        other = top if self.on_zero == "full" else zero
        points = ops.select(is_zero, other, ops.div(ops.mul(top, num), den))
        na = is_zero if self.on_zero == "not_applicable" else None
        return VectorBase(points, reads=(num, den), tests=(is_zero,), not_applicable=na)

    def describe(self, max_points: Decimal) -> str:
        """The proportion and what a zero denominator gives."""
        zero = {
            "full": f"được {_vn(max_points)} điểm",
            "zero": "được 0 điểm",
            "not_applicable": "không áp dụng",
        }[self.on_zero]
        return (
            f"{_vn(max_points)} điểm × ({self.numerator.render('display')}) / "
            f"({self.denominator.render('display')}), từ 0 đến {_vn(max_points)} điểm\n"
            f"Mẫu số bằng 0: {zero}"
        )


@dataclass(frozen=True)
class Linear(Scoring):
    """Piecewise-linear between ``(at, points)`` thresholds, constant outside."""

    kind: ClassVar[str] = "linear"
    of: Expression
    thresholds: tuple[tuple[Decimal, Decimal], ...]

    @classmethod
    def from_spec(cls, data: Mapping[str, Any], ctx: SpecContext, path: str) -> Linear:
        """Read ``{kind: linear, of, thresholds: [{at, points}, ...]}``."""
        ctx.keys(data, path, required=("kind", "of", "thresholds"))
        of = ctx.expression(data["of"], f"{path}.of", expect=Type.NUMBER)
        points = []
        for index, row in enumerate(ctx.sequence(data, "thresholds", path)):
            where = f"{path}.thresholds[{index}]"
            row = ctx.mapping(row, where)
            ctx.keys(row, where, required=("at", "points"))
            at = ctx.number(row["at"], f"{where}.at", percent=True)
            points.append((at, ctx.number(row["points"], f"{where}.points")))
        return cls(of, tuple(points))

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data."""
        rows = [{"at": at, "points": points} for at, points in self.thresholds]
        return {"kind": self.kind, "of": self.of.render(), "thresholds": rows}

    @property
    def names(self) -> frozenset[str]:
        """Inputs and facts the rule reads."""
        return self.of.names

    def check(self, report: Findings, max_points: Decimal | None) -> None:
        """At least two thresholds, in ascending ``at``, with points in range."""
        rows = self.thresholds
        if len(rows) < 2:
            report.add(
                "linear-thresholds",
                f"linear scoring needs at least 2 thresholds, got {len(rows)}",
                "thresholds",
            )
        for index, (at, points) in enumerate(rows):
            where = f"thresholds[{index}]"
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
        if rows:
            report.reach(min(p for _, p in rows), max(p for _, p in rows))

    def parts(self) -> tuple[Expression, ...]:
        """The value interpolated."""
        return (self.of,)

    def score(self, outcome: str, given: Given, max_points: Decimal) -> Base:
        """The interpolated points (`rules.interpolate`)."""
        return Base(interpolate(self.thresholds, given.part(self.of), EXACT), outcome)

    def vector_score(self, max_points: Decimal, ops: VectorOps) -> VectorBase:
        """`score` over the rows: the same interpolation, on the rows' arithmetic."""
        x = ops.part(self.of)
        return VectorBase(interpolate(self.thresholds, x, ops), reads=(x,))

    def describe(self, max_points: Decimal) -> str:
        """The thresholds, and the straight line between them."""
        ratio = isinstance(self.of.ast, ast.Name) and _is_ratio(self.of, self.of.ast.id)
        rows = "; ".join(
            f"{_number(ast.Number(at), ratio)}: {_vn(points)} điểm"
            for at, points in self.thresholds
        )
        return f"Theo {self.of.render('display')}, nội suy tuyến tính giữa các mốc: {rows}"


@dataclass(frozen=True)
class Formula(Scoring):
    """Arithmetic over inputs; the result is clamped to [0, max]."""

    kind: ClassVar[str] = "formula"
    expression: Expression

    @classmethod
    def from_spec(cls, data: Mapping[str, Any], ctx: SpecContext, path: str) -> Formula:
        """Read ``{kind: formula, expression}``."""
        ctx.keys(data, path, required=("kind", "expression"))
        return cls(ctx.expression(data["expression"], f"{path}.expression", expect=Type.NUMBER))

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data."""
        return {"kind": self.kind, "expression": self.expression.render()}

    @property
    def names(self) -> frozenset[str]:
        """Inputs and facts the rule reads."""
        return self.expression.names

    def check(self, report: Findings, max_points: Decimal | None) -> None:
        """The range of the formula's value, when its inputs bound it (and it divides by
        nothing that can be 0), clamped to [0, max]."""
        if max_points is None:
            return
        found = _intervals.number_range(self.expression.ast, report.names)
        if found is None or None in found:
            return
        low, high = found
        assert low is not None and high is not None
        report.reach(min(max_points, max(Decimal(0), low)), min(max_points, max(Decimal(0), high)))

    def parts(self) -> tuple[Expression, ...]:
        """The formula."""
        return (self.expression,)

    def score(self, outcome: str, given: Given, max_points: Decimal) -> Base:
        """The formula's value."""
        return Base(given.part(self.expression), outcome)

    def vector_score(self, max_points: Decimal, ops: VectorOps) -> VectorBase:
        """The formula over the rows."""
        points = ops.part(self.expression)
        return VectorBase(points, reads=(points,))

    def describe(self, max_points: Decimal) -> str:
        """The formula and the clamp."""
        return f"Điểm = {self.expression.render('display')}, từ 0 đến {_vn(max_points)} điểm"


@dataclass(frozen=True)
class Survey(Scoring):
    """Points come from imported survey results."""

    kind: ClassVar[str] = "survey"
    source: ClassVar[str | None] = "survey"
    missing_source: ClassVar[str] = "no survey result imported"

    @classmethod
    def from_spec(cls, data: Mapping[str, Any], ctx: SpecContext, path: str) -> Survey:
        """Read ``{kind: survey}``."""
        ctx.keys(data, path, required=("kind",))
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data."""
        return {"kind": self.kind}

    def score(self, outcome: str, given: Given, max_points: Decimal) -> Base:
        """The imported score, which must lie in [0, max]."""
        return _submitted(given.source, max_points, outcome)

    def vector_score(self, max_points: Decimal, ops: VectorOps) -> VectorBase:
        """`score` over the rows."""
        return _vector_submitted(max_points, ops)

    def describe(self, max_points: Decimal) -> str:
        """Where the points come from."""
        return f"Điểm lấy từ kết quả điều tra xã hội học, từ 0 đến {_vn(max_points)} điểm"


@dataclass(frozen=True)
class Manual(Scoring):
    """An appraiser enters points within [0, max]."""

    kind: ClassVar[str] = "manual"
    source: ClassVar[str | None] = "appraisal"
    missing_source: ClassVar[str] = "no points entered by the appraisal council"

    @classmethod
    def from_spec(cls, data: Mapping[str, Any], ctx: SpecContext, path: str) -> Manual:
        """Read ``{kind: manual}``."""
        ctx.keys(data, path, required=("kind",))
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data."""
        return {"kind": self.kind}

    def score(self, outcome: str, given: Given, max_points: Decimal) -> Base:
        """The points entered, which must lie in [0, max]."""
        return _submitted(given.source, max_points, outcome)

    def vector_score(self, max_points: Decimal, ops: VectorOps) -> VectorBase:
        """`score` over the rows."""
        return _vector_submitted(max_points, ops)

    def describe(self, max_points: Decimal) -> str:
        """Who enters the points."""
        return f"Hội đồng thẩm định chấm trực tiếp, từ 0 đến {_vn(max_points)} điểm"


def points_problem(points: Decimal, max_points: Decimal) -> str | None:
    """Why points submitted for a criterion (a survey score, the appraisal council's
    points) cannot count, or None: they must lie in [0, max]. Scoring, importing survey
    scores and entering an appraisal all ask here."""
    if Decimal(0) <= points <= max_points:
        return None
    return f"{points} is outside [0, {max_points}]"


def _submitted(points: Decimal | None, top: Decimal, outcome: str) -> Base:
    """Points submitted per criterion (survey, appraisal), invalid outside [0, max]."""
    if points is None:  # engines score a leaf only once its number is there
        raise EvaluationError("no points submitted")
    problem = points_problem(points, top)
    if problem is not None:
        raise EvaluationError(problem)
    return Base(points, outcome)


def _vector_submitted(top: Decimal, ops: VectorOps) -> VectorBase:
    """`_submitted` over the rows."""
    points = ops.source()
    outside = ops.outside(points, ops.const(Decimal(0)), ops.const(top))
    return VectorBase(points, reads=(points,), invalid=outside)


def _vn(value: Decimal) -> str:
    """A number as Vietnamese write it: decimal comma."""
    return format_decimal(value).replace(".", ",")


_LOWER = {">=": "Từ {} trở lên", ">": "Trên {}"}
_UPPER = {"<": "Dưới {}", "<=": "Từ {} trở xuống"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "=="}


def _range(condition: Expression) -> str | None:
    """A condition on one input's range in plain Vietnamese (``Từ 90% đến dưới 98%``),
    or None when it is something else."""
    bounds = _bounds(condition.ast)
    if bounds is None or len({name for name, _, _ in bounds}) != 1:
        return None
    ratio = _is_ratio(condition, bounds[0][0])
    ops = {op: _number(number, ratio) for _, op, number in bounds}
    if len(ops) != len(bounds):
        return None
    low = [op for op in ops if op in _LOWER]
    high = [op for op in ops if op in _UPPER]
    if set(ops) == {"=="}:
        return f"Bằng {ops['==']}"
    if len(low) == 1 and len(high) == 1 and len(ops) == 2:
        start = "Từ" if low[0] == ">=" else "Trên"
        end = "dưới " if high[0] == "<" else ""
        return f"{start} {ops[low[0]]} đến {end}{ops[high[0]]}"
    if len(ops) == 1 and (low or high):
        op = (low or high)[0]
        return {**_LOWER, **_UPPER}[op].format(ops[op])
    return None


def _phrase(condition: Expression) -> str:
    """A tier's condition: its range, else ``Khi`` and the condition as displayed."""
    return _range(condition) or f"Khi {condition.render('display')}"


def _bounds(node: ast.Expr) -> list[tuple[str, str, ast.Number]] | None:
    """A conjunction of comparisons of a name with a number, as (name, op, number)
    with the name on the left; None when the condition is something else."""
    if isinstance(node, ast.BoolOp) and node.op == "and":
        left, right = _bounds(node.left), _bounds(node.right)
        return None if left is None or right is None else left + right
    if not isinstance(node, ast.Compare) or node.op not in _FLIP:
        return None
    if isinstance(node.left, ast.Name) and isinstance(node.right, ast.Number):
        return [(node.left.id, node.op, node.right)]
    if isinstance(node.right, ast.Name) and isinstance(node.left, ast.Number):
        return [(node.right.id, _FLIP[node.op], node.left)]
    return None


def _is_ratio(condition: Expression, name: str) -> bool:
    declared = condition._declared.get(name)
    return isinstance(declared, InputSpec) and declared.type is InputType.RATIO


def _number(number: ast.Number, ratio: bool) -> str:
    if number.percent or ratio:
        return format_percent(number.value).replace(".", ",")
    return _vn(number.value)


for _cls in (Tiers, Boolean, Ratio, Linear, Formula, Survey, Manual):
    register_kind(_cls.kind, _cls)
