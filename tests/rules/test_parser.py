import datetime
from decimal import Decimal

import pytest

from rules import (
    Expression,
    InputSpec,
    Origin,
    RuleSyntaxError,
    RuleTypeError,
    Type,
    UnknownNameError,
    parse_expression,
)
from rules import ast as A

NAMES = {
    "ty_le": InputSpec("ty_le", "ratio", "Tỷ lệ"),
    "ty_le_dung_han": InputSpec("ty_le_dung_han", "ratio", "Tỷ lệ đúng hạn"),
    "so": InputSpec("so", "count", "Số"),
    "x": InputSpec("x", "number", "X"),
    "y": InputSpec("y", "number", "Y"),
    "ok": InputSpec("ok", "bool", "OK"),
    "muc": InputSpec("muc", "enum", "Mức", choices=("tot", "kha", "trung_binh")),
    "ngay": InputSpec("ngay", "date", "Ngày"),
    "ds": Type.LIST,
}


def n(value):
    return A.Number(Decimal(value))


def test_arithmetic_precedence():
    assert parse_expression("1 + 2 * 3") == A.Binary("+", n("1"), A.Binary("*", n("2"), n("3")))
    assert parse_expression("(1 + 2) * 3") == A.Binary("*", A.Binary("+", n("1"), n("2")), n("3"))
    assert parse_expression("8 - 4 - 2") == A.Binary("-", A.Binary("-", n("8"), n("4")), n("2"))
    assert parse_expression("-x * 2") == A.Binary("*", A.Unary("-", A.Name("x")), n("2"))


def test_boolean_precedence():
    tree = parse_expression("not ok or x > 1 and y < 2")
    assert tree == A.BoolOp(
        "or",
        A.Unary("not", A.Name("ok")),
        A.BoolOp("and", A.Compare(">", A.Name("x"), n("1")), A.Compare("<", A.Name("y"), n("2"))),
    )
    # `not` binds looser than comparison.
    assert parse_expression("not x == 1") == A.Unary("not", A.Compare("==", A.Name("x"), n("1")))


def test_percent_literal():
    tree = parse_expression("90%")
    assert tree == A.Number(Decimal("0.9"))
    assert tree.percent is True
    assert parse_expression("12.5%").value == Decimal("0.125")


def test_unicode_operators_are_synonyms():
    assert parse_expression("x ≥ 1") == parse_expression("x >= 1")
    assert parse_expression("x ≤ 1") == parse_expression("x <= 1")
    assert parse_expression("x ≠ 1") == parse_expression("x != 1")


def test_keywords_are_case_insensitive():
    assert parse_expression("ok AND NOT ok Or TRUE") == parse_expression("ok and not ok or true")


def test_in_and_not_in_and_calls():
    assert parse_expression('muc in ["tot", "kha"]') == A.Compare(
        "in", A.Name("muc"), A.ListLit((A.String("tot"), A.String("kha")))
    )
    assert parse_expression("so not in [1, 2]").op == "not in"
    assert parse_expression('date("2024-03-31")') == A.DateLit(datetime.date(2024, 3, 31))
    assert parse_expression("round(x, 2)") == A.Call("round", (A.Name("x"), n("2")))


def test_string_escapes():
    assert parse_expression(r"'it\'s \\ \"'") == A.String("it's \\ \"")


def test_error_at_end_of_expression():
    with pytest.raises(RuleSyntaxError) as info:
        Expression.parse("ty_le >= 0.9 and", NAMES)
    err = info.value
    assert err.message == "expected expression after 'and'"
    assert (err.line, err.column) == (1, 17)


def test_error_position_is_offset_from_origin():
    origin = Origin("criteria/1/_node.md", 12, 11, "scoring.tiers[0].when")
    with pytest.raises(RuleSyntaxError) as info:
        Expression.parse("x > 1)", NAMES, origin=origin)
    err = info.value
    assert err.message == "unexpected ')'"
    assert err.token == ")"
    assert (err.file, err.line, err.column, err.path) == (
        "criteria/1/_node.md",
        12,
        16,
        "scoring.tiers[0].when",
    )


def test_error_position_in_multiline_text():
    with pytest.raises(RuleSyntaxError) as info:
        Expression.parse("x > 1 and\n  y < # 2", NAMES, origin=Origin("f.md", 5, 9))
    err = info.value
    assert (err.line, err.column, err.token) == (6, 7, "#")


def test_error_without_line_has_path_only():
    with pytest.raises(RuleSyntaxError) as info:
        Expression.parse("x >", NAMES, origin=Origin(path="scoring.when"))
    assert info.value.line is None
    assert info.value.path == "scoring.when"


def test_chained_comparison_is_rejected():
    with pytest.raises(RuleSyntaxError, match="cannot be chained") as info:
        Expression.parse("0.7 <= ty_le <= 0.9", NAMES)
    assert info.value.token == "<="
    assert info.value.column == 14
    # With parentheses the meaning is explicit (and then a type question).
    with pytest.raises(RuleTypeError):
        Expression.parse("(0.7 <= ty_le) <= 0.9", NAMES)


