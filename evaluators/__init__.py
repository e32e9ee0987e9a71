"""Scoring submissions against any methodology version, explaining every point.

The public surface is listed in ``__all__``; modules starting with ``_`` are private.
"""

from evaluators.engines.compiled import CompiledEngine
from evaluators.errors import (
    EngineError,
    EvaluatorError,
    IncompleteSubmission,
    SubmissionError,
    WorkerCrashed,
)
from evaluators.program import Case, Decision, Program, build_program
from evaluators.result import ENGINE_VERSION, NodeResult, Result
from evaluators.scoring.plan import Engine, score, score_many
from evaluators.submission import Submission, load_submission, load_submissions, parse_submission

__all__ = [
    "ENGINE_VERSION",
    "Case",
    "CompiledEngine",
    "Decision",
    "Engine",
    "EngineError",
    "EvaluatorError",
    "IncompleteSubmission",
    "NodeResult",
    "Program",
    "Result",
    "Submission",
    "SubmissionError",
    "WorkerCrashed",
    "build_program",
    "load_submission",
    "load_submissions",
    "parse_submission",
    "score",
    "score_many",
]
