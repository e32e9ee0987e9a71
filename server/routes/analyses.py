"""`/api/audits` and `/api/sensitivity`: comparing two methodology versions on the same
submissions, and how much a cohort's ranks depend on the weights; each run is stored."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

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


class AuditController(Controller):
    path = "/api/audits"
    tags = ["analyses"]

    @post("/", operation_id="runAudit", sync_to_thread=True)
    def run(self, services: Svc, principal: Who, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """Score the same submissions under `from` and `to` (`"<m>@<ref>"` or
        `{methodology, ref}`) and attribute each unit's change of index to causes and
        nodes. Submissions: `{cohort, period, fill_period?}` (the cohort's latest submitted
        ones made under `from`; `fill_period`'s fill inputs a version lacks) or inline
        `{submissions: [...], fill?: [...]}` (at most 1000). Stored; 201 with the result
        and the charts' URLs."""
        return svc.run_audit(services, principal, data)

    @get("/{audit_id:int}", operation_id="getAudit", sync_to_thread=True)
    def read(self, services: Svc, principal: Who, audit_id: FromPath[int]) -> dict[str, Any]:
        """A stored audit: the same document as when it was run."""
        return svc.get_analysis(services, principal, "audit", audit_id)

    @get("/{audit_id:int}/report.md", operation_id="getAuditReport", sync_to_thread=True)
    def report(self, services: Svc, principal: Who, audit_id: FromPath[int]) -> Response[str]:
        """The audit as a Markdown report (in Vietnamese) embedding its charts."""
        text = svc.analysis_report(services, principal, "audit", audit_id)
        return Response(text, media_type=MARKDOWN)

    @get("/{audit_id:int}/charts/{chart:str}", operation_id="getAuditChart", sync_to_thread=True)
    def chart(
        self,
        services: Svc,
        principal: Who,
        audit_id: FromPath[int],
        chart: FromPath[str],
        unit: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """`slope.svg`, `slope.png`: every ranked unit's rank in both versions;
        `waterfall.svg`, `waterfall.png` `?unit=`: one complete unit's change by cause
        (default: the unit whose index changed most)."""
        content = svc.analysis_chart(services, principal, "audit", audit_id, chart, unit)
        return _chart(content, f"audit-{audit_id}-{chart}")


class SensitivityController(Controller):
    path = "/api/sensitivity"
    tags = ["analyses"]

    @post("/", operation_id="runSensitivity", sync_to_thread=True)
    def run(self, services: Svc, principal: Who, data: JSONBody[dict[str, Any]]) -> dict[str, Any]:
        """Re-rank `{methodology, cohort, period}` or `{methodology, submissions}` under
        random weights: `replications` (1–100000, default 1000), `spread` (0.2), `method`
        (uniform, dirichlet), `level` (both, field, criterion), `concentration` (200),
        `seed` (0; the same seed gives the same result). Stored; 201."""
        return svc.run_sensitivity(services, principal, data)

    @get("/{run_id:int}", operation_id="getSensitivity", sync_to_thread=True)
    def read(self, services: Svc, principal: Who, run_id: FromPath[int]) -> dict[str, Any]:
        """A stored sensitivity run: the same document as when it was run."""
        return svc.get_analysis(services, principal, "sensitivity", run_id)

    @get("/{run_id:int}/report.md", operation_id="getSensitivityReport", sync_to_thread=True)
    def report(self, services: Svc, principal: Who, run_id: FromPath[int]) -> Response[str]:
        """The run as a Markdown report (in Vietnamese) embedding its chart."""
        text = svc.analysis_report(services, principal, "sensitivity", run_id)
        return Response(text, media_type=MARKDOWN)

    @get(
        "/{run_id:int}/charts/{chart:str}", operation_id="getSensitivityChart", sync_to_thread=True
    )
    def chart(
        self, services: Svc, principal: Who, run_id: FromPath[int], chart: FromPath[str]
    ) -> Response[bytes]:
        """`ranks.svg`, `ranks.png`: each ranked unit's 5–95% rank interval, median and
        official rank."""
        content = svc.analysis_chart(services, principal, "sensitivity", run_id, chart)
        return _chart(content, f"sensitivity-{run_id}-{chart}")
