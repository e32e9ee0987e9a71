"""HTTP errors: one hierarchy, and one function that builds every error body.

    ApiError(Exception)              status, title, detail, errors [{"path", "message"}]
     ├── BadRequest                  400 malformed request (bad JSON, wrong types)
     ├── Unauthorized                401 no or unknown bearer token
     ├── Forbidden                   403 the role or scope does not allow it
     ├── NotFound                    404
     ├── Conflict                    409 stale base: `newer` names the newer commit
     ├── PayloadTooLarge             413
     ├── UnsupportedMediaType        415 a file of a type not accepted
     └── Unprocessable               422 validation errors, every one with its path

Every body is RFC 9457 problem details (`application/problem+json`):
`{"type", "title", "status", "detail", "instance", "errors": [{"path", "message"}]}`.
Domain errors of the other packages are mapped here, in `problem_for`, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evaluators import EvaluatorError, IncompleteSubmission, SubmissionError
from methodology import (
    EditRejected,
    FormatError,
    MethodologyError,
    RebaseConflict,
    RefNotFound,
    StaleBaseError,
    StoreNotFound,
)
from rules import RuleError

__all__ = [
    "ApiError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "Unauthorized",
    "Unprocessable",
    "UnsupportedMediaType",
    "problem_body",
    "problem_for",
    "too_large",
]

PROBLEM_TYPE = "https://parindex.invalid/problems/"


class ApiError(Exception):
    status = 500
    title = "Internal error"

    def __init__(self, detail: str, errors: Sequence[dict[str, Any]] = (), **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = [dict(e) for e in errors]
        self.extra = extra


class BadRequest(ApiError):
    status, title = 400, "Bad request"


class Unauthorized(ApiError):
    status, title = 401, "Unauthorized"


class Forbidden(ApiError):
    status, title = 403, "Forbidden"


class NotFound(ApiError):
    status, title = 404, "Not found"


class Conflict(ApiError):
    status, title = 409, "Conflict"


class PayloadTooLarge(ApiError):
    status, title = 413, "Payload too large"


class UnsupportedMediaType(ApiError):
    status, title = 415, "Unsupported media type"


class Unprocessable(ApiError):
    status, title = 422, "Unprocessable content"


def too_large(what: str, limit: int | None, path: str = "$") -> PayloadTooLarge:
    """413 naming the limit, in bytes as Vietnamese writes numbers (2.000.000) and in MB;
    `max_bytes` carries it for programs."""
    if limit is None:
        return PayloadTooLarge(f"{what} lớn hơn giới hạn máy chủ chấp nhận")
    shown = f"{limit:,}".replace(",", ".")
    mb = f"{limit / 1_000_000:g}".replace(".", ",")
    return PayloadTooLarge(
        f"{what[:1].upper()}{what[1:]} lớn hơn giới hạn {shown} byte ({mb} MB)",
        [{"path": path, "message": f"tối đa {shown} byte"}],
        max_bytes=limit,
    )


def problem_body(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    errors: Sequence[dict[str, Any]] = (),
    **extra: Any,
) -> dict[str, Any]:
    """The one builder of error bodies (RFC 9457)."""
    slug = title.lower().replace(" ", "-")
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE}{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "errors": [{"path": e.get("path", "$"), "message": e.get("message", "")} for e in errors],
    }
    body.update(extra)
    return body


def problem_for(exc: Exception) -> ApiError:
    """Map any error raised below the HTTP layer to the API error it means."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, StaleBaseError):
        return Conflict(
            str(exc),
            [{"path": f"$.node ({p})", "message": "changed since base"} for p in exc.conflicts],
        )
    if isinstance(exc, RebaseConflict):
        return Conflict(str(exc))
    if isinstance(exc, RefNotFound | StoreNotFound):
        message = str(exc) + (f" ({exc.suggestion})" if exc.suggestion else "")
        return NotFound(message)
    if isinstance(exc, EditRejected):
        errors = [
            {
                "path": _problem_path(p),
                "message": p.message + (f" ({p.suggestion})" if p.suggestion else ""),
            }
            for p in exc.report.errors
        ]
        return Unprocessable(str(exc), errors)
    if isinstance(exc, FormatError | RuleError):
        path = getattr(exc, "path", None)
        return Unprocessable(
            str(exc), [{"path": f"$.node.{path}" if path else "$.node", "message": str(exc)}]
        )
    if isinstance(exc, SubmissionError | IncompleteSubmission):
        return Unprocessable(exc.message, exc.problems)
    if isinstance(exc, MethodologyError | EvaluatorError):
        return BadRequest(str(exc))
    return ApiError("an unexpected error occurred; it has been logged")


def _problem_path(problem: Any) -> str:
    where = problem.file or ""
    return f"$.node.{problem.path}" if problem.path else f"$ ({where})"
