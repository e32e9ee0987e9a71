"""`/api/units`: the units evaluated, and the cohorts they are ranked in."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

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

    @get("/", operation_id="listUnits", sync_to_thread=True)
    def list_units(
        self, services: Svc, principal: Who, cohort: FromQuery[str | None] = None
    ) -> list[dict[str, Any]]:
        """Every unit, or the members of `cohort`; any signed-in user may list them."""
        if principal.anonymous:
            raise Unauthorized("sign in to list units")
        return svc.list_units(services, cohort)

    @post("/", operation_id="createUnit", sync_to_thread=True)
    def create_unit(
        self, services: Svc, principal: Who, data: JSONBody[dict[str, Any]]
    ) -> dict[str, Any]:
        """Create a unit `{id, name, level, province, ranked, group, cohorts, methodology?}`;
        cohorts that do not exist are created for `methodology`."""
        return svc.create_unit(services, principal, data)