@pytest.mark.parametrize(
    ("text", "message", "token"),
    [
        ("x = 1", "unexpected '='", "="),
        ("x > 1 && ok", "unexpected '&&'", "&&"),
        ("(x > 1", "expected ')', found end of expression", None),
        ("x y", "unexpected 'y'", "y"),
        ("", "empty expression", None),
        ("'abc", "unterminated string", "'abc"),
        ("min(x)", "min() takes at least 2 arguments, got 1", "min"),
        ("abs(x, y)", "abs() takes 1 argument, got 2", "abs"),
        ("round(x, 1.5)", "round() digits must be a whole number literal", "1"),
        ("round(x, y)", "round() digits must be a whole number literal", "y"),
        ('date("31/12/2024")', "invalid date '31/12/2024'", "31/12/2024"),
        ('date("2024-02-30")', "invalid date '2024-02-30'", "2024-02-30"),
        ("x == not ok", "'not' must be parenthesised", "not"),
        ("[1, 2", "expected ']'", None),
    ],
)
def test_syntax_errors(text, message, token):
    with pytest.raises(RuleSyntaxError) as info:
        Expression.parse(text, NAMES)
    assert info.value.message.startswith(message)
    assert info.value.token == token


def test_unknown_function_suggests():
    with pytest.raises(RuleSyntaxError, match="unknown function 'mni'") as info:
        parse_expression("mni(1, 2)")
    assert info.value.suggestion == "did you mean `min`?"


def test_unknown_name_with_suggestion():
    origin = Origin("criteria/1/_node.md", 12, 11)
    with pytest.raises(UnknownNameError) as info:
        Expression.parse("x > 1 and ty_le_dung_han2 >= 90%", NAMES, origin=origin)
    err = info.value
    assert err.token == "ty_le_dung_han2"
    assert err.suggestion == "did you mean `ty_le_dung_han`?"
    assert str(err) == (
        "criteria/1/_node.md:12:21: unknown name 'ty_le_dung_han2' (did you mean `ty_le_dung_han`?)"
    )


def test_enum_literal_not_in_choices():
    with pytest.raises(RuleTypeError) as info:
        Expression.parse('muc == "kha_"', NAMES)
    assert info.value.message == "'kha_' is not a choice of 'muc'"
    assert info.value.suggestion == "did you mean `kha`?"
    assert info.value.column == 8
    with pytest.raises(RuleTypeError, match="not a choice") as info:
        Expression.parse('muc in ["tot", "zzz"]', NAMES)
    assert "choices are: `tot`, `kha`, `trung_binh`" in info.value.suggestion
    assert Expression.parse('"tot" == muc', NAMES).type is Type.BOOL


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ok and x", "'and' needs bool operands, got number"),
        ("x + ok", "'+' needs number operands, got bool"),
        ('x == "a"', "cannot compare number with string"),
        ("ngay < 5", "cannot compare date with number"),
        ('muc < "tot"', "'<' needs numbers or dates, got string"),
        ("x in [1, 'a']", "list items must all have the same type: number and string"),
        ("x in [1, y]", "list items must be literal values"),
        ("x in 5", "'in' needs a list on the right, got number"),
        ("x in ['a']", "cannot look for a number in a list of string"),
        ("if(x, 1, 2)", "if() condition must be bool, got number"),
        ("if(ok, 1, true)", "if() branches must have the same type, got number and bool"),
        ("min(1, ok)", "min() needs number arguments, got bool"),
        ("not x", "'not' needs a bool operand, got number"),
    ],
)
def test_type_errors(text, message):
    with pytest.raises(RuleTypeError) as info:
        Expression.parse(text, NAMES)
    assert info.value.message == message
    assert not isinstance(info.value, UnknownNameError)


def test_expect_type():
    with pytest.raises(RuleTypeError, match="condition must be bool, got number"):
        Expression.parse("x + 1", NAMES, expect=Type.BOOL)
    with pytest.raises(RuleTypeError, match="expression must be number, got bool"):
        Expression.parse("ok", NAMES, expect=Type.NUMBER)


def test_expression_attributes():
    e = Expression.parse("ty_le ≥ 90% and ok or x in ds", NAMES)
    assert e.text == "ty_le ≥ 90% and ok or x in ds"
    assert e.type is Type.BOOL
    assert e.names == frozenset({"ty_le", "ok", "x", "ds"})
    assert e == Expression.parse("(ty_le >= 0.90 AND ok) or x in ds", NAMES)
    assert hash(e) == hash(Expression.parse("ty_le >= 0.9 and ok or x in ds", NAMES))
    with pytest.raises(AttributeError):
        e.ast.op = "and"  # type: ignore[misc]


def test_no_python_eval_escape_hatch():
    for text in ("__import__('os')", "x.__class__", "[].append", "lambda: 1"):
        with pytest.raises((RuleSyntaxError, UnknownNameError)):
            Expression.parse(text, NAMES)
