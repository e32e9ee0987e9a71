"""Every entry of the one operator table (`rules.OPERATORS`) means the same on every
back-end: the oracle, the compiled closures, the vectorised compiler, durable-rules —
and an operator a back-end has no encoding for falls back to the exact closures.

The table is the language's extension point: an operator and a function registered
here with `rules.register_operator`, and nowhere else, are read, written, type-checked,
analysed and scored by every part, the same."""

from __future__ import annotations

import datetime as dt
import decimal
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
    Operator,
    RuleSyntaxError,
    RuleTypeError,
    Type,
    Typed,
    arithmetic_message,
    ast,
    compile_expression,
    evaluate,
    key_of,
    register_operator,
)
from rules._interval_sets import IntervalSet, lowest
from rules._intervals import number_range
from rules.operators import ADD, MUL, Checking, Ranging
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


@pytest.mark.parametrize("key", sorted(OPERATORS))
def test_every_entry_is_written_as_it_is_read(key):
    # the lexer, the parser and the renderer all read the table: each sample, written
    # for the program and for people, reads back as the same tree
    expression = Expression.parse(SAMPLES[key], SPECS)
    for style in ("source", "display"):
        assert Expression.parse(expression.render(style), SPECS) == expression, style


def _node_of(key: str) -> ast.Expr:
    tree = Expression.parse(SAMPLES[key], SPECS).ast
    return next(n for n in ast.walk(tree) if isinstance(n, OPERATOR_NODES) and key_of(n) == key)


@pytest.mark.parametrize("key", sorted(OPERATORS))
def test_every_entry_has_each_facet_the_parts_read(key):
    op = OPERATORS[key]
    if op.node is ast.Call:
        low, high = op.arity
        assert low >= 0 and (high is None or low <= high)
    else:
        assert op.precedence >= 1
    # every entry of the language as shipped is known to the static analyses: a number
    # has bounds (the formula checks), a condition says where it holds (the tier checks)
    typ = Expression.from_ast(_node_of(key), SPECS).type
    if typ is Type.NUMBER:
        assert op.bounds is not None
    else:
        assert op.where is not None or op.truth is not None
    if op.where is not None:
        assert op.node is ast.Compare
        # `where` is the set of x for which `x op constants` holds
        numbers = [Decimal(n) for n in ("-1", "0", "0.5", "2", "3")]
        for x in numbers:
            for right in ((Decimal(0),), (Decimal("0.5"), Decimal(2))):
                if key not in ("in", "not in") and len(right) > 1:
                    continue
                holds = bool(IntervalSet.point(x).intersect(op.where(right)))
                assert holds == op.apply(x, right if key in ("in", "not in") else right[0])
    if op.flipped is not None:
        other = OPERATORS[op.flipped]
        assert other.flipped == key
        for x in (Decimal(1), Decimal(2)):
            for y in (Decimal(1), Decimal(2)):
                assert op.apply(x, y) == other.apply(y, x)


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
    program = _program(SAMPLES["+"])
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


