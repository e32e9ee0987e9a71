"""The pages' "Tải Excel" and "Tải báo cáo Word" links: the same files as the API's
`…/report.xlsx` and `…/report.docx` (`server.services.reports`), for the person signed
in to the pages, with the same permissions.

    /ket-qua/<cohort>/<period>/tai-ve/bao-cao.xlsx?phien-ban=   a ranking
    /kiem-tra/so-sanh/<id>/tai-ve/bao-cao.docx                  an audit
    /kiem-tra/do-nhay/<id>/tai-ve/bao-cao.xlsx                  a sensitivity run
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from server.auth import Principal
from server.deps import Services
from server.errors import NotFound
from server.services.evidence import content_disposition
from server.services.reports import Export, analysis_export, ranking_export

__all__ = ["DownloadPages"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]
RefQuery = Annotated[str | None, QueryParameter(name="phien-ban", max_length=200)]
FILES = {"bao-cao.xlsx": "xlsx", "bao-cao.docx": "docx"}


def _format(file: str) -> str:
    if file not in FILES:
        raise NotFound(f"không có tệp '{file}': chỉ có {', '.join(FILES)}")
    return FILES[file]


def _send(export: Export) -> Response[bytes]:
    return Response(
        export.content,
        media_type=export.media_type,
        headers={
            "Content-Disposition": content_disposition(export.filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


class DownloadPages(Controller):
    path = "/"

    @get("/ket-qua/{cohort:str}/{period:str}/tai-ve/{file:str}", sync_to_thread=True)
    def ranking(
        self,
        services: Svc,
        viewer: Who,
        cohort: FromPath[str],
        period: FromPath[str],
        file: FromPath[str],
        phien_ban: RefQuery = None,
    ) -> Response[bytes]:
        fmt = _format(file)
        return _send(
            ranking_export(
                services,
                viewer,
                fmt,
                cohort=cohort,
                period=period,
                methodology=None,
                ref=phien_ban,
            )
        )

    @get("/kiem-tra/so-sanh/{analysis_id:int}/tai-ve/{file:str}", sync_to_thread=True)
    def audit(
        self, services: Svc, viewer: Who, analysis_id: FromPath[int], file: FromPath[str]
    ) -> Response[bytes]:
        return _send(analysis_export(services, viewer, "audit", _format(file), analysis_id))

    @get("/kiem-tra/do-nhay/{analysis_id:int}/tai-ve/{file:str}", sync_to_thread=True)
    def sensitivity(
        self, services: Svc, viewer: Who, analysis_id: FromPath[int], file: FromPath[str]
    ) -> Response[bytes]:
        return _send(analysis_export(services, viewer, "sensitivity", _format(file), analysis_id))
