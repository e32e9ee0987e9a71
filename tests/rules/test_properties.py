"""Property tests: rendering and re-parsing preserves trees and values."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import EvaluationError, Expression, InputSpec, RuleError, RuleSyntaxError
from rules import ast as A
from rules._interpreter import evaluate

NAMES = {
    "a": InputSpec("a", "number", "A"),
    "r": InputSpec("r", "ratio", "R"),
    "c": InputSpec("c", "count", "C"),
    "ok": InputSpec("ok", "bool", "OK"),
    "e": InputSpec("e", "enum", "E", choices=("x", "y", 'q"uote\\')),
    "d": InputSpec("d", "date", "D"),
}
CHOICES = NAMES["e"].choices

decimals = st.builds(
    lambda digits, scale: Decimal(digits).scaleb(-scale),
    st.integers(0, 10**6),
    st.integers(0, 4),
)
numbers = st.builds(lambda v, p: A.Number(v, percent=p), decimals, st.booleans())
dates = st.dates(datetime.date(2000, 1, 1), datetime.date(2030, 12, 31))


def num_exprs(depth: int) -> st.SearchStrategy:
    leaves = st.one_of(numbers, st.sampled_from([A.Name("a"), A.Name("r"), A.Name("c")]))
    if depth == 0:
        return leaves
    sub = num_exprs(depth - 1)
    return st.one_of(
        leaves,
        st.builds(A.Binary, st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.builds(lambda x: A.Unary("-", x), sub),
        st.builds(
            lambda f, xs: A.Call(f, tuple(xs)),
            st.sampled_from(["min", "max"]),
            st.lists(sub, min_size=2, max_size=3),
        ),
        st.builds(lambda x: A.Call("abs", (x,)), sub),
        st.builds(lambda x, k: A.Call("round", (x, A.Number(Decimal(k)))), sub, st.integers(0, 3)),
        st.builds(lambda x: A.Call("round", (x,)), sub),
        st.builds(lambda c, x, y: A.Call("if", (c, x, y)), bool_exprs(depth - 1), sub, sub),
    )


def bool_exprs(depth: int) -> st.SearchStrategy:
    leaves = st.one_of(
        st.builds(A.Bool, st.booleans()),
        st.just(A.Name("ok")),
        st.builds(
            lambda op, s: A.Compare(op, A.Name("e"), A.String(s)),
            st.sampled_from(["==", "!="]),
            st.sampled_from(CHOICES),
        ),
        st.builds(
            lambda op, items: A.Compare(
                op, A.Name("e"), A.ListLit(tuple(A.String(i) for i in items))
            ),
            st.sampled_from(["in", "not in"]),
            st.lists(st.sampled_from(CHOICES), min_size=1, max_size=3),
        ),
        st.builds(
            lambda op, day: A.Compare(op, A.Name("d"), A.DateLit(day)),
            st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
            dates,
        ),
    )
    if depth == 0:
        return leaves
    sub = bool_exprs(depth - 1)
    nums = num_exprs(depth - 1)
    return st.one_of(
        leaves,
        st.builds(A.Compare, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), nums, nums),
        st.builds(
            lambda op, x, items: A.Compare(op, x, A.ListLit(tuple(items))),
            st.sampled_from(["in", "not in"]),
            nums,
            st.lists(numbers, min_size=1, max_size=3),
        ),
        st.builds(A.BoolOp, st.sampled_from(["and", "or"]), sub, sub),
        st.builds(lambda x: A.Unary("not", x), sub),
        st.builds(A.Compare, st.sampled_from(["==", "!="]), sub, sub),
        st.builds(lambda c, x, y: A.Call("if", (c, x, y)), sub, sub, sub),
    )


def _divides_by_a_constant_zero(tree, names=NAMES) -> bool:
    """Validation refuses a divisor that is always 0 (or cannot be computed)."""
    try:
        Expression.from_ast(tree, names)
    except RuleError as exc:
        if "số chia" in exc.message:
            return True
        raise
    return False


trees = st.one_of(num_exprs(3), bool_exprs(3)).filter(
    lambda tree: not _divides_by_a_constant_zero(tree)
)
values = st.fixed_dictionaries(
    {
        "a": st.builds(lambda k: Decimal(k).scaleb(-2), st.integers(-(10**5), 10**5)),
        "r": st.builds(lambda k: Decimal(k).scaleb(-3), st.integers(0, 1000)),
        "c": st.integers(0, 50),
        "ok": st.booleans(),
        "e": st.sampled_from(CHOICES),
        "d": dates,
    }
)


def outcome(thunk):
    try:
        return ("ok", thunk())
    except EvaluationError as exc:
        return ("error", exc.message)


@settings(max_examples=300, deadline=None)
@given(trees)
def test_render_parse_round_trip(tree):
    expression = Expression.from_ast(tree, NAMES)
    text = expression.render()
    again = Expression.parse(text, NAMES)
    assert again.ast == tree
    assert again.render() == text
    # The display form is meant for people but still reads back the same.
    assert Expression.parse(expression.render("display"), NAMES).ast == tree


@settings(max_examples=300, deadline=None)
@given(trees, values)
def test_round_trip_preserves_value(tree, point):
    reparsed = Expression.parse(Expression.from_ast(tree, NAMES).render(), NAMES)
    assert outcome(lambda: reparsed.evaluate(point)) == outcome(lambda: evaluate(tree, point))


PIECES = [
    *"abcerokd_ 019.%()[],'\"\\<>=!≥≤≠+-*/&|#\n",
    "and",
    "not",
    "in",
    "min(",
    "date(",
    "round(",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_arbitrary_text_only_raises_rule_errors(text):
    try:
        expression = Expression.parse(text, NAMES)
    except RuleError:
        return
    assert Expression.parse(expression.render(), NAMES) == expression
    point = {"a": 0, "r": 1, "c": 3, "ok": True, "e": "x", "d": datetime.date(2024, 1, 1)}
    with contextlib.suppress(EvaluationError):
        expression.evaluate(point)


def test_deep_nesting_is_a_syntax_error():
    with pytest.raises(RuleSyntaxError, match="nested more than"):
        Expression.parse("(" * 500 + "1" + ")" * 500, NAMES)
    with pytest.raises(RuleSyntaxError, match="nested more than"):
        Expression.parse(" + ".join(["1"] * 500), NAMES)
    assert Expression.parse(" + ".join(["1"] * 50), NAMES).evaluate({}) == 50


def _clean(point):
    from rules._interpreter import coerce

    return {k: coerce(v, None) for k, v in point.items()}


@settings(max_examples=400, deadline=None)
@given(trees, values)
def test_compiled_closure_agrees_with_the_interpreter(tree, point):
    from rules.compile import compile_expression

    expression = Expression.from_ast(tree, NAMES)
    closure = compile_expression(expression)
    assert outcome(lambda: closure(_clean(point))) == outcome(lambda: expression.evaluate(point))


# Values of magnitudes far beyond what cleaning admits (the interpreter and the closures
# also serve callers that pass raw values), and the Decimal context's own edges: its largest
# number, its smallest normal and subnormal ones, zeros with extreme exponents.
EDGES = [
    "9.99999999999999E+999999",
    "9E+999999",
    "1E-999999",
    "1E-1000013",
    "1E-1000020",
    "0E+999999",
    "0E-1000013",
    "1E+5000",
    "1E-5000",
    "123456789012345678901234567890",
    "1E+100",
    "1E-100",
]
extremes = st.one_of(
    st.sampled_from([Decimal(e) for e in EDGES]),
    st.builds(
        lambda m, e: Decimal(f"{m}E{e}"),
        st.integers(-(10**20), 10**20),
        st.integers(-1_100_000, 1_100_000),
    ),
)


EXTREME_NAMES = {"a": NAMES["a"], "b": InputSpec("b", "number", "B")}

extreme_numbers = st.recursive(
    st.one_of(
        # constants are written in full by rendering, and validation bounds them
        st.sampled_from([A.Number(Decimal(c)) for c in ("1E+100", "1E-100", "0.5", "3")]),
        st.sampled_from([A.Name("a"), A.Name("b")]),
    ),
    lambda sub: st.one_of(
        st.builds(A.Binary, st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        st.builds(lambda x: A.Unary("-", x), sub),
        st.builds(lambda x: A.Call("abs", (x,)), sub),
        st.builds(lambda x, k: A.Call("round", (x, A.Number(Decimal(k)))), sub, st.integers(0, 3)),
    ),
    max_leaves=8,
)
extreme_trees = st.one_of(
    extreme_numbers,
    st.builds(A.Compare, st.sampled_from(["<", "==", ">="]), extreme_numbers, extreme_numbers),
).filter(lambda tree: not _divides_by_a_constant_zero(tree, EXTREME_NAMES))


@settings(max_examples=300, deadline=None)
@given(extreme_trees, st.fixed_dictionaries({"a": extremes, "b": extremes}))
def test_huge_and_tiny_magnitudes_only_raise_evaluation_errors_and_agree(tree, point):
    from rules.compile import compile_expression

    expression = Expression.from_ast(tree, EXTREME_NAMES)
    closure = compile_expression(expression)
    # `outcome` lets only EvaluationError through: a raw decimal signal fails the test
    interpreted = outcome(lambda: expression.evaluate(point))
    assert outcome(lambda: closure(point)) == interpreted
    if interpreted[0] == "error":
        assert interpreted[1] in {
            "division by zero",
            "round() result is too large",
            "lỗi tính toán: kết quả quá lớn (vượt quá 1e999999)",
            "lỗi tính toán: kết quả quá nhỏ (dưới 1e-999999)",
            "lỗi tính toán: phép tính không xác định",
        }


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("a * b", {"a": "9E+999999", "b": "10"}, "quá lớn"),
        ("a * b", {"a": "1E-999999", "b": "1E-100"}, "quá nhỏ"),
        ("a / b", {"a": "9E+999999", "b": "1E-10"}, "quá lớn"),
        ("-a", {"a": "1E-1000020"}, "quá nhỏ"),
        ("a + b", {"a": "1", "b": "0E+999999"}, None),
    ],
)
def test_each_arithmetic_signal_is_the_same_evaluation_error(text, values, message):
    from rules.compile import compile_expression

    expression = Expression.parse(text, EXTREME_NAMES)
    point = {k: Decimal(v) for k, v in values.items()}
    closure = compile_expression(expression)
    if message is None:
        assert closure(point) == expression.evaluate(point)
        return
    with pytest.raises(EvaluationError, match=message) as interpreted:
        expression.evaluate(point)
    with pytest.raises(EvaluationError, match=message) as compiled:
        closure(point)
    assert interpreted.value.message == compiled.value.message
    assert interpreted.value.column == 1 + text.index(interpreted.value.token)
