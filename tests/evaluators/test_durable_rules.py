"""Translation of conditions to durable-rules tests, and the engine's guard rails, checked
without worker processes."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evaluators.engines.durable.host import DurableHost, Evaluator
from evaluators.engines.durable.translate import (
    DurableLimitError,
    FieldTable,
    all_of,
    any_of,
    count_operators,
    dumps,
    fnv1a,
    split_rule,
    translate,
)
from evaluators.errors import EngineError
from evaluators.scoring.plan import _prepare
from rules import Expression, InputSpec

from .helpers import submission, vi_du


def spec(name: str, kind: str, **extra) -> InputSpec:
    return InputSpec.from_dict(name, {"type": kind, "label": name, **extra})


NAMES = {
    "x": spec("x", "number"),
    "y": spec("y", "number"),
    "b": spec("b", "bool"),
    "e": spec("e", "enum", choices=["a", "b"]),
}


def tr(text: str, present=frozenset({"x", "y", "b", "e"})):
    table = FieldTable(reserved=("sid", "id", "l", "a"))
    return translate(Expression.parse(text, NAMES), table, scope="leaf", present=present), table


def test_numbers_are_written_without_exponents():
    assert dumps({"x": 1e-30, "y": 1e20, "z": 5.0, "s": 'đ"'}) == (
        '{"x":0.000000000000000000000000000001,"y":100000000000000000000.0,"z":5.0,"s":"đ\\""}'
    )
    assert float(dumps(0.1)) == 0.1
    with pytest.raises(ValueError):
        dumps(math.inf)


def test_comparisons_become_property_tests():
    t, _ = tr('x >= 0.9 and not (e == "a")')
    (vx, ve) = (f.value for f in t.fields)
    assert t.true == {"$and": [{"$gte": {vx: 0.9}}, {"$neq": {ve: "a"}}]}
    assert t.false == {"$or": [{"$lt": {vx: 0.9}}, {ve: "a"}]}
    assert t.errors == {}


def test_constants_on_the_left_are_flipped_and_bools_are_numbers():
    t, _ = tr("3 < x or b")
    vx, vb = (f.value for f in t.fields)
    assert t.true == {"$or": [{"$gt": {vx: 3.0}}, {vb: 1.0}]}


def test_arithmetic_is_computed_in_python_and_errors_follow_short_circuits():
    t, _ = tr("x > 0 and y / x >= 0.5")
    vx, ratio = t.fields
    assert ratio.expression is not None and ratio.expression.text == "y / x"
    # y / x raises only when x > 0 held
    assert t.errors == {ratio: {"$and": [{"$gt": {vx.value: 0.0}}, {"$neq": {ratio.error: ""}}]}}
    assert ratio.compute({"x": Decimal(0), "y": Decimal(1)})[1].message == "division by zero"


def test_two_values_compared_are_one_computed_field():
    t, _ = tr("x < y")
    (f,) = t.fields
    assert f.type.value == "bool" and t.true == {f.value: 1.0}


def test_missing_names_are_errors_only_when_not_required():
    t, _ = tr("x > 1", present=frozenset())
    assert list(t.errors.values()) == [{"$neq": {t.fields[0].error: ""}}]


def test_values_rounding_onto_a_constant_are_nudged():
    t, table = tr("x > 0.9")
    table.check()
    (f,) = t.fields
    above = f.encode(Decimal("0.90000000000000001"))
    below = f.encode(Decimal("0.89999999999999999"))
    assert below < 0.9 < above
    assert f.encode(Decimal("0.9")) == 0.9


@given(
    st.decimals(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.sampled_from(["0.9", "0.90000000000000001", "0.89999999999999999", "-0", "1E-7"]).map(
        Decimal
    )
)
def test_a_value_is_sent_as_its_own_digits_only_when_they_are_its_double(value):
    # Field.json writes short Decimals as they are: the engine must read the same double
    # as the nudged one `encode` gives, in its dialect (a point, no exponent)
    for text in ("x > 0.9 and x < 1000", "x > 0.90000000000000001"):
        t, table = tr(text)
        table.check()
        (f,) = t.fields
        try:
            expected = f.encode(value)
        except (ValueError, OverflowError):
            continue
        if not math.isfinite(expected):
            continue
        sent = f.json(value)
        assert "." in sent and "e" not in sent.lower()
        assert float(sent) == expected and math.copysign(1, float(sent)) == math.copysign(
            1, expected
        )


def test_constants_doubles_cannot_tell_apart_are_refused():
    _, table = tr("x > 0.9 or x < 0.90000000000000001")
    with pytest.raises(DurableLimitError, match=r"same double|too close"):
        table.check()


def test_property_names_never_share_a_hash():
    table = FieldTable(reserved=("sid", "id"))
    names = {table.allocate("v") for _ in range(3000)}
    assert len({fnv1a(n) for n in names}) == len(names)
    assert fnv1a("lafjmpb") == fnv1a("jqyfesr")  # found by a birthday search
    table = FieldTable(reserved=("lafjmpb",))
    with pytest.raises(DurableLimitError, match="share a hash"):
        table.reserve("jqyfesr")


def test_empty_operators_are_never_built():
    assert all_of() is True and any_of() is False
    assert all_of(True, {"a": 1.0}) == {"a": 1.0}
    assert any_of(False, False) is False


def test_rules_with_too_many_operators_are_split():
    alternatives = [{"$and": [{"x": float(i)}, {"y": float(i)}]} for i in range(20)]
    test = all_of({"l": 1.0}, {"$or": alternatives})
    parts = split_rule(test)
    assert len(parts) > 1
    assert all(count_operators(p) <= 15 for p in parts)


def test_registration_errors_name_the_rule():
    host = DurableHost()
    with pytest.raises(EngineError, match=r"rule 'wrong'.*error 202"):
        host.set_rulesets(
            {
                "bad": {
                    "fine": {"all": [{"m": {"l": 1.0}}], "run": "fine"},
                    "wrong": {"all": [{"m": {"x": {"$lt": 1.0}}}], "run": "wrong"},
                }
            }
        )


def test_a_rule_the_layout_does_not_know_is_an_error():
    # rules fire straight through the C binding: each reply must name a rule of the layout
    program = vi_du()
    evaluator = Evaluator()
    layout = evaluator.load(program)
    for name in [n for n in layout.rules if n.endswith("/tier:2")]:
        del layout.rules[name]
    case = _prepare(program, submission(values={"ty_le_dung_han": 0.9})).self_case
    with pytest.raises(EngineError, match=r"unknown rule fired: .*/tier:2"):
        evaluator.decide(program.key, [case], program)
    assert evaluator.live_sessions == 0


def test_unused_rulesets_are_deleted():
    program = vi_du()
    evaluator = Evaluator()
    case = _prepare(program, submission()).self_case
    first = evaluator.decide(program.key, [case], program)[0]
    for i in range(6):
        other = type(program)(
            program.methodology, program.leaves, program.na_rules, program.inputs, f"k{i}"
        )
        assert evaluator.decide(other.key, [case], other)[0] == first
    assert len(evaluator.layouts) == 4
    assert len(evaluator.host._ruleset_list) == 4
    assert program.key not in evaluator
    with pytest.raises(KeyError):
        evaluator.decide(program.key, [case])
    # an evicted ruleset is registered again under the same name
    assert evaluator.decide(program.key, [case], program)[0] == first


def test_every_event_has_its_own_discriminators():
    from evaluators.engines.durable.layout import build_layout

    program = vi_du()
    layout = build_layout(program)
    heads = [(ll.index, slot, head) for ll in layout.leaves for slot, head in enumerate(ll.heads)]
    assert len({h for *_, h in heads}) == len(heads)
    for ll in layout.leaves:
        assert len(ll.heads) == len(ll.adjustments) + 1
        assert ('"a":' in ll.heads[0]) == bool(ll.adjustments)  # "a" only when needed
    every = {str(ll.index) for ll in layout.leaves} | {
        f"{ll.index}.{slot}" for ll in layout.leaves for slot in range(1, len(ll.heads))
    }
    assert {event for _, event in layout.rules.values()} <= every | {"end"}
    # every event has one fallback outcome, found by the discriminators its reply carries
    assert sorted(event for _, event in layout.fallbacks.values()) == sorted(every)
    assert set(layout.fallbacks) == {h for ll in layout.leaves for h in ll.heads}


def test_outcomes_without_tests_share_one_rule_of_the_lowest_priority():
    from evaluators.engines.durable.layout import FALLBACK, build_layout

    layout = build_layout(vi_du())
    rules = layout.definition
    assert rules[FALLBACK]["pri"] == max(r["pri"] for r in rules.values())
    # an "otherwise" tier, "no tier applies" and "the bonus does not apply" have no rule
    assert not [name for name in rules if name.endswith(("/none", ":no"))]
    otherwise = [
        f"{leaf.id}/{rule}" for leaf in vi_du().leaves for rule, c in leaf.conditions if c is None
    ]
    assert otherwise and not set(otherwise) & set(rules)
    actions = {action for action, _ in layout.fallbacks.values()}
    assert "ty-le-dung-han/bonus:0:no" in actions


def _ladder(node_id: str, code: str, name: str, optional: bool = False) -> str:
    required = ", required: false" if optional else ""
    return (
        f"---\nid: {node_id}\ncode: '{code}'\ntitle: T{code}\nmax_points: 1\n"
        f"inputs:\n  {name}: {{type: ratio, label: {name}{required}}}\n"
        "applicability: {allow_not_applicable: true}\n"
        "scoring:\n  kind: tiers\n  tiers:\n"
        f"    - {{when: {name} >= 90%, points: 1}}\n"
        f"    - {{when: {name} >= 70% and {name} < 90%, points: 0.5}}\n"
        "    - {otherwise: true, points: 0}\n---\n"
    )


LADDERS = {
    "methodology.yaml": "id: ladders\ntitle: Ladders\nlevel: tỉnh\nscale: 10\n",
    "f/_node.md": "---\nid: f\ncode: '1'\ntitle: L\nmax_points: 5\n---\n",
    "f/a.md": _ladder("a", "1.1", "xa"),
    "f/b.md": _ladder("b", "1.2", "xb"),
    "f/c.md": _ladder("c", "1.3", "xc"),
    "f/d.md": _ladder("d", "1.4", "xd", optional=True),  # error rules: a class of its own
    "f/e.md": _ladder("e", "1.5", "xe", optional=True),
}


def _ladders():
    from evaluators import build_program
    from methodology.tree import build_tree

    m = build_tree("ladders", {p: p for p in LADDERS}, lambda p: LADDERS[p].encode())
    return build_program(m)


def test_criteria_asking_the_same_question_share_their_rules():
    from evaluators import CompiledEngine
    from evaluators.engines.durable.layout import FALLBACK, SENTINEL, build_layout

    program = _ladders()
    layout = build_layout(program)
    # a, b, c: one class; d, e (optional input, so an error rule too): another
    heads = {ll.id: ll.heads[0] for ll in layout.leaves}
    assert {ll.id: ll.tag for ll in layout.leaves} == {
        "a": ',"c":0.0',
        "b": ',"c":0.0',
        "c": ',"c":0.0',
        "d": ',"c":1.0',
        "e": ',"c":1.0',
    }
    own = [name for name in layout.definition if name not in (FALLBACK, SENTINEL)]
    assert own and all(name.startswith("~") for name in own)
    assert not layout.rules.keys() - {SENTINEL}
    for name in own:
        members = layout.shared[name]
        group = ("a", "b", "c") if name.startswith("~0.") else ("d", "e")
        assert set(members) == {heads[leaf] for leaf in group}
        assert {action.split("/")[0] for action, _ in members.values()} == set(group)
    evaluator = Evaluator()
    cases = [
        _prepare(program, submission(values=values)).self_case
        for values in (
            {"xa": 0.95, "xb": 0.75, "xc": 0.5, "xd": 0.9, "xe": 0.1},
            {"xa": 0.7, "xb": 0.7, "xc": 0.9, "xd": 0.89},  # xe missing: its error rule
        )
    ]
    decisions, traces = evaluator.decide(program.key, cases, program, trace=True)
    assert decisions == CompiledEngine().decide(program, cases)
    # the explanation names each criterion's own rule, as without classes
    assert sorted(traces[0]) == sorted(
        ["a/tier:1", "b/tier:2", "c/tier:3", "d/tier:1", "e/tier:3", SENTINEL]
    )
    assert "e/tier:1:error:" in " ".join(traces[1])
    # a member its class's rule does not know is an error, never another's decision
    del layout.shared["~0.0"][heads["a"]]
    evaluator.layouts[program.key].shared["~0.0"].pop(heads["a"], None)
    evaluator.layouts[program.key].direct = None
    with pytest.raises(EngineError, match="unknown rule fired"):
        evaluator.decide(program.key, cases[:1], trace=True)
    assert evaluator.live_sessions == 0
