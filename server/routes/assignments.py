"""`/api/submissions/{id}/assignments`: who fills which criteria of a draft (the units
that own them), their progress, and each contributor's mark that its part is done."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.services import contributions as svc

__all__ = ["AssignmentController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class AssignmentController(Controller):
    path = "/api/submissions/{submission_id:int}/assignments"
    tags = ["submissions"]
    security = s.SIGNED_IN

    @get("/", operation_id="getAssignments", sync_to_thread=True, responses=s.problems())
    def read(self, services: Svc, principal: Who, submission_id: s.IdParam) -> s.AssignmentsRead:
        """Every contributor of the submission with its nodes, done mark and progress;
        for whoever may read the submission, its contributors included."""
        return s.reply(s.AssignmentsRead, svc.assignments(services, principal, submission_id))

    @put(
        "/",
        operation_id="putAssignments",
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def replace(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        data: JSONBody[s.AssignmentsPut],
    ) -> s.AssignmentsRead:
        """The focal point gives criteria of a draft to other units `{assignments: [{unit_id,
        nodes}]}`; 422 names every unknown unit or node and every node given twice."""
        changed = svc.put_assignments(services, principal, submission_id, s.plain(data))
        return s.reply(s.AssignmentsRead, changed)

    @post(
        "/{unit_id:str}/done",
        operation_id="markAssignmentDone",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409),
    )
    def done(
        self, services: Svc, principal: Who, submission_id: s.IdParam, unit_id: s.UnitParam
    ) -> s.AssignmentsRead:
        """A contributor marks its part done; a later change of its part takes the mark
        back. 404 when the unit has no assignment in the submission."""
        marked = svc.mark_done(services, principal, submission_id, unit_id)
        return s.reply(s.AssignmentsRead, marked)
