"""`/api/rankings`: a cohort ranked by a methodology version for a period."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from server.auth import Principal
from server.deps import Services
from server.services import evaluations as svc

__all__ = ["RankingController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class RankingController(Controller):
    path = "/api/rankings"
    tags = ["rankings"]

    @get("/", operation_id="getRanking", sync_to_thread=True)
    def ranking(
        self,
        services: Svc,
        principal: Who,
        cohort: FromQuery[str | None] = None,
        period: FromQuery[str | None] = None,
        methodology: FromQuery[str | None] = None,
        ref: FromQuery[str | None] = None,
    ) -> dict[str, Any]:
        """Rank the cohort's latest submitted submissions of `period` (compiled engine);
        `methodology` defaults to the cohort's, `ref` to its head."""
        return svc.ranking(
            services, principal, cohort=cohort, period=period, methodology=methodology, ref=ref
        )
