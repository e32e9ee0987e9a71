"""Evidence files: stored once by content, described by one row per upload.

A file lives at `<evidence_dir>/<first two hex digits>/<sha256>`: it is streamed to a
temporary file in the evidence folder while its hash and size are computed, then renamed
into place (atomic on one file system), or dropped when that content is already stored.
So the same bytes are on disk once however often they are uploaded, while every upload
gets its own `evidence` row (who attached it, to which submission and node, when), as
the audit needs. A row whose transaction fails leaves at most an unreferenced file,
which a later upload of the same bytes reuses.

A submitter may remove a file from a draft (`remove_evidence`): the row goes, its audit
entry keeps what it was (name, type, size, SHA-256, who uploaded it), and the file goes
too once no other row refers to its bytes (see `remove_evidence` for why).

Accepted formats are those units attach (`FORMATS`: PDF, Word and Excel old and new,
OpenDocument, common images, plain text); the declared media type must be accepted and
the first bytes must agree with it. Clients that declare nothing useful
(`application/octet-stream`, as curl does for a .docx, or no type at all, which multipart
reads as text/plain) get the type of the file name's extension, checked against the bytes the same way. A file is served back with its
stored type, as an attachment, under its NFC file name (RFC 5987/6266).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import quote

from sqlalchemy import func, text
from sqlmodel import Session, select

from rules import did_you_mean
from server.auth import Principal, record
from server.db import session_scope
from server.deps import Services
from server.errors import (
    ApiError,
    BadRequest,
    NotFound,
    Unprocessable,
    UnsupportedMediaType,
    too_large,
)
from server.format import parse_date
from server.models import DOCUMENT_PARTS, Evidence, Submission, stored_id
from server.services.requirements import check_node_scope, require_read, require_write
from server.services.submissions import (
    claim,
    ensure_draft,
    evidence_json,
    load_submission,
    nfc_name,
    open_version,
    write_submission,
)
from server.services.windows import check_self_assessment

__all__ = [
    "FORMATS",
    "MULTIPART_SLACK",
    "UnsupportedMediaType",
    "add_evidence",
    "blob_path",
    "content_disposition",
    "document_parts",
    "evidence_file",
    "remove_evidence",
    "store_blob",
]

CHUNK = 1 << 16
# What a multipart body adds around the file (boundaries, part headers, `node_id`): the
# upload route accepts max_evidence_bytes plus this, and the file itself is then held to
# max_evidence_bytes exactly, so the 413 names the file's limit.
MULTIPART_SLACK = 64 * 1024

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc and .xls (Compound File Binary)
_ZIP = b"PK\x03\x04"  # .docx, .xlsx, .odt, .ods


@dataclass(frozen=True)
class Format:
    """An evidence format: its extensions and the leading bytes its content starts with
    (any of ``magic``; none means text without NUL bytes)."""

    extensions: tuple[str, ...]
    magic: tuple[bytes, ...] = ()


# A declared type that the content contradicts is refused, so a renamed executable is
# not stored as a "PDF".
FORMATS: dict[str, Format] = {
    "application/pdf": Format((".pdf",), (b"%PDF-",)),
    "application/msword": Format((".doc",), (_OLE2,)),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": Format(
        (".docx",), (_ZIP,)
    ),
    "application/vnd.ms-excel": Format((".xls",), (_OLE2,)),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": Format(
        (".xlsx",), (_ZIP,)
    ),
    "application/vnd.oasis.opendocument.text": Format((".odt",), (_ZIP,)),
    "application/vnd.oasis.opendocument.spreadsheet": Format((".ods",), (_ZIP,)),
    "image/jpeg": Format((".jpg", ".jpeg"), (b"\xff\xd8\xff",)),
    "image/png": Format((".png",), (b"\x89PNG\r\n\x1a\n",)),
    "image/gif": Format((".gif",), (b"GIF87a", b"GIF89a")),
    "image/webp": Format((".webp",), (b"RIFF",)),
    "image/tiff": Format((".tif", ".tiff"), (b"II*\x00", b"MM\x00*")),
    "text/plain": Format((".txt",)),
}
# Names some clients still send for the types above.
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
UNDECLARED = ("", "application/octet-stream", "binary/octet-stream")


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
                    raise too_large("tệp tải lên", max_bytes, "$.file")
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


def _media_type(declared: str | None, filename: str, accepted: tuple[str, ...]) -> str:
    """The media type to store: the declared one, or the extension's when none is declared."""
    media = (declared or "").split(";", 1)[0].strip().lower()
    media = ALIASES.get(media, media)
    suffix = PurePosixPath(filename.lower()).suffix
    by_extension = next((m for m, f in FORMATS.items() if suffix in f.extensions), None)
    # A part without a Content-Type is text/plain by RFC 7578, whatever the file is.
    if by_extension and (media in UNDECLARED or media == "text/plain"):
        media = by_extension
    if media not in accepted:
        extensions = [e for m in accepted for e in FORMATS.get(m, Format(())).extensions]
        raise UnsupportedMediaType(
            f"không nhận tệp loại '{media or 'không rõ'}' làm minh chứng",
            [
                {
                    "path": "$.file",
                    "message": f"nhận: {', '.join(extensions or accepted)} ({', '.join(accepted)})",
                }
            ],
        )
    return media


