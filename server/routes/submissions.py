"""`/api/submissions`: a unit's drafts, submitting, and the council's appraisals (evidence:
`server/routes/evidence.py`)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, JSONBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.services import review
from server.services import submissions as svc

__all__ = ["SubmissionController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match", max_length=100, description="The revision the change was made from."
    ),
]


def _tagged(body: dict[str, Any], status: int = 200) -> Response[s.SubmissionRead]:
    """The submission with its revision as the ETag, for `If-Match`."""
    read = s.reply(s.SubmissionRead, body)
    return Response(read, status_code=status, headers={"ETag": f'"{read.revision}"'})


class SubmissionController(Controller):
    path = "/api/submissions"
    tags = ["submissions"]
    security = s.SIGNED_IN

    @post("/", operation_id="createSubmission", sync_to_thread=True, responses=s.problems(409, 413))
    def create(
        self, services: Svc, principal: Who, data: JSONBody[s.SubmissionCreate]
    ) -> Response[s.SubmissionRead]:
        """Start a draft `{unit_id, period, methodology, ref, values, not_applicable, facts}`;
        unknown inputs and invalid values are refused (422), missing ones are allowed; 409
        (with `existing`) when the unit already has a submission of record for the period."""
        return _tagged(svc.create_submission(services, principal, s.plain(data)), 201)

    @get(
        "/{submission_id:int}",
        operation_id="getSubmission",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def read(
        self, services: Svc, principal: Who, submission_id: s.IdParam
    ) -> Response[s.SubmissionRead]:
        """The submission with its evidence and appraisals; `ETag` is its revision."""
        return _tagged(svc.get_submission(services, principal, submission_id))

    @patch(
        "/{submission_id:int}",
        operation_id="updateSubmission",
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def update(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        data: JSONBody[s.SubmissionUpdate],
        if_match: IfMatch = None,
    ) -> Response[s.SubmissionRead]:
        """Merge values, claims and facts into a draft (a null removes a key); with
        `If-Match`, 409 unless it is the current revision; 409 once submitted."""
        changed = svc.update_submission(services, principal, submission_id, s.plain(data), if_match)
        return _tagged(changed)

    @post(
        "/{submission_id:int}/submit",
        operation_id="submitSubmission",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409),
    )
    def submit(
        self, services: Svc, principal: Who, submission_id: s.IdParam, if_match: IfMatch = None
    ) -> Response[s.SubmissionRead]:
        """Submit a complete draft, which locks it; 422 lists every missing input."""
        return _tagged(svc.submit(services, principal, submission_id, if_match))

    @post(
        "/{submission_id:int}/reopen",
        operation_id="reopenSubmission",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def reopen(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        data: JSONBody[s.SubmissionReopen],
    ) -> Response[s.SubmissionRead]:
        """The council reopens a submitted or appraised record `{reason}`, so its unit may
        start a new submission for the period; the new one supersedes it once submitted."""
        return _tagged(svc.reopen(services, principal, submission_id, s.plain(data)))

    @post(
        "/{submission_id:int}/return",
        operation_id="returnSubmission",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def return_for_supplement(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        data: JSONBody[s.SubmissionReturn],
    ) -> Response[s.SubmissionRead]:
        """The council returns a submitted or resubmitted record for supplement (yêu cầu
        bổ sung) `{nodes, note, due?}`: its unit edits those nodes and submits it again."""
        returned = review.return_submission(services, principal, submission_id, s.plain(data))
        return _tagged(returned)

    @post(
        "/{submission_id:int}/council",
        operation_id="sendToCouncil",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def council(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        data: JSONBody[s.SubmissionCouncil],
    ) -> Response[s.SubmissionRead]:
        """Round 1 is over: the appraised record goes to the council's round 2 (Hội đồng
        thẩm định) `{reason?}`."""
        moved = review.send_to_council(services, principal, submission_id, s.plain(data))
        return _tagged(moved)

    @post(
        "/{submission_id:int}/unlock",
        operation_id="unlockSubmission",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def unlock(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        data: JSONBody[s.SubmissionReopen],
    ) -> Response[s.SubmissionRead]:
        """An administrator gives the record back to its unit as a draft `{reason}`."""
        return _tagged(review.unlock(services, principal, submission_id, s.plain(data)))

    @get(
        "/{submission_id:int}/history",
        operation_id="getSubmissionHistory",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def history(
        self, services: Svc, principal: Who, submission_id: s.IdParam
    ) -> list[s.TransitionRead]:
        """Every move of the submission between statuses, oldest first: who, when, why."""
        moves = review.submission_history(services, principal, submission_id)
        return s.reply(list[s.TransitionRead], moves)

    @post(
        "/{submission_id:int}/finish",
        operation_id="finishAppraisal",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409),
    )
    def finish(
        self, services: Svc, principal: Who, submission_id: s.IdParam
    ) -> Response[s.SubmissionRead]:
        """The council finishes appraising a submitted record, which becomes `appraised`
        also when nothing was changed; an appraised one is returned as it is."""
        return _tagged(svc.finish_appraisal(services, principal, submission_id))

    @post(
        "/{submission_id:int}/appraisals",
        operation_id="createAppraisal",
        status_code=201,
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def appraise(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        data: JSONBody[s.AppraisalCreate],
    ) -> s.Appraised:
        """The council's change `{key, value | points, reason}` of an input or manual node."""
        appraised = svc.add_appraisal(services, principal, submission_id, s.plain(data))
        return s.reply(s.Appraised, appraised)
