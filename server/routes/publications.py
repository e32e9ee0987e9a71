"""`/api/publications`: publishing a cohort's ranking for a period (preliminary or final),
withdrawing it, verifying it and its difference; `/api/objections`: the units'
objections to a preliminary result and their answers."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server import schemas as s
from server.auth import Principal
from server.caching import NOT_MODIFIED, PUBLIC_REVALIDATE, conditional
from server.deps import Services
from server.services import objections, verification
from server.services import publications as svc

__all__ = ["ObjectionController", "PublicationController"]

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

    @get(
        "/{publication_id:int}/ranking",
        operation_id="getPublishedRanking",
        sync_to_thread=True,
        security=s.OPTIONAL_SIGN_IN,
        responses={**s.problems(), **NOT_MODIFIED},
    )
    def ranking(
        self,
        request: Request[Any, Any, Any],
        services: Svc,
        principal: Who,
        publication_id: s.IdParam,
    ) -> Response[s.Ranking]:
        """The ranking as published (`published: true`, the frozen snapshot) with its
        publication record: anyone reads one in force, the roles that read unpublished
        rankings a withdrawn one too. Its ETag changes only with the record (a withdrawal,
        the objection window closing): send it in If-None-Match for a 304."""
        key, public, answer = svc.published_ranking(services, principal, publication_id)
        control = PUBLIC_REVALIDATE if public else "private, no-cache"
        return conditional(
            request, services.responses, key, control, lambda: s.reply(s.Ranking, answer)
        )

    @get(
        "/{publication_id:int}/verify",
        operation_id="verifyPublication",
        sync_to_thread=True,
        security=s.OPTIONAL_SIGN_IN,
        responses=s.problems(409),
    )
    def verify(
        self, services: Svc, principal: Who, publication_id: s.IdParam
    ) -> s.PublicationVerification:
        """Score the publication again from its stored inputs at its stored commit and
        compare every hash and number (`reproduced`, else each difference with its path)."""
        checked = verification.verify(services, principal, publication_id)
        return s.reply(s.PublicationVerification, checked)

    @get(
        "/{publication_id:int}/difference",
        operation_id="publicationDifference",
        sync_to_thread=True,
        security=s.OPTIONAL_SIGN_IN,
        responses=s.problems(409),
    )
    def difference(
        self, services: Svc, principal: Who, publication_id: s.IdParam
    ) -> s.PublicationDifference:
        """What a final publication changed from its preliminary one: per unit, total,
        index, rank and band before and after, and the criteria the objections changed."""
        found = objections.difference(services, principal, publication_id)
        return s.reply(s.PublicationDifference, found)

    @post(
        "/{publication_id:int}/objections",
        operation_id="fileObjection",
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def file_objection(
        self,
        services: Svc,
        principal: Who,
        publication_id: s.IdParam,
        data: JSONBody[s.ObjectionCreate],
    ) -> s.ObjectionRead:
        """A unit's objection (kiến nghị) to one criterion of its preliminary result,
        while the objection window is open; one per criterion."""
        filed = objections.file_objection(services, principal, publication_id, s.plain(data))
        return s.reply(s.ObjectionRead, filed)

    @get(
        "/{publication_id:int}/objections",
        operation_id="listObjections",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def list_objections(
        self, services: Svc, principal: Who, publication_id: s.IdParam
    ) -> list[s.ObjectionRead]:
        """The objections to a publication in the order filed, with their answers (a
        unit's submitter sees the unit's own)."""
        found = objections.list_objections(services, principal, publication_id)
        return s.reply(list[s.ObjectionRead], found)


class ObjectionController(Controller):
    path = "/api/objections"
    tags = ["rankings"]
    security = s.SIGNED_IN

    @get(
        "/{objection_id:int}",
        operation_id="getObjection",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def get_objection(
        self, services: Svc, principal: Who, objection_id: s.IdParam
    ) -> s.ObjectionRead:
        """An objection and its answer."""
        return s.reply(s.ObjectionRead, objections.get_objection(services, principal, objection_id))

    @post(
        "/{objection_id:int}/answer",
        operation_id="answerObjection",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def answer(
        self,
        services: Svc,
        principal: Who,
        objection_id: s.IdParam,
        data: JSONBody[s.ObjectionAnswer],
    ) -> s.ObjectionRead:
        """Answer an objection once: `rejected`, or `accepted` with the changes applied
        as the council's appraisals (the objection their reason)."""
        answered = objections.answer_objection(services, principal, objection_id, s.plain(data))
        return s.reply(s.ObjectionRead, answered)
