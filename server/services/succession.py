"""Units that succeed one another, and cohorts or units not ranked in a period.

A succession event (merge, split, rename, abolish; `methodology.SUCCESSION_KINDS`) ends
its predecessors on its effective date and hands their work to its successors. A
merged unit is a new unit (see `methodology.units`), so a series never continues
through a merger silently: `unit_series` shows the periods before it as the
predecessors' own results, listed, and — only where one number is wanted — combined by
a rule named in the answer (`methodology.COMBINATION_RULES`).

"Not ranked" entries say why a whole cohort, or a unit of it, takes no rank in a period
(Đắk Lắk did not rank its departments in 2024, being reorganised): rankings list those
units with the reason instead of dropping them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from evaluators import score_many
from methodology import COMBINATION_RULES, LEVELS, SUCCESSION_KINDS, check_event, combine
from server.auth import Principal, record, require
from server.db import session_scope
from server.deps import Services
from server.errors import BadRequest, Conflict, NotFound, Unprocessable
from server.format import parse_date
from server.models import (
    Cohort,
    CohortMember,
    NotRanked,
    Submission,
    SuccessionEvent,
    SuccessionLink,
    Unit,
    stored_id,
)
from server.services.submissions import (
    check_slug,
    json_object,
    nfc_name,
    program_for,
    scoring_input,
    survey_scores,
)
from server.services.units import methodology_owner

__all__ = [
    "cohort_owner",
    "create_event",
    "ended_units",
    "level_list",
    "lineage",
    "list_events",
    "list_not_ranked",
    "not_ranked_in",
    "set_not_ranked",
    "unit_series",
]

FINAL = ("submitted", "appraised")


def level_list() -> list[dict[str, Any]]:
    """The levels units are registered at, with their Vietnamese labels."""
    return [
        {"key": lv.key, "label": lv.label, "until": lv.until.isoformat() if lv.until else None}
        for lv in LEVELS
    ]


# -- succession events ---------------------------------------------------------------


def _event_json(session: Session, event: SuccessionEvent) -> dict[str, Any]:
    links = session.exec(
        select(SuccessionLink)
        .where(SuccessionLink.event_id == event.id)
        .order_by(col(SuccessionLink.position))
    ).all()
    names = {
        u.id: u.name
        for u in session.exec(
            select(Unit).where(col(Unit.id).in_([link.unit_id for link in links]))
        ).all()
    }

    def units(role: str) -> list[dict[str, str]]:
        return [
            {"id": link.unit_id, "name": names.get(link.unit_id, link.unit_id)}
            for link in links
            if link.role == role
        ]

    return {
        "id": stored_id(event),
        "kind": event.kind,
        "kind_label": SUCCESSION_KINDS[event.kind][0],
        "effective": event.effective.isoformat(),
        "basis": event.basis,
        "note": event.note,
        "predecessors": units("predecessor"),
        "successors": units("successor"),
    }


def list_events(services: Services, unit: str | None = None) -> list[dict[str, Any]]:
    """Every succession event, oldest first, or those naming ``unit``."""
    with session_scope(services.db) as session:
        query = select(SuccessionEvent).order_by(
            col(SuccessionEvent.effective), col(SuccessionEvent.id)
        )
        if unit is not None:
            if session.get(Unit, unit) is None:
                raise NotFound(f"no unit '{unit}'")
            query = query.where(
                col(SuccessionEvent.id).in_(
                    select(SuccessionLink.event_id).where(SuccessionLink.unit_id == unit)
                )
            )
        return [_event_json(session, e) for e in session.exec(query).all()]


def create_event(services: Services, principal: Principal, data: Any) -> dict[str, Any]:
    """`{kind, effective, basis, note?, predecessors: [unit ids], successors: [unit ids]}`:
    the units must exist; a unit ends at most once (it is a predecessor of one event),
    and its successors begin on that date."""
    body = json_object(data, ("kind", "effective", "basis", "note", "predecessors", "successors"))
    kind = str(body.get("kind"))
    if kind not in SUCCESSION_KINDS:
        raise BadRequest(
            f"unknown succession kind {body.get('kind')!r}",
            [{"path": "$.kind", "message": f"one of {', '.join(SUCCESSION_KINDS)}"}],
        )
    effective = _date(body.get("effective"), "$.effective")
    basis = nfc_name(_text(body.get("basis"), "$.basis", 300))
    if not basis:
        raise BadRequest(
            "a succession names its legal basis", [{"path": "$.basis", "message": "required"}]
        )
    note = nfc_name(_text(body.get("note", ""), "$.note", 2000))
    predecessors = _unit_ids(body.get("predecessors"), "$.predecessors")
    successors = _unit_ids(body.get("successors", []), "$.successors")
    problem = check_event(kind, predecessors, successors)
    if problem:
        raise Unprocessable(problem, [{"path": "$", "message": problem}])
    with session_scope(services.db) as session:
        units = {
            u.id: u
            for u in session.exec(
                select(Unit).where(col(Unit.id).in_([*predecessors, *successors]))
            ).all()
        }
        missing = [
            {"path": f"{where}[{i}]", "message": f"no unit '{uid}'"}
            for where, ids in (("$.predecessors", predecessors), ("$.successors", successors))
            for i, uid in enumerate(ids)
            if uid not in units
        ]
        if missing:
            raise Unprocessable("unknown units", missing)
        for uid in {*predecessors, *successors}:
            require(principal, "unit.create", province=units[uid].province)
        for i, uid in enumerate(predecessors):
            ended = _ended(session, uid)
            if ended is not None:
                raise Conflict(
                    f"unit '{uid}' already ended on {ended.effective.isoformat()} "
                    f"({ended.kind}, {ended.basis})",
                    [{"path": f"$.predecessors[{i}]", "message": "already ended"}],
                )
        event = SuccessionEvent(
            kind=kind,
            effective=effective,
            basis=basis,
            note=note,
            created_by=principal.id,
        )
        session.add(event)
        session.flush()
        for role, ids in (("predecessor", predecessors), ("successor", successors)):
            for position, uid in enumerate(ids):
                session.add(
                    SuccessionLink(
                        event_id=stored_id(event), unit_id=uid, role=role, position=position
                    )
                )
        session.flush()
        after = _event_json(session, event)
        record(session, principal, "succession.create", "succession", str(event.id), None, after)
        return after


def _ended(session: Session, unit_id: str) -> SuccessionEvent | None:
    return session.exec(
        select(SuccessionEvent)
        .join(SuccessionLink, col(SuccessionLink.event_id) == col(SuccessionEvent.id))
        .where(SuccessionLink.unit_id == unit_id, SuccessionLink.role == "predecessor")
    ).first()


def _began(session: Session, unit_id: str) -> list[SuccessionEvent]:
    return list(
        session.exec(
            select(SuccessionEvent)
            .join(SuccessionLink, col(SuccessionLink.event_id) == col(SuccessionEvent.id))
            .where(SuccessionLink.unit_id == unit_id, SuccessionLink.role == "successor")
            .order_by(col(SuccessionEvent.effective))
        ).all()
    )


def _linked(session: Session, event: SuccessionEvent, role: str) -> list[str]:
    return list(
        session.exec(
            select(SuccessionLink.unit_id)
            .where(SuccessionLink.event_id == event.id, SuccessionLink.role == role)
            .order_by(col(SuccessionLink.position))
        ).all()
    )


def lineage(services: Services, unit_id: str) -> dict[str, Any]:
    """The unit, the events it began by and ended by, and every event before (its
    predecessors', theirs …, latest first) and after it (its successors', oldest first)."""
    with session_scope(services.db) as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(f"no unit '{unit_id}'")
        earlier = _walk(session, unit_id, backwards=True)
        later = _walk(session, unit_id, backwards=False)
        ended = _ended(session, unit_id)
        began = _began(session, unit_id)
        return {
            "unit": {"id": unit.id, "name": unit.name, "level": unit.level},
            "began": [_event_json(session, e) for e in began],
            "ended": _event_json(session, ended) if ended is not None else None,
            "earlier": [_event_json(session, e) for e in earlier],
            "later": [_event_json(session, e) for e in later],
        }


def _walk(session: Session, start: str, *, backwards: bool) -> list[SuccessionEvent]:
    seen: dict[int, SuccessionEvent] = {}
    todo = [start]
    while todo:
        uid = todo.pop()
        events = _began(session, uid) if backwards else [e for e in [_ended(session, uid)] if e]
        for event in events:
            if stored_id(event) in seen:
                continue
            seen[stored_id(event)] = event
            todo += _linked(session, event, "predecessor" if backwards else "successor")
    return sorted(seen.values(), key=lambda e: (e.effective, e.id or 0), reverse=backwards)


def ended_units(services: Services, unit_ids: Iterable[str]) -> list[dict[str, Any]]:
    """For each of ``unit_ids`` that ended by a succession: the unit and the event (what a
    comparison through time must say instead of joining its results to its successor's)."""
    out = []
    with session_scope(services.db) as session:
        for uid in sorted(unit_ids):
            event = _ended(session, uid)
            if event is not None:
                out.append({"unit": uid, "event": _event_json(session, event)})
    return out


# -- a unit's series across its successions ------------------------------------------


def unit_series(
    services: Services, principal: Principal, unit_id: str, rule: str = "mean"
) -> dict[str, Any]:
    """The unit's index per period it has results for and, before it began by a
    succession, each period of its predecessors: their results listed one by one and,
    when every predecessor has one, ``rule``'s combination of them (named in the answer,
    never as the unit's own). Results are each unit's submission of record of the period,
    scored by the version it names."""
    require(principal, "ranking.read")
    if rule not in COMBINATION_RULES:
        raise BadRequest(
            f"unknown combination rule {rule!r}",
            [{"path": "$.query.rule", "message": f"one of {', '.join(COMBINATION_RULES)}"}],
        )
    with session_scope(services.db) as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(f"no unit '{unit_id}'")
        began = _began(session, unit_id)
        start = min((e.effective for e in began), default=None)
        predecessors = [p for e in began for p in _linked(session, e, "predecessor")]
        names = {
            u.id: u.name
            for u in session.exec(
                select(Unit).where(col(Unit.id).in_([unit_id, *predecessors]))
            ).all()
        }
        own = _indices(services, session, [unit_id], names)
        earlier = _indices(services, session, predecessors, names)
    periods: list[dict[str, Any]] = [
        {"period": period, "unit": unit_id, "name": names[unit_id], "index": index, "own": True}
        for (uid, period), index in sorted(own.items(), key=lambda kv: kv[0][1])
    ]
    before = sorted({period for (_, period) in earlier})
    for period in before:
        listed = [
            {"unit": p, "name": names.get(p, p), "index": earlier.get((p, period))}
            for p in predecessors
        ]
        values = [Decimal(x["index"]) for x in listed if x["index"] is not None]
        combined = combine(rule, values) if len(values) == len(listed) else None
        periods.append(
            {
                "period": period,
                "own": False,
                "predecessors": listed,
                "combined": None if combined is None else str(combined),
                "rule": rule,
                "rule_label": COMBINATION_RULES[rule],
            }
        )
    periods.sort(key=lambda p: p["period"])
    return {
        "unit": {"id": unit_id, "name": names[unit_id], "level": unit.level},
        "began": start.isoformat() if start else None,
        "predecessors": [{"id": p, "name": names.get(p, p)} for p in predecessors],
        "rule": rule,
        "rule_label": COMBINATION_RULES[rule],
        "note": (
            "Các kỳ trước khi đơn vị được thành lập là kết quả riêng của từng đơn vị tiền "
            "nhiệm; số gộp (nếu có) tính theo quy tắc đã nêu, không phải kết quả của đơn vị."
            if predecessors
            else "Đơn vị không có đơn vị tiền nhiệm."
        ),
        "periods": periods,
    }


def _indices(
    services: Services, session: Session, unit_ids: list[str], names: dict[str, str]
) -> dict[tuple[str, str], str | None]:
    """(unit, period) → the index of the unit's latest final submission of the period."""
    rows = session.exec(
        select(Submission)
        .where(col(Submission.unit_id).in_(unit_ids))
        .where(col(Submission.status).in_(FINAL))
        .order_by(col(Submission.id))
    ).all()
    latest: dict[tuple[str, str], Submission] = {}
    for row in rows:
        latest[(row.unit_id, row.period)] = row
    out: dict[tuple[str, str], str | None] = {}
    for key, row in latest.items():
        survey = survey_scores(session, row.methodology, row.period, [row.unit_id])
        entry = scoring_input(
            session,
            row,
            methodology=row.methodology,
            survey=survey.get(row.unit_id, {}),
            unit_name=names.get(row.unit_id),
        )
        program = program_for(services.store, row.methodology, row.ref)
        [result] = score_many(program, [entry], services.engine("compiled"))
        out[key] = None if result.index is None else str(result.index)
    return out


# -- not ranked ----------------------------------------------------------------------


def _not_ranked_json(row: NotRanked) -> dict[str, Any]:
    return {
        "id": stored_id(row),
        "cohort": row.cohort_id,
        "period": row.period,
        "unit": row.unit_id,
        "reason": row.reason,
        "source": row.source,
    }


def set_not_ranked(services: Services, principal: Principal, data: Any) -> dict[str, Any]:
    """`{cohort, period, unit?, reason, source?}`: the cohort (no unit) or the unit is not
    ranked in the period, for ``reason``; whoever may publish the cohort's ranking."""
    body = json_object(data, ("cohort", "period", "unit", "reason", "source"))
    cohort_id = check_slug(body.get("cohort"), "$.cohort")
    period = _text(body.get("period"), "$.period", 20)
    reason = nfc_name(_text(body.get("reason"), "$.reason", 1000))
    if not period or not reason:
        raise BadRequest(
            "give the period and the reason",
            [
                {"path": f"$.{k}", "message": "required"}
                for k, v in (("period", period), ("reason", reason))
                if not v
            ],
        )
    unit_id = body.get("unit")
    source = body.get("source")
    if source is not None:
        source = nfc_name(_text(source, "$.source", 500)) or None
    with session_scope(services.db) as session:
        cohort = session.get(Cohort, cohort_id)
        if cohort is None:
            raise Unprocessable(
                f"no cohort '{cohort_id}'", [{"path": "$.cohort", "message": "unknown cohort"}]
            )
        methodology = cohort.methodology
    require(principal, "ranking.publish", province=methodology_owner(services, methodology))
    with session_scope(services.db) as session:
        if unit_id is not None:
            member = session.get(CohortMember, (cohort_id, unit_id))
            if member is None:
                raise Unprocessable(
                    f"unit {unit_id!r} is not in cohort '{cohort_id}'",
                    [{"path": "$.unit", "message": "not a member"}],
                )
        if _entry(session, cohort_id, period, unit_id) is not None:
            raise Conflict(
                "already recorded as not ranked for this period",
                [{"path": "$.unit" if unit_id else "$.cohort", "message": "exists"}],
            )
        row = NotRanked(
            cohort_id=cohort_id,
            period=period,
            unit_id=unit_id,
            reason=reason,
            source=source,
            created_by=principal.id,
        )
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                "recorded at the same time; reload", [{"path": "$", "message": "exists"}]
            ) from None
        after = _not_ranked_json(row)
        record(session, principal, "ranking.not_ranked", "cohort", cohort_id, None, after)
        return after


