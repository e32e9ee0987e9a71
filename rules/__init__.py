"""The rule language of parindex.

Expressions (a small, safe language parsed by hand, never ``eval``), the
scoring kinds built from them, and static checks that catch overlapping or
incomplete tier tables before a methodology is published.
"""

from rules._suggest import did_you_mean
from rules.adjustments import Adjustment, AdjustmentRule
from rules.checks import Problem, check_adjustment, check_scoring
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
from rules.origin import Origin
from rules.scoring import (
    KINDS,
    Boolean,
    Formula,
    Linear,
    Manual,
    Ratio,
    Scoring,
    Survey,
    Tier,
    Tiers,
    register_kind,
)
from rules.types import Type

__all__ = [
    "KINDS",
    "Adjustment",
    "AdjustmentRule",
    "Boolean",
    "EvaluationError",
    "Expression",
    "Formula",
    "InputSpec",
    "InputType",
    "Linear",
    "Manual",
    "Origin",
    "Problem",
    "Ratio",
    "RuleError",
    "RuleSyntaxError",
    "RuleTypeError",
    "Scoring",
    "SpecError",
    "Survey",
    "Tier",
    "Tiers",
    "Type",
    "UnknownNameError",
    "check_adjustment",
    "check_scoring",
    "did_you_mean",
    "inputs_from_dict",
    "parse_expression",
    "register_kind",
]
