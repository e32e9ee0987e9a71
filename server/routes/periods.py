"""`/api/periods`: a cohort's assessment periods (kỳ đánh giá): the pinned release, the
schedule, the late policy, and one unit's deadline extended."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.services import periods as svc

__all__ = ["PeriodController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class PeriodController(Controller):
    path = "/api/periods"
    tags = ["periods"]
    security = s.SIGNED_IN

    @get("/", operation_id="listPeriods", sync_to_thread=True, responses=s.problems())
    def list_periods(
        self, services: Svc, principal: Who, cohort: s.SlugQuery = None
    ) -> list[s.PeriodRead]:
        """Every assessment period, or a cohort's, the latest first."""
        return s.reply(list[s.PeriodRead], svc.list_periods(services, principal, cohort))

    @post("/", operation_id="createPeriod", sync_to_thread=True, responses=s.problems(409, 413))
    def create(self, services: Svc, principal: Who, data: JSONBody[s.PeriodCreate]) -> s.PeriodRead:
        """Open a cohort's period `{cohort, period, ref?, dates?, late?}`; the `ref` is
        resolved to its commit now; 409 when the cohort has that period."""
        return s.reply(s.PeriodRead, svc.create_period(services, principal, s.plain(data)))

    @get(
        "/{cohort:str}/{period:str}",
        operation_id="getPeriod",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def read(
        self, services: Svc, principal: Who, cohort: s.CohortParam, period: s.PeriodParam
    ) -> s.PeriodRead:
        """The period with its schedule and the units' extensions."""
        return s.reply(s.PeriodRead, svc.get_period(services, principal, cohort, period))

    @patch(
        "/{cohort:str}/{period:str}",
        operation_id="updatePeriod",
        sync_to_thread=True,
        responses=s.problems(413),
    )
    def update(
        self,
        services: Svc,
        principal: Who,
        cohort: s.CohortParam,
        period: s.PeriodParam,
        data: JSONBody[s.PeriodUpdate],
    ) -> s.PeriodRead:
        """Change the pinned release, dates or late policy (a null clears one)."""
        changed = svc.update_period(services, principal, cohort, period, s.plain(data))
        return s.reply(s.PeriodRead, changed)

    @post(
        "/{cohort:str}/{period:str}/extensions",
        operation_id="extendDeadline",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(413),
    )
    def extend(
        self,
        services: Svc,
        principal: Who,
        cohort: s.CohortParam,
        period: s.PeriodParam,
        data: JSONBody[s.PeriodExtend],
    ) -> s.PeriodRead:
        """An administrator extends one unit's self-assessment deadline `{unit_id, until,
        reason}`."""
        extended = svc.extend_deadline(services, principal, cohort, period, s.plain(data))
        return s.reply(s.PeriodRead, extended)
