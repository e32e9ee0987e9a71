"""Results as files: `…/report.xlsx` (Excel: one sheet per table, formulas for the field
and grand totals) and `…/report.docx` (the báo cáo kết quả in Word, with its tables and
charts) beside each result the API reads as JSON — rankings, stored evaluations, audits
and sensitivity runs — with the same permission as that JSON."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.office import DOCX, XLSX
from server.services import reports as svc
from server.services.evidence import content_disposition

__all__ = ["ReportController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


def _file(export: svc.Export) -> Response[bytes]:
    return Response(
        export.content,
        media_type=export.media_type,
        headers={
            "Content-Disposition": content_disposition(export.filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


def _ranking(services, principal, fmt, cohort, period, methodology, ref) -> Response[bytes]:
    return _file(
        svc.ranking_export(
            services,
            principal,
            fmt,
            cohort=cohort,
            period=period,
            methodology=methodology,
            ref=ref,
        )
    )


class ReportController(Controller):
    path = "/api"
    security = s.SIGNED_IN

    @get(
        "/rankings/report.xlsx",
        operation_id="getRankingWorkbook",
        tags=["rankings"],
        media_type=XLSX,
        responses=s.problems(),
    )
    async def ranking_xlsx(
        self,
        request: Request,
        services: Svc,
        principal: Who,
        cohort: s.SlugQuery = None,
        period: s.PeriodQuery = None,
        methodology: s.SlugQuery = None,
        ref: s.RefQuery = None,
    ) -> Response[bytes]:
        """`GET /api/rankings` as an Excel workbook: sheets `Xếp hạng` (ranks, bands,
        per-field points and ranks; field points and totals are formulas) and `Điểm tiêu
        chí` (every criterion's points)."""
        return await services.work.run(
            request, _ranking, services, principal, "xlsx", cohort, period, methodology, ref
        )

    @get(
        "/rankings/report.docx",
        operation_id="getRankingDocument",
        tags=["rankings"],
        media_type=DOCX,
        responses=s.problems(),
    )
    async def ranking_docx(
        self,
        request: Request,
        services: Svc,
        principal: Who,
        cohort: s.SlugQuery = None,
        period: s.PeriodQuery = None,
        methodology: s.SlugQuery = None,
        ref: s.RefQuery = None,
    ) -> Response[bytes]:
        """`GET /api/rankings` as a Word report (báo cáo kết quả) with its chart."""
        return await services.work.run(
            request, _ranking, services, principal, "docx", cohort, period, methodology, ref
        )

    @get(
        "/evaluations/{evaluation_id:int}/report.xlsx",
        operation_id="getEvaluationWorkbook",
        tags=["evaluations"],
        sync_to_thread=True,
        media_type=XLSX,
        responses=s.problems(),
    )
    def evaluation_xlsx(
        self, services: Svc, principal: Who, evaluation_id: s.IdParam
    ) -> Response[bytes]:
        """A stored evaluation as an Excel workbook (field points and total as formulas)."""
        return _file(svc.evaluation_export(services, principal, "xlsx", evaluation_id))

    @get(
        "/evaluations/{evaluation_id:int}/report.docx",
        operation_id="getEvaluationDocument",
        tags=["evaluations"],
        sync_to_thread=True,
        media_type=DOCX,
        responses=s.problems(),
    )
    def evaluation_docx(
        self, services: Svc, principal: Who, evaluation_id: s.IdParam
    ) -> Response[bytes]:
        """A stored evaluation as a Word report."""
        return _file(svc.evaluation_export(services, principal, "docx", evaluation_id))

    @get(
        "/audits/{audit_id:int}/report.xlsx",
        operation_id="getAuditWorkbook",
        tags=["analyses"],
        sync_to_thread=True,
        media_type=XLSX,
        responses=s.problems(),
    )
    def audit_xlsx(self, services: Svc, principal: Who, audit_id: s.IdParam) -> Response[bytes]:
        """A stored audit as an Excel workbook (units, amounts per cause and criterion,
        their sums as formulas)."""
        return _file(svc.analysis_export(services, principal, "audit", "xlsx", audit_id))

    @get(
        "/audits/{audit_id:int}/report.docx",
        operation_id="getAuditDocument",
        tags=["analyses"],
        sync_to_thread=True,
        media_type=DOCX,
        responses=s.problems(),
    )
    def audit_docx(self, services: Svc, principal: Who, audit_id: s.IdParam) -> Response[bytes]:
        """A stored audit as a Word report with its charts."""
        return _file(svc.analysis_export(services, principal, "audit", "docx", audit_id))

    @get(
        "/sensitivity/{run_id:int}/report.xlsx",
        operation_id="getSensitivityWorkbook",
        tags=["analyses"],
        sync_to_thread=True,
        media_type=XLSX,
        responses=s.problems(),
    )
    def sensitivity_xlsx(self, services: Svc, principal: Who, run_id: s.IdParam) -> Response[bytes]:
        """A stored sensitivity run as an Excel workbook."""
        return _file(svc.analysis_export(services, principal, "sensitivity", "xlsx", run_id))

    @get(
        "/sensitivity/{run_id:int}/report.docx",
        operation_id="getSensitivityDocument",
        tags=["analyses"],
        sync_to_thread=True,
        media_type=DOCX,
        responses=s.problems(),
    )
    def sensitivity_docx(self, services: Svc, principal: Who, run_id: s.IdParam) -> Response[bytes]:
        """A stored sensitivity run as a Word report with its chart."""
        return _file(svc.analysis_export(services, principal, "sensitivity", "docx", run_id))
