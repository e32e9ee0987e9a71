"""Errors raised while scoring submissions.

    EvaluatorError(Exception)        base; ``problems``: [{"path", "message"}]
     ├── SubmissionError             malformed submission (JSON path of each problem)
     ├── IncompleteSubmission        required inputs missing or values invalid: all listed
     └── EngineError                 an engine failed
          └── WorkerCrashed          a worker process died; it has been replaced

Every error says what is wrong and where (a JSON path into the submission), so a
unit's staff can fix their file without reading code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "EngineError",
    "EvaluatorError",
    "IncompleteSubmission",
    "SubmissionError",
    "WorkerCrashed",
]


class EvaluatorError(Exception):
    """Base of the evaluators' errors; ``str()`` is one line."""

    def __init__(self, message: str, problems: Sequence[dict[str, Any]] = ()) -> None:
        self.message = message
        self.problems = [dict(p) for p in problems]
        super().__init__(message)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        details = "; ".join(f"{p['path']}: {p['message']}" for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        return f"{self.message}: {details}{more}"


class SubmissionError(EvaluatorError):
    """The submission file is malformed."""


class IncompleteSubmission(EvaluatorError):
    """Required inputs are missing or values are invalid; every one is listed."""


class EngineError(EvaluatorError):
    """A scoring engine failed."""


class WorkerCrashed(EngineError):
    """An engine worker process died while scoring; it has been replaced."""
