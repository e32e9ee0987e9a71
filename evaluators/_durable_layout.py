"""How a Program becomes one durable-rules ruleset: the rules, their priorities, and
what each rule firing means.

One *event* per leaf and one per bonus/penalty rule; every rule of an event tests the
event's discriminators first (``l``: the leaf's index, ``a``: 0 for the leaf, j + 1 for
its j-th adjustment rule). An event is consumed by the first rule that fires and lower
``pri`` fires first, so within a leaf's event, in order:

1. ``<leaf>/na:<rule>`` — the N/A rules on unit facts that target the leaf or an
   ancestor (manifest rules, then nodes' own conditions), each live only when the
   submission has its facts (``k<n>`` flag);
2. ``<leaf>/na:claim:<node>`` — "không phát sinh" claims, root first (``c<n>`` flags);
3. ``<leaf>/skip`` — the leaf's inputs are missing or invalid: no decision;
4. for each tier (or the boolean's condition) in order: ``<leaf>/<tier>:error:<field>``
   (evaluating the condition raises, first at that field) and ``<leaf>/<tier>`` (it
   holds); ``otherwise`` is a rule without tests;
5. ``<leaf>/none`` — no tier applies.

An adjustment's event has ``<leaf>/<bonus:i>:error:<field>``, ``<leaf>/<bonus:i>`` and
``<leaf>/<bonus:i>:no``. A sentinel event fires ``sentinel`` so that every evaluation
fires at least one rule. Rule names are the action names: the list of rules that fired
is the explanation, and `Outcome` says what each means.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from evaluators.program import Leaf, Program
from rules import Expression
from rules.durable import (
    FALSE,
    TRUE,
    DurableLimitError,
    Field,
    FieldTable,
    Test,
    Translation,
    all_of,
    count_atoms,
    split_rule,
    translate,
)

__all__ = ["SENTINEL", "Layout", "LeafLayout", "Outcome", "build_layout"]

SENTINEL = "sentinel"
# Measured limits of durable-rules 2.0.28 (the engine hangs or crashes beyond them):
MAX_CHILDREN = 512  # distinct tests under one node of the network: loading never returns
MAX_PENDING = 60  # tests one message may match at once (64, then error 303 and a crash)
MAX_PROPERTIES = 252  # properties of one message
_BASE_PROPERTIES = ("sid", "id", "l", "a")


@dataclass(frozen=True)
class Outcome:
    """What a rule firing means.

    ``kind``: ``rule`` (the leaf's decision is ``value``), ``na`` (not applicable by
    ``value``), ``skip`` (no decision), ``error`` (evaluating raised at ``field``),
    ``none`` (no tier applies), ``fire`` / ``pass`` (the adjustment ``value`` applies or
    not), ``sentinel``."""

    kind: str
    value: str | None = None
    field: Field | None = None


@dataclass
class LeafLayout:
    index: int
    leaf: Leaf
    claims: list[tuple[str, str]] = field(default_factory=list)  # (node id, flag property)
    na: list[tuple[str, str]] = field(default_factory=list)  # (N/A rule id, live flag)
    na_fields: list[Field] = field(default_factory=list)  # computed from the facts
    fields: list[Field] = field(default_factory=list)  # computed from facts and values
    adjustments: list[tuple[str, list[Field]]] = field(default_factory=list)


@dataclass
class Layout:
    name: str
    definition: dict[str, dict]
    outcomes: dict[str, Outcome]
    leaves: list[LeafLayout]
    table: FieldTable
    skip_property: str = "sk"


class _Group:
    """The rules of one event, in priority order."""

    def __init__(self, layout: _Builder, leaf: LeafLayout, slot: int) -> None:
        self.builder = layout
        self.leaf = leaf
        self.slot = slot
        self.rules: list[tuple[str, Outcome, Test]] = []
        self.closed = False

    def add(self, action: str, outcome: Outcome, body: Test) -> None:
        if self.closed or body is FALSE:
            return
        self.rules.append((action, outcome, body))
        if body is TRUE:
            self.closed = True  # later rules could never fire

    def emit(self, properties: int) -> None:
        where = f"criterion {self.leaf.leaf.node.code} ({self.leaf.leaf.id})"
        if properties > MAX_PROPERTIES:
            raise DurableLimitError(
                f"{where} needs {properties} message properties; durable-rules reads at "
                f"most {MAX_PROPERTIES}"
            )
        prefix = ({"l": float(self.leaf.index)}, {"a": float(self.slot)})
        pending = 2
        for action, outcome, body in self.rules:
            parts = split_rule(all_of(*prefix, body))
            pending += sum(count_atoms(p) - 2 for p in parts)
            self.builder.add(action, outcome, parts)
        if pending > MAX_PENDING:
            raise DurableLimitError(
                f"{where}: its conditions have {pending} tests; durable-rules can match at "
                f"most {MAX_PENDING} per message — simplify them"
            )


class _Builder:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.table = FieldTable(reserved=(*_BASE_PROPERTIES, "$s", "sk"))
        self.definition: dict[str, dict] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.priority = 0
        self.claim_flags: list[str] = []
        self.na_flags = {rule.id: self.table.allocate("k") for rule in program.na_rules}
        self.na: dict[str, Translation] = {}
        for rule in program.na_rules:
            try:
                self.na[rule.id] = translate(rule.condition, self.table, scope="facts")
            except DurableLimitError as exc:
                raise DurableLimitError(f"applicability {rule.id}: {exc.message}") from None

    def add(self, action: str, outcome: Outcome, parts: list[Test]) -> None:
        self.priority += 1
        self.outcomes[action] = outcome
        for n, part in enumerate(parts):
            name = action if n == 0 else f"{action}#{n + 1}"
            self.definition[name] = {"all": [{"m": part}], "pri": self.priority, "run": action}

    def claim_flag(self, depth: int) -> str:
        while len(self.claim_flags) <= depth:
            self.claim_flags.append(self.table.allocate("c"))
        return self.claim_flags[depth]

    def translate(self, leaf: Leaf, rule_id: str, condition: Expression) -> Translation:
        present = frozenset(i for i, spec in leaf.node.inputs.items() if spec.required)
        try:
            return translate(condition, self.table, scope="leaf", present=present)
        except DurableLimitError as exc:
            raise DurableLimitError(
                f"criterion {leaf.node.code} ({leaf.id}) {rule_id}: {exc.message}"
            ) from None

    @staticmethod
    def errors(group: _Group, action: str, tr: Translation) -> None:
        for f, test in tr.errors.items():
            group.add(f"{action}:error:{f.value}", Outcome("error", field=f), test)

    def leaf(self, index: int, leaf: Leaf) -> LeafLayout:
        out = LeafLayout(index, leaf)
        lineage = set(leaf.lineage)
        group = _Group(self, out, 0)
        name = f"{leaf.id}/"
        for rule in self.program.na_rules:
            if rule.targets.isdisjoint(lineage):
                continue
            flag = self.na_flags[rule.id]
            tr = self.na[rule.id]
            out.na.append((rule.id, flag))
            out.na_fields += [f for f in tr.fields if f not in out.na_fields]
            group.add(
                f"{name}na:{rule.id}", Outcome("na", f"na:{rule.id}"), all_of({flag: 1.0}, tr.true)
            )
        for depth, node_id in enumerate(leaf.lineage):
            flag = self.claim_flag(depth)
            out.claims.append((node_id, flag))
            group.add(
                f"{name}na:claim:{node_id}", Outcome("na", f"na:claim:{node_id}"), {flag: 1.0}
            )
        group.add(f"{name}skip", Outcome("skip"), {"sk": 1.0})
        for rule_id, condition in leaf.conditions:
            if condition is None:
                group.add(f"{name}{rule_id}", Outcome("rule", rule_id), TRUE)
                break
            tr = self.translate(leaf, rule_id, condition)
            out.fields += [f for f in tr.fields if f not in out.fields]
            self.errors(group, f"{name}{rule_id}", tr)
            group.add(f"{name}{rule_id}", Outcome("rule", rule_id), tr.true)
        if not leaf.conditions:
            group.add(f"{name}{leaf.kind}", Outcome("rule", leaf.kind), TRUE)
        group.add(f"{name}none", Outcome("none"), TRUE)
        flags = len(out.na) + len(out.claims) + 1
        group.emit(len(_BASE_PROPERTIES) + flags + 2 * len(out.na_fields + out.fields))
        for slot, (rule_id, condition) in enumerate(leaf.adjustments, start=1):
            tr = self.translate(leaf, rule_id, condition)
            out.adjustments.append((rule_id, list(tr.fields)))
            adjustment = _Group(self, out, slot)
            self.errors(adjustment, f"{name}{rule_id}", tr)
            adjustment.add(f"{name}{rule_id}", Outcome("fire", rule_id), tr.true)
            adjustment.add(f"{name}{rule_id}:no", Outcome("pass", rule_id), TRUE)
            adjustment.emit(len(_BASE_PROPERTIES) + 2 * len(tr.fields))
        if len(leaf.adjustments) + 1 > MAX_CHILDREN:
            raise DurableLimitError(f"criterion {leaf.id} has too many bonus and penalty rules")
        return out


def build_layout(program: Program) -> Layout:
    """The ruleset of ``program``, named by its content hash; raises DurableLimitError
    (naming the criterion) when the methodology exceeds what durable-rules handles."""
    if len(program.leaves) + 1 > MAX_CHILDREN:
        raise DurableLimitError(
            f"{len(program.leaves)} criteria: a durable-rules ruleset holds at most "
            f"{MAX_CHILDREN - 1} (more makes loading it never return)"
        )
    builder = _Builder(program)
    leaves = [builder.leaf(i, leaf) for i, leaf in enumerate(program.leaves)]
    builder.outcomes[SENTINEL] = Outcome("sentinel")
    builder.definition[SENTINEL] = {"all": [{"m": {"l": -1.0}}], "pri": 0, "run": SENTINEL}
    builder.table.check()
    return Layout(program.key, builder.definition, builder.outcomes, leaves, builder.table)
