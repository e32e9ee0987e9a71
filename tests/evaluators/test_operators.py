"""Every entry of the one operator table (`rules.OPERATORS`) means the same on every
back-end: the oracle, the compiled closures, the vectorised compiler, durable-rules —
and an operator a back-end has no encoding for falls back to the exact closures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from evaluators import CompiledEngine, score, score_many
from evaluators.engines.durable import translate as durable_translate
from evaluators.engines.durable.engine import DurableEngine
from evaluators.engines.vector import expressions as vector
from evaluators.engines.vector.batch import VectorProgram, score_cohort
from rules import (
    OPERATOR_NODES,
    OPERATORS,
    EvaluationError,
    Expression,
    InputSpec,
    ast,
    compile_expression,
    evaluate,
    key_of,
)
from tests.evaluators.helpers import assert_same

from .helpers import submission, vi_du_with

# One condition per entry, using it; a new entry needs one here (the first test).
SAMPLES = {
    "neg": "-a < b",
    "not": "not p",
    "+": "a + b > 1",
    "-": "a - b > 0",
    "*": "a * b >= 2",
    "/": "a / b >= 1",
    "and": "p and a / b < 1",
    "or": "p or a / b > 1",
    "==": "a == b",
    "!=": 's != "x"',
    "<": 'd < date("2024-06-01")',
    "<=": "a <= 2",
    ">": "b > a",
    ">=": 'd >= date("2024-06-01")',
    "in": 's in ["x", "y"]',
    "not in": "a not in [1, 2.5]",
    "min": "min(a, b, 1) > 0.5",
    "max": "max(a, b) >= 3",
    "abs": "abs(a - b) <= 1",
    "round": "round(a / b, 2) == 0.67",
    "if": "if(p, a, b) > 1",
}

INPUTS = {
    "a": {"type": "number", "label": "A"},
    "b": {"type": "number", "label": "B"},
    "p": {"type": "bool", "label": "P"},
    "s": {"type": "enum", "label": "S", "choices": ["x", "y", "z"]},
    "d": {"type": "date", "label": "D"},
}
SPECS = {name: InputSpec.from_dict(name, spec) for name, spec in INPUTS.items()}

ENVS = [
    {"a": 2, "b": 3, "p": True, "s": "x", "d": "2024-05-01"},
    {"a": 3, "b": 0, "p": False, "s": "z", "d": "2024-06-01"},
    {"a": 2.5, "b": 2.5, "p": False, "s": "y", "d": "2024-07-15"},
    {"a": -4, "b": 1, "p": True, "s": "z", "d": "2023-12-31"},
    {"a": 1, "b": 1.5, "p": False, "s": "x", "d": "2024-06-02"},
    {"a": 10**14, "b": 1, "p": True, "s": "y", "d": "2024-01-01"},  # round() too large
]


def clean(env: dict) -> dict:
    out = {}
    for name, value in env.items():
        if name == "d":
            out[name] = dt.date.fromisoformat(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = Decimal(str(value))
        else:
            out[name] = value
    return out


def oracle(text: str, env: dict):
    """(value, None) or (None, message) by the tree-walking oracle."""
    try:
        return evaluate(Expression.parse(text, SPECS).ast, clean(env)), None
    except EvaluationError as exc:
        return None, exc.message


def test_every_entry_has_a_sample_that_uses_it():
    assert set(SAMPLES) == set(OPERATORS)
    for key, text in SAMPLES.items():
        tree = Expression.parse(text, SPECS).ast
        used = {key_of(n) for n in ast.walk(tree) if isinstance(n, OPERATOR_NODES)}
        assert key in used, (key, text)
    # the samples reach both sides of each condition and the entries' own errors
    for key, op in OPERATORS.items():
        outcomes = {oracle(SAMPLES[key], env) for env in ENVS}
        assert (True, None) in outcomes and (False, None) in outcomes, key
        for message in op.errors:
            assert (None, message) in outcomes, key


def test_the_parser_spells_exactly_the_table():
    # `date(...)` is a literal, not an operator; unary minus is keyed "neg"
    spelled = {*ast.BINARY_OPS, *ast.COMPARE_OPS, *ast.BOOL_OPS, *ast.FUNCTIONS, "neg", "not"}
    assert spelled - {"date"} == set(OPERATORS)


@pytest.mark.parametrize("key", sorted(OPERATORS))
def test_the_compiled_closure_is_the_oracle(key):
    fn = compile_expression(Expression.parse(SAMPLES[key], SPECS))
    for env in ENVS:
        try:
            got = fn(clean(env)), None
        except EvaluationError as exc:
            got = None, exc.message
        assert got == oracle(SAMPLES[key], env), (key, env)


class _Columns(vector.Ctx):
    """The rows of ENVS as the vectorised engine's columns."""

    def __init__(self, codes: dict[str, int]) -> None:
        self.n = len(ENVS)
        rows = [clean(env) for env in ENVS]
        self.columns = {
            "a": np.array([float(r["a"]) for r in rows]),
            "b": np.array([float(r["b"]) for r in rows]),
            "p": np.array([r["p"] for r in rows]),
            "s": np.array([codes[r["s"]] for r in rows]),
            "d": np.array([r["d"].toordinal() for r in rows]),
        }

    def column(self, key: str):
        return self.columns[key], None, None


