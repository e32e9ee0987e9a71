"""What each kind of job takes and does: the request is the body of the synchronous
endpoint the kind stands for, and the work is that endpoint's own service, so a job and
the endpoint store exactly the same things.

| kind | request | service | result |
|---|---|---|---|
| audit | `POST /api/audits`'s body | `run_audit` | the analysis |
| sensitivity | `POST /api/sensitivity`'s body | `run_sensitivity` | the analysis |
| report | `{of, format, id \\| cohort…}` | the `report.xlsx`/`.docx` exports | the file |
| form_import | `{file (base64), filename?, submission_id?}` | `import_form` | the submission |
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from evaluators import Progress
from server import schemas as s
from server.auth import Principal, require
from server.deps import Services
from server.errors import ApiError, Unprocessable

__all__ = ["KINDS", "Kind", "Outcome", "check"]


@dataclass(frozen=True)
class Outcome:
    """What a job made: a link to it (`result`) and, for a document, its bytes."""

    result: dict[str, Any]
    output: bytes | None = None


@dataclass(frozen=True)
class Kind:
    model: type[msgspec.Struct]
    # Checks what can be checked at once (permission, fields); raises with `$.…` paths.
    check: Callable[[Services, Principal, dict[str, Any]], None]
    run: Callable[[Services, Principal, dict[str, Any], Progress], Outcome]


def _check_analysis(kind: str) -> Callable[[Services, Principal, dict[str, Any]], None]:
    def check(services: Services, principal: Principal, request: dict[str, Any]) -> None:
        from server.services.analyses import check_run

        require(principal, "analysis.run")
        check_run(kind, request)

    return check


def _run_audit(
    services: Services, principal: Principal, request: dict[str, Any], say: Progress
) -> Outcome:
    from server.services.analyses import run_audit

    stored = run_audit(services, principal, request, say)
    return Outcome({"analysis_id": stored["id"], "href": f"/api/audits/{stored['id']}"})


def _run_sensitivity(
    services: Services, principal: Principal, request: dict[str, Any], say: Progress
) -> Outcome:
    from server.services.analyses import run_sensitivity

    stored = run_sensitivity(services, principal, request, say)
    return Outcome({"analysis_id": stored["id"], "href": f"/api/sensitivity/{stored['id']}"})


_BY_ID = ("evaluation", "audit", "sensitivity")
_RANKING = ("cohort", "period", "methodology", "ref")


def _check_report(services: Services, principal: Principal, request: dict[str, Any]) -> None:
    of = request["of"]
    if of in _BY_ID and "id" not in request:
        raise Unprocessable(f"a {of} report names its {of} by id", [_missing("id")])
    wrong = [k for k in (_RANKING if of in _BY_ID else ("id",)) if k in request]
    if wrong:
        raise Unprocessable(
            f"these fields do not go with a {of} report",
            [{"path": f"$.{k}", "message": f"not with of={of}"} for k in wrong],
        )
    if of in ("audit", "sensitivity"):
        require(principal, "analysis.read")
    # A ranking's or an evaluation's permission depends on what it holds (published, the
    # unit): the export checks it when it runs, as the synchronous endpoint does.


def _missing(name: str) -> dict[str, str]:
    return {"path": f"$.{name}", "message": "required"}


def _run_report(
    services: Services, principal: Principal, request: dict[str, Any], say: Progress
) -> Outcome:
    from server.services.reports import analysis_export, evaluation_export, ranking_export

    of, fmt = request["of"], request["format"]
    say(0, 2)
    if of == "ranking":
        found = ranking_export(services, principal, fmt, **{k: request.get(k) for k in _RANKING})
    elif of == "evaluation":
        found = evaluation_export(services, principal, fmt, request["id"])
    else:
        found = analysis_export(services, principal, of, fmt, request["id"])
    say(1, 2)  # made: the last moment a cancellation stops the job
    return Outcome(
        {"filename": found.filename, "media_type": found.media_type, "bytes": len(found.content)},
        found.content,
    )


def _form_bytes(request: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(request["file"], validate=True)
    except (binascii.Error, ValueError):
        raise Unprocessable(
            "the form is not base64", [{"path": "$.file", "message": "the .xlsx in base64"}]
        ) from None


def _check_form(services: Services, principal: Principal, request: dict[str, Any]) -> None:
    from server.errors import too_large

    if principal.anonymous:
        require(principal, "submission.create")
    data = _form_bytes(request)
    if len(data) > services.settings.max_evidence_bytes:
        raise too_large("tệp tải lên", services.settings.max_evidence_bytes, "$.file")
    # Who may import depends on the unit the form names: checked when it is read.


def _run_form(
    services: Services, principal: Principal, request: dict[str, Any], say: Progress
) -> Outcome:
    from server.services.forms import import_form

    say(0, 1)
    stored = import_form(
        services,
        principal,
        _form_bytes(request),
        request.get("filename") or "biểu-mẫu.xlsx",
        submission_id=request.get("submission_id"),
    )
    return Outcome({"submission_id": stored["id"], "href": f"/api/submissions/{stored['id']}"})


KINDS: dict[str, Kind] = {
    "audit": Kind(s.AuditRun, _check_analysis("audit"), _run_audit),
    "sensitivity": Kind(s.SensitivityRun, _check_analysis("sensitivity"), _run_sensitivity),
    "report": Kind(s.ReportJob, _check_report, _run_report),
    "form_import": Kind(s.FormImportJob, _check_form, _run_form),
}


def check(
    services: Services, principal: Principal, kind: str, request: dict[str, Any]
) -> dict[str, Any]:
    """The request as it will be run, or 422 naming each problem under `$.request`."""
    model = KINDS[kind].model
    try:
        decoded = msgspec.convert(request, model, strict=True)
    except msgspec.ValidationError as exc:
        errors = s.field_problems(request, model) or [s.validation_problem(str(exc), model)]
        raise Unprocessable(f"the request of a {kind} job is malformed", under(errors)) from None
    plain = s.plain(decoded)
    try:
        KINDS[kind].check(services, principal, plain)
    except ApiError as exc:
        if exc.status not in (400, 422):
            raise
        raise Unprocessable(exc.detail, under(exc.errors or [])) from None
    return plain


def under(errors: list[dict[str, str]]) -> list[dict[str, str]]:
    """Problems of a kind's request placed under `$.request` of `POST /api/jobs`."""
    return [{**e, "path": "$.request" + str(e.get("path", "$")).removeprefix("$")} for e in errors]
