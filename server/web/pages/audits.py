"""Audits and sensitivity runs: the forms, their progress, what they found, their charts.

A run goes through the very service `POST /api/audits` and `POST /api/sensitivity` use,
as a background job (`server.jobs`, as `POST /api/jobs` starts one): the form answers at once with a
page that shows how far the run is (a <progress> of the steps the analysis reported,
the time taken and the time left at that pace) and, with htmx, asks every second until
the stored analysis can be shown; without JavaScript the page refreshes itself every 2
seconds (a `<noscript>` meta refresh) and a "tải lại" link does the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, PathParameter, QueryParameter
from litestar.response import Redirect, Template

from methodology import cause_label
from server.auth import Principal, require
from server.deps import Services
from server.errors import NotFound
from server.format import parse_number
from server.jobs import get_job, start_job
from server.labels import JOB_STATUS_LABELS
from server.services.analyses import analysis_chart, get_analysis, recent_analyses
from server.services.methodologies import catalog
from server.services.results import cohort_periods
from server.services.trends import audit_trend, stored_request
from server.web.messages import vi_detail
from server.web.render import is_htmx, page, redirect

__all__ = ["AuditPages"]

KINDS = {"audit": "so-sanh", "sensitivity": "do-nhay"}
Svc = NamedDependency[Services]
Who = NamedDependency[Principal]
Chart = Annotated[str, PathParameter(max_length=40)]
UnitQuery = Annotated[str | None, QueryParameter(name="don-vi", max_length=100)]


@dataclass
class AuditForm:
    tu: str = ""  # the version the submissions were made for, "<methodology>@<ref>"
    den: str = ""
    nhom: str = ""
    ky: str = ""
    ky_bu: str = ""  # the period whose submissions fill what `den` needs and `ky` lacks
    csrf_token: str = ""


@dataclass
class SensitivityForm:
    phien_ban: str = ""
    nhom: str = ""
    ky: str = ""
    so_lan: str = "1000"
    bien_do: str = "0,2"
    hat_giong: str = "0"
    csrf_token: str = ""


AuditData = Annotated[AuditForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
SensitivityData = Annotated[SensitivityForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


def _versions(services: Svc) -> list[tuple[str, str]]:
    """Every release of every methodology as (``<methodology>@<tag>``, what people read)."""
    out: list[tuple[str, str]] = []
    pending = catalog(services.store)
    while pending:
        entry = pending.pop(0)
        for r in reversed(entry.releases):
            out.append((f"{entry.slug}@{r.tag}", f"{entry.title} — {r.name}"))
        pending[:0] = entry.derived
    return out


def _blank(fields: dict[str, str], *names: str) -> dict[str, str]:
    return {n: "Hãy chọn hoặc nhập giá trị này." for n in names if not fields[n].strip()}


def _whole(text: str, name: str, errors: dict[str, str]) -> int:
    try:
        number = parse_number(text)
    except ValueError as exc:
        errors[name] = str(exc).capitalize() + "."
        return 0
    if number != number.to_integral_value():
        errors[name] = "Hãy nhập một số nguyên."
        return 0
    return int(number)


class AuditPages(Controller):
    path = "/kiem-tra"

    def _forms(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        *,
        audit: AuditForm | None = None,
        sens: SensitivityForm | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Template:
        return page(
            request,
            "audit_index.html",
            status=status,
            analyses=recent_analyses(services, viewer),
            versions=_versions(services),
            cohorts=cohort_periods(services, viewer),
            audit=audit or AuditForm(),
            sens=sens or SensitivityForm(),
            errors=errors or {},
            kinds=KINDS,
        )

    @get("/", sync_to_thread=True, name="audits")
    def index(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        tu: FromQuery[str] = "",
        den: FromQuery[str] = "",
        nhom: FromQuery[str] = "",
        ky: FromQuery[str] = "",
        ky_bu: Annotated[str, QueryParameter(name="ky-bu")] = "",
    ) -> Template:
        """The forms, filled from the query (a link can name the versions and cohort)."""
        require(viewer, "analysis.read")
        chosen = AuditForm(tu=tu, den=den, nhom=nhom, ky=ky, ky_bu=ky_bu)
        return self._forms(request, services, viewer, audit=chosen)

    @post("/so-sanh", sync_to_thread=True, status_code=303)
    def run_audit(
        self, request: Request, services: Svc, viewer: Who, data: AuditData
    ) -> Redirect | Template:
        require(viewer, "analysis.run")
        errors = _blank(vars(data), "tu", "den", "nhom", "ky")
        if errors:
            return self._forms(request, services, viewer, audit=data, errors=errors, status=422)
        body: dict[str, Any] = {
            "from": data.tu.strip(),
            "to": data.den.strip(),
            "cohort": data.nhom.strip(),
            "period": data.ky.strip(),
        }
        if data.ky_bu.strip():
            body["fill_period"] = data.ky_bu.strip()
        started = start_job(services, viewer, "audit", body)
        return redirect(request, f"/kiem-tra/viec/{started.id}")

    @post("/do-nhay", sync_to_thread=True, status_code=303)
    def run_sensitivity(
        self, request: Request, services: Svc, viewer: Who, data: SensitivityData
    ) -> Redirect | Template:
        require(viewer, "analysis.run")
        errors = _blank(vars(data), "phien_ban", "nhom", "ky")
        replications = _whole(data.so_lan, "so_lan", errors)
        seed = _whole(data.hat_giong, "hat_giong", errors)
        try:
            spread = float(parse_number(data.bien_do))
        except ValueError as exc:
            errors["bien_do"] = str(exc).capitalize() + "."
            spread = 0.0
        if errors:
            return self._forms(request, services, viewer, sens=data, errors=errors, status=422)
        body = {
            "methodology": data.phien_ban.strip(),
            "cohort": data.nhom.strip(),
            "period": data.ky.strip(),
            "replications": replications,
            "spread": spread,
            "seed": seed,
        }
        started = start_job(services, viewer, "sensitivity", body)
        return redirect(request, f"/kiem-tra/viec/{started.id}")

    @get("/viec/{job_id:str}", sync_to_thread=True, name="analysis-job")
    def progress(
        self, request: Request, services: Svc, viewer: Who, job_id: FromPath[str]
    ) -> Response[Any] | Template:
        if not job_id.isdigit() or len(job_id) > 9:
            raise NotFound(f"no job {job_id}")
        found = get_job(services, viewer, int(job_id))
        if found.analysis_id is not None:
            target = f"/kiem-tra/{KINDS[found.kind]}/{found.analysis_id}"
            if is_htmx(request):  # the browser goes there as a whole page
                return Response("", status_code=200, headers={"HX-Redirect": target})
            return redirect(request, target)
        template = "audit_progress_part.html" if is_htmx(request) else "audit_progress.html"
        return page(
            request,
            template,
            job=found,
            seconds=found.seconds,
            percent=found.percent,
            remaining=found.remaining,
            error=vi_detail(found.error)
            if found.error
            else (JOB_STATUS_LABELS["cancelled"] if found.status == "cancelled" else None),
        )

    @get("/so-sanh/{analysis_id:int}", sync_to_thread=True, name="audit")
    def audit(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        analysis_id: FromPath[int],
        unit: UnitQuery = None,
    ) -> Template:
        doc = get_analysis(services, viewer, "audit", analysis_id)
        units = doc["result"]["units"]
        chosen_id = unit or doc["charts"]["waterfall"]["unit"]
        chosen = next((u for u in units if u["unit"] == chosen_id), None)
        return page(
            request,
            "audit_result.html",
            doc=doc,
            result=doc["result"],
            units=units,
            chosen=chosen,
            cause=cause_label,
            doc_request=stored_request(services, viewer, analysis_id),
        )

    @get("/so-sanh/{analysis_id:int}/xu-huong", sync_to_thread=True, name="audit-trend")
    def trend(
        self, request: Request, services: Svc, viewer: Who, analysis_id: FromPath[int]
    ) -> Template:
        """Methodology effect against performance effect; htmx loads it into the audit's
        page once that is shown (it scores the cohort again), a plain link opens it."""
        result = audit_trend(services, viewer, analysis_id)
        template = "audit_trend_part.html" if is_htmx(request) else "audit_trend.html"
        return page(request, template, trend=result, analysis_id=analysis_id)

    @get("/so-sanh/{analysis_id:int}/bieu-do/{chart:str}", sync_to_thread=True)
    def audit_chart(
        self,
        services: Svc,
        viewer: Who,
        analysis_id: FromPath[int],
        chart: Chart,
        unit: UnitQuery = None,
    ) -> Response[bytes]:
        data, media_type = analysis_chart(services, viewer, "audit", analysis_id, chart, unit)
        return Response(data, media_type=media_type)

    @get("/do-nhay/{analysis_id:int}", sync_to_thread=True, name="sensitivity")
    def sensitivity(
        self, request: Request, services: Svc, viewer: Who, analysis_id: FromPath[int]
    ) -> Template:
        doc = get_analysis(services, viewer, "sensitivity", analysis_id)
        return page(request, "audit_sensitivity.html", doc=doc, result=doc["result"])

    @get("/do-nhay/{analysis_id:int}/bieu-do/{chart:str}", sync_to_thread=True)
    def sensitivity_chart(
        self, services: Svc, viewer: Who, analysis_id: FromPath[int], chart: Chart
    ) -> Response[bytes]:
        data, media_type = analysis_chart(services, viewer, "sensitivity", analysis_id, chart)
        return Response(data, media_type=media_type)
