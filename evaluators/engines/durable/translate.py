"""Compilation of typed conditions to durable-rules tests.

durable-rules (2.0.28) matches JSON messages against JSON rule definitions, comparing
one message property with one constant at a time, in doubles, with a hand-written JSON
parser. This module turns a condition into the tests one rule needs, within what the
engine does safely:

- **Only property-versus-constant tests reach the engine.** Anything else — arithmetic,
  ``min``/``max``/``round``/``if``, comparisons of two values — is computed in Python
  (`compile_expression` on the sub-expression) as a `Field` whose value travels in the
  message. The engine never divides (an integer division by zero inside a condition
  kills the process) and never sees an integer (its arithmetic truncates).
- **Errors are values.** A field that cannot be computed (division by zero, a missing
  value) carries its error message in a second property instead of its value. A
  condition translates into three tests — it holds (`Translation.true`), it does not
  (`false`), or evaluating it raises, with one test per field whose error would surface
  first (`errors`) — so the compiled engine's short-circuits (``a and b`` never
  evaluates ``b`` when ``a`` is false) are mirrored exactly.
- **Doubles agree with Decimals.** A number is sent as the nearest double, nudged one
  ulp away from a constant it differs from but rounds onto; constants of one field
  that doubles cannot tell apart are refused (`FieldTable.check`).
- **Types never mix.** Booleans travel as 1.0/0.0 and are only compared with 1.0/0.0
  (the engine has ``true == 1``), dates as their ordinal, strings only with strings.
- **The engine's JSON dialect.** Numbers are written without exponents and always with a
  decimal point (`dumps`); property names are checked for FNV-1a hash collisions, since
  the engine tells properties apart by that hash alone.

Which operators exist is the one table `rules.OPERATORS`: those in `NATIVE` become
engine tests; every other one (and any a later version adds) is a `Field` computed by
the compiled closures, which evaluate every entry of the table — never guessed here.

Negation needs no De Morgan pass: ``not`` swaps the "holds" and "does not hold" tests,
and "does not hold" of ``x < 3`` is ``x >= 3`` — right because a value the engine
compares is always present (an absent one is an error, tested separately).
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rules import (
    OPERATOR_NODES,
    OPERATORS,
    EvaluationError,
    Expression,
    InputSpec,
    RuleError,
    Type,
    ast,
    compile_expression,
    is_literal,
    key_of,
    name_type,
)

__all__ = [
    "FALSE",
    "MAX_OPERATORS",
    "NATIVE",
    "TRUE",
    "DurableLimitError",
    "Field",
    "FieldTable",
    "Test",
    "Translation",
    "all_of",
    "any_of",
    "count_atoms",
    "count_operators",
    "dumps",
    "fnv1a",
    "split_rule",
    "translate",
]

# A test is a durable-rules expression (a dict) or a constant.
Test = dict | bool
TRUE: Test = True
FALSE: Test = False

# Each $and / $or takes two of a rule's 32 expression slots (error 113 beyond).
MAX_OPERATORS = 15

_OPS = {"==": "$eq", "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
_NEGATE = {
    "$eq": "$neq",
    "$neq": "$eq",
    "$lt": "$gte",
    "$gte": "$lt",
    "$gt": "$lte",
    "$lte": "$gt",
}
_FLIP = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

# The table's operators that become engine tests; the others are computed as fields.
NATIVE = frozenset({"not", "and", "or", "in", "not in", *_OPS})


class DurableLimitError(RuleError):
    """A condition or a methodology exceeds what durable-rules evaluates safely."""


# -- tests -------------------------------------------------------------------------


def _key(test: Test) -> str:
    return json.dumps(test, sort_keys=True, default=str)


def _combine(op: str, tests: Iterable[Test], unit: bool) -> Test:
    out: list[dict] = []
    seen: set[str] = set()
    for test in tests:
        if test is unit:
            continue
        if isinstance(test, bool):  # the other constant: it decides the whole
            return not unit
        parts = test.get(op, [test])  # flatten nested operators of one kind
        for part in parts:
            key = _key(part)
            if key not in seen:
                seen.add(key)
                out.append(part)
    if not out:
        return unit  # never an empty $and / $or: loading it never returns
    return out[0] if len(out) == 1 else {op: out}


def all_of(*tests: Test) -> Test:
    """Every test holds (``True`` when there are none)."""
    return _combine("$and", tests, True)


def any_of(*tests: Test) -> Test:
    """Some test holds (``False`` when there are none)."""
    return _combine("$or", tests, False)


def _compare(prop: str, op: str, value: Any) -> dict:
    return {prop: value} if op == "$eq" else {op: {prop: value}}


def count_operators(test: Test) -> int:
    """Number of ``$and`` / ``$or`` in ``test``."""
    if isinstance(test, bool):
        return 0
    for op in ("$and", "$or"):
        if op in test:
            return 1 + sum(count_operators(t) for t in test[op])
    return 0


def count_atoms(test: Test) -> int:
    """Number of property tests in ``test``, counting ``$or`` nodes too (each is a node
    of the engine's network)."""
    if isinstance(test, bool):
        return 0
    if "$and" in test:
        return sum(count_atoms(t) for t in test["$and"])
    if "$or" in test:
        return 1 + sum(count_atoms(t) for t in test["$or"])
    return 1


def split_rule(test: Test, limit: int = MAX_OPERATORS) -> list[Test]:
    """Alternatives equivalent to ``test`` (it holds iff one of them does), each with at
    most ``limit`` operators: a rule too complex for one definition becomes several
    rules with the same action and priority."""
    if count_operators(test) <= limit:
        return [test]
    if isinstance(test, dict) and "$or" in test:
        return [part for alt in test["$or"] for part in split_rule(alt, limit)]
    assert isinstance(test, dict) and "$and" in test
    parts = test["$and"]
    index = next(i for i, p in enumerate(parts) if isinstance(p, dict) and "$or" in p)
    rest = parts[:index] + parts[index + 1 :]
    # (a ∨ b) ∧ rest → (a ∧ rest) ∨ (b ∧ rest)
    return [part for alt in parts[index]["$or"] for part in split_rule(all_of(alt, *rest), limit)]


# -- JSON in the engine's dialect ---------------------------------------------------


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"durable-rules cannot compare {value!r}")
    text = repr(value)
    if "e" in text or "E" in text:  # the engine's parser rejects exponents
        text = format(Decimal(text), "f")
    if "." not in text:  # without a point the engine reads a (truncating) integer
        text += ".0"
    return text


