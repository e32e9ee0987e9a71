"""Derived indices: a parent's tree plus a declared overlay, as data.

A derived methodology's manifest says `extends: <methodology>@<ref>`; its folder holds
`overlay.yaml` (removals, overrides, rescaling) and local node files. Applying the
overlay to the resolved parent gives the effective tree, each node marked inherited,
overridden or local. Like `build_tree`, this never raises for bad content: problems
are recorded on the result for `validate`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from methodology._frontmatter import Document, load_yaml
from methodology.errors import FormatError
from methodology.node import Node, node_from_document, problem_from_error
from methodology.tree import Derivation, Methodology, code_key
from rules import Boolean, Expression, Formula, Linear, Problem, Scoring, Tier, Tiers, did_you_mean
from rules import ast as rast

__all__ = [
    "OVERLAY_FILE",
    "OVERRIDABLE",
    "Overlay",
    "Override",
    "Removal",
    "RescaleGroup",
    "derive",
    "parse_overlay",
]

OVERLAY_FILE = "overlay.yaml"
OVERRIDABLE = (
    "title",
    "title_en",
    "code",
    "max_points",
    "assessed_by",
    "inputs",
    "scoring",
    "bonus",
    "penalty",
    "applicability",
    "evidence",
    "requires",
    "guidance",
)
_OVERLAY_KEYS = ("remove", "override", "rescale")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Removal:
    id: str
    reason: str | None = None


@dataclass(frozen=True)
class Override:
    """The keys an overlay replaces on one parent node (front matter keys, or `guidance`)."""

    id: str
    values: Mapping[str, Any]
    reason: str | None = None


@dataclass(frozen=True)
class RescaleGroup:
    """Scale ``nodes`` (None: every field) so their points add up to ``total`` (None: the scale)."""

    nodes: tuple[str, ...] | None = None
    total: Decimal | None = None


@dataclass(frozen=True)
class Overlay:
    removals: tuple[Removal, ...] = ()
    overrides: Mapping[str, Override] = field(default_factory=dict)
    rescale: tuple[RescaleGroup, ...] = ()
    file: str | None = None
    positions: Mapping[str, tuple[int, int]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def targets(self) -> list[tuple[str, str]]:
        """Every (entry, node id) the overlay points at, for rebase."""
        out = [(f"remove {r.id}", r.id) for r in self.removals]
        out += [(f"override {o}", o) for o in self.overrides]
        for i, group in enumerate(self.rescale):
            out += [(f"rescale[{i}] {n}", n) for n in group.nodes or ()]
        return out


def parse_overlay(text: str | None, *, file: str) -> tuple[Overlay, list[Problem]]:
    """Read `overlay.yaml` (absent: an empty overlay) with positions for every value."""
    if text is None:
        return Overlay(file=file), []
    problems: list[Problem] = []
    try:
        data, positions = load_yaml(text, file=file)
    except FormatError as exc:
        return Overlay(file=file), [problem_from_error(exc, code="malformed-overlay", file=file)]
    data = data or {}

    def add(
        path: str, message: str, code: str = "bad-overlay", suggestion: str | None = None
    ) -> None:
        line, column = positions.get(path, (None, None))
        problems.append(
            Problem(
                "error",
                code,
                message,
                path=path or None,
                file=file,
                line=line,
                column=column,
                suggestion=suggestion,
            )
        )

    if not isinstance(data, Mapping):
        add("", "overlay.yaml must be a mapping with remove, override and rescale")
        return Overlay(file=file), problems
    for key in data:
        if key not in _OVERLAY_KEYS:
            add(key, f"unknown key '{key}'", "unknown-key", did_you_mean(key, _OVERLAY_KEYS))

    removals = []
    for i, entry in enumerate(data.get("remove") or []):
        if isinstance(entry, str):
            removals.append(Removal(entry))
        elif isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
            removals.append(Removal(entry["id"], _str(entry.get("reason"))))
        else:
            add(f"remove[{i}]", "each removal is a node id or {id, reason}")

    overrides: dict[str, Override] = {}
    raw = data.get("override") or {}
    if not isinstance(raw, Mapping):
        add("override", "override maps node ids to the keys they replace")
        raw = {}
    for node_id, values in raw.items():
        path = f"override.{node_id}"
        if not isinstance(values, Mapping):
            add(path, f"override of '{node_id}' must be a mapping of keys to new values")
            continue
        for key in values:
            if key not in (*OVERRIDABLE, "reason"):
                add(
                    f"{path}.{key}",
                    f"'{key}' cannot be overridden",
                    "unknown-key",
                    did_you_mean(key, OVERRIDABLE),
                )
        kept = {k: v for k, v in values.items() if k in OVERRIDABLE}
        overrides[node_id] = Override(node_id, kept, _str(values.get("reason")))

    groups = []
    for i, entry in enumerate(data.get("rescale") or []):
        path = f"rescale[{i}]"
        if not isinstance(entry, Mapping):
            add(path, "each rescale entry is {nodes: [...], total: <points>}")
            continue
        nodes = entry.get("nodes")
        if nodes is not None and (
            not isinstance(nodes, list) or not all(isinstance(n, str) for n in nodes)
        ):
            add(f"{path}.nodes", "nodes must be a list of node ids")
            continue
        total = entry.get("total")
        if total is not None and (
            isinstance(total, bool) or not isinstance(total, int | Decimal) or total <= 0
        ):
            add(f"{path}.total", "total must be a positive number")
            continue
        groups.append(
            RescaleGroup(tuple(nodes) if nodes else None, None if total is None else Decimal(total))
        )
    return Overlay(tuple(removals), overrides, tuple(groups), file, positions), problems


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def derive(
    parent: Methodology, own: Methodology, overlay: Overlay, *, parent_ref: Mapping[str, Any]
) -> Methodology:
    """The effective tree of ``own`` (local nodes, built with external parents) over ``parent``."""
    builder = _Builder(parent, own, overlay)
    builder.remove()
    builder.override()
    builder.add_local()
    builder.resettle()
    builder.rescale()
    return builder.result(parent_ref)


class _Builder:
    def __init__(self, parent: Methodology, own: Methodology, overlay: Overlay) -> None:
        self.parent = parent
        self.own = own
        self.overlay = overlay
        self.manifest = own.manifest
        if own.manifest is not None and parent.manifest is not None:
            self.manifest = dataclasses.replace(
                own.manifest,
                facts={**parent.manifest.facts, **own.manifest.facts},
                applicability_rules=parent.manifest.applicability_rules
                + own.manifest.applicability_rules,
            )
        self.nodes: dict[str, Node] = dict(parent.nodes)
        self.children: dict[str | None, list[str]] = {
            k: list(v) for k, v in parent.children.items()
        }
        self.derivation: dict[str, Derivation] = {
            node_id: dataclasses.replace(parent.derivation[node_id], status="inherited")
            if node_id in parent.derivation and parent.derivation[node_id].status != "inherited"
            else Derivation("inherited")
            for node_id in parent.nodes
        }
        self.problems: list[Problem] = list(parent.problems) + list(own.problems)
        self.touched: set[str] = set()  # inherited nodes whose children were removed or added

    # -- helpers -------------------------------------------------------------------
    def error(self, path: str, code: str, message: str, suggestion: str | None = None) -> None:
        line, column = self.overlay.positions.get(path, (None, None))
        self.problems.append(
            Problem(
                "error",
                code,
                message,
                path=path,
                file=self.overlay.file,
                line=line,
                column=column,
                suggestion=suggestion,
            )
        )

    def known(self, node_id: str, path: str) -> bool:
        if node_id in self.nodes:
            return True
        gone = node_id in self.parent.nodes
        self.error(
            path,
            "overlay-unknown-node",
            f"'{node_id}' was removed earlier in this overlay"
            if gone
            else f"the parent has no node '{node_id}'",
            None if gone else did_you_mean(node_id, list(self.nodes)),
        )
        return False

    def subtree(self, node_id: str) -> list[str]:
        out = [node_id]
        for child in self.children.get(node_id, []):
            out += self.subtree(child)
        return out

    # -- steps -----------------------------------------------------------------------
    def remove(self) -> None:
        for i, removal in enumerate(self.overlay.removals):
            path = f"remove[{i}]"
            if not self.known(removal.id, path):
                continue
            locked = [n for n in self.subtree(removal.id) if self.nodes[n].locked]
            if locked:
                self.error(
                    path,
                    "locked-node",
                    f"'{locked[0]}' is locked by the parent and may not be removed",
                )
                continue
            node = self.nodes[removal.id]
            self.children[node.parent].remove(removal.id)
            if node.parent is not None:
                self.touched.add(node.parent)
            for node_id in self.subtree(removal.id):
                self.nodes.pop(node_id, None)
                self.derivation.pop(node_id, None)
                self.children.pop(node_id, None)

    def override(self) -> None:
        facts = self.manifest.facts if self.manifest else {}
        for node_id, entry in self.overlay.overrides.items():
            path = f"override.{node_id}"
            if not self.known(node_id, path):
                continue
            base = self.nodes[node_id]
            values = dict(entry.values)
            if (
                base.locked
                and "max_points" in values
                and _decimal(values["max_points"]) != base.max_points
            ):
                self.error(
                    f"{path}.max_points",
                    "locked-node",
                    f"'{node_id}' is locked by the parent and may not be re-weighted",
                )
                values.pop("max_points")
            guidance = values.pop("guidance", None)
            data = {**base.front_matter(), **values}
            if "inputs" in values and "scoring" not in values and base.scoring is not None:
                # New inputs must be checked against the rule that will use them.
                data["scoring"] = base.scoring.to_dict()
            prefix = f"{path}."
            positions = {
                k[len(prefix) :]: v
                for k, v in self.overlay.positions.items()
                if k.startswith(prefix)
            }
            doc = Document(
                file=self.overlay.file,
                data=data,
                body=base.guidance if guidance is None else str(guidance),
                positions=positions,
            )
            node, found = node_from_document(doc, facts=facts)
            self.problems += found
            if node is None:
                continue
            self.nodes[node_id] = node.located(
                path=self.overlay.file, parent=base.parent, blob=base.blob
            )
            before = base.front_matter()
            after = node.front_matter()
            changed = {
                k: before.get(k) for k in set(before) | set(after) if before.get(k) != after.get(k)
            }
            if guidance is not None and base.guidance != node.guidance:
                changed["guidance"] = base.guidance
            self.derivation[node_id] = Derivation("overridden", changed, entry.reason)

    def add_local(self) -> None:
        for node in self.own.nodes.values():
            if node.id in self.parent.nodes:
                self.problems.append(
                    Problem(
                        "error",
                        "local-id-clash",
                        f"local node '{node.id}' has the id of a parent node",
                        path="id",
                        file=node.path,
                        suggestion="choose a new id, or override the parent's node",
                    )
                )
                continue
            if (
                node.parent is not None
                and node.parent not in self.own.nodes
                and node.parent not in self.nodes
            ):
                self.problems.append(
                    Problem(
                        "error",
                        "unknown-attach-point",
                        f"folder '{node.parent}' names no node of the parent, so "
                        f"'{node.id}' has nowhere to attach",
                        file=node.path,
                        suggestion=did_you_mean(node.parent, list(self.nodes)),
                    )
                )
                continue
            self.nodes[node.id] = node
            self.children.setdefault(node.parent, []).append(node.id)
            self.derivation[node.id] = Derivation("local")
            if node.parent is not None and node.parent not in self.own.nodes:
                self.touched.add(node.parent)
        for ids in self.children.values():
            ids.sort(key=lambda i: (code_key(self.nodes[i].code), i))

    def rescale(self) -> None:
        for i, group in enumerate(self.overlay.rescale):
            path = f"rescale[{i}]"
            ids = list(group.nodes) if group.nodes else list(self.children.get(None, []))
            if not all(self.known(n, f"{path}.nodes") for n in ids):
                continue
            total = (
                group.total
                if group.total is not None
                else (self.manifest.scale if self.manifest else None)
            )
            current = sum((self.nodes[n].max_points for n in ids), Decimal(0))
            if total is None or current == 0 or current == total:
                continue
            locked = [n for root in ids for n in self.subtree(root) if self.nodes[n].locked]
            if locked:
                self.error(
                    path,
                    "locked-node",
                    f"'{locked[0]}' is locked by the parent and may not be rescaled",
                )
                continue
            self._scale(ids, total / current, total)

    def _scale(self, roots: list[str], factor: Decimal, total: Decimal) -> None:
        leaves = [n for r in roots for n in self.subtree(r) if not self.children.get(n)]
        new_max = _apportion({n: self.nodes[n].max_points * factor for n in leaves}, total)
        facts = self.manifest.facts if self.manifest else {}
        reason = f"rescaled ×{factor.quantize(Decimal('0.0001'), ROUND_HALF_UP).normalize()}"
        for leaf in leaves:
            rule = _scaled_rule(self.nodes[leaf], new_max[leaf], facts)
            self._set_points(leaf, new_max[leaf], rule, reason)

        def settle(node_id: str) -> Decimal:
            kids = self.children.get(node_id)
            if not kids:
                return self.nodes[node_id].max_points
            points = sum((settle(k) for k in kids), Decimal(0))
            self._set_points(node_id, points, self.nodes[node_id].scoring, reason)
            return points

        for root in roots:
            settle(root)

    def resettle(self) -> None:
        """Parents whose children were removed or added carry the points that remain,
        unless the overlay set their points itself."""
        explicit = {i for i, o in self.overlay.overrides.items() if "max_points" in o.values}
        for node_id in sorted(self.touched, key=lambda n: -len(self._ancestors(n))):
            current: str | None = node_id
            while current is not None and current in self.nodes and current not in explicit:
                kids = self.children.get(current)
                if not kids:
                    break
                points = sum((self.nodes[k].max_points for k in kids), Decimal(0))
                if points == self.nodes[current].max_points:
                    break
                self._set_points(
                    current,
                    points,
                    self.nodes[current].scoring,
                    "points of removed or added children",
                )
                current = self.nodes[current].parent

    def _ancestors(self, node_id: str) -> list[str]:
        out, current = [], self.nodes.get(node_id)
        while current is not None and current.parent is not None:
            out.append(current.parent)
            current = self.nodes.get(current.parent)
        return out

    def _set_points(
        self, node_id: str, points: Decimal, scoring: Scoring | None, reason: str
    ) -> None:
        node = self.nodes[node_id]
        if points == node.max_points:
            return
        self.nodes[node_id] = dataclasses.replace(node, max_points=points, scoring=scoring)
        mark = self.derivation.get(node_id, Derivation("inherited"))
        if mark.status == "local":
            self.derivation[node_id] = dataclasses.replace(mark, reason=mark.reason or reason)
        else:
            parent_values = {"max_points": node.max_points, **mark.parent}
            self.derivation[node_id] = Derivation(
                "overridden", parent_values, mark.reason or reason
            )

    def result(self, parent_ref: Mapping[str, Any]) -> Methodology:
        m = Methodology(
            name=self.own.name,
            manifest=self.manifest,
            nodes=self.nodes,
            children=self.children,
            problems=self.problems,
            extends=dict(parent_ref),
            derivation=self.derivation,
        )
        m.nodes = {n.id: n for n in m.walk()}  # display order, reachable nodes only
        return m


def _apportion(exact: Mapping[str, Decimal], total: Decimal) -> dict[str, Decimal]:
    """Round each share to hundredths so that they add up to ``total`` exactly: floor
    every share, then give the remaining hundredths to the largest remainders (Hamilton)."""
    floors = {k: v.quantize(_CENT, rounding=ROUND_FLOOR) for k, v in exact.items()}
    left = int((total - sum(floors.values(), Decimal(0))) / _CENT)
    order = sorted(exact, key=lambda k: (exact[k] - floors[k], k), reverse=True)
    for key in order[: max(0, left)]:
        floors[key] += _CENT
    return floors


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _scaled_rule(node: Node, new_max: Decimal, facts: Mapping[str, Any]) -> Scoring | None:
    """The node's rule with its points scaled to a new maximum (exact at the top)."""
    rule, old = node.scoring, node.max_points
    if rule is None or old == 0:
        return rule

    def scale(points: Decimal) -> Decimal:
        if points == old:
            return new_max
        return min(new_max, (points * new_max / old).quantize(_CENT, ROUND_HALF_UP))

    if isinstance(rule, Tiers):
        return Tiers(tuple(Tier(t.condition, scale(t.points)) for t in rule.tiers))
    if isinstance(rule, Boolean) and rule.points is not None:
        return Boolean(rule.condition, scale(rule.points))
    if isinstance(rule, Linear):
        return Linear(rule.of, tuple((at, scale(p)) for at, p in rule.thresholds))
    if isinstance(rule, Formula):
        factor = rast.Number(
            (new_max / old).quantize(Decimal("0.000001"), ROUND_HALF_UP).normalize()
        )
        tree = rast.Binary("*", rule.expression.ast, factor)
        return Formula(Expression.from_ast(tree, {**facts, **node.inputs}))
    return rule
