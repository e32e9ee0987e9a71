"""`/api/evaluations`: scoring stored submissions and keeping the results."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.services import evaluations as svc

__all__ = ["EvaluationController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class EvaluationController(Controller):
    path = "/api/evaluations"
    tags = ["evaluations"]
    security = s.SIGNED_IN

    @post("/", operation_id="runEvaluations", responses=s.problems(413))
    async def run(
        self, request: Request, services: Svc, principal: Who, data: JSONBody[s.EvaluationRun]
    ) -> list[s.EvaluationRead]:
        """Score `{submissions: [ids]}` or `{cohort: {id, period}}` with `methodology`,
        `ref` and `engine`; one stored evaluation (with its trace) per submission."""
        evaluated = await services.work.run(
            request, svc.run_evaluations, services, principal, s.plain(data)
        )
        return s.reply(list[s.EvaluationRead], evaluated)

    @get(
        "/{evaluation_id:int}",
        operation_id="getEvaluation",
        sync_to_thread=True,
        security=s.OPTIONAL_SIGN_IN,
        responses=s.problems(),
    )
    def read(self, services: Svc, principal: Who, evaluation_id: s.IdParam) -> s.EvaluationRead:
        """One evaluation with its full result; anyone reads a unit's published result."""
        return s.reply(s.EvaluationRead, svc.get_evaluation(services, principal, evaluation_id))
