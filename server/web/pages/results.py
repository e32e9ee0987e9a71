"""Results: the cohorts and periods, a cohort's ranking, a unit's result tree.

The ranking is `GET /api/rankings`' own answer (`server.services.evaluations.ranking`);
sorting by a column is a plain link (`?sap-xep=<column>`, `-` in front for the other
direction), so it works without JavaScript. Names sort in Vietnamese collation.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from evaluators import vietnamese_key
from server.auth import Principal
from server.deps import Services
from server.services.results import cohort_periods, ranking_with_fields, unit_result
from server.web.render import page

__all__ = ["ResultPages"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]
SortQuery = Annotated[str | None, QueryParameter(name="sap-xep", max_length=120)]
RefQuery = Annotated[str | None, QueryParameter(name="phien-ban", max_length=200)]

# column → (label, first direction: True = descending)
COLUMNS: dict[str, tuple[str, bool]] = {
    "hang": ("Hạng", False),
    "ten": ("Đơn vị", False),
    "chi-so": ("Chỉ số", True),
    "tong": ("Tổng điểm", True),
    "xep-loai": ("Xếp loại", True),
}
BAND_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3}


def _key(column: str) -> Callable[[dict[str, Any]], Any]:
    """The sort key of a column over `Ranking.to_json()` units (None sorts apart)."""
    if column == "ten":
        return lambda u: vietnamese_key(u["name"] or u["unit"])
    if column == "hang":
        return lambda u: u["rank"]
    if column == "chi-so":
        return lambda u: _number(u["index"])
    if column == "tong":
        return lambda u: _number(u["total"])
    if column == "xep-loai":
        return lambda u: None if u["band"] is None else -BAND_ORDER.get(u["band"], 9)
    return lambda u: _number((u["fields"].get(column) or {}).get("points"))


def _number(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def sort_units(
    units: list[dict[str, Any]], wanted: str | None, fields: list[str]
) -> tuple[list[dict[str, Any]], str, bool]:
    """The units in the order asked for, the column and whether descending; an unknown
    column falls back to the ranking's order. Units with no value go last either way."""
    descending = bool(wanted and wanted.startswith("-"))
    column = (wanted or "").lstrip("-")
    if column not in COLUMNS and column not in fields:
        return units, "hang", False
    key = _key(column)
    present = [u for u in units if key(u) is not None]
    absent = [u for u in units if key(u) is None]
    # Ties keep the name order, so equal ranks read alphabetically.
    by_name = sorted(present, key=_key("ten"))
    return sorted(by_name, key=key, reverse=descending) + absent, column, descending


def sort_link(
    column: str, current: str, descending: bool, first_descending: bool, version: str
) -> str:
    """`?sap-xep=` for a column's header: the other direction when it is the current one."""
    down = not descending if column == current else first_descending
    return f"?sap-xep={'-' if down else ''}{column}{version.replace('?', '&')}"


def _version_query(ref: str | None) -> str:
    """The version asked for, carried by the page's links (empty: the head)."""
    return f"?phien-ban={quote(ref)}" if ref else ""


class ResultPages(Controller):
    path = "/ket-qua"

    @get("/", sync_to_thread=True, name="results")
    def cohorts(self, request: Request, services: Svc, viewer: Who) -> Template:
        cohorts = cohort_periods(services, viewer)
        return page(
            request,
            "results_cohorts.html",
            cohorts=sorted(cohorts, key=lambda c: vietnamese_key(c.name)),
        )

    @get("/{cohort:str}/{period:str}", sync_to_thread=True, name="ranking")
    def ranking(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        cohort: FromPath[str],
        period: FromPath[str],
        sap_xep: SortQuery = None,
        phien_ban: RefQuery = None,
    ) -> Template:
        ranked, fields, cohort_name = ranking_with_fields(
            services, viewer, cohort, period, phien_ban
        )
        units, column, descending = sort_units(ranked["units"], sap_xep, [f.id for f in fields])
        version = _version_query(phien_ban)
        headers = {
            name: sort_link(name, column, descending, first, version)
            for name, (_, first) in COLUMNS.items()
        } | {f.id: sort_link(f.id, column, descending, True, version) for f in fields}
        return page(
            request,
            "results_ranking.html",
            ranked=ranked,
            units=units,
            fields=fields,
            cohort_name=cohort_name,
            column=column,
            descending=descending,
            columns=COLUMNS,
            links=headers,
            version=_version_query(phien_ban),
        )

    @get("/{cohort:str}/{period:str}/{unit_id:str}", sync_to_thread=True, name="unit-result")
    def unit(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        cohort: FromPath[str],
        period: FromPath[str],
        unit_id: FromPath[str],
        phien_ban: RefQuery = None,
    ) -> Template:
        result, rows, cohort_name = unit_result(
            services, viewer, cohort, period, unit_id, phien_ban
        )
        return page(
            request,
            "results_unit.html",
            result=result,
            rows=rows,
            cohort=cohort,
            cohort_name=cohort_name,
            period=period,
            version=_version_query(phien_ban),
        )
