"""Scoring kinds: how a node's inputs turn into points.

Each kind is a frozen dataclass registered in :data:`KINDS` under the name
used in front matter (``scoring: {kind: tiers, ...}``). A kind is one object
that owns everything about it: reading and checking its mapping
(``from_spec``, errors through the `SpecContext`), writing it back
(``to_dict``), the names it reads, the outcomes engines test (``conditions``),
its exact base points (``base_points``), optional vectorised points
(``vector_points``) and its wording for people (``describe``).

A province adds a kind by subclassing :class:`Scoring`, implementing
``from_spec``, ``to_dict``, ``names``, ``base_points`` and ``describe`` (and
``conditions`` or ``vector_points`` when it has them), and calling
:func:`register_kind`. Every engine scores it from these operations: the
compiled and durable engines decide its outcome (the first of its
``conditions`` that holds, else the kind itself) and the points come from
``base_points``, exactly; the vectorised engine evaluates ``vector_points`` over
whole columns, or sends the leaf to the exact path when it is None. The
built-in kinds whose points need more than values (ratio's zero denominator,
linear interpolation, survey results, the appraisal council's points) keep
specialised paths in the engines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

from rules import ast
from rules._locate import Locate
from rules._numbers import format_decimal, format_percent
from rules._spec import SpecContext
from rules._suggest import did_you_mean
from rules.expression import Expression
from rules.inputs import InputSpec, InputType
from rules.types import Type

__all__ = [
    "KINDS",
    "ON_ZERO",
    "Boolean",
    "Formula",
    "Linear",
    "Manual",
    "Ratio",
    "Scoring",
    "SpecContext",
    "Survey",
    "Tier",
    "Tiers",
    "register_kind",
]

ON_ZERO = ("full", "zero", "not_applicable")
_EMPTY: Mapping[str, InputSpec] = MappingProxyType({})


def _names(*expressions: Expression | None) -> frozenset[str]:
    return frozenset().union(*(e.names for e in expressions if e is not None))


class Scoring:
    """Base of all scoring kinds; ``Scoring.from_dict`` dispatches on ``kind``."""

    kind: ClassVar[str] = ""

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

    def conditions(self) -> tuple[tuple[str, Expression | None], ...]:
        """The outcomes engines test in order, as (outcome id, condition): the first that
        holds fires (None: otherwise). Without conditions the outcome is the kind's name."""
        return ()

    def base_points(self, outcome: str, values: Mapping[str, Any], max_points: Decimal) -> Decimal:
        """The exact base points (before bonus, penalty and the clamp to [0, max]) when
        ``outcome`` fired, from the clean ``values`` (inputs and facts). Raise
        `rules.EvaluationError` when the values give no points; it runs in
        `rules.DECIMAL_CONTEXT`, so arithmetic errors are reported like an expression's."""
        raise NotImplementedError(f"scoring kind {self.kind!r} does not compute points")

    def vector_points(self, max_points: Decimal) -> Expression | None:
        """A number expression equal to ``base_points`` for every value, which the vectorised
        engine evaluates over whole columns (with its error bounds: rows it cannot
        settle go the exact way); None sends every row of the leaf to ``base_points``."""
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
    needed = ["from_spec", "to_dict", "describe"]
    if cls not in _SPECIALISED:  # the engines compute these kinds' points
        needed.append("base_points")
    missing = [m for m in needed if getattr(cls, m) is getattr(Scoring, m)]
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

    def describe(self, max_points: Decimal) -> str:
        """The formula and the clamp."""
        return f"Điểm = {self.expression.render('display')}, từ 0 đến {_vn(max_points)} điểm"


@dataclass(frozen=True)
class Survey(Scoring):
    """Points come from imported survey results."""

    kind: ClassVar[str] = "survey"

    @classmethod
    def from_spec(cls, data: Mapping[str, Any], ctx: SpecContext, path: str) -> Survey:
        """Read ``{kind: survey}``."""
        ctx.keys(data, path, required=("kind",))
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data."""
        return {"kind": self.kind}

    def describe(self, max_points: Decimal) -> str:
        """Where the points come from."""
        return f"Điểm lấy từ kết quả điều tra xã hội học, từ 0 đến {_vn(max_points)} điểm"


@dataclass(frozen=True)
class Manual(Scoring):
    """An appraiser enters points within [0, max]."""

    kind: ClassVar[str] = "manual"

    @classmethod
    def from_spec(cls, data: Mapping[str, Any], ctx: SpecContext, path: str) -> Manual:
        """Read ``{kind: manual}``."""
        ctx.keys(data, path, required=("kind",))
        return cls()

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data."""
        return {"kind": self.kind}

    def describe(self, max_points: Decimal) -> str:
        """Who enters the points."""
        return f"Hội đồng thẩm định chấm trực tiếp, từ 0 đến {_vn(max_points)} điểm"


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


# built-in kinds whose points need more than the values: the engines have their own paths
_SPECIALISED: frozenset[type[Scoring]] = frozenset({Ratio, Linear, Formula, Survey, Manual})

for _cls in (Tiers, Boolean, Ratio, Linear, Formula, Survey, Manual):
    register_kind(_cls.kind, _cls)
