"""`/api/rankings`: a cohort ranked by a methodology version for a period."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.services import publications as svc

__all__ = ["RankingController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class RankingController(Controller):
    path = "/api/rankings"
    tags = ["rankings"]
    security = s.SIGNED_IN

    @get(
        "/",
        operation_id="getRanking",
        security=s.OPTIONAL_SIGN_IN,
        responses=s.problems(),
    )
    async def ranking(
        self,
        request: Request,
        services: Svc,
        principal: Who,
        cohort: s.SlugQuery = None,
        period: s.PeriodQuery = None,
        methodology: s.SlugQuery = None,
        ref: s.RefQuery = None,
        published: FromQuery[bool] = False,
        compare_published: FromQuery[bool] = False,
    ) -> s.Ranking:
        """Rank the cohort's latest submitted submissions of `period` (compiled engine);
        `methodology` defaults to the cohort's, `ref` to its head. Anyone reads a
        published ranking (the snapshot frozen when it was published, `published: true`);
        the roles that read unpublished rankings get it with `published=true`. With
        `compare_published=true`, `published_comparison` sets each unit's index and rank
        beside the totals and ranks the Ministry published that year, and the average and
        groups beside the published ones (404 when none are bundled)."""
        ranked = await services.work.run(
            request,
            svc.ranking_answer,
            services,
            principal,
            cohort=cohort,
            period=period,
            methodology=methodology,
            ref=ref,
            published=published,
            compare_published=compare_published,
        )
        return s.reply(s.Ranking, ranked)
