"""Results: the cohorts and periods, a cohort's ranking, a unit's result tree, and
publishing a ranking (công bố) or withdrawing it (thu hồi).

The ranking is `GET /api/rankings`' own answer (`server.services.evaluations.ranking`);
sorting by a column is a plain link (`?sap-xep=<column>`, `-` in front for the other
direction), so it works without JavaScript. Names sort in Vietnamese collation.

A published ranking and its units' results are shown to anyone, as published
(`server.services.results.ranking_view`); `?xem=hien-tai` asks for the ranking computed
now (marked "Chưa công bố"), which is where it is published from: the form carries the
ranking's hash, so what is published is what the person saw.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, QueryParameter
from litestar.response import Redirect, Template

from evaluators import vietnamese_key
from server.auth import Principal, may
from server.deps import Services
from server.errors import ApiError
from server.format import parse_date, parse_number, stored_number, vi_date
from server.labels import (
    DOCUMENT_KIND_LABELS,
    OBJECTION_DECISIONS,
    PUBLICATION_LABELS,
    STAGE_LABELS,
)
from server.services.objections import answer_objection, file_objection, objection_panel
from server.services.publications import publish, require_publisher, today, withdraw
from server.services.results import (
    cohort_periods,
    published_rankings,
    ranking_view,
    unit_view,
)
from server.services.succession import lineage
from server.web.messages import vi_detail
from server.web.render import page, redirect

__all__ = ["ResultPages"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]
SortQuery = Annotated[str | None, QueryParameter(name="sap-xep", max_length=120)]
RefQuery = Annotated[str | None, QueryParameter(name="phien-ban", max_length=200)]
ViewQuery = Annotated[str | None, QueryParameter(name="xem", max_length=20)]
NoticeQuery = Annotated[str | None, QueryParameter(name="da", max_length=20)]
WINDOW_DAYS = 10  # the objection window the publish form proposes
LIVE = "hien-tai"  # `?xem=hien-tai`: the ranking computed now, not the published one
LABELS: dict[str, Any] = {"document_kinds": DOCUMENT_KIND_LABELS, "states": PUBLICATION_LABELS}


@dataclass
class PublishForm:
    """Publishing (`thao_tac=cong-bo`) or withdrawing (`thao_tac=thu-hoi`) a ranking."""

    thao_tac: str = ""
    loai_van_ban: str = "decision"
    so_van_ban: str = ""
    ngay_van_ban: str = ""
    phien_ban: str = ""
    ma_bang: str = ""  # the `ranking_hash` of the ranking the person saw
    cong_bo: str = ""  # the publication to withdraw
    ly_do: str = ""
    han_kien_nghi: str = ""  # the objection window's last day (a preliminary result)
    giai_doan: str = ""  # `chinh-thuc`: publish the final result
    csrf_token: str = ""


@dataclass
class ObjectionForm:
    """Filing an objection (`muc`, `ly_do_kn`) or answering one (`quyet_dinh`,
    `tra_loi`, and for an accepted one the changed `ma_du_lieu` and `gia_tri`)."""

    muc: str = ""
    ly_do_kn: str = ""
    quyet_dinh: str = ""
    tra_loi: str = ""
    ma_du_lieu: str = ""
    gia_tri: str = ""
    csrf_token: str = ""


Form = Annotated[PublishForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
ObjectionBody = Annotated[ObjectionForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
# Where the API's problems go on the form.
FORM_FIELDS = {
    "$.document_number": "so_van_ban",
    "$.document_date": "ngay_van_ban",
    "$.document_kind": "loai_van_ban",
    "$.reason": "ly_do",
    "$.objections_close": "han_kien_nghi",
    "$.node": "muc",
    "$.answer": "tra_loi",
    "$.decision": "quyet_dinh",
    "$.changes": "ma_du_lieu",
    "$.changes[0].key": "ma_du_lieu",
    "$.changes[0].value": "gia_tri",
    "$.changes[0].points": "gia_tri",
}

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


def _version_query(ref: str | None, live: bool = False) -> str:
    """The version asked for, carried by the page's links (empty: the head, or the
    published ranking when one is in force)."""
    query = {"phien-ban": ref} if ref else {}
    if live:
        query["xem"] = LIVE
    return f"?{urlencode(query, quote_via=quote)}" if query else ""


def _nfc(data: ObjectionForm) -> ObjectionForm:
    return ObjectionForm(
        **{k: unicodedata.normalize("NFC", v).strip() for k, v in vars(data).items()}
    )


def _typed(text: str) -> dict[str, Any]:
    """A value typed on the answer form: có/không as yes and no, a number (`0,5`
    accepted), else the text (a choice's value)."""
    lowered = text.lower()
    if lowered in ("có", "true", "đúng"):
        return {"value": True}
    if lowered in ("không", "false", "sai"):
        return {"value": False}
    try:
        return {"value": stored_number(parse_number(text))}
    except ValueError:
        return {"value": text}


def _form_errors(exc: ApiError) -> dict[str, str]:
    """A service's problems by the form field they are about (`chung`: the form's)."""
    out = {
        FORM_FIELDS[e["path"]]: vi_detail(e["message"])
        for e in exc.errors
        if e.get("path") in FORM_FIELDS
    }
    if not out:
        out["chung"] = vi_detail(exc.detail)
    return out


class ResultPages(Controller):
    path = "/ket-qua"

    @get("/", sync_to_thread=True, name="results")
    def cohorts(self, request: Request, services: Svc, viewer: Who) -> Template:
        """The published rankings, to anyone; every cohort and period to those who may
        read unpublished rankings."""
        cohorts = cohort_periods(services, viewer) if may(viewer, "ranking.read") else None
        return page(
            request,
            "results_cohorts.html",
            published=published_rankings(services, viewer),
            cohorts=None
            if cohorts is None
            else sorted(cohorts, key=lambda c: vietnamese_key(c.name)),
            **LABELS,
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
        xem: ViewQuery = None,
        da: NoticeQuery = None,
    ) -> Template:
        return self._ranking(
            request, services, viewer, cohort, period, sap_xep, phien_ban, xem == LIVE, notice=da
        )

    @post("/{cohort:str}/{period:str}", sync_to_thread=True, status_code=303, name="publish")
    def act(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        cohort: FromPath[str],
        period: FromPath[str],
        data: Form,
    ) -> Redirect | Template:
        """Publish the ranking shown (`thao_tac=cong-bo`) or withdraw the publication in
        force (`thao_tac=thu-hoi`); the form again with what is wrong at its field."""
        require_publisher(services, viewer, cohort)
        form = PublishForm(
            **{k: unicodedata.normalize("NFC", v).strip() for k, v in vars(data).items()}
        )
        if form.thao_tac == "thu-hoi":
            return self._withdraw(request, services, viewer, cohort, period, form)
        errors: dict[str, str] = {}
        final = form.giai_doan == "chinh-thuc"
        close = None
        if not final:
            try:
                close = parse_date(form.han_kien_nghi)
            except ValueError as exc:
                errors["han_kien_nghi"] = f"Hạn cuối nhận kiến nghị: {exc}."
        if not form.so_van_ban:
            errors["so_van_ban"] = "Hãy nhập số của văn bản công bố, ví dụ 123/QĐ-UBND."
        try:
            date = parse_date(form.ngay_van_ban)
        except ValueError as exc:
            errors["ngay_van_ban"] = f"Ngày ban hành văn bản: {exc}."
        if form.loai_van_ban not in DOCUMENT_KIND_LABELS:
            errors["loai_van_ban"] = "Hãy chọn loại văn bản."
        status = 422
        if not errors:
            body: dict[str, Any] = {
                "cohort": cohort,
                "period": period,
                "document_kind": form.loai_van_ban,
                "document_number": form.so_van_ban,
                "document_date": date.isoformat(),
            }
            if final:
                body["stage"] = "final"
            else:
                body["objections_close"] = close.isoformat() if close else None
                body.update({"ref": form.phien_ban} if form.phien_ban else {})
                body.update({"ranking_hash": form.ma_bang} if form.ma_bang else {})
            try:
                publish(services, viewer, body)
            except ApiError as exc:
                if exc.status in (401, 403, 404):
                    raise
                errors, status = _form_errors(exc), exc.status
        if errors:
            return self._ranking(
                request,
                services,
                viewer,
                cohort,
                period,
                None,
                form.phien_ban or None,
                not final,
                form=form,
                errors=errors,
                status=status,
            )
        return redirect(request, f"/ket-qua/{quote(cohort)}/{quote(period)}?da=cong-bo")

    @post(
        "/{cohort:str}/{period:str}/kien-nghi",
        sync_to_thread=True,
        status_code=303,
        name="file-objection",
    )
    def file(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        cohort: FromPath[str],
        period: FromPath[str],
        data: ObjectionBody,
    ) -> Redirect | Template:
        """A unit's objection to one criterion of the preliminary result in force."""
        form = _nfc(data)
        view = ranking_view(services, viewer, cohort, period, None)
        publication = view.publication
        errors: dict[str, str] = {}
        if publication is None or publication["stage"] != "preliminary":
            errors["chung"] = "Không có kết quả sơ bộ đang nhận kiến nghị."
        elif not form.ly_do_kn:
            errors["ly_do_kn"] = "Hãy nêu lý do kiến nghị."
        else:
            body = {"node": form.muc, "reason": form.ly_do_kn}
            try:
                file_objection(services, viewer, int(publication["id"]), body)
            except ApiError as exc:
                if exc.status in (401, 403):
                    raise
                errors = _form_errors(exc)
                errors["ly_do_kn"] = errors.pop("ly_do", errors.get("ly_do_kn", ""))
        if errors:
            errors = {k: v for k, v in errors.items() if v}
            return self._refused(
                request, services, viewer, cohort, period, objection=form, errors=errors, status=422
            )
        return redirect(request, f"/ket-qua/{quote(cohort)}/{quote(period)}?da=kien-nghi#kien-nghi")

    @post(
        "/{cohort:str}/{period:str}/kien-nghi/{objection_id:int}",
        sync_to_thread=True,
        status_code=303,
        name="answer-objection",
    )
    def answer(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        cohort: FromPath[str],
        period: FromPath[str],
        objection_id: FromPath[int],
        data: ObjectionBody,
    ) -> Redirect | Template:
        """An appraiser's answer: rejected, or accepted with one changed value."""
        form = _nfc(data)
        body: dict[str, Any] = {"decision": form.quyet_dinh, "answer": form.tra_loi}
        if form.quyet_dinh == "accepted" and form.ma_du_lieu:
            body["changes"] = [{"key": form.ma_du_lieu, **_typed(form.gia_tri)}]
        try:
            answer_objection(services, viewer, objection_id, body)
        except ApiError as exc:
            if exc.status in (401, 403):
                raise
            errors = {f"{k}-{objection_id}": v for k, v in _form_errors(exc).items()}
            return self._refused(
                request,
                services,
                viewer,
                cohort,
                period,
                objection=form,
                errors=errors,
                status=exc.status,
            )
        return redirect(request, f"/ket-qua/{quote(cohort)}/{quote(period)}?da=tra-loi#kien-nghi")

    def _withdraw(
        self,
        request: Request,
        services: Services,
        viewer: Principal,
        cohort: str,
        period: str,
        form: PublishForm,
    ) -> Redirect | Template:
        errors: dict[str, str] = {}
        status = 422
        if not form.ly_do:
            errors["ly_do"] = "Hãy nhập lý do thu hồi."
        elif not form.cong_bo.isdigit():
            errors["chung"] = "Không rõ thu hồi lần công bố nào; hãy tải lại trang."
        else:
            try:
                withdraw(services, viewer, int(form.cong_bo), {"reason": form.ly_do})
            except ApiError as exc:
                if exc.status in (401, 403):
                    raise
                errors, status = _form_errors(exc), exc.status
        if errors:
            return self._refused(
                request, services, viewer, cohort, period, form=form, errors=errors, status=status
            )
        return redirect(request, f"/ket-qua/{quote(cohort)}/{quote(period)}?da=thu-hoi")

    def _refused(
        self,
        request: Request,
        services: Services,
        viewer: Principal,
        cohort: str,
        period: str,
        **shown: Any,
    ) -> Template:
        """The published ranking again, with the refused form, its errors and status."""
        return self._ranking(request, services, viewer, cohort, period, None, None, False, **shown)

    def _ranking(
        self,
        request: Request,
        services: Services,
        viewer: Principal,
        cohort: str,
        period: str,
        sap_xep: str | None,
        phien_ban: str | None,
        live: bool,
        *,
        form: PublishForm | None = None,
        objection: ObjectionForm | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
        notice: str | None = None,
    ) -> Template:
        view = ranking_view(services, viewer, cohort, period, phien_ban, live=live)
        panel = (
            objection_panel(services, viewer, view.publication)
            if view.publication is not None and view.published
            else None
        )
        ranked, fields = view.ranked, view.fields
        units, column, descending = sort_units(ranked["units"], sap_xep, [f.id for f in fields])
        version = _version_query(phien_ban, live and view.publication is not None)
        headers = {
            name: sort_link(name, column, descending, first, version)
            for name, (_, first) in COLUMNS.items()
        } | {f.id: sort_link(f.id, column, descending, True, version) for f in fields}
        return page(
            request,
            "results_ranking.html",
            status=status,
            view=view,
            ranked=ranked,
            units=units,
            fields=fields,
            cohort_name=view.cohort_name,
            column=column,
            descending=descending,
            columns=COLUMNS,
            links=headers,
            version=version,
            live_link=f"/ket-qua/{quote(cohort)}/{quote(period)}?xem={LIVE}",
            form=form
            or PublishForm(
                phien_ban=phien_ban or "",
                han_kien_nghi=vi_date(today() + dt.timedelta(days=WINDOW_DAYS)),
            ),
            panel=panel,
            objection=objection or ObjectionForm(),
            decisions=OBJECTION_DECISIONS,
            stages=STAGE_LABELS,
            errors=errors or {},
            notice=notice,
            **LABELS,
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
        xem: ViewQuery = None,
    ) -> Template:
        live = xem == LIVE
        view = unit_view(services, viewer, cohort, period, unit_id, phien_ban, live=live)
        return page(
            request,
            "results_unit.html",
            view=view,
            lineage=lineage(services, unit_id),
            result=view.result,
            rows=view.rows,
            cohort=cohort,
            cohort_name=view.cohort_name,
            period=period,
            version=_version_query(phien_ban, live and view.publication is not None),
            **LABELS,
        )
