"""Assessment periods (kỳ đánh giá): every cohort's periods with their schedule, and the
form that opens or changes one. Each handler calls `server.services.periods`, as
`/api/periods` does, so the checks (who manages a cohort's periods, ordered windows) and
the audit entries are the API's own; dates are typed dd/mm/yyyy."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from server.auth import Principal
from server.deps import Services
from server.errors import ApiError
from server.format import parse_date, vi_date
from server.labels import LATE_LABELS, SCHEDULE_LABELS
from server.models import SCHEDULE
from server.services import periods as svc
from server.web.messages import vi_detail
from server.web.render import page, redirect

__all__ = ["PeriodPages"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


@dataclass
class PeriodForm:
    nhom: str = ""
    ky: str = ""
    phien_ban: str = ""
    nop_muon: str = "refuse"
    self_assessment_opens: str = ""
    self_assessment_closes: str = ""
    appraisal_opens: str = ""
    appraisal_closes: str = ""
    survey_import: str = ""
    preliminary_publication: str = ""
    objection_opens: str = ""
    objection_closes: str = ""
    final_publication: str = ""
    csrf_token: str = ""


Form = Annotated[PeriodForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
_FIELDS = {"$.cohort": "nhom", "$.period": "ky", "$.ref": "phien_ban", "$.late": "nop_muon"}
assert set(SCHEDULE) <= {f.name for f in fields(PeriodForm)}


def _body(form: PeriodForm, *, creating: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """The API body of what was typed (an empty date: none, or cleared when editing),
    and the dates that are not dates."""
    body: dict[str, Any] = {"ref": form.phien_ban.strip() or None, "late": form.nop_muon}
    if creating:
        body.update(cohort=form.nhom.strip(), period=form.ky.strip())
    errors: dict[str, str] = {}
    for name in SCHEDULE:
        text = getattr(form, name).strip()
        if not text:
            if not creating:
                body[name] = None
            continue
        try:
            body[name] = parse_date(text).isoformat()
        except ValueError as exc:
            errors[name] = str(exc)
    return body, errors


def _problems(exc: ApiError) -> dict[str, str]:
    out = {
        _FIELDS.get(e["path"], e["path"].removeprefix("$.")): vi_detail(e["message"])
        for e in exc.errors
    }
    out["_"] = vi_detail(exc.detail)
    return out


def _typed(period: dict[str, Any]) -> PeriodForm:
    """A stored period as its form shows it (dates dd/mm/yyyy)."""
    dates = {name: vi_date(period[name]) if period[name] else "" for name in SCHEDULE}
    return PeriodForm(
        nhom=period["cohort"],
        ky=period["period"],
        phien_ban=period["ref"] or "",
        nop_muon=period["late"],
        **dates,
    )


class PeriodPages(Controller):
    path = "/ky-danh-gia"

    def _list(
        self,
        request: Request,
        services: Services,
        viewer: Principal,
        form: PeriodForm,
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return page(
            request,
            "periods.html",
            status=status,
            periods=svc.list_periods(services, viewer),
            form=form,
            errors=errors,
            schedule=SCHEDULE_LABELS,
            late=LATE_LABELS,
        )

    @get("/", sync_to_thread=True, name="periods")
    def index(self, request: Request, services: Svc, viewer: Who) -> Template:
        return self._list(request, services, viewer, PeriodForm(), {})

    @post("/", sync_to_thread=True, status_code=303)
    def create(
        self, request: Request, services: Svc, viewer: Who, data: Form
    ) -> Redirect | Template:
        body, errors = _body(data, creating=True)
        if not errors:
            try:
                made = svc.create_period(services, viewer, body)
            except ApiError as exc:
                if exc.status not in (400, 404, 409, 422):
                    raise
                errors = _problems(exc)
            else:
                return redirect(request, f"/ky-danh-gia/{made['cohort']}/{made['period']}?da-luu=1")
        return self._list(request, services, viewer, data, errors, status=422)

    @get("/{cohort:str}/{period:str}", sync_to_thread=True, name="period")
    def read(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        cohort: FromPath[str],
        period: FromPath[str],
    ) -> Template:
        found = svc.get_period(services, viewer, cohort, period)
        return self._page(request, found, _typed(found), {})

    def _page(
        self,
        request: Request,
        found: dict[str, Any],
        form: PeriodForm,
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return page(
            request,
            "period.html",
            status=status,
            p=found,
            form=form,
            errors=errors,
            schedule=SCHEDULE_LABELS,
            late=LATE_LABELS,
            saved=request.query_params.get("da-luu") == "1",
        )

    @post("/{cohort:str}/{period:str}", sync_to_thread=True, status_code=303)
    def update(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        cohort: FromPath[str],
        period: FromPath[str],
        data: Form,
    ) -> Redirect | Template:
        body, errors = _body(data, creating=False)
        if not errors:
            try:
                svc.update_period(services, viewer, cohort, period, body)
            except ApiError as exc:
                if exc.status not in (400, 422):
                    raise
                errors = _problems(exc)
            else:
                return redirect(request, f"/ky-danh-gia/{cohort}/{period}?da-luu=1")
        found = svc.get_period(services, viewer, cohort, period)
        return self._page(request, found, data, errors, status=422)
