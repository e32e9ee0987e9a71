"""Bonus and penalty rules applied on top of a node's score."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from rules._locate import Locate
from rules._spec import SpecContext
from rules.expression import Expression
from rules.inputs import InputSpec
from rules.types import Type

__all__ = ["ADJUSTMENT_KINDS", "Adjustment", "AdjustmentRule"]

ADJUSTMENT_KINDS = ("bonus", "penalty")
_EMPTY: Mapping[str, InputSpec] = MappingProxyType({})


@dataclass(frozen=True)
class AdjustmentRule:
    """``points`` (times ``per``, if given) when ``condition`` holds."""

    condition: Expression
    points: Decimal
    per: Expression | None = None

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data."""
        out: dict[str, Any] = {"when": self.condition.render(), "points": self.points}
        if self.per is not None:
            out["per"] = self.per.render()
        return out

    @property
    def names(self) -> frozenset[str]:
        """Inputs and facts the rule reads."""
        per = self.per.names if self.per is not None else frozenset()
        return self.condition.names | per


@dataclass(frozen=True)
class Adjustment:
    """A capped list of bonus (or penalty) rules; ``kind`` is bonus|penalty."""

    kind: str
    cap: Decimal
    rules: tuple[AdjustmentRule, ...]

    @classmethod
    def from_dict(
        cls,
        kind: str,
        data: Mapping[str, Any],
        *,
        inputs: Mapping[str, InputSpec],
        facts: Mapping[str, InputSpec] = _EMPTY,
        path: str | None = None,
        locate: Locate | None = None,
    ) -> Adjustment:
        """Read a ``bonus:`` or ``penalty:`` mapping ``{cap, rules: [...]}``."""
        path = path if path is not None else kind
        ctx = SpecContext({**facts, **inputs}, Decimal(0), locate)
        if kind not in ADJUSTMENT_KINDS:
            raise ctx.error(f"adjustment kind must be bonus or penalty, got {kind!r}", path)
        data = ctx.mapping(data, path)
        ctx.keys(data, path, required=("cap", "rules"))
        cap = ctx.number(data["cap"], f"{path}.cap")
        rules = []
        for index, row in enumerate(ctx.sequence(data, "rules", path)):
            where = f"{path}.rules[{index}]"
            row = ctx.mapping(row, where)
            ctx.keys(row, where, required=("when", "points"), optional=("per",))
            per = row.get("per")
            rules.append(
                AdjustmentRule(
                    ctx.expression(row["when"], f"{where}.when", expect=Type.BOOL),
                    ctx.number(row["points"], f"{where}.points"),
                    None
                    if per is None
                    else ctx.expression(per, f"{where}.per", expect=Type.NUMBER),
                )
            )
        return cls(kind, cap, tuple(rules))

    def to_dict(self) -> dict[str, Any]:
        """Canonical plain data (without the kind, which is the front-matter key)."""
        return {"cap": self.cap, "rules": [r.to_dict() for r in self.rules]}

    @property
    def names(self) -> frozenset[str]:
        """Inputs and facts the rules read."""
        return frozenset().union(*(r.names for r in self.rules))
