"""A methodology version prepared for scoring: what every engine must decide.

Built once per version and reused for every submission. It lists, per leaf, the
conditions an engine must test in order (tiers, boolean), the bonus and penalty rules,
and, for the whole tree, the conditions on unit facts that make nodes not applicable.
Engines return a `Decision` per leaf — which rule fired — and `scoring` turns decisions
into points the same way for every engine. A leaf's conditions are its scoring kind's
(`rules.Scoring.conditions`), so a kind registered with `rules.register_kind` is decided
like the built-in ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from methodology import Methodology, Node, to_json_value
from rules import Expression, InputSpec

__all__ = ["Case", "Decision", "Leaf", "NaRule", "Program", "build_program"]

T = TypeVar("T")


@dataclass(frozen=True)
class NaRule:
    """A condition on unit facts making ``targets`` (and their subtrees) not applicable."""

    id: str  # "rule:<i>" for a manifest rule, "when:<node id>" for a node's own condition
    condition: Expression
    targets: frozenset[str]
    reason: str


@dataclass(frozen=True)
class Leaf:
    node: Node
    ancestors: tuple[str, ...]  # root first, the leaf's parent last
    kind: str
    # Ordered (rule id, condition): the first that holds fires; None means "otherwise".
    conditions: tuple[tuple[str, Expression | None], ...] = ()
    adjustments: tuple[tuple[str, Expression], ...] = ()  # ("bonus:0", condition), …

    @property
    def id(self) -> str:
        return self.node.id

    @property
    def lineage(self) -> tuple[str, ...]:
        return (*self.ancestors, self.node.id)


@dataclass(frozen=True)
class Decision:
    """What an engine decided for one leaf: the rule that fired, or why none could."""

    rule: str  # "tier:1", "boolean:true", "ratio", "na:claim:<id>", "na:rule:0", "na:when:<id>", …
    adjustments: tuple[str, ...] = ()
    error: str | None = None

    @property
    def not_applicable(self) -> bool:
        return self.rule.startswith("na:")


@dataclass(frozen=True)
class Case:
    """One submission's clean inputs, as engines receive them."""

    values: Mapping[str, Any]
    facts: Mapping[str, Any]
    claims: frozenset[str] = frozenset()
    skip: frozenset[str] = frozenset()  # leaves already missing or invalid
    skip_rules: frozenset[str] = frozenset()  # N/A rules whose facts are missing
    # The text of each Decimal in ``values``, when the case arrived as text (in a durable
    # worker): caches keyed by it skip hashing the Decimals (~1 µs each when new).
    texts: Mapping[str, str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Program:
    methodology: Methodology
    leaves: tuple[Leaf, ...]
    na_rules: tuple[NaRule, ...]
    inputs: Mapping[str, InputSpec] = field(default_factory=dict)
    key: str = ""  # content hash of the version: names engine rulesets

    def leaf(self, leaf_id: str) -> Leaf:
        return self.cached("leaves", _leaf_index)[leaf_id]

    def cached(self, name: str, build: Callable[[Program], T]) -> T:
        """``build(self)``, built on first use and kept with this program: what engines
        derive from a version (compiled closures, scoring plans) lives as long as it."""
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = {}
            object.__setattr__(self, "_cache", cache)
        try:
            return cache[name]
        except KeyError:  # None is kept too: "nothing to build" is worth remembering
            found = cache[name] = build(self)
            return found

    def __getstate__(self) -> dict[str, Any]:
        # what `cached` keeps holds closures: workers build their own
        return {k: v for k, v in self.__dict__.items() if k != "_cache"}


def _leaf_index(program: Program) -> dict[str, Leaf]:
    return {leaf.id: leaf for leaf in program.leaves}


def build_program(m: Methodology) -> Program:
    """Prepare ``m`` for scoring; the key hashes its content, so equal versions share it."""
    leaves = []
    inputs: dict[str, InputSpec] = {}
    for node in m.walk():
        if not m.is_leaf(node.id):
            continue
        ancestors: list[str] = []
        parent = node.parent
        while parent is not None:
            ancestors.insert(0, parent)
            parent = m.nodes[parent].parent
        kind = node.scoring.kind if node.scoring is not None else "missing"
        conditions = node.scoring.conditions() if node.scoring is not None else ()
        adjustments = []
        for name in ("bonus", "penalty"):
            adjustment = getattr(node, name)
            if adjustment is not None:
                adjustments += [
                    (f"{name}:{i}", r.condition) for i, r in enumerate(adjustment.rules)
                ]
        leaves.append(Leaf(node, tuple(ancestors), kind, conditions, tuple(adjustments)))
        inputs.update(node.inputs)
    na_rules: list[NaRule] = []
    if m.manifest is not None:
        for i, rule in enumerate(m.manifest.applicability_rules):
            na_rules.append(
                NaRule(
                    f"rule:{i}",
                    rule.when,
                    frozenset(rule.not_applicable),
                    rule.reason or f"applicability rule {i + 1}",
                )
            )
    for node in m.walk():
        condition = node.applicability.not_applicable_when
        if condition is not None:
            na_rules.append(
                NaRule(
                    f"when:{node.id}",
                    condition,
                    frozenset({node.id}),
                    f"{node.code}: {condition.render('display')}",
                )
            )
    return Program(m, tuple(leaves), tuple(na_rules), inputs, _key(m))


def _key(m: Methodology) -> str:
    """A hash of everything that affects scores, so two commits with equal content share it."""
    data = {
        "manifest": m.manifest.to_json() if m.manifest else None,
        "rules": [
            [r.when.render(), list(r.not_applicable)]
            for r in (m.manifest.applicability_rules if m.manifest else ())
        ],
        "nodes": [[n.id, n.parent, to_json_value(n.front_matter())] for n in m.walk()],
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
