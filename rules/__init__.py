"""The rule language of parindex.

Expressions (a small, safe language parsed by hand, never ``eval``), the
scoring kinds built from them (each one object owning its parsing, checks, exact
and vectorised points and wording; `register_kind` adds one), the points formula
and interpolation every engine uses (`leaf_points`, `interpolate`), and static
checks that catch overlapping or incomplete tier tables before a methodology is
published.

This ``__all__`` is the public surface: other packages import only these names. Engines
use `compile_expression` (closures), `evaluate` (the tree walker: the reference the
others are tested against), `DECIMAL_CONTEXT` (the precision and traps of rule
arithmetic) and `ast`, `is_literal`, `name_type` to translate expressions themselves.
The operators and functions of the language are the table `OPERATORS`; a new one is
one `Operator` given to `register_operator`.
"""

from rules import ast
from rules._checker import is_literal, name_type
from rules._interpreter import arithmetic_message, evaluate
from rules._numbers import MAX_EXPONENT, decimal_comma, decimal_places, magnitude_problem
from rules._suggest import did_you_mean
from rules.adjustments import Adjustment, AdjustmentRule
from rules.checks import Problem, check_adjustment, check_scoring
from rules.compile import compile_expression
from rules.errors import (
    EvaluationError,
    RuleError,
    RuleSyntaxError,
    RuleTypeError,
    SpecError,
    UnknownNameError,
)
from rules.expression import Expression, parse_expression
from rules.inputs import InputSpec, InputType, inputs_from_dict
from rules.operators import CONTEXT as DECIMAL_CONTEXT
from rules.operators import (
    OPERATOR_NODES,
    OPERATORS,
    Operator,
    Typed,
    key_of,
    register_operator,
)
from rules.origin import Origin
from rules.points import (
    EXACT,
    Adjusts,
    Arithmetic,
    Sums,
    adjustment_points,
    interpolate,
    leaf_points,
)
from rules.scoring import (
    KINDS,
    SOURCES,
    Base,
    Boolean,
    Findings,
    Formula,
    Given,
    Linear,
    Manual,
    Ratio,
    Scoring,
    SpecContext,
    Survey,
    Tier,
    Tiers,
    VectorBase,
    VectorOps,
    points_problem,
    register_kind,
)
from rules.types import Type

__all__ = [
    "DECIMAL_CONTEXT",
    "EXACT",
    "KINDS",
    "MAX_EXPONENT",
    "OPERATORS",
    "OPERATOR_NODES",
    "SOURCES",
    "Adjustment",
    "AdjustmentRule",
    "Adjusts",
    "Arithmetic",
    "Base",
    "Boolean",
    "EvaluationError",
    "Expression",
    "Findings",
    "Formula",
    "Given",
    "InputSpec",
    "InputType",
    "Linear",
    "Manual",
    "Operator",
    "Origin",
    "Problem",
    "Ratio",
    "RuleError",
    "RuleSyntaxError",
    "RuleTypeError",
    "Scoring",
    "SpecContext",
    "SpecError",
    "Sums",
    "Survey",
    "Tier",
    "Tiers",
    "Type",
    "Typed",
    "UnknownNameError",
    "VectorBase",
    "VectorOps",
    "adjustment_points",
    "arithmetic_message",
    "ast",
    "check_adjustment",
    "check_scoring",
    "compile_expression",
    "decimal_comma",
    "decimal_places",
    "did_you_mean",
    "evaluate",
    "inputs_from_dict",
    "interpolate",
    "is_literal",
    "key_of",
    "leaf_points",
    "magnitude_problem",
    "name_type",
    "parse_expression",
    "points_problem",
    "register_kind",
    "register_operator",
]
