"""Units (the agencies evaluated) and the cohorts they are ranked in.

A cohort belongs to whoever owns its methodology (the manifest's `owner.province`, or
national without one): a province editor adds units of their province, to cohorts of
their province's methodologies only, so national rankings stay national.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from methodology import level_of
from server.auth import Principal, record, require
from server.db import session_scope
from server.deps import Services
from server.errors import BadRequest, Conflict, NotFound, Unprocessable
from server.models import Cohort, CohortMember, Unit, UnitCreate
from server.services.submissions import check_slug, nfc_name, open_version, parse_body

__all__ = ["create_unit", "join_cohort", "list_units", "methodology_owner", "unit_json"]

# The pattern `Unit.id` declares (table and Create models do not enforce it).
UNIT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


def unit_json(unit: Unit, cohorts: list[str]) -> dict[str, Any]:
    return {
        "id": unit.id,
        "name": unit.name,
        "level": unit.level,
        "province": unit.province,
        "ranked": unit.ranked,
        "group": unit.group,
        "cohorts": cohorts,
    }


def list_units(services: Services, cohort: str | None) -> list[dict[str, Any]]:
    """Every unit, or the members of one cohort (404 for an unknown cohort)."""
    with session_scope(services.db) as session:
        query = select(Unit).order_by(col(Unit.id))
        if cohort is not None:
            if session.get(Cohort, cohort) is None:
                raise NotFound(f"no cohort '{cohort}'")
            query = query.join(CohortMember, col(CohortMember.unit_id) == col(Unit.id)).where(
                CohortMember.cohort_id == cohort
            )
        units = session.exec(query).all()
        members: dict[str, list[str]] = {}
        for m in session.exec(select(CohortMember).order_by(col(CohortMember.cohort_id))).all():
            members.setdefault(m.unit_id, []).append(m.cohort_id)
        return [unit_json(u, members.get(u.id, [])) for u in units]


def create_unit(services: Services, principal: Principal, data: Any) -> dict[str, Any]:
    """`UnitCreate` plus an optional `methodology`: the methodology of cohorts that do not
    exist yet, which are created (named by their id) on first use."""
    if isinstance(data, dict):
        data = dict(data)
        methodology = data.pop("methodology", None)
    else:
        methodology = None
    body = parse_body(UnitCreate, data)
    body.name = nfc_name(body.name)
    if not body.name:
        raise BadRequest("a unit needs a name", [{"path": "$.name", "message": "required"}])
    if not UNIT_ID.match(body.id):
        raise BadRequest(
            f"invalid unit id {body.id!r}",
            [{"path": "$.id", "message": "must match [a-z0-9][a-z0-9-]* (at most 100)"}],
        )
    try:
        body.level = level_of(body.level).key
    except KeyError as exc:
        raise BadRequest(
            f"unknown level {body.level!r}", [{"path": "$.level", "message": str(exc.args[0])}]
        ) from None
    for i, cohort in enumerate(body.cohorts):
        check_slug(cohort, f"$.cohorts[{i}]")
    if len(set(body.cohorts)) != len(body.cohorts):
        raise BadRequest(
            "a cohort is listed twice", [{"path": "$.cohorts", "message": "duplicates"}]
        )
    require(principal, "unit.create", province=body.province)
    try:
        return _insert_unit(services, principal, body, methodology)
    except IntegrityError:  # a concurrent create of the same unit or cohort won
        raise Conflict(
            f"unit '{body.id}' or one of its new cohorts was created at the same time; reload",
            [{"path": "$.id", "message": "taken"}],
        ) from None


def _insert_unit(
    services: Services, principal: Principal, body: UnitCreate, methodology: Any
) -> dict[str, Any]:
    with session_scope(services.db) as session:
        if session.get(Unit, body.id) is not None:
            raise Conflict(f"unit '{body.id}' exists", [{"path": "$.id", "message": "taken"}])
        missing = [c for c in body.cohorts if session.get(Cohort, c) is None]
        if missing and methodology is None:
            raise Unprocessable(
                "new cohorts need the methodology they are evaluated by",
                [{"path": "$.methodology", "message": f"required to create {', '.join(missing)}"}],
            )
        if missing:
            if not isinstance(methodology, str):
                raise BadRequest(
                    "`methodology` is a slug",
                    [{"path": "$.methodology", "message": "not a string"}],
                )
            owner = methodology_owner(services, methodology)
            for cohort_id in missing:
                require(principal, "cohort.create", province=owner, cohort=cohort_id)
        for cohort_id in body.cohorts:
            if cohort_id not in missing:
                cohort = session.get(Cohort, cohort_id)
                assert cohort is not None
                require(
                    principal,
                    "cohort.join",
                    province=methodology_owner(services, cohort.methodology),
                    cohort=cohort_id,
                )
        unit = Unit.model_validate(body.model_dump(exclude={"cohorts"}))
        session.add(unit)
        for cohort_id in missing:
            cohort = Cohort(id=cohort_id, name=cohort_id, methodology=methodology)
            session.add(cohort)
            record(
                session, principal, "cohort.create", "cohort", cohort_id, None, cohort.model_dump()
            )
        session.flush()
        for cohort_id in body.cohorts:
            session.add(CohortMember(cohort_id=cohort_id, unit_id=unit.id))
        after = unit_json(unit, list(body.cohorts))
        record(session, principal, "unit.create", "unit", unit.id, None, after)
        return after


def methodology_owner(services: Services, methodology: str) -> str | None:
    """The province owning ``methodology`` at its head (None: national)."""
    m = open_version(services.store, methodology, None)
    return m.manifest.province if m.manifest else None


def join_cohort(
    services: Services, principal: Principal, unit_id: str, cohort_id: str, methodology: str
) -> None:
    """Add an existing unit to a cohort (created for ``methodology`` if new): a unit that
    continues unchanged through a reorganisation is ranked in the new cohort as itself."""
    with session_scope(services.db) as session:
        if session.get(Unit, unit_id) is None:
            raise NotFound(f"no unit '{unit_id}'")
        cohort = session.get(Cohort, cohort_id)
        if cohort is None:
            require(
                principal,
                "cohort.create",
                province=methodology_owner(services, methodology),
                cohort=cohort_id,
            )
            cohort = Cohort(id=cohort_id, name=cohort_id, methodology=methodology)
            session.add(cohort)
            record(
                session, principal, "cohort.create", "cohort", cohort_id, None, cohort.model_dump()
            )
            session.flush()
        else:
            require(
                principal,
                "cohort.join",
                province=methodology_owner(services, cohort.methodology),
                cohort=cohort_id,
            )
        if session.get(CohortMember, (cohort_id, unit_id)) is None:
            session.add(CohortMember(cohort_id=cohort_id, unit_id=unit_id))
            record(session, principal, "cohort.join", "unit", unit_id, None, {"cohort": cohort_id})