def _check_content(media: str, head: bytes, size: int) -> None:
    if size == 0:
        raise Unprocessable("tệp rỗng", [{"path": "$.file", "message": "tệp không có nội dung"}])
    known = FORMATS.get(media)
    # Without leading bytes to match (text, or a type added by settings): no NUL bytes.
    bad = not head.startswith(known.magic) if known and known.magic else b"\x00" in head
    if media == "image/webp":
        bad = bad or head[8:12] != b"WEBP"
    if media.startswith("application/vnd.oasis.opendocument.") and head[30:38] == b"mimetype":
        # OpenDocument stores its own type first, uncompressed: an .ods is not an .odt.
        bad = bad or head[38 : 38 + len(media)] != media.encode("ascii")
    if bad:
        raise Unprocessable(
            f"nội dung tệp không phải {media}",
            [{"path": "$.file", "message": f"các byte đầu không khớp với loại khai báo {media}"}],
        )


def _filename(name: str | None) -> str:
    base = re.split(r"[\\/]", nfc_name(name or ""))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return base[:300] or "evidence"


# The parts of a document an upload may say it is (`Submission.documents`' but the
# giải trình, which explains a missing document and so never goes with a file).
FILE_PARTS = ("number", "date", "title", "issuer")


def document_parts(data: Any) -> dict[str, str]:
    """The document an upload says the file is, checked as `documents` entries are: each
    part 1 to its limit of characters once trimmed, the date a date people type (stored
    ISO); 422 naming every part that is not. Empty parts are left out."""
    out: dict[str, str] = {}
    problems: list[dict[str, str]] = []
    for part in FILE_PARTS:
        raw = data.get(part) if isinstance(data, dict) else getattr(data, part, None)
        text = nfc_name(raw) if isinstance(raw, str) else ""
        if not text:
            continue
        if part == "date":
            try:
                text = parse_date(text).isoformat()
            except ValueError as exc:
                problems.append({"path": "$.date", "message": str(exc)})
                continue
        if len(text) > DOCUMENT_PARTS[part]:
            problems.append(
                {"path": f"$.{part}", "message": f"tối đa {DOCUMENT_PARTS[part]} ký tự"}
            )
            continue
        out[part] = text
    if problems:
        raise Unprocessable("thông tin văn bản của minh chứng không hợp lệ", problems)
    return out


def add_evidence(
    services: Services,
    principal: Principal,
    submission_id: int,
    upload: Any,
    node_id: str | None,
    document: Any = None,
) -> dict[str, Any]:
    """Attach an uploaded file to a draft (optionally to one node), with the document
    it is (`document_parts`). The row is claimed without a new revision, so an upload
    racing a submit either lands before it or is refused as the submitted submission's
    would be."""
    settings = services.settings
    parts = document_parts(document)

    def change(session: Session, row: Submission) -> dict[str, Any]:
        nonlocal node_id
        scope = require_write(session, principal, row, "submission.evidence")
        ensure_draft(row)
        check_self_assessment(session, row)  # the period's deadline locks the files too
        media = _media_type(upload.content_type, upload.filename or "", settings.evidence_types)
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
        if scope is not None:
            m = open_version(services.store, row.methodology, row.ref)
            check_node_scope(session, scope, principal, row, m, node_id)
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
        _hold_blob(session, sha)
        if not blob_path(settings.evidence_dir, sha).is_file():
            # A removal of the last row with these bytes dropped the file between
            # `store_blob` and the lock: store them again, now that nothing can drop them.
            upload.file.seek(0)
            store_blob(settings.evidence_dir, upload.file, settings.max_evidence_bytes)
        evidence = Evidence(
            submission_id=stored_id(row),
            node_id=node_id,
            filename=_filename(upload.filename),
            media_type=media,
            size=size,
            sha256=sha,
            uploaded_by=principal.id,
            number=parts.get("number"),
            date=parts.get("date"),
            title=parts.get("title"),
            issuer=parts.get("issuer"),
        )
        session.add(evidence)
        session.flush()
        after = evidence_json(evidence)
        record(session, principal, "submission.evidence", "evidence", str(evidence.id), None, after)
        return after

    return write_submission(services, principal, submission_id, "submission.evidence", change)