def _program(condition: str):
    inputs = "".join(
        f"  {name}:\n" + "".join(f"    {k}: {v!r}\n".replace("'", '"') for k, v in spec.items())
        for name, spec in INPUTS.items()
    )
    text = (
        '---\nid: ket-qua-ro-rang\ncode: "1.1.3"\ntitle: Phép toán\nmax_points: 1\n'
        f"inputs:\n{inputs}scoring:\n  kind: boolean\n  when: '{condition}'\n---\n"
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
    program = _program(SAMPLES[key])
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


# -- the extension point ---------------------------------------------------------------
# An infix operator spelled with a word and a function, each one entry and nothing else.


def _numbers(c: Checking, node: ast.Binary | ast.Call) -> Typed:
    for operand in ast.children(node):
        c.want(operand, Type.NUMBER, f"{key_of(node)!r} needs numbers, got {{got}}")
    return Typed(Type.NUMBER)


def _clamp_bounds(r: Ranging, node: ast.Call):
    low, high = r.bounds(node.args[1]), r.bounds(node.args[2])
    return lowest(low[0], high[0]), high[1]


def _mod(a: Decimal, b: Decimal) -> Decimal:
    return a % b


def _clamp(x: Decimal, low: Decimal, high: Decimal) -> Decimal:
    return min(max(x, low), high)


# x mod 0 is Decimal's invalid operation: an error of its own, which engines that
# decide what may fail (durable-rules) must be told
UNDEFINED = arithmetic_message(decimal.InvalidOperation())
# module-level functions: a durable-rules worker receives the entries by reference
MOD = Operator("mod", ast.Binary, _numbers, _mod, errors=(UNDEFINED,), precedence=MUL)
CLAMP = Operator("clamp", ast.Call, _numbers, _clamp, arity=(3, 3), bounds=_clamp_bounds)
REGISTERED = {"mod": "a mod b >= 1", "clamp": "clamp(a, 0, b) >= 2"}


@pytest.fixture
def registered():
    """The samples of the registered entries, while they are registered."""
    for op in (MOD, CLAMP):
        register_operator(op)
    try:
        yield REGISTERED
    finally:
        for op in (MOD, CLAMP):
            del OPERATORS[op.key]


def test_a_registered_operator_is_read_and_written_by_its_entry(registered):
    assert Expression.parse(registered["mod"], SPECS).ast.left == ast.Binary(
        "mod", ast.Name("a"), ast.Name("b")
    )
    a, b, two = ast.Name("a"), ast.Name("b"), ast.Number(Decimal(2))
    # binds like `*`: tighter than `+`, left to right with `*`, a keyword in any case
    got = Expression.parse("a + b MOD 2 * a", SPECS).ast
    assert got == ast.Binary("+", a, ast.Binary("*", ast.Binary("mod", b, two), a))
    tree = ast.Binary("mod", ast.Binary("+", a, b), ast.Binary("mod", b, two))
    text = Expression.from_ast(tree, SPECS).render()
    assert text == "(a + b) mod (b mod 2)"
    assert Expression.parse(text, SPECS).ast == tree
    # `mod` is a word of the language now, no longer a name
    with pytest.raises(RuleSyntaxError):
        Expression.parse("mod + 1", {**SPECS, "mod": Type.NUMBER})


def test_a_registered_function_is_read_and_checked_by_its_entry(registered):
    written = registered["clamp"].replace("clamp", "CLAMP")  # function names ignore case
    assert Expression.parse(written, SPECS).render() == registered["clamp"]
    with pytest.raises(RuleSyntaxError, match=r"clamp\(\) takes 3 arguments, got 2"):
        Expression.parse("clamp(a, 1) > 0", SPECS)
    with pytest.raises(RuleSyntaxError) as caught:
        Expression.parse("clamb(a, 0, 1) > 0", SPECS)
    assert "clamp" in str(caught.value.suggestion)
    with pytest.raises(RuleTypeError, match="'clamp' needs numbers, got bool"):
        Expression.parse("clamp(p, 0, 1) > 0", SPECS)
    with pytest.raises(RuleTypeError, match="'mod' needs numbers, got date"):
        Expression.parse("d mod 2 > 0", SPECS)
    # the analyses use what the entry says: clamping bounds any number
    bounded = Expression.parse("clamp(a * b, -1, 2)", SPECS).ast
    assert number_range(bounded, SPECS) == (Decimal(-1), Decimal(2))
    assert number_range(Expression.parse("a mod 2", SPECS).ast, SPECS) is None


@pytest.mark.parametrize("key", sorted(REGISTERED))
def test_a_registered_entry_scores_the_same_on_every_engine(registered, durable, key):
    text = registered[key]
    outcomes = [oracle(text, env) for env in ENVS]
    assert (True, None) in outcomes and (False, None) in outcomes
    for message in OPERATORS[key].errors:  # b = 0, in the words of every engine
        assert (None, message) in outcomes
    fn = compile_expression(Expression.parse(text, SPECS))
    for env, want in zip(ENVS, outcomes, strict=True):
        try:
            got = fn(clean(env)), None
        except EvaluationError as exc:
            got = None, exc.message
        assert got == want, env
    # the vectorised compiler has no encoding of it: the exact closures score the leaf
    types = {name: spec.value_type for name, spec in SPECS.items()}
    with pytest.raises(vector.Unsupported, match=f"operator '{key}'"):
        vector.compile_node(Expression.parse(text, SPECS).ast, types, {})
    program = _program(text)
    subs = [submission(values=_values(env)) for env in ENVS]
    expected = score_many(program, subs, CompiledEngine())
    for result, (value, error) in zip(expected, outcomes, strict=True):
        node = result.node("ket-qua-ro-rang")
        if error is None:
            assert (node.status, node.points) == ("scored", Decimal(int(value)))
        else:
            assert (node.status, node.reason) == ("invalid", error)
    # the workers, started before the entry was registered, receive it with the program
    for sub, want in zip(subs, expected, strict=True):
        assert score(program, sub, durable).tree() == want.tree()
    assert_same(score_cohort(VectorProgram.build(program), subs), expected)


def test_an_entry_is_known_only_while_registered():
    with pytest.raises(RuleSyntaxError, match="unknown function 'clamp'"):
        Expression.parse(REGISTERED["clamp"], SPECS)
    with pytest.raises(RuleSyntaxError):
        Expression.parse(REGISTERED["mod"], SPECS)


def test_registration_refuses_an_entry_that_cannot_be_written_unambiguously():
    minus = Operator("minus", ast.Binary, _numbers, lambda a, b: a - b, symbol="-", precedence=ADD)
    with pytest.raises(ValueError, match="'-' already spells '-'"):
        register_operator(minus)
    with pytest.raises(ValueError, match="already registered"):
        register_operator(Operator("min", ast.Call, _numbers, min, arity=(2, None)))
    with pytest.raises(ValueError, match="binding power"):
        register_operator(Operator("mod", ast.Binary, _numbers, lambda a, b: a % b))
    with pytest.raises(ValueError, match="free name"):
        register_operator(Operator("date", ast.Call, _numbers, lambda x: x))
    assert "minus" not in OPERATORS and "mod" not in OPERATORS