@pytest.mark.parametrize("key", sorted(OPERATORS))
def test_the_vector_compiler_encodes_or_refuses_every_entry(key):
    codes = {"x": 0, "y": 1, "z": 2}
    types = {name: spec.value_type for name, spec in SPECS.items()}
    tree = Expression.parse(SAMPLES[key], SPECS).ast
    if key not in vector.ENCODED:  # pragma: no cover - every entry is encoded today
        with pytest.raises(vector.Unsupported):
            vector.compile_node(tree, types, codes)
        return
    fn, _ = vector.compile_node(tree, types, codes)
    v = fn(_Columns(codes))
    values = np.broadcast_to(v.val, (len(ENVS),))
    for i, env in enumerate(ENVS):
        if v.unk is not None and v.unk[i]:
            continue  # undecided rows go to the exact closures
        value, error = oracle(SAMPLES[key], env)
        failed = v.fail is not None and bool(v.fail[i])
        assert failed == (error is not None), (key, env)
        if not failed:
            assert bool(values[i]) == value, (key, env)


def test_an_entry_the_vector_compiler_does_not_encode_falls_back(monkeypatch):
    monkeypatch.delitem(vector._ENCODINGS, "+")
    codes = {"x": 0, "y": 1, "z": 2}
    types = {name: spec.value_type for name, spec in SPECS.items()}
    with pytest.raises(vector.Unsupported, match=r"operator '\+'"):
        vector.compile_node(Expression.parse(SAMPLES["+"], SPECS).ast, types, codes)
    program = _program("+")
    subs = [submission(values=_values(env)) for env in ENVS]
    batch = score_cohort(VectorProgram.build(program), subs)
    assert_same(batch, score_many(program, subs, CompiledEngine()))


def test_an_entry_durable_does_not_test_natively_is_computed_as_a_field(monkeypatch):
    table = durable_translate.FieldTable()
    native = durable_translate.translate(
        Expression.parse("a <= 2", SPECS), table, scope="leaf", present=frozenset(SPECS)
    )
    assert native.true == {"$lte": {native.fields[0].value: 2.0}}
    monkeypatch.setattr(durable_translate, "NATIVE", durable_translate.NATIVE - {"<="})
    table = durable_translate.FieldTable()
    computed = durable_translate.translate(
        Expression.parse("a <= 2", SPECS), table, scope="leaf", present=frozenset(SPECS)
    )
    (f,) = computed.fields
    assert computed.true == {f.value: 1.0} and f.expression is not None
    for env in ENVS:
        assert f.compute(clean(env)) == (oracle("a <= 2", env)[0], None)


def _program(key: str):
    inputs = "".join(
        f"  {name}:\n" + "".join(f"    {k}: {v!r}\n".replace("'", '"') for k, v in spec.items())
        for name, spec in INPUTS.items()
    )
    text = (
        '---\nid: ket-qua-ro-rang\ncode: "1.1.3"\ntitle: Phép toán\nmax_points: 1\n'
        f"inputs:\n{inputs}scoring:\n  kind: boolean\n  when: '{SAMPLES[key]}'\n---\n"
    )
    return vi_du_with({"chi-dao-dieu-hanh/ke-hoach-cchc/ket-qua-ro-rang.md": text})


def _values(env: dict) -> dict:
    return {**env, "ket_qua_ro_rang": None}


@pytest.fixture(scope="module")
def durable():
    with DurableEngine() as engine:
        yield engine


@pytest.mark.parametrize("key", sorted(OPERATORS))
def test_every_entry_scores_the_same_on_every_engine(durable, key):
    program = _program(key)
    subs = [submission(values=_values(env)) for env in ENVS]
    expected = score_many(program, subs, CompiledEngine())
    for env, result in zip(ENVS, expected, strict=True):
        node = result.node("ket-qua-ro-rang")
        value, error = oracle(SAMPLES[key], env)
        if error is None:
            assert (node.status, node.points) == ("scored", Decimal(int(value))), (key, env)
        else:
            assert (node.status, node.reason) == ("invalid", error), (key, env)
    for sub, want in zip(subs, expected, strict=True):
        assert score(program, sub, durable).tree() == want.tree(), key
    assert_same(score_cohort(VectorProgram.build(program), subs), expected)
