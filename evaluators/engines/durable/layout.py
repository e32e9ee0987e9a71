"""How a Program becomes one durable-rules ruleset: the rules, their priorities, and
what each rule firing means.

One *event* per leaf and one per bonus/penalty rule; every rule of an event tests the
event's discriminators first: ``g`` and ``l``, the leaf's index written in two digits
(``g = index // base``, ``l = index % base``, ``base`` about the square root of the
number of leaves), then — only for a leaf with bonus or penalty rules — ``a`` (0 for the
leaf, j + 1 for its j-th adjustment rule). The engine tries every distinct test under a
node of its network one after the other, so two digits cost each event about
2·√(leaves) comparisons instead of one per leaf (≈ 30 % less time in the matcher at 100
leaves). An event is consumed by the first rule that fires and lower ``pri`` fires first,
so within a leaf's event, in order:

1. ``<leaf>/na:<rule>`` — the N/A rules on unit facts that target the leaf or an
   ancestor (manifest rules, then nodes' own conditions), each live only when the
   submission has its facts (``k<n>`` flag);
2. for each tier (or the boolean's condition) in order: ``<leaf>/<tier>:error:<field>``
   (evaluating the condition raises, first at that field) and ``<leaf>/<tier>`` (it
   holds); ``otherwise`` is a rule without tests;
3. ``<leaf>/none`` — no tier applies.

Between 1 and 2 come two outcomes that are flags of the case rather than conditions:
``<leaf>/na:claim:<node>`` ("không phát sinh" claims, root first) and ``<leaf>/skip``
(the leaf's inputs are missing or invalid: no decision). They have no rules — a rule
that only tests a flag the caller sets decides nothing, and with one per ancestor they
were a third of the ruleset, ~20 % of the matcher's time. The evaluator applies them to
the rule that fired instead: unless it is an N/A rule (which comes first), a claimed or
skipped leaf's outcome is the claim (the first claimed node, root first) or the skip,
and the explanation names it as if its rule had fired (`LeafLayout.claims`, ``skip``).

An adjustment's event has ``<leaf>/<bonus:i>:error:<field>``, ``<leaf>/<bonus:i>`` and
``<leaf>/<bonus:i>:no``. A sentinel event fires ``sentinel`` so that every evaluation
fires at least one rule. Rule names are the action names: the list of rules that fired
is the explanation, and `Outcome` says what each means.

The last outcome of every event holds unconditionally (``otherwise``, ``none``,
``<bonus:i>:no``, a ratio's own kind). Those outcomes share one rule, ``fallback``, with
the lowest priority of all and a test every event passes (``g >= 0``): it fires for an
event that no rule of its own took, and the event it carries (its discriminators, read
from the reply) says whose outcome it is (`Layout.fallbacks`). Every rule costs each
evaluation — the engine sets up and frees per-rule tables for every session (~0.65 µs
per rule, a quarter of an evaluation with 300 rules) — so one rule instead of one per
event saves a third of the rules of a three-tier methodology.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from evaluators._lru import LRU
from evaluators.engines.durable.translate import (
    FALSE,
    TRUE,
    DurableLimitError,
    Field,
    FieldTable,
    Test,
    Translation,
    all_of,
    count_atoms,
    dumps,
    split_rule,
    translate,
)
from evaluators.program import Leaf, Program
from rules import Expression

__all__ = [
    "FALLBACK",
    "MAX_LEAVES",
    "SENTINEL",
    "Layout",
    "LeafLayout",
    "Outcome",
    "build_layout",
    "parts",
]

SENTINEL = "sentinel"
FALLBACK = "fallback"
KEPT = 4096  # JSON texts of values kept per field (`events`)

# Measured limits of durable-rules 2.0.28 (the engine hangs or crashes beyond them):
MAX_CHILDREN = 512  # distinct tests under one node of the network: loading never returns
MAX_PENDING = 60  # tests one message may match at once (64, then error 303 and a crash)
MAX_PROPERTIES = 252  # properties of one message
_BASE_PROPERTIES = ("sid", "g", "l", "a", "c")
MAX_LEAVES = MAX_CHILDREN - 1  # leaves of one ruleset; `parts` splits larger programs


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
    claims: list[tuple[str, str]] = field(default_factory=list)  # (node id, its action)
    na: list[tuple[str, str]] = field(default_factory=list)  # (N/A rule id, live flag)
    na_fields: list[Field] = field(default_factory=list)  # computed from the facts
    fields: list[Field] = field(default_factory=list)  # computed from facts and values
    adjustments: list[tuple[str, list[Field]]] = field(default_factory=list)
    # the discriminators of each event as message JSON: [leaf, adjustment 1, …]
    heads: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # the events' ids, in the same order
    id: str = ""  # the leaf's id
    skip: str = ""  # the action of "no decision"
    # An event carrying nothing but its discriminators and at most one plain value (no
    # N/A rule, no bonus or penalty) is written from tables: ``constant``, its text when
    # it has no field, else ``plain``, its field, ``prefix``, its text up to the value,
    # and ``texts``, the value's JSON per value (per Decimal, or per the Decimal's text
    # when the case carries them).
    constant: str | None = None
    plain: Field | None = None
    prefix: str = ""
    texts: dict[Any, str] = field(default_factory=lambda: LRU(KEPT), repr=False)
    # a leaf of a class (see the module docstring): ``tag``, the text its event carries
    # after ``heads[0]`` (``,"c":<class>``), and ``renamed``, the property names its
    # field is sent under (its own → the class's)
    tag: str = ""
    renamed: dict[str, str] | None = None


@dataclass
class Layout:
    name: str
    definition: dict[str, dict]
    outcomes: dict[str, Outcome]
    leaves: list[LeafLayout]
    table: FieldTable
    # rule name (as the engine reports it) → (action, the event it answers: the leaf's
    # index, ``<index>.<slot>`` for an adjustment, ``end`` for the sentinel)
    rules: dict[str, tuple[str, str]] = field(default_factory=dict)
    # an event's discriminators as its JSON carries them → (its fallback action, event)
    fallbacks: dict[str, tuple[str, str]] = field(default_factory=dict)
    # a rule shared by a class → per member event's discriminators, (action, event)
    shared: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    # caches of the evaluator: JSON of values sent per field, Decisions by outcome
    # (by Field, or by (Field, name) when a class renames it)
    encoded: dict[Any, dict[Any, str]] = field(default_factory=dict, repr=False)
    decisions: dict[tuple, Any] = field(default_factory=dict, repr=False)
    # JSON of float values sent from columns, per value property (`_durable_events.columnar`)
    floats: dict[str, dict[float, str]] = field(default_factory=dict, repr=False)
    direct: Any = field(default=None, repr=False)  # the evaluator's `_Direct`
    # when every leaf's event carries one plain value, per leaf: (its table of value
    # texts, the value's name, the event's text up to the value, the value's field)
    plain: list[tuple[dict[Any, str], str, str, Field]] | None = field(default=None, repr=False)


class _Group:
    """The rules of one event, in priority order."""

    def __init__(self, layout: _Builder, leaf: LeafLayout, slot: int) -> None:
        self.builder = layout
        self.leaf = leaf
        self.slot = slot
        self.rules: list[tuple[str, Outcome, Test]] = []
        self.fallback: tuple[str, Outcome] | None = None
        self.closed = False

    def add(self, action: str, outcome: Outcome, body: Test) -> None:
        if self.closed or body is FALSE:
            return
        if body is TRUE:
            self.fallback = (action, outcome)  # decided by the shared fallback rule
            self.closed = True  # later rules could never fire
            return
        self.rules.append((action, outcome, body))

    def emit(self, properties: int) -> None:
        where = f"criterion {self.leaf.leaf.node.code} ({self.leaf.leaf.id})"
        if properties > MAX_PROPERTIES:
            raise DurableLimitError(
                f"{where} needs {properties} message properties; durable-rules reads at "
                f"most {MAX_PROPERTIES}"
            )
        prefix = self.builder.discriminators(self.leaf, self.slot)
        pending = len(prefix) + 1  # and the fallback's test
        event = self.leaf.events[self.slot]
        emitted = self.builder.emitted[event] = []
        for action, outcome, body in self.rules:
            parts = split_rule(all_of(*prefix, body))
            pending += sum(count_atoms(p) - len(prefix) for p in parts)
            emitted.append((action, body, self.builder.add(action, outcome, parts, event)))
        assert self.fallback is not None  # every group ends with a rule without tests
        action, outcome = self.fallback
        self.builder.outcomes[action] = outcome
        self.builder.fallbacks[self.leaf.heads[self.slot]] = (action, event)
        if pending > MAX_PENDING:
            raise DurableLimitError(
                f"{where}: its conditions have {pending} tests; durable-rules can match at "
                f"most {MAX_PENDING} per message — simplify them"
            )


class _Builder:
    def __init__(self, program: Program) -> None:
        self.program = program
        self.table = FieldTable(reserved=(*_BASE_PROPERTIES, "id", "$s", "sk"))
        self.base = max(1, math.isqrt(max(0, len(program.leaves) - 1)) + 1)
        self.definition: dict[str, dict] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.priority = 0
        self.na_flags = {rule.id: self.table.allocate("k") for rule in program.na_rules}
        self.na: dict[str, Translation] = {}
        self.rules: dict[str, tuple[str, str]] = {}
        self.fallbacks: dict[str, tuple[str, str]] = {}
        self.shared: dict[str, dict[str, tuple[str, str]]] = {}
        # per event: (action, test without discriminators, names of its rules), in order
        self.emitted: dict[str, list[tuple[str, Test, list[str]]]] = {}
        for rule in program.na_rules:
            try:
                self.na[rule.id] = translate(rule.condition, self.table, scope="facts")
            except DurableLimitError as exc:
                raise DurableLimitError(f"applicability {rule.id}: {exc.message}") from None

    def add(self, action: str, outcome: Outcome, parts: list[Test], event: str) -> list[str]:
        self.priority += 1
        self.outcomes[action] = outcome
        names = []
        for n, part in enumerate(parts):
            name = action if n == 0 else f"{action}#{n + 1}"
            self.definition[name] = {"all": [{"m": part}], "pri": self.priority, "run": action}
            self.rules[name] = (action, event)
            names.append(name)
        return names

    def share(self, leaves: list[LeafLayout]) -> None:
        """Let the leaves whose events carry one plain value tested alike share their
        rules (see the module docstring)."""
        classes: dict[tuple, list[LeafLayout]] = {}
        for ll in leaves:
            f, emitted = ll.plain, self.emitted.get(ll.events[0] if ll.events else "")
            if f is None or not emitted:
                continue
            own = {f.value: "$value", f.error: "$error"}
            key = (f.type, tuple(dumps(_renamed(body, own)) for _, body, _ in emitted))
            classes.setdefault(key, []).append(ll)
        shareable = [members for members in classes.values() if len(members) > 1]
        for k, members in enumerate(shareable):
            value, error = self.table.allocate("s"), self.table.allocate("r")
            tag = {"c": float(k)}
            names: list[list[str]] = []
            first = members[0]
            for j, (_action, body, own_names) in enumerate(self.emitted[first.events[0]]):
                assert first.plain is not None
                body = _renamed(body, {first.plain.value: value, first.plain.error: error})
                pri = self.definition[own_names[0]]["pri"]
                names.append([])
                for n, part in enumerate(split_rule(all_of(tag, body))):
                    name = f"~{k}.{j}" if n == 0 else f"~{k}.{j}#{n + 1}"
                    self.definition[name] = {"all": [{"m": part}], "pri": pri, "run": name}
                    self.shared[name] = {}
                    names[j].append(name)
            for ll in members:
                f = ll.plain
                assert f is not None
                for j, (action, _body, own_names) in enumerate(self.emitted[ll.events[0]]):
                    for name in own_names:
                        del self.definition[name], self.rules[name]
                    for name in names[j]:
                        self.shared[name][ll.heads[0]] = (action, ll.events[0])
                ll.tag = f',"c":{float(k)}'
                ll.renamed = {f.value: value, f.error: error}
                ll.prefix = f'{ll.heads[0]}{ll.tag},"{value}":'

    def discriminators(self, leaf: LeafLayout, slot: int) -> list[dict[str, float]]:
        """The tests telling an event from every other one (see the module docstring),
        and, as message JSON, what the event carries to pass them."""
        g, m = divmod(leaf.index, self.base)
        tests = [{"g": float(g)}, {"l": float(m)}]
        if leaf.leaf.adjustments:
            tests.append({"a": float(slot)})
        head = ",".join(f'"{k}":{v}' for t in tests for k, v in t.items())
        if len(leaf.heads) == slot:
            leaf.heads.append(head)
            leaf.events.append(str(leaf.index) if slot == 0 else f"{leaf.index}.{slot}")
        assert leaf.heads[slot] == head
        return tests

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
        out = LeafLayout(index, leaf, id=leaf.id)
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
        for node_id in leaf.lineage:  # no rules (see the module docstring)
            action = f"{name}na:claim:{node_id}"
            out.claims.append((node_id, action))
            self.outcomes[action] = Outcome("na", f"na:claim:{node_id}")
        out.skip = f"{name}skip"
        self.outcomes[out.skip] = Outcome("skip")
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
        group.emit(len(_BASE_PROPERTIES) + len(out.na) + 2 * len(out.na_fields + out.fields))
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
        if not (out.na or out.na_fields or out.adjustments) and len(out.fields) <= 1:
            if not out.fields:
                out.constant = out.heads[0]
            elif out.fields[0].name is not None:
                out.plain = out.fields[0]
                out.prefix = f'{out.heads[0]},"{out.plain.value}":'
        return out


def _renamed(test: Test, names: dict[str, str]) -> Test:
    """``test`` with the properties in ``names`` renamed."""
    if isinstance(test, dict):
        return {names.get(k, k): _renamed(v, names) for k, v in test.items()}
    if isinstance(test, list):
        return [_renamed(t, names) for t in test]
    return test


def parts(program: Program, limit: int = MAX_LEAVES) -> tuple[Program, ...]:
    """``program`` as the programs of its rulesets: itself when one ruleset holds its
    leaves, else consecutive runs of its leaves of (nearly) equal size, each at most
    ``limit``, with every N/A rule, under keys derived from its own. Each leaf's
    decision depends on its own event alone, so deciding the parts and joining their
    decisions (in order) decides the whole program."""
    count = math.ceil(len(program.leaves) / min(limit, MAX_LEAVES))
    if count <= 1:
        return (program,)
    size = math.ceil(len(program.leaves) / count)
    return tuple(
        replace(program, leaves=program.leaves[i : i + size], key=f"{program.key}.{count}.{k}")
        for k, i in enumerate(range(0, len(program.leaves), size))
    )


def build_layout(program: Program) -> Layout:
    """The ruleset of ``program``, named by its content hash; raises DurableLimitError
    (naming the criterion) when the methodology exceeds what durable-rules handles."""
    if len(program.leaves) > MAX_LEAVES:
        raise DurableLimitError(
            f"{len(program.leaves)} criteria: a durable-rules ruleset holds at most "
            f"{MAX_LEAVES} (more makes loading it never return; `parts` splits them)"
        )
    builder = _Builder(program)
    leaves = [builder.leaf(i, leaf) for i, leaf in enumerate(program.leaves)]
    builder.share(leaves)
    builder.outcomes[SENTINEL] = Outcome("sentinel")
    builder.definition[SENTINEL] = {"all": [{"m": {"g": -1.0}}], "pri": 0, "run": SENTINEL}
    builder.rules[SENTINEL] = (SENTINEL, "end")
    builder.definition[FALLBACK] = {
        "all": [{"m": {"$gte": {"g": 0.0}}}],
        "pri": builder.priority + 1,
        "run": FALLBACK,
    }
    builder.table.check()
    plain = [
        (ll.texts, f.name, ll.prefix, f)
        for ll in leaves
        if (f := ll.plain) is not None and f.name is not None  # a plain field has a name
    ]
    return Layout(
        program.key,
        builder.definition,
        builder.outcomes,
        leaves,
        builder.table,
        rules=builder.rules,
        fallbacks=builder.fallbacks,
        shared=builder.shared,
        plain=plain if len(plain) == len(leaves) else None,
    )