def cohort_owner(services: Services, cohort: str) -> str | None:
    """The province owning the cohort's methodology (None: national or no such cohort)."""
    with session_scope(services.db) as session:
        row = session.get(Cohort, cohort)
        methodology = row.methodology if row is not None else None
    return methodology_owner(services, methodology) if methodology else None


def _entry(session: Session, cohort: str, period: str, unit: str | None) -> NotRanked | None:
    query = select(NotRanked).where(NotRanked.cohort_id == cohort, NotRanked.period == period)
    query = query.where(
        col(NotRanked.unit_id).is_(None) if unit is None else NotRanked.unit_id == unit
    )
    return session.exec(query).first()


def list_not_ranked(
    services: Services, cohort: str | None = None, period: str | None = None
) -> list[dict[str, Any]]:
    with session_scope(services.db) as session:
        query = select(NotRanked).order_by(col(NotRanked.cohort_id), col(NotRanked.period))
        if cohort is not None:
            query = query.where(NotRanked.cohort_id == cohort)
        if period is not None:
            query = query.where(NotRanked.period == period)
        return [_not_ranked_json(r) for r in session.exec(query).all()]


def not_ranked_in(
    session: Session, cohort: str, period: str, unit_ids: Iterable[str]
) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The cohort's own entry for the period (None: it is ranked) and unit → reason for
    every unit not ranked (all of them when the cohort is not)."""
    rows = session.exec(
        select(NotRanked).where(NotRanked.cohort_id == cohort, NotRanked.period == period)
    ).all()
    whole = next((r for r in rows if r.unit_id is None), None)
    reasons = {r.unit_id: r.reason for r in rows if r.unit_id is not None}
    if whole is not None:
        reasons = {uid: whole.reason for uid in unit_ids} | reasons
    return (_not_ranked_json(whole) if whole else None), reasons


# -- reading the body ----------------------------------------------------------------


def _text(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{path} is text", [{"path": path, "message": "expected a string"}])
    if len(value) > limit:
        raise BadRequest(f"{path} is too long", [{"path": path, "message": f"at most {limit}"}])
    return value


def _date(value: Any, path: str) -> dt.date:
    try:
        return parse_date(_text(value, path, 20))
    except ValueError as exc:
        raise BadRequest(f"{path}: {exc}", [{"path": path, "message": str(exc)}]) from None


def _unit_ids(value: Any, path: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(
            f"{path} is a list of unit ids", [{"path": path, "message": "expected [unit ids]"}]
        )
    return list(value)
