"""`/api/audits` and `/api/sensitivity`: comparing two methodology versions on the same
submissions, and how much a cohort's ranks depend on the weights; each run is stored."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.services import analyses as svc

__all__ = ["AuditController", "SensitivityController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]

MARKDOWN = "text/markdown"  # Litestar adds `; charset=utf-8` to text types


def _chart(content: tuple[bytes, str], filename: str) -> Response[bytes]:
    data, media_type = content
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


Chart = Annotated[str, Parameter(max_length=40, description="e.g. slope.svg")]
UnitQuery = Annotated[str | None, Parameter(max_length=100)]


class AuditController(Controller):
    path = "/api/audits"
    tags = ["analyses"]
    security = s.SIGNED_IN

    @post("/", operation_id="runAudit", responses=s.problems(413))
    async def run(
        self, request: Request, services: Svc, principal: Who, data: JSONBody[s.AuditRun]
    ) -> s.AnalysisRead:
        """Score the same submissions under `from` and `to` (`"<m>@<ref>"` or
        `{methodology, ref}`) and attribute each unit's change of index to causes and
        nodes. Submissions: `{cohort, period, fill_period?}` (the cohort's latest submitted
        ones made under `from`; `fill_period`'s fill inputs a version lacks) or inline
        `{submissions: [...], fill?: [...]}` (at most 1000). Stored; 201 with the result
        and the charts' URLs."""
        run = await services.work.run(request, svc.run_audit, services, principal, s.plain(data))
        return s.reply(s.AnalysisRead, run)

    @get("/{audit_id:int}", operation_id="getAudit", sync_to_thread=True, responses=s.problems())
    def read(self, services: Svc, principal: Who, audit_id: s.IdParam) -> s.AnalysisRead:
        """A stored audit: the same document as when it was run."""
        return s.reply(s.AnalysisRead, svc.get_analysis(services, principal, "audit", audit_id))

    @get(
        "/{audit_id:int}/report.md",
        operation_id="getAuditReport",
        sync_to_thread=True,
        media_type=MARKDOWN,
        responses=s.problems(),
    )
    def report(self, services: Svc, principal: Who, audit_id: s.IdParam) -> Response[str]:
        """The audit as a Markdown report (in Vietnamese) embedding its charts."""
        text = svc.analysis_report(services, principal, "audit", audit_id)
        return Response(text, media_type=MARKDOWN)

    @get(
        "/{audit_id:int}/charts/{chart:str}",
        operation_id="getAuditChart",
        sync_to_thread=True,
        media_type="image/*",
        responses=s.problems(),
    )
    def chart(
        self,
        services: Svc,
        principal: Who,
        audit_id: s.IdParam,
        chart: Chart,
        unit: UnitQuery = None,
    ) -> Response[bytes]:
        """`slope.svg`, `slope.png`: every ranked unit's rank in both versions;
        `waterfall.svg`, `waterfall.png` `?unit=`: one complete unit's change by cause
        (default: the unit whose index changed most)."""
        content = svc.analysis_chart(services, principal, "audit", audit_id, chart, unit)
        return _chart(content, f"audit-{audit_id}-{chart}")


class SensitivityController(Controller):
    path = "/api/sensitivity"
    tags = ["analyses"]
    security = s.SIGNED_IN

    @post("/", operation_id="runSensitivity", responses=s.problems(413))
    async def run(
        self, request: Request, services: Svc, principal: Who, data: JSONBody[s.SensitivityRun]
    ) -> s.AnalysisRead:
        """Re-rank `{methodology, cohort, period}` or `{methodology, submissions}` under
        random weights: `replications` (1–100000, default 1000), `spread` (0.2), `method`
        (uniform, dirichlet), `level` (both, field, criterion), `concentration` (200),
        `seed` (0; the same seed gives the same result). Stored; 201."""
        run = await services.work.run(
            request, svc.run_sensitivity, services, principal, s.plain(data)
        )
        return s.reply(s.AnalysisRead, run)

    @get(
        "/{run_id:int}", operation_id="getSensitivity", sync_to_thread=True, responses=s.problems()
    )
    def read(self, services: Svc, principal: Who, run_id: s.IdParam) -> s.AnalysisRead:
        """A stored sensitivity run: the same document as when it was run."""
        analysis = svc.get_analysis(services, principal, "sensitivity", run_id)
        return s.reply(s.AnalysisRead, analysis)

    @get(
        "/{run_id:int}/report.md",
        operation_id="getSensitivityReport",
        sync_to_thread=True,
        media_type=MARKDOWN,
        responses=s.problems(),
    )
    def report(self, services: Svc, principal: Who, run_id: s.IdParam) -> Response[str]:
        """The run as a Markdown report (in Vietnamese) embedding its chart."""
        text = svc.analysis_report(services, principal, "sensitivity", run_id)
        return Response(text, media_type=MARKDOWN)

    @get(
        "/{run_id:int}/charts/{chart:str}",
        operation_id="getSensitivityChart",
        sync_to_thread=True,
        media_type="image/*",
        responses=s.problems(),
    )
    def chart(
        self, services: Svc, principal: Who, run_id: s.IdParam, chart: Chart
    ) -> Response[bytes]:
        """`ranks.svg`, `ranks.png`: each ranked unit's 5–95% rank interval, median and
        official rank."""
        content = svc.analysis_chart(services, principal, "sensitivity", run_id, chart)
        return _chart(content, f"sensitivity-{run_id}-{chart}")
