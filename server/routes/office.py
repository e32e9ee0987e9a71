"""Office files of a methodology: the annex (Phụ lục) in Word and Excel, the change list
between two versions in Word, and a criteria table imported into a draft branch.

Downloads answer with the document's media type and `Content-Disposition: attachment`
with its Vietnamese name (`filename*=UTF-8''…`). The import takes a multipart upload;
registered by `create_app` under the evidence body limit, since a workbook is a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import MultipartBody, Parameter, QueryParameter

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.services import office as svc
from server.services.evidence import content_disposition

__all__ = ["OfficeController", "TableForm"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


@dataclass
class TableForm:
    """A multipart form: the workbook (`file`), the commit `message`, and optionally the
    draft `branch`, the `base` version to compare with, and `dry_run`."""

    file: UploadFile
    message: Annotated[str, Parameter(max_length=2000)] | None = None
    branch: Annotated[str, Parameter(max_length=100)] | None = None
    base: Annotated[str, Parameter(max_length=200)] | None = None
    dry_run: bool = False


def _send(found: svc.OfficeFile) -> Response[bytes]:
    return Response(
        found.data,
        media_type=found.media_type,
        headers={
            "Content-Disposition": content_disposition(found.filename),
            "X-Content-Type-Options": "nosniff",
        },
    )


class OfficeController(Controller):
    path = "/api/methodologies/{slug:str}"
    tags = ["methodologies"]
    security = s.SIGNED_IN

    @get(
        "/annex.docx",
        operation_id="getAnnexDocx",
        sync_to_thread=True,
        security=s.OPTIONAL_SIGN_IN,
        media_type=svc.DOCX,
        responses=s.problems(),
    )
    def annex_docx(
        self, services: Svc, principal: Who, slug: s.SlugParam, ref: s.RefQuery = None
    ) -> Response[bytes]:
        """The criteria table as the decision's annex (Phụ lục), a Word document: A4
        landscape, Times New Roman; for whoever may read the version."""
        return _send(svc.annex_file(services.store, principal, slug, ref, "docx"))

    @get(
        "/annex.xlsx",
        operation_id="getAnnexXlsx",
        sync_to_thread=True,
        security=s.OPTIONAL_SIGN_IN,
        media_type=svc.XLSX,
        responses=s.problems(),
    )
    def annex_xlsx(
        self, services: Svc, principal: Who, slug: s.SlugParam, ref: s.RefQuery = None
    ) -> Response[bytes]:
        """The annex as a workbook, which `importTable` reads back (with its machine
        columns: id, rule, inputs)."""
        return _send(svc.annex_file(services.store, principal, slug, ref, "xlsx"))

    @get(
        "/changes.docx",
        operation_id="getChangesDocx",
        sync_to_thread=True,
        media_type=svc.DOCX,
        responses=s.problems(),
    )
    def changes_docx(
        self,
        services: Svc,
        principal: Who,
        slug: s.SlugParam,
        from_ref: Annotated[str, QueryParameter(name="from", min_length=1, max_length=301)],
        to_ref: Annotated[str, QueryParameter(name="to", min_length=1, max_length=301)],
    ) -> Response[bytes]:
        """The changes between two versions grouped by kind, before and after, as a Word
        document (`to` may be `<other>@<ref>`, as in `getDiff`)."""
        found = svc.changes_file(services.store, principal, slug, from_ref, to_ref)
        return _send(found)

    @post(
        "/import-table",
        operation_id="importTable",
        status_code=200,
        sync_to_thread=True,
        opt={"file_limit": "max_evidence_bytes"},
        responses=s.problems(409, 413, 415),
    )
    def import_table(
        self,
        services: Svc,
        principal: Who,
        slug: s.SlugParam,
        data: MultipartBody[TableForm],
    ) -> s.TableImported:
        """Read a criteria table (.xlsx, the annex layout) into a new commit on a draft
        branch; `dry_run` only reports the diff. 422 names the sheet and cell (`path`),
        415 a file that is not a plain workbook (encrypted, macros, not xlsx)."""
        imported = svc.import_table(
            services.store,
            principal,
            slug,
            data.file.file.read(services.settings.max_evidence_bytes + 1),
            data.file.filename or "bảng.xlsx",
            message=data.message,
            branch=data.branch,
            base=data.base,
            dry_run=data.dry_run,
        )
        return s.reply(s.TableImported, imported)
