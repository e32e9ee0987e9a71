"""Scoring kinds: how a node's inputs turn into points.

Each kind is a frozen dataclass registered in :data:`KINDS` under the name
used in front matter (``scoring: {kind: tiers, ...}``). A province can add
its own kind by subclassing :class:`Scoring`, implementing ``from_spec``,
``to_dict`` and ``names``, and calling :func:`register_kind`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

from rules._locate import Locate
from rules._spec import SpecContext
from rules._suggest import did_you_mean
from rules.expression import Expression
from rules.inputs import InputSpec
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


KINDS: dict[str, type[Scoring]] = {}


def register_kind(name: str, cls: type[Scoring], *, replace: bool = False) -> type[Scoring]:
    """Make ``cls`` available as ``scoring: {kind: <name>}``; returns ``cls``."""
    if not (isinstance(cls, type) and issubclass(cls, Scoring)):
        raise TypeError("a scoring kind must subclass rules.scoring.Scoring")
    if name in KINDS and KINDS[name] is not cls and not replace:
        raise ValueError(f"scoring kind {name!r} is already registered")
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


for _cls in (Tiers, Boolean, Ratio, Linear, Formula, Survey, Manual):
    register_kind(_cls.kind, _cls)
