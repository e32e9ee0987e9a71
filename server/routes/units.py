"""`/api/units`: the units evaluated, and the cohorts they are ranked in."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.errors import Unauthorized
from server.services import units as svc

__all__ = ["UnitController"]

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
