"""`/api/submissions`: a unit's drafts, submitting, and the council's appraisals (evidence:
`server/routes/evidence.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody

from server.auth import Principal
from server.deps import Services
from server.services import submissions as svc

__all__ = ["SubmissionController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]
IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description="The revision the change was made from."),
]


def _tagged(body: dict[str, Any], status: int = 200) -> Response[dict[str, Any]]:
    """The submission with its revision as the ETag, for `If-Match`."""
    return Response(body, status_code=status, headers={"ETag": f'"{body["revision"]}"'})


class SubmissionController(Controller):
    path = "/api/submissions"
    tags = ["submissions"]

    @post("/", operation_id="createSubmission", sync_to_thread=True)
    def create(
        self, services: Svc, principal: Who, data: JSONBody[dict[str, Any]]
    ) -> Response[dict[str, Any]]:
        """Start a draft `{unit_id, period, methodology, ref, values, not_applicable, facts}`;
        unknown inputs and invalid values are refused (422), missing ones are allowed."""
        return _tagged(svc.create_submission(services, principal, data), 201)

    @get("/{submission_id:int}", operation_id="getSubmission", sync_to_thread=True)
    def read(
        self, services: Svc, principal: Who, submission_id: FromPath[int]
    ) -> Response[dict[str, Any]]:
        """The submission with its evidence and appraisals; `ETag` is its revision."""
        return _tagged(svc.get_submission(services, principal, submission_id))

    @patch("/{submission_id:int}", operation_id="updateSubmission", sync_to_thread=True)
    def update(
        self,
        services: Svc,
        principal: Who,
        submission_id: FromPath[int],
        data: JSONBody[dict[str, Any]],
        if_match: IfMatch = None,
    ) -> Response[dict[str, Any]]:
        """Merge values, claims and facts into a draft (a null removes a key); with
        `If-Match`, 409 unless it is the current revision; 409 once submitted."""
        return _tagged(svc.update_submission(services, principal, submission_id, data, if_match))

    @post(
        "/{submission_id:int}/submit",
        operation_id="submitSubmission",
        status_code=200,
        sync_to_thread=True,
    )
    def submit(
        self, services: Svc, principal: Who, submission_id: FromPath[int], if_match: IfMatch = None
    ) -> Response[dict[str, Any]]:
        """Submit a complete draft, which locks it; 422 lists every missing input."""
        return _tagged(svc.submit(services, principal, submission_id, if_match))

    @post(
        "/{submission_id:int}/reopen",
        operation_id="reopenSubmission",
        status_code=200,
        sync_to_thread=True,
    )
    def reopen(
        self,
        services: Svc,
        principal: Who,
        submission_id: FromPath[int],
        data: JSONBody[dict[str, Any]],
    ) -> Response[dict[str, Any]]:
        """The council reopens a submitted or appraised record `{reason}`, so its unit may
        start a new submission for the period; the new one supersedes it once submitted."""
        return _tagged(svc.reopen(services, principal, submission_id, data))

    @post(
        "/{submission_id:int}/appraisals",
        operation_id="createAppraisal",
        status_code=201,
        sync_to_thread=True,
    )
    def appraise(
        self,
        services: Svc,
        principal: Who,
        submission_id: FromPath[int],
        data: JSONBody[dict[str, Any]],
    ) -> dict[str, Any]:
        """The council's change `{key, value | points, reason}` of an input or manual node."""
        return svc.add_appraisal(services, principal, submission_id, data)
