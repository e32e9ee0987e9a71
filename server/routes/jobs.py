"""`/api/jobs`: audits, sensitivity runs, documents and form imports run in the
background (`server.jobs`), with their progress, result and cancellation."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.jobs import JobView, cancel_job, get_job, job_file, list_jobs, start_job
from server.services.evidence import content_disposition

__all__ = ["JobController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


def _read(view: JobView) -> s.JobRead:
    return s.reply(s.JobRead, view.to_json())


class JobController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]
    security = s.SIGNED_IN

    @post(
        "/",
        operation_id="createJob",
        status_code=202,
        sync_to_thread=True,
        responses=s.problems(413),
        response_headers=[
            ResponseHeader(
                name="Location",
                description="The job: `/api/jobs/{id}`",
                documentation_only=True,
            )
        ],
    )
    def create(
        self, services: Svc, principal: Who, data: JSONBody[s.JobCreate]
    ) -> Response[s.JobRead]:
        """Run `{kind, request}` in the background: `audit` and `sensitivity` take the
        bodies of `POST /api/audits` and `POST /api/sensitivity`; `report` takes `{of:
        ranking|evaluation|audit|sensitivity, format: xlsx|docx, id | cohort, period,
        methodology, ref}`; `form_import` takes `{file: <.xlsx in base64>, filename?,
        submission_id?}`. The request is checked at once as its endpoint checks it (422
        naming `$.request…`, 403); 202 with the queued job, `Location` its URL."""
        view = start_job(services, principal, data.kind, data.request)
        return Response(_read(view), status_code=202, headers={"Location": f"/api/jobs/{view.id}"})

    @get("/", operation_id="listJobs", sync_to_thread=True, responses=s.problems())
    def list(self, services: Svc, principal: Who) -> s.JobList:
        """The caller's 50 latest jobs, newest first."""
        return s.JobList(jobs=[_read(v) for v in list_jobs(services, principal)])

    @get("/{job_id:int}", operation_id="getJob", sync_to_thread=True, responses=s.problems())
    def read(self, services: Svc, principal: Who, job_id: s.IdParam) -> s.JobRead:
        """One of the caller's jobs: status, percent done, seconds left at the pace so
        far, `result` (links to what it made) or `error` and `errors`."""
        return _read(get_job(services, principal, job_id))

    @post(
        "/{job_id:int}/cancel",
        operation_id="cancelJob",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409),
    )
    def cancel(self, services: Svc, principal: Who, job_id: s.IdParam) -> s.JobRead:
        """Cancel a job: a queued one at once, a running one at its next progress report
        (`cancel_requested` until then); a cancelled job writes nothing. 409 once it has
        finished."""
        return _read(cancel_job(services, principal, job_id))

    @get(
        "/{job_id:int}/file",
        operation_id="downloadJobFile",
        sync_to_thread=True,
        media_type="application/octet-stream",
        responses=s.problems(),
    )
    def file(self, services: Svc, principal: Who, job_id: s.IdParam) -> Response[bytes]:
        """The document a finished `report` job made (.xlsx or .docx); 404 before."""
        data, filename, media_type = job_file(services, principal, job_id)
        return Response(
            data,
            media_type=media_type,
            headers={
                "Content-Disposition": content_disposition(filename),
                "X-Content-Type-Options": "nosniff",
            },
        )
