"""`/api/evaluations`: scoring stored submissions and keeping the results."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from server.auth import Principal
from server.deps import Services
from server.services import evaluations as svc

__all__ = ["EvaluationController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class EvaluationController(Controller):
    path = "/api/evaluations"
    tags = ["evaluations"]

    @post("/", operation_id="runEvaluations", sync_to_thread=True)
    def run(
        self, services: Svc, principal: Who, data: JSONBody[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Score `{submissions: [ids]}` or `{cohort: {id, period}}` with `methodology`,
        `ref` and `engine`; one stored evaluation (with its trace) per submission."""
        return svc.run_evaluations(services, principal, data)

    @get("/{evaluation_id:int}", operation_id="getEvaluation", sync_to_thread=True)
    def read(self, services: Svc, principal: Who, evaluation_id: FromPath[int]) -> dict[str, Any]:
        """One evaluation with its full result."""
        return svc.get_evaluation(services, principal, evaluation_id)
