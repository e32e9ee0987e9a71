"""Downloads from the methodology pages: the annex (Word, Excel) of the version shown
and the change list of the two versions compared, for the signed-in page session.

The same services as the API's `/api/methodologies/{slug}/annex.docx` and friends (the
same `methodology.read` checks); only the address and the session differ.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from server.auth import Principal
from server.deps import Services
from server.services.evidence import content_disposition
from server.services.office import OfficeFile, annex_file, changes_file
from server.web.pages.methodologies import _ref

__all__ = ["OfficePages"]

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


class OfficePages(Controller):
    path = "/bo-chi-so"

    @get("/{slug:str}/phu-luc.docx", sync_to_thread=True, name="annex-docx")
    def annex_docx(
        self, services: Svc, viewer: Who, slug: FromPath[str], phien_ban: Version = None
    ) -> Response[bytes]:
        return _send(annex_file(services.store, viewer, slug, _ref(phien_ban), "docx"))

    @get("/{slug:str}/phu-luc.xlsx", sync_to_thread=True, name="annex-xlsx")
    def annex_xlsx(
        self, services: Svc, viewer: Who, slug: FromPath[str], phien_ban: Version = None
    ) -> Response[bytes]:
        return _send(annex_file(services.store, viewer, slug, _ref(phien_ban), "xlsx"))

    @get("/{slug:str}/so-sanh/thay-doi.docx", sync_to_thread=True, name="changes-docx")
    def changes_docx(
        self, services: Svc, viewer: Who, slug: FromPath[str], tu: Side = None, den: Side = None
    ) -> Response[bytes]:
        found = changes_file(services.store, viewer, slug, _ref(tu) or "", _ref(den) or "")
        return _send(found)
