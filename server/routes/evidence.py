"""`/api/submissions/{id}/evidence`: attaching files to a draft and reading them back.

Registered by `create_app` under its own body limit (`max_evidence_bytes` plus the
multipart framing), so a file up to the evidence limit is accepted while JSON bodies
elsewhere stay under `max_body_bytes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, MultipartBody
from litestar.response import File

from server.auth import Principal
from server.deps import Services
from server.services import evidence as svc

__all__ = ["EvidenceController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


@dataclass
class EvidenceForm:
    file: UploadFile
    node_id: str | None = None


class EvidenceController(Controller):
    path = "/api/submissions/{submission_id:int}/evidence"
    tags = ["submissions"]

    @post(
        "/",
        operation_id="uploadEvidence",
        status_code=201,
        sync_to_thread=True,
        opt={"file_limit": "max_evidence_bytes"},  # what a 413 here names
    )
    def upload_evidence(
        self,
        services: Svc,
        principal: Who,
        submission_id: FromPath[int],
        data: MultipartBody[EvidenceForm],
    ) -> dict[str, Any]:
        """Attach a file (`file`, optional `node_id`); the same bytes are stored once."""
        return svc.add_evidence(services, principal, submission_id, data.file, data.node_id)

    @get(
        "/{evidence_id:int}",
        operation_id="downloadEvidence",
        sync_to_thread=True,
        media_type="application/octet-stream",  # the schema's; each file has its own type
    )
    def download_evidence(
        self,
        services: Svc,
        principal: Who,
        submission_id: FromPath[int],
        evidence_id: FromPath[int],
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
