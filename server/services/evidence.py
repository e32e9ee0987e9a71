"""Evidence files: stored once by content, described by one row per upload.

A file lives at `<evidence_dir>/<first two hex digits>/<sha256>`: it is streamed to a
temporary file in the evidence folder while its hash and size are computed, then renamed
into place (atomic on one file system), or dropped when that content is already stored.
So the same bytes are on disk once however often they are uploaded, while every upload
gets its own `evidence` row (who attached it, to which submission and node, when), as
the audit needs. A row whose transaction fails leaves at most an unreferenced file,
which a later upload of the same bytes reuses.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlmodel import Session

from rules import did_you_mean
from server.app import Services
from server.auth import Principal, record, require
from server.errors import ApiError, BadRequest, PayloadTooLarge, Unprocessable
from server.models import Evidence, Submission
from server.services.submissions import (
    claim,
    ensure_draft,
    evidence_json,
    nfc_name,
    open_version,
    write_submission,
)

__all__ = ["UnsupportedMediaType", "add_evidence", "blob_path", "store_blob"]

CHUNK = 1 << 16

# Leading bytes of the binary types accepted by default; a declared type that the
# content contradicts is refused, so a renamed executable is not stored as a "PDF".
MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}


class UnsupportedMediaType(ApiError):
    status, title = 415, "Unsupported media type"


def blob_path(evidence_dir: Path, sha256: str) -> Path:
    return evidence_dir / sha256[:2] / sha256


def store_blob(
    evidence_dir: Path,
    source: IO[bytes],
    max_bytes: int,
    check: Callable[[bytes, int], None] | None = None,
) -> tuple[str, int]:
    """Copy ``source`` into the store; (sha256, size). 413 past ``max_bytes``; ``check``
    sees the first bytes and the size before anything is kept."""
    evidence_dir.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=evidence_dir)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(
                        f"the file is larger than {max_bytes} bytes",
                        [{"path": "$.file", "message": f"at most {max_bytes} bytes"}],
                    )
                if len(head) < 512:
                    head += chunk[: 512 - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if check is not None:
            check(head, size)
        sha = digest.hexdigest()
        target = blob_path(evidence_dir, sha)
        if target.exists():
            os.unlink(tmp)
        else:
            target.parent.mkdir(exist_ok=True)
            os.replace(tmp, target)
        return sha, size
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _media_type(declared: str | None, accepted: tuple[str, ...]) -> str:
    media = (declared or "").split(";", 1)[0].strip().lower()
    if media not in accepted:
        raise UnsupportedMediaType(
            f"'{media or 'unknown'}' is not accepted as evidence",
            [{"path": "$.file", "message": f"accepted: {', '.join(accepted)}"}],
        )
    return media


def _check_content(media: str, head: bytes, size: int) -> None:
    magic = MAGIC.get(media)
    bad = magic is not None and not head.startswith(magic)
    if media == "text/plain":
        bad = b"\x00" in head
    if size == 0:
        raise Unprocessable("the file is empty", [{"path": "$.file", "message": "empty"}])
    if bad:
        raise Unprocessable(
            f"the content is not {media}",
            [{"path": "$.file", "message": f"the bytes do not match the declared type {media}"}],
        )


def _filename(name: str | None) -> str:
    base = re.split(r"[\\/]", nfc_name(name or ""))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:300] or "evidence"


def add_evidence(
    services: Services,
    principal: Principal,
    submission_id: int,
    upload: Any,
    node_id: str | None,
) -> dict[str, Any]:
    """Attach an uploaded file to a draft (optionally to one node). The row is claimed
    without a new revision, so an upload racing a submit either lands before it or is
    refused as the submitted submission's would be."""
    settings = services.settings

    def change(session: Session, row: Submission) -> dict[str, Any]:
        nonlocal node_id
        require(principal, "submission.evidence", unit_id=row.unit_id)
        ensure_draft(row)
        media = _media_type(upload.content_type, settings.evidence_types)
        if node_id is not None and node_id != "":
            m = open_version(services.store, row.methodology, row.ref)
            if node_id not in m.nodes:
                hint = did_you_mean(node_id, list(m.nodes))
                raise Unprocessable(
                    f"no node '{node_id}' in {row.methodology}",
                    [
                        {
                            "path": "$.node_id",
                            "message": "unknown node" + (f" ({hint})" if hint else ""),
                        }
                    ],
                )
        else:
            node_id = None
        if upload.file is None:
            raise BadRequest("send the file as `file`", [{"path": "$.file", "message": "required"}])
        upload.file.seek(0)
        sha, size = store_blob(
            settings.evidence_dir,
            upload.file,
            settings.max_evidence_bytes,
            lambda head, size: _check_content(media, head, size),
        )
        claim(session, row, bump=False)
        evidence = Evidence(
            submission_id=row.id,
            node_id=node_id,
            filename=_filename(upload.filename),
            media_type=media,
            size=size,
            sha256=sha,
            uploaded_by=principal.id,
        )
        session.add(evidence)
        session.flush()
        after = evidence_json(evidence)
        record(session, principal, "submission.evidence", "evidence", str(evidence.id), None, after)
        return after

    return write_submission(services, principal, submission_id, "submission.evidence", change)
