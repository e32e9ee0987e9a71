"""`/api/units`: the units evaluated, and the cohorts they are ranked in."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.errors import Unauthorized
from server.services import succession
from server.services import units as svc

__all__ = ["NotRankedController", "SuccessionController", "UnitController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class UnitController(Controller):
    path = "/api/units"
    tags = ["units"]
    security = s.SIGNED_IN

    @get("/", operation_id="listUnits", sync_to_thread=True, responses=s.problems())
    def list_units(
        self, services: Svc, principal: Who, cohort: s.SlugQuery = None
    ) -> list[s.UnitRead]:
        """Every unit, or the members of `cohort`; any signed-in user may list them."""
        if principal.anonymous:
            raise Unauthorized("sign in to list units")
        return s.reply(list[s.UnitRead], svc.list_units(services, cohort))

    @post("/", operation_id="createUnit", sync_to_thread=True, responses=s.problems(409, 413))
    def create_unit(
        self, services: Svc, principal: Who, data: JSONBody[s.UnitCreate]
    ) -> s.UnitRead:
        """Create a unit `{id, name, level, province, ranked, group, cohorts, methodology?}`;
        cohorts that do not exist are created for `methodology`."""
        return s.reply(s.UnitRead, svc.create_unit(services, principal, s.plain(data)))

    @get("/levels", operation_id="listUnitLevels", sync_to_thread=False, responses=s.problems())
    def levels(self) -> list[s.LevelRead]:
        """The levels a unit is registered at (`level` of a unit), with their labels."""
        return s.reply(list[s.LevelRead], succession.level_list())

    @get(
        "/{unit_id:str}/lineage",
        operation_id="getUnitLineage",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def lineage(self, services: Svc, principal: Who, unit_id: s.UnitParam) -> s.LineageRead:
        """The succession events the unit began and ended by, and every event before and
        after it through its predecessors and successors."""
        if principal.anonymous:
            raise Unauthorized("sign in to read a unit's lineage")
        return s.reply(s.LineageRead, succession.lineage(services, unit_id))

    @get(
        "/{unit_id:str}/series",
        operation_id="getUnitSeries",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def series(
        self, services: Svc, principal: Who, unit_id: s.UnitParam, rule: s.SlugQuery = None
    ) -> s.SeriesRead:
        """The unit's index per period; before it began, its predecessors' results listed
        and combined by `rule` (default `mean`), named in the answer."""
        answer = succession.unit_series(services, principal, unit_id, rule or "mean")
        return s.reply(s.SeriesRead, answer)


class SuccessionController(Controller):
    path = "/api/successions"
    tags = ["units"]
    security = s.SIGNED_IN

    @get("/", operation_id="listSuccessions", sync_to_thread=True, responses=s.problems())
    def list_events(
        self, services: Svc, principal: Who, unit: s.UnitQuery = None
    ) -> list[s.SuccessionRead]:
        """Units merged, split, renamed or abolished, oldest first; `unit`: those naming it."""
        if principal.anonymous:
            raise Unauthorized("sign in to list successions")
        return s.reply(list[s.SuccessionRead], succession.list_events(services, unit))

    @post("/", operation_id="createSuccession", sync_to_thread=True, responses=s.problems(409, 413))
    def create_event(
        self, services: Svc, principal: Who, data: JSONBody[s.SuccessionCreate]
    ) -> s.SuccessionRead:
        """Record a merge, split, rename or abolition on its effective date, by its legal
        basis, between existing units."""
        return s.reply(
            s.SuccessionRead, succession.create_event(services, principal, s.plain(data))
        )


class NotRankedController(Controller):
    path = "/api/not-ranked"
    tags = ["rankings"]
    security = s.SIGNED_IN

    @get("/", operation_id="listNotRanked", sync_to_thread=True, responses=s.problems())
    def list_entries(
        self,
        services: Svc,
        principal: Who,
        cohort: s.SlugQuery = None,
        period: s.PeriodQuery = None,
    ) -> list[s.NotRankedRead]:
        """Cohorts and units not ranked in a period, with the reason."""
        if principal.anonymous:
            raise Unauthorized("sign in to list what is not ranked")
        return s.reply(list[s.NotRankedRead], succession.list_not_ranked(services, cohort, period))

    @post("/", operation_id="setNotRanked", sync_to_thread=True, responses=s.problems(409, 413))
    def create(
        self, services: Svc, principal: Who, data: JSONBody[s.NotRankedCreate]
    ) -> s.NotRankedRead:
        """A cohort (no `unit`) or one of its units is not ranked in `period`, for
        `reason`; its rankings list them with the reason instead of a rank."""
        return s.reply(
            s.NotRankedRead, succession.set_not_ranked(services, principal, s.plain(data))
        )
