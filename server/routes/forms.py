"""Self-assessment forms as Excel workbooks: `/api/forms/{slug}` (the blank form, and a
filled one made a draft) and `/api/submissions/{id}/form` (a draft's form, and a filled
one replacing its values)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import Parameter, RawBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.services import forms as svc
from server.services.evidence import content_disposition

__all__ = ["FormController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]
UnitQuery = Annotated[str, Parameter(pattern=s.SLUG_PATTERN, max_length=100)]
PeriodQuery = Annotated[str, Parameter(min_length=1, max_length=20, pattern=s.PERIOD_PATTERN)]
FilenameQuery = Annotated[
    str | None,
    Parameter(max_length=300, description="the file's name, shown in error messages"),
]


def _xlsx(data: bytes, filename: str) -> Response[bytes]:
    return Response(
        data,
        media_type=svc.XLSX,
        headers={
            "Content-Disposition": content_disposition(filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


def _submission(body: dict, status: int) -> Response[s.SubmissionRead]:
    read = s.reply(s.SubmissionRead, body)
    return Response(read, status_code=status, headers={"ETag": f'"{read.revision}"'})


class FormController(Controller):
    path = "/api"
    tags = ["forms"]
    security = s.SIGNED_IN

    @get(
        "/forms/{slug:str}",
        operation_id="downloadForm",
        sync_to_thread=True,
        media_type=svc.XLSX,
        security=s.OPTIONAL_SIGN_IN,
        responses=s.problems(),
    )
    def blank(
        self,
        services: Svc,
        principal: Who,
        slug: s.SlugParam,
        unit: UnitQuery,
        period: PeriodQuery,
        ref: s.RefQuery = None,
    ) -> Response[bytes]:
        """The blank self-assessment form of a version (`ref`, default the head) for a
        unit and period, as .xlsx: data validation per input, protected structure."""
        data, filename = svc.blank_form(services, principal, slug, ref, unit, period)
        return _xlsx(data, filename)

    @post(
        "/forms",
        operation_id="importForm",
        status_code=201,
        sync_to_thread=True,
        responses=s.problems(409, 413, 415),
    )
    def import_new(
        self,
        services: Svc,
        principal: Who,
        body: RawBody,
        filename: FilenameQuery = None,
    ) -> Response[s.SubmissionRead]:
        """A filled form (the raw .xlsx body) made a draft of the unit, period and version it was made for (the
        roles of `createSubmission`); 422 names every wrong cell (`Tự đánh giá!G12`), 415
        a file that is not a workbook parindex reads (encrypted, macros, corrupt)."""
        created = svc.import_form(services, principal, body, filename or "biểu-mẫu.xlsx")
        return _submission(created, 201)

    @get(
        "/submissions/{submission_id:int}/form",
        operation_id="downloadSubmissionForm",
        sync_to_thread=True,
        media_type=svc.XLSX,
        responses=s.problems(),
    )
    def filled(self, services: Svc, principal: Who, submission_id: s.IdParam) -> Response[bytes]:
        """The form of a submission with its values, claims and facts filled in."""
        data, filename = svc.submission_form(services, principal, submission_id)
        return _xlsx(data, filename)

    @put(
        "/submissions/{submission_id:int}/form",
        operation_id="importSubmissionForm",
        sync_to_thread=True,
        responses=s.problems(409, 413, 415),
    )
    def import_into(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        body: RawBody,
        filename: FilenameQuery = None,
    ) -> Response[s.SubmissionRead]:
        """A filled form (the raw .xlsx body) replaces a draft's values (what it leaves empty is removed); a
        form made for another version, unit or period is refused (422)."""
        changed = svc.import_form(
            services, principal, body, filename or "biểu-mẫu.xlsx", submission_id=submission_id
        )
        return _submission(changed, 200)
