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


trees = st.one_of(num_exprs(3), bool_exprs(3))
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
