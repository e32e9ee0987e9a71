"""Results out as files: evaluations, rankings, audits and sensitivity runs as Excel
workbooks and Word reports (báo cáo kết quả), built by `server.office`.

Each export reads its data through the service that answers the API's JSON for it, so
it needs the same permission: `ranking.read` for a ranking, `submission.read` for a
stored evaluation (a submitter only their own unit's), `analysis.read` for an audit or a
sensitivity run. Nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from server.auth import Principal
from server.db import session_scope
from server.deps import Services
from server.errors import Unprocessable
from server.models import Cohort
from server.services.analyses import CHART_LOCK, analysis_chart, get_analysis
from server.services.evaluations import get_evaluation, scored_ranking

__all__ = ["FORMATS", "Export", "analysis_export", "evaluation_export", "ranking_export"]

FORMATS = ("xlsx", "docx")
# Characters no file name may hold on Windows (a cohort's name is free text).
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str  # in Vietnamese, NFC: the route sends it RFC 5987-encoded
    media_type: str


def _export(fmt: str, name: str, workbook: Any, document: Any) -> Export:
    from server.office import DOCX, XLSX

    name = _UNSAFE.sub("-", name)
    if fmt == "xlsx":
        return Export(workbook(), f"{name}.xlsx", XLSX)
    return Export(document(), f"Báo cáo {name[0].lower()}{name[1:]}.docx", DOCX)


def _about(version: str, commit: str | None, **more: str) -> dict[str, str]:
    about = {"Bộ chỉ số": version}
    if commit:
        about["Commit"] = commit[:12]
    return {**about, **more}


def ranking_export(
    services: Services,
    principal: Principal,
    fmt: str,
    *,
    cohort: str | None,
    period: str | None,
    methodology: str | None,
    ref: str | None,
) -> Export:
    """The cohort's ranking for ``period``, as `GET /api/rankings` ranks it."""
    from evaluators import ranking_chart, render_chart
    from server.office import results_document, results_workbook

    answer, ranked = scored_ranking(
        services, principal, cohort=cohort, period=period, methodology=methodology, ref=ref
    )
    with session_scope(services.db) as session:
        row = session.get(Cohort, answer["cohort"])
        name = row.name if row else answer["cohort"]
    title = f"Xếp hạng {name} năm {answer['period']}"
    version = f"{answer['methodology']}@{answer['ref']}" if answer["ref"] else answer["methodology"]
    about = _about(version, answer["commit"], **{"Kỳ đánh giá": str(answer["period"])})
    results = [r.to_json(explain=False) for r in ranked.results]
    ranking = ranked.to_json()

    def document() -> bytes:
        with CHART_LOCK:
            chart = render_chart(ranking_chart(ranking, title=title), "png")
        return results_document(results, ranking, title=title, about=about, chart=chart)

    return _export(
        fmt,
        title,
        lambda: results_workbook(results, ranking, title=title, about=about),
        document,
    )


def evaluation_export(
    services: Services, principal: Principal, fmt: str, evaluation_id: int
) -> Export:
    """A stored evaluation (its result as stored), as `GET /api/evaluations/{id}` reads it."""
    from server.office import results_document, results_workbook

    stored = get_evaluation(services, principal, evaluation_id)
    result = stored["result"]
    name = result.get("unit_name") or result["unit"]
    title = f"Kết quả đánh giá {name} kỳ {result['period']}"
    version = f"{stored['methodology']}@{stored['ref']}" if stored["ref"] else stored["methodology"]
    about = _about(
        version,
        stored["commit"],
        **{"Đánh giá số": str(evaluation_id), "Công cụ chấm": stored["engine"]},
    )
    return _export(
        fmt,
        title,
        lambda: results_workbook([result], title=title, about=about),
        lambda: results_document([result], title=title, about=about),
    )


_TITLES = {"audit": "So sánh hai phiên bản bộ chỉ số", "sensitivity": "Độ nhạy của thứ hạng"}


def analysis_export(
    services: Services, principal: Principal, kind: str, fmt: str, analysis_id: int
) -> Export:
    """A stored audit or sensitivity run (``kind``), with its charts in the Word report."""
    from server.office import (
        audit_document,
        audit_workbook,
        sensitivity_document,
        sensitivity_workbook,
    )

    result = get_analysis(services, principal, kind, analysis_id)["result"]
    title = f"{_TITLES[kind]} số {analysis_id}"

    def charts() -> dict[str, bytes]:
        names = ("slope", "waterfall") if kind == "audit" else ("ranks",)
        drawn = {}
        for name in names:
            try:
                drawn[name] = analysis_chart(services, principal, kind, analysis_id, f"{name}.png")[
                    0
                ]
            except Unprocessable:  # no complete unit to draw a waterfall of: the report says so
                continue
        return drawn

    if kind == "audit":
        return _export(
            fmt,
            title,
            lambda: audit_workbook(result),
            lambda: audit_document(result, charts()),
        )
    return _export(
        fmt,
        title,
        lambda: sensitivity_workbook(result),
        lambda: sensitivity_document(result, charts()),
    )
