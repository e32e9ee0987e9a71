"""`/api/publications`: publishing a cohort's ranking for a period, and withdrawing it."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.services import publications as svc

__all__ = ["PublicationController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class PublicationController(Controller):
    path = "/api/publications"
    tags = ["rankings"]
    security = s.SIGNED_IN

    @get(
        "/",
        operation_id="listPublications",
        sync_to_thread=True,
        security=s.OPTIONAL_SIGN_IN,
        responses=s.problems(),
    )
    def list_publications(
        self,
        services: Svc,
        principal: Who,
        cohort: s.SlugQuery = None,
        period: s.PeriodQuery = None,
    ) -> list[s.PublicationRead]:
        """The publications in force, newest first; withdrawn ones too (the history) for
        the roles that read unpublished rankings."""
        found = svc.list_publications(services, principal, cohort, period)
        return s.reply(list[s.PublicationRead], found)

    @post(
        "/", operation_id="createPublication", sync_to_thread=True, responses=s.problems(409, 413)
    )
    def create(
        self, services: Svc, principal: Who, data: JSONBody[s.PublicationCreate]
    ) -> s.PublicationRead:
        """Publish the cohort's ranking of a period, frozen as it is now, under an official
        document; 409 while another publication of it is in force."""
        return s.reply(s.PublicationRead, svc.publish(services, principal, s.plain(data)))

    @post(
        "/{publication_id:int}/withdraw",
        operation_id="withdrawPublication",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def withdraw(
        self,
        services: Svc,
        principal: Who,
        publication_id: s.IdParam,
        data: JSONBody[s.PublicationWithdraw],
    ) -> s.PublicationRead:
        """Withdraw a publication `{reason}`: no longer in force, kept in the history."""
        withdrawn = svc.withdraw(services, principal, publication_id, s.plain(data))
        return s.reply(s.PublicationRead, withdrawn)