def dumps(value: Any) -> str:
    """JSON the engine reads back exactly: floats without exponents, always with a
    decimal point (parsed with ``atof``, so the double round-trips)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot send {type(value).__name__} to durable-rules")


def fnv1a(name: str) -> int:
    """The 32-bit FNV-1a hash durable-rules identifies message properties by."""
    h = 0x811C9DC5
    for byte in name.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


# -- fields ------------------------------------------------------------------------


@dataclass(eq=False)
class Field:
    """A value a condition compares, computed in Python and sent in a message: a plain
    name, or a sub-expression the engine must not evaluate itself."""

    value: str  # the message property carrying the value
    error: str  # the message property carrying the error message when computing fails
    scope: str  # which values it is computed from (e.g. "facts" or "leaf")
    tree: ast.Expr
    type: Type
    name: str | None = None  # set when the field is a plain name
    expression: Expression | None = None  # set when it is a sub-expression
    constants: set[Decimal] = field(default_factory=set)  # compared with (numbers)
    _run: Callable[[Mapping[str, Any]], Any] | None = field(default=None, repr=False)
    _near: dict[float, Decimal] = field(default_factory=dict, repr=False)
    # set by `FieldTable.check`: every constant has at most 15 significant digits, so a
    # value with that many is sent as its own digits (`json`)
    exact_digits: bool = field(default=False, repr=False)

    def compute(self, env: Mapping[str, Any]) -> tuple[Any, BaseException | None]:
        """(value, None) or (None, the exception computing it raised), exactly as the
        compiled engine would raise it."""
        if self.name is not None:
            found = env.get(self.name)
            if found is None:
                return None, EvaluationError(f"missing value for {self.name!r}", token=self.name)
            return found, None
        if self._run is None:
            assert self.expression is not None
            self._run = compile_expression(self.expression)
        try:
            return self._run(env), None
        except (EvaluationError, ArithmeticError, TypeError, ValueError) as exc:
            return None, exc

    def json(self, value: Any) -> str:
        """The message JSON of ``value``: `dumps` of `encode`, written straight from a
        Decimal's own digits when they are its double's digits — at most 15 significant
        ones (their double is unique, so it equals no constant's double unless the
        constant is that very number, nothing to step away from) and no exponent. Four
        times faster for the values a cohort sends."""
        if self.exact_digits:
            if type(value) is Decimal:
                text = str(value)
                if len(text) <= 15 and "E" not in text:  # ≤ 15 characters: ≤ 15 digits
                    return text if "." in text else text + ".0"
            elif type(value) is float and math.isfinite(value):
                # a float stands for the Decimal of its shortest repr (as cleaning makes
                # it), whose double is the float: no constant's double is it unless the
                # constant is that number
                return _number(value)
        return dumps(self.encode(value))

    def encode(self, value: Any) -> float | str:
        """The message value the engine compares in place of ``value``."""
        if self.type is Type.BOOL:
            return 1.0 if value else 0.0
        if self.type is Type.STRING:
            return value
        if self.type is Type.DATE:
            return float(value.toordinal())
        number = value if isinstance(value, Decimal) else Decimal(value)
        result = float(number)
        if math.isinf(result):  # beyond doubles: the largest one compares the same
            result = math.copysign(sys.float_info.max, result)
        near = self._near.get(result)
        if near is not None and near != number:
            # The double of ``number`` is the double of a constant it differs from:
            # step one ulp to the constant's correct side (check() keeps the next
            # constant at least two ulps away).
            result = math.nextafter(result, math.inf if number > near else -math.inf)
        return result


def _literal(node: ast.Expr) -> Any:
    """The value of a literal (``-3`` included), else None."""
    if isinstance(node, ast.Unary) and node.op == "-" and isinstance(node.operand, ast.Number):
        return -node.operand.value
    if isinstance(node, ast.Number | ast.String | ast.Bool | ast.DateLit):
        return node.value
    return None


def _constant(value: Any, typ: Type) -> float | str:
    if typ is Type.BOOL:
        return 1.0 if value else 0.0
    if typ is Type.DATE:
        return float(value.toordinal())
    if typ is Type.STRING:
        return value
    return float(value)


class FieldTable:
    """The fields of one ruleset and the message properties they use.

    Fields are shared by every condition that computes the same sub-expression from the
    same values; property names are short and never collide by hash with each other or
    with ``reserved`` names."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._fields: dict[tuple[str, ast.Expr], Field] = {}
        self._hashes: dict[int, str] = {}
        self._counter = 0
        for name in reserved:
            self.reserve(name)

    def reserve(self, name: str) -> str:
        """Claim ``name`` as a message property; raise if its hash is taken."""
        h = fnv1a(name)
        if h in self._hashes and self._hashes[h] != name:
            raise DurableLimitError(
                f"message properties {name!r} and {self._hashes[h]!r} share a hash"
            )
        self._hashes[h] = name
        return name

    def allocate(self, prefix: str) -> str:
        """A fresh property name starting with ``prefix``."""
        while True:
            name = f"{prefix}{self._counter}"
            self._counter += 1
            if fnv1a(name) not in self._hashes:
                return self.reserve(name)

    @property
    def fields(self) -> list[Field]:
        return list(self._fields.values())

    def field(self, scope: str, tree: ast.Expr, declared: Mapping[str, InputSpec | Type]) -> Field:
        key = (scope, tree)
        found = self._fields.get(key)
        if found is not None:
            return found
        if isinstance(tree, ast.Name):
            made = Field(
                self.allocate("v"),
                self.allocate("x"),
                scope,
                tree,
                name_type(declared[tree.id]),
                name=tree.id,
            )
        else:
            names = {n.id: declared[n.id] for n in ast.walk(tree) if isinstance(n, ast.Name)}
            expression = Expression.from_ast(tree, names)
            if expression.ast != tree:  # pragma: no cover - render/parse must round-trip
                raise DurableLimitError(f"cannot isolate {expression.text!r}")
            made = Field(
                self.allocate("v"),
                self.allocate("x"),
                scope,
                tree,
                expression.type,
                expression=expression,
            )
        self._fields[key] = made
        return made

    def check(self) -> None:
        """Refuse constants of one number field that doubles cannot tell apart, and
        prepare each field's nudging table."""
        for f in self._fields.values():
            if f.type is not Type.NUMBER:
                continue
            ordered = sorted(f.constants)
            near = {}
            for c in ordered:
                near[float(c)] = c
            doubles = sorted(near)
            for a, b in itertools.pairwise(doubles):
                if math.nextafter(a, math.inf) >= b:
                    raise DurableLimitError(
                        f"constants {near[a]} and {near[b]} compared with "
                        f"{f.name or f.expression} are too close for doubles"
                    )
            if len(near) != len(ordered):
                same = [c for c in ordered if near[float(c)] != c]
                raise DurableLimitError(
                    f"constant {same[0]} compared with {f.name or f.expression} has the "
                    f"same double as {near[float(same[0])]}"
                )
            f._near = near
            f.exact_digits = all(len(c.as_tuple().digits) <= 15 for c in ordered)


