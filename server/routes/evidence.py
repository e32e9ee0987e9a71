"""`/api/submissions/{id}/evidence`: attaching files to a draft, reading them back, and
removing one from a draft.

Registered by `create_app` under its own body limit (`max_evidence_bytes` plus the
multipart framing), so a file up to the evidence limit is accepted while JSON bodies
elsewhere stay under `max_body_bytes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import MultipartBody, Parameter
from litestar.response import File

from server import schemas as s
from server.auth import Principal
from server.deps import Services
from server.models import DOCUMENT_PARTS
from server.services import evidence as svc

__all__ = ["EvidenceController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


@dataclass
class EvidenceForm:
    """A multipart form, not a JSON body: a dataclass, so the strict JSON check of
    `server.app._strict_body` leaves it to Litestar's form decoding."""

    file: UploadFile
    # Meta checks it; Parameter puts the same pattern into the form's OpenAPI schema.
    node_id: Annotated[s.Slug, Parameter(pattern=s.SLUG_PATTERN, max_length=100)] | None = None
    # The document the file is (số/ký hiệu, ngày ban hành, trích yếu, cơ quan ban hành).
    number: Annotated[str, Parameter(max_length=DOCUMENT_PARTS["number"])] | None = None
    date: Annotated[str, Parameter(max_length=DOCUMENT_PARTS["date"])] | None = None
    title: Annotated[str, Parameter(max_length=DOCUMENT_PARTS["title"])] | None = None
    issuer: Annotated[str, Parameter(max_length=DOCUMENT_PARTS["issuer"])] | None = None


class EvidenceController(Controller):
    path = "/api/submissions/{submission_id:int}/evidence"
    tags = ["submissions"]
    security = s.SIGNED_IN

    @post(
        "/",
        operation_id="uploadEvidence",
        status_code=201,
        sync_to_thread=True,
        opt={"file_limit": "max_evidence_bytes"},  # what a 413 here names
        responses=s.problems(409, 413, 415),
    )
    def upload_evidence(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        data: MultipartBody[EvidenceForm],
    ) -> s.EvidenceRead:
        """Attach a file (`file`, optional `node_id`, and the document it is: `number`,
        `date` (dd/mm/yyyy or ISO), `title`, `issuer`) to a draft; the same bytes are
        stored once. 415 for a type outside PARINDEX_EVIDENCE_TYPES or content not of its
        type."""
        added = svc.add_evidence(services, principal, submission_id, data.file, data.node_id, data)
        return s.reply(s.EvidenceRead, added)

    @get(
        "/{evidence_id:int}",
        operation_id="downloadEvidence",
        sync_to_thread=True,
        media_type="application/octet-stream",  # each file has its own: `declare_file_types`
        responses=s.problems(),
    )
    def download_evidence(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        evidence_id: s.IdParam,
    ) -> File:
        """The file as uploaded, with its media type, as an attachment under its name;
        for whoever may read the submission."""
        row, path = svc.evidence_file(services, principal, submission_id, evidence_id)
        return File(
            path,
            filename=row.filename,
            media_type=row.media_type,
            headers={
                "Content-Disposition": svc.content_disposition(row.filename),
                "X-Content-Type-Options": "nosniff",
            },
        )

    @delete(
        "/{evidence_id:int}",
        operation_id="deleteEvidence",
        sync_to_thread=True,
        responses=s.problems(409),
    )
    def delete_evidence(
        self,
        services: Svc,
        principal: Who,
        submission_id: s.IdParam,
        evidence_id: s.IdParam,
    ) -> None:
        """Remove a file from a draft, for those who may attach one; 409 once the
        submission is submitted. The audit keeps what the row described; the stored file
        is deleted when no other upload has the same bytes."""
        svc.remove_evidence(services, principal, submission_id, evidence_id)
