"""The trend behind a stored audit: each unit's change from one period to the next, split
into the methodology effect and the performance effect (`evaluators.trend`).

An audit of a cohort's period-P submissions filled from period Q (`fill_period`) compares
two versions on the same work; the trend asks the other question of the same data: the
unit went from its index of P under the old version to its index of Q under the new one,
how much of that is the new version and how much is the unit's own work. It scores the
cohort's stored submissions at the audit's own commits, so both read the same versions.
It is read, not stored: the audit row holds what was run.
"""

from __future__ import annotations

from typing import Any

from evaluators import VersionPair, trend
from methodology import Versions, to_json_value
from server.auth import Principal, require
from server.db import session_scope
from server.deps import Services
from server.errors import Unprocessable
from server.models import Analysis
from server.services.analyses import get_analysis
from server.services.evaluations import cohort_inputs
from server.services.submissions import program_for
from server.services.succession import ended_units

__all__ = ["audit_trend", "stored_request"]


def stored_request(services: Services, principal: Principal, audit_id: int) -> dict[str, Any]:
    """What the audit was asked (versions, cohort, periods), as its row keeps it."""
    require(principal, "analysis.read")
    with session_scope(services.db) as session:
        row = session.get(Analysis, audit_id)
        return dict(row.request) if row is not None and row.kind == "audit" else {}


def audit_trend(services: Services, principal: Principal, audit_id: int) -> dict[str, Any]:
    """`Trend.to_json()` of the audit's cohort from `period` (under `from`) to
    `fill_period` (under `to`); 422 when the audit is not of a cohort with a fill period."""
    require(principal, "analysis.run")
    doc = get_analysis(services, principal, "audit", audit_id)  # 404, analysis.read
    request = stored_request(services, principal, audit_id)
    if not request.get("cohort") or not request.get("fill_period"):
        raise Unprocessable(
            f"audit {audit_id} is not of a cohort filled from a later period",
            [{"path": "$.fill_period", "message": "the trend needs two periods"}],
        )
    source, target = request["from"], request["to"]
    a = program_for(services.store, source["methodology"], doc["commits"]["from"])
    b = program_for(services.store, target["methodology"], doc["commits"]["to"])
    with session_scope(services.db) as session:
        units, _, earlier = cohort_inputs(
            session, request["cohort"], request["period"], source["methodology"]
        )
        _, _, later = cohort_inputs(
            session, request["cohort"], request["fill_period"], target["methodology"]
        )
    manifest = b.methodology.manifest
    not_ranked = {
        *(manifest.not_ranked if manifest else ()),
        *(u.id for u in units if not u.ranked),
    }
    result = trend(
        a,
        b,
        earlier,
        later,
        not_ranked=sorted(not_ranked),
        pair=VersionPair(a, b, Versions(services.store)),
    )
    answer = to_json_value(result.to_json())
    # units that merged, split or were abolished: their results are not joined to a
    # successor's, and the trend says so
    answer["successions"] = ended_units(services, [u.id for u in units])
    return answer