# -- translation -------------------------------------------------------------------


@dataclass
class Translation:
    """The tests of one condition.

    ``true``: it evaluates to true; ``false``: to false; ``errors``: for each field,
    evaluating the condition raises and that field's error is the first one met. The
    three (with every error) are mutually exclusive, and exactly one holds for any
    message carrying the fields."""

    true: Test
    false: Test
    errors: dict[Field, Test]
    fields: list[Field]

    @property
    def safe(self) -> bool:
        return not self.errors


def translate(
    expression: Expression,
    table: FieldTable,
    *,
    scope: str,
    present: frozenset[str] = frozenset(),
) -> Translation:
    """Translate a bool ``expression`` evaluated over the values named ``scope``.

    ``present`` names values that are always there (required inputs); any other name
    may be missing, which the compiled engine reports as an error."""
    if expression.type is not Type.BOOL:
        raise DurableLimitError(f"{expression.text!r} is not a condition")
    declared = dict(expression._declared)
    fields: list[Field] = []
    translator = _Translator(table, declared, scope, present, fields)
    true, false, errors = translator.visit(expression.ast)
    return Translation(true, false, errors, fields)


_Parts = tuple[Test, Test, dict[Field, Test]]


class _Translator:
    def __init__(
        self,
        table: FieldTable,
        declared: dict[str, InputSpec | Type],
        scope: str,
        present: frozenset[str],
        fields: list[Field],
    ) -> None:
        self.table = table
        self.declared = declared
        self.scope = scope
        self.present = present
        self.fields = fields

    def use(self, tree: ast.Expr) -> Field:
        made = self.table.field(self.scope, tree, self.declared)
        if made not in self.fields:
            self.fields.append(made)
        return made

    def fragile(self, tree: ast.Expr) -> bool:
        """Can computing ``tree`` raise? Missing names, and the operators whose table
        entry has errors of its own (division, ``round``)."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id not in self.present:
                return True
            if isinstance(node, OPERATOR_NODES) and OPERATORS[key_of(node)].errors:
                return True
        return False

    def errors_of(self, f: Field, tree: ast.Expr) -> dict[Field, Test]:
        return {f: {"$neq": {f.error: ""}}} if self.fragile(tree) else {}

    def visit(self, node: ast.Expr) -> _Parts:
        if isinstance(node, ast.Bool):
            return (TRUE, FALSE, {}) if node.value else (FALSE, TRUE, {})
        native = isinstance(node, OPERATOR_NODES) and key_of(node) in NATIVE
        if native and isinstance(node, ast.Unary):  # not
            true, false, errors = self.visit(node.operand)
            return false, true, errors
        if native and isinstance(node, ast.BoolOp):
            return self.boolop(node)
        if native and isinstance(node, ast.Compare):
            return self.compare(node)
        # a bool name, or any other bool-valued operator (if): a field of 1.0 or 0.0
        f = self.use(node)
        return (
            {f.value: 1.0},
            {f.value: 0.0},
            self.errors_of(f, node),
        )

    def boolop(self, node: ast.BoolOp) -> _Parts:
        lt, lf, le = self.visit(node.left)
        rt, rf, re = self.visit(node.right)
        errors: dict[Field, Test] = dict(le)
        if node.op == "and":
            # the right side is evaluated only when the left holds
            reach = lt
            true = all_of(lt, rt)
            false = any_of(lf, rf) if not le else any_of(lf, all_of(lt, rf))
        else:
            reach = lf
            false = all_of(lf, rf)
            true = any_of(lt, rt) if not le else any_of(lt, all_of(lf, rt))
        for f, test in re.items():
            errors[f] = any_of(errors.get(f, FALSE), all_of(reach, test))
        return true, false, {f: t for f, t in errors.items() if t is not FALSE}

    def compare(self, node: ast.Compare) -> _Parts:
        left, right = _literal(node.left), _literal(node.right)
        if node.op in ("in", "not in"):
            return self.membership(node)
        if left is not None and right is not None:
            value = compile_expression(Expression.from_ast(node, {}))({})
            return (TRUE, FALSE, {}) if value else (FALSE, TRUE, {})
        if right is not None:
            subject, op, constant = node.left, node.op, right
        elif left is not None:
            subject, op, constant = node.right, _FLIP[node.op], left
        else:
            # two computed values: the comparison itself is the field
            f = self.use(node)
            return {f.value: 1.0}, {f.value: 0.0}, self.errors_of(f, node)
        f = self.use(subject)
        if f.type is Type.NUMBER:
            f.constants.add(Decimal(constant))
        value = _constant(constant, f.type)
        durable_op = _OPS[op]
        return (
            _compare(f.value, durable_op, value),
            _compare(f.value, _NEGATE[durable_op], value),
            self.errors_of(f, subject),
        )

    def membership(self, node: ast.Compare) -> _Parts:
        if not isinstance(node.right, ast.ListLit) or not all(
            is_literal(i) for i in node.right.items
        ):  # pragma: no cover - the checker only allows literal lists
            f = self.use(node)
            return {f.value: 1.0}, {f.value: 0.0}, self.errors_of(f, node)
        items = [_literal(i) for i in node.right.items]
        if _literal(node.left) is not None:
            value = compile_expression(Expression.from_ast(node, {}))({})
            return (TRUE, FALSE, {}) if value else (FALSE, TRUE, {})
        f = self.use(node.left)
        if f.type is Type.NUMBER:
            f.constants.update(Decimal(i) for i in items)
        values = [_constant(i, f.type) for i in items]
        inside = any_of(*(_compare(f.value, "$eq", v) for v in values))
        outside = all_of(*(_compare(f.value, "$neq", v) for v in values))
        errors = self.errors_of(f, node.left)
        if node.op == "in":
            return inside, outside, errors
        return outside, inside, errors
