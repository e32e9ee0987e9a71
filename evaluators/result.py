"""Result trees: every node's points, its applicable maximum, its status and, for
leaves, the rule that gave the points with the values that made it fire."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from methodology import to_json_value as _num

__all__ = ["ENGINE_VERSION", "STATUSES", "NodeResult", "Result", "hash_result"]

# The version of the scoring semantics; part of every result hash. Both engines share it
# because they must give identical results.
ENGINE_VERSION = "1"
STATUSES = ("scored", "not_applicable", "missing", "invalid")


def hash_result(commit: str | None, submission_hash: str) -> str:
    """A result's `result_hash` from what it depends on alone (the methodology commit and
    the submission's `content_hash`), without scoring it."""
    text = json.dumps([commit, submission_hash, ENGINE_VERSION], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class NodeResult:
    id: str
    code: str
    title: str
    max_points: Decimal
    points: Decimal | None
    applicable_max: Decimal
    status: str
    rule: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None
    bonus: Decimal = Decimal(0)
    penalty: Decimal = Decimal(0)
    self_points: Decimal | None = None
    appraisal: list[dict[str, Any]] = field(default_factory=list)
    children: list[NodeResult] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def to_json(self, *, explain: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "code": self.code,
            "title": self.title,
            "points": _num(self.points),
            "max_points": _num(self.max_points),
            "applicable_max": _num(self.applicable_max),
            "status": self.status,
            "rule": self.rule,
        }
        if explain:
            out["values"] = {k: _plain(v) for k, v in self.values.items()}
            if self.reason:
                out["reason"] = self.reason
            if self.bonus or self.penalty:
                out["bonus"], out["penalty"] = _num(self.bonus), _num(self.penalty)
            if self.self_points != self.points:
                out["self_points"] = _num(self.self_points)
            if self.appraisal:
                out["appraisal"] = [{k: _plain(v) for k, v in a.items()} for a in self.appraisal]
        if self.children:
            out["children"] = [c.to_json(explain=explain) for c in self.children]
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _num(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass
class Result:
    unit: str
    period: str
    methodology: str
    ref: str | None
    commit: str | None
    engine: str
    scale: Decimal
    policy: str
    total: Decimal | None
    applicable_max: Decimal
    index: Decimal | None
    self_total: Decimal | None
    self_index: Decimal | None
    nodes: list[NodeResult]
    problems: list[dict[str, Any]] = field(default_factory=list)
    submission_hash: str = ""
    unit_name: str | None = None

    @property
    def complete(self) -> bool:
        return not self.problems

    @property
    def result_hash(self) -> str:
        """Stable over (methodology commit, submission content, engine version)."""
        return hash_result(self.commit, self.submission_hash)

    def walk(self):
        for node in self.nodes:
            yield from node.walk()

    def node(self, node_id: str) -> NodeResult:
        return next(n for n in self.walk() if n.id == node_id)

    def differences(self) -> list[dict[str, Any]]:
        """Leaves whose appraised points differ from the self-assessed ones, with reasons."""
        return [
            {
                "id": n.id,
                "code": n.code,
                "self": _num(n.self_points),
                "appraised": _num(n.points),
                "reasons": [a.get("reason") for a in n.appraisal],
            }
            for n in self.walk()
            if not n.children and n.self_points != n.points
        ]

    def tree(self) -> list[dict[str, Any]]:
        """The scoring content, for comparing engines: no engine name, no timing."""
        return [n.to_json() for n in self.nodes]

    def to_json(self, *, explain: bool = True) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "unit_name": self.unit_name,
            "period": self.period,
            "methodology": self.methodology,
            "ref": self.ref,
            "commit": self.commit,
            "engine": self.engine,
            "policy": self.policy,
            "total": _num(self.total),
            "applicable_max": _num(self.applicable_max),
            "index": _num(self.index),
            "self_assessed": {"total": _num(self.self_total), "index": _num(self.self_index)},
            "differences": self.differences(),
            "complete": self.complete,
            "problems": self.problems,
            "result_hash": self.result_hash,
            "nodes": [n.to_json(explain=explain) for n in self.nodes],
        }
