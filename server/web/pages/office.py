"""Office files from the pages: the annex (Word, Excel) of the version shown, the change
list of the two versions compared, and on the editing side a criteria table imported
into a draft branch.

The same services as the API's `/api/methodologies/{slug}/annex.docx` and friends (the
same `methodology.read` and `methodology.edit` checks); only the address and the session
differ.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, MultipartBody, QueryParameter
from litestar.response import Template

from methodology import change_kind
from server.auth import Principal, require
from server.deps import Services
from server.errors import ApiError
from server.office import OfficeError
from server.services.evidence import content_disposition
from server.services.methodologies import methodology_scope
from server.services.office import OfficeFile, annex_file, changes_file, import_table
from server.web.messages import vi_detail
from server.web.pages.methodologies import _ref
from server.web.render import page

__all__ = ["ImportForm", "OfficePages"]

Version = Annotated[str | None, QueryParameter(name="phien-ban", max_length=300)]
Side = Annotated[str | None, QueryParameter(max_length=301)]
Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


def _send(found: OfficeFile) -> Response[bytes]:
    return Response(
        found.data,
        media_type=found.media_type,
        headers={
            "Content-Disposition": content_disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


@dataclass
class ImportForm:
    """The import form: the workbook, the commit message, "only show the changes"."""

    tep: UploadFile
    thong_diep: str = ""
    chi_xem: str = ""
    csrf_token: str = ""


def _groups(found: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The changes of a diff's JSON by kind, with the kinds' Vietnamese labels."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for change in found["changes"]:
        groups.setdefault(change["kind"], []).append(change)
    return [(change_kind(kind).vi, changes) for kind, changes in groups.items()]


class OfficePages(Controller):
    path = "/"

    @get("/bo-chi-so/{slug:str}/phu-luc.docx", sync_to_thread=True, name="annex-docx")
    def annex_docx(
        self, services: Svc, viewer: Who, slug: FromPath[str], phien_ban: Version = None
    ) -> Response[bytes]:
        return _send(annex_file(services.store, viewer, slug, _ref(phien_ban), "docx"))

    @get("/bo-chi-so/{slug:str}/phu-luc.xlsx", sync_to_thread=True, name="annex-xlsx")
    def annex_xlsx(
        self, services: Svc, viewer: Who, slug: FromPath[str], phien_ban: Version = None
    ) -> Response[bytes]:
        return _send(annex_file(services.store, viewer, slug, _ref(phien_ban), "xlsx"))

    @get("/bo-chi-so/{slug:str}/so-sanh/thay-doi.docx", sync_to_thread=True, name="changes-docx")
    def changes_docx(
        self, services: Svc, viewer: Who, slug: FromPath[str], tu: Side = None, den: Side = None
    ) -> Response[bytes]:
        found = changes_file(services.store, viewer, slug, _ref(tu) or "", _ref(den) or "")
        return _send(found)

    @get("/bien-tap/{slug:str}/nhap-bang", sync_to_thread=True, name="import-table")
    def import_form(
        self, request: Request, services: Svc, viewer: Who, slug: FromPath[str]
    ) -> Template:
        require(viewer, "methodology.edit", **methodology_scope(services.store, slug))
        return page(request, "office_import.html", slug=slug, result=None, error=None, form={})

    @post("/bien-tap/{slug:str}/nhap-bang", sync_to_thread=True, status_code=200)
    def import_table(
        self,
        request: Request,
        services: Svc,
        viewer: Who,
        slug: FromPath[str],
        data: MultipartBody[ImportForm],
    ) -> Template:
        message = unicodedata.normalize("NFC", data.thong_diep).strip()
        form = {"thong_diep": message, "chi_xem": bool(data.chi_xem)}
        try:
            result = import_table(
                services.store,
                viewer,
                slug,
                data.tep.file.read(services.settings.max_evidence_bytes + 1),
                data.tep.filename or "bảng.xlsx",
                message=message or None,
                branch=None,
                base=None,
                dry_run=bool(data.chi_xem),
            )
        except OfficeError as exc:
            error = f"{exc.where}: {exc.message}" if exc.where else exc.message
            return page(
                request, "office_import.html", status=422, slug=slug, result=None, error=error,
                form=form,
            )  # fmt: skip
        except ApiError as exc:
            if exc.status in (401, 403):
                raise
            return page(
                request, "office_import.html", status=exc.status, slug=slug, result=None,
                error=vi_detail(exc.detail), form=form,
            )  # fmt: skip
        return page(
            request, "office_import.html", slug=slug, result=result,
            groups=_groups(result["diff"]), error=None, form=form,
        )  # fmt: skip