def _hold_blob(session: Session, sha256: str) -> None:
    """Serialise the writers of one stored file until the transaction ends: an upload
    that reuses it and a removal that drops it. On SQLite the write lock `claim` took
    already does; on PostgreSQL the row lock covers one submission only, and the same
    bytes may belong to several, so a transaction-scoped advisory lock on the hash."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(bytes.fromhex(sha256[:16]), "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def remove_evidence(
    services: Services, principal: Principal, submission_id: int, evidence_id: int
) -> dict[str, Any]:
    """Remove an evidence file from a draft, for those who may attach one (the row as it
    was). 404 for an id not of this submission, 409 once the submission is submitted.

    The row is deleted; the audit entry (`submission.evidence.remove`) keeps what it
    described, hash included. The stored file is deleted as well when no other row
    refers to the same bytes: a draft's evidence has been seen by nobody but its unit,
    no appraisal or result relies on it, and a file removed because it was the wrong
    one (or held personal data) must not stay on the server unseen and unreachable: no
    route serves a file without its row. Files that submitted submissions refer to are
    never touched, since their rows cannot be removed.

    Consistency: the last reference is checked and the file moved aside inside the
    transaction, under the lock an upload of the same bytes also takes (`_hold_blob`),
    so an upload either lands before (and the file stays) or after (and stores the
    bytes again); the moved file is deleted once the row's deletion has committed, and
    put back if it did not."""
    evidence_dir = services.settings.evidence_dir
    aside: list[tuple[Path, Path]] = []

    def change(session: Session, row: Submission) -> dict[str, Any]:
        scope = require_write(session, principal, row, "submission.evidence")
        evidence = session.get(Evidence, evidence_id)
        if evidence is None or evidence.submission_id != row.id:
            raise NotFound(f"hồ sơ {submission_id} không có minh chứng {evidence_id}")
        if scope is not None:
            m = open_version(services.store, row.methodology, row.ref)
            check_node_scope(session, scope, principal, row, m, evidence.node_id)
        ensure_draft(row)
        check_self_assessment(session, row)
        claim(session, row, bump=False)
        _hold_blob(session, evidence.sha256)
        before = evidence_json(evidence)
        session.delete(evidence)
        session.flush()
        record(
            session, principal, "submission.evidence.remove", "evidence", str(evidence_id), before
        )
        others = session.exec(
            select(func.count()).select_from(Evidence).where(Evidence.sha256 == evidence.sha256)
        ).one()
        stored = blob_path(evidence_dir, evidence.sha256)
        if others == 0 and stored.is_file():
            moved = stored.with_name(f".removed-{evidence.sha256}-{os.getpid()}-{id(aside)}")
            os.replace(stored, moved)
            aside.append((moved, stored))
        return before

    try:
        removed = write_submission(
            services, principal, submission_id, "submission.evidence", change
        )
    except BaseException:
        for moved, stored in aside:
            if not stored.exists():
                os.replace(moved, stored)
            else:
                moved.unlink(missing_ok=True)
        raise
    for moved, _ in aside:
        moved.unlink(missing_ok=True)
    return removed


def evidence_file(
    services: Services, principal: Principal, submission_id: int, evidence_id: int
) -> tuple[Evidence, Path]:
    """An evidence row and its stored file, for whoever may read the submission (ids
    are bounded at the HTTP boundary, `schemas.IdParam`)."""
    with session_scope(services.db) as session:
        row = load_submission(session, principal, submission_id, "submission.read")
        require_read(session, principal, row)
        evidence = session.get(Evidence, evidence_id)
        if evidence is None or evidence.submission_id != row.id:
            raise NotFound(f"hồ sơ {submission_id} không có minh chứng {evidence_id}")
    path = blob_path(services.settings.evidence_dir, evidence.sha256)
    if not path.is_file():
        raise ApiError(f"tệp của minh chứng {evidence_id} không còn trong kho lưu trữ")
    return evidence, path


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the NFC name RFC 5987-encoded, so a
    Vietnamese name arrives intact in every current browser and degrades readably."""
    name = unicodedata.normalize("NFC", filename)
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    plain = re.sub(r'[^\x20-\x7e]|["\\]', "_", plain)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
