"""Office files over HTTP: the annex and the change list out, criteria tables in.

The same checks as the data they carry: an annex is read as `methodology.read` reads the
version (anyone for a release, signed-in users for drafts), the change list as the diff
is, and a table is imported as `methodology.edit` writes. The files themselves are made
and read by `server.office`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from methodology import Store
from server.auth import Principal, require
from server.errors import BadRequest
from server.office import (
    DOCX,
    XLSX,
    annex_docx,
    annex_filename,
    annex_xlsx,
    changes_docx,
    changes_filename,
    draft_branch,
    plan_import,
    read_table,
    write_import,
)
from server.services.methodologies import diff_view, methodology_scope, read_version

__all__ = ["DOCX", "XLSX", "OfficeFile", "annex_file", "changes_file", "import_table"]

# A draft branch name git accepts and a person can read: nhap/par-provincial-2026, …
_BRANCH = re.compile(r"^(?!.*(\.\.|//|@\{|\.lock$|/$|\.$))[a-z0-9][a-z0-9._/-]{0,99}$")


@dataclass(frozen=True)
class OfficeFile:
    """A document to send: its bytes, its (Vietnamese) file name and media type."""

    data: bytes
    filename: str
    media_type: str


def annex_file(
    store: Store, principal: Principal, slug: str, ref: str | None, kind: str
) -> OfficeFile:
    """The annex of ``slug`` at ``ref`` as ``kind`` (``docx`` or ``xlsx``), for whoever
    may read that version (without a ref, anonymous readers get the latest release)."""
    m = read_version(store, principal, slug, ref)
    releases = store.releases(slug)
    if kind == "xlsx":
        return OfficeFile(annex_xlsx(m, releases), annex_filename(m, "xlsx"), XLSX)
    return OfficeFile(annex_docx(m, releases), annex_filename(m, "docx"), DOCX)


def changes_file(
    store: Store, principal: Principal, slug: str, from_ref: str, to_ref: str
) -> OfficeFile:
    """The change list from ``from_ref`` to ``to_ref`` (``<other>@<ref>`` allowed, as in
    the diff) as a Word document."""
    view = diff_view(store, principal, slug, from_ref, to_ref)
    releases = store.releases()
    data = changes_docx(view.source, view.target, releases)
    return OfficeFile(data, changes_filename(view.source, view.target), DOCX)


def import_table(
    store: Store,
    principal: Principal,
    slug: str,
    data: bytes,
    filename: str,
    *,
    message: str | None,
    branch: str | None,
    base: str | None,
    dry_run: bool,
) -> dict[str, Any]:
    """Read a criteria table into a commit on a draft branch (none with ``dry_run``, or
    when it changes nothing): the diff from the version it was compared with, the branch
    and the commit."""
    require(principal, "methodology.edit", **methodology_scope(store, slug))
    if branch is not None and not _BRANCH.match(branch):
        raise BadRequest(
            f"'{branch}' không dùng được làm tên nhánh",
            [{"path": "$.branch", "message": "chữ thường, số, '.', '_', '-' và '/'"}],
        )
    if not dry_run and not (message or "").strip():
        raise BadRequest(
            "cần nội dung commit (message), hoặc dry_run để chỉ xem thay đổi",
            [{"path": "$.message", "message": "required unless dry_run"}],
        )
    table = read_table(data, filename)
    target = branch or draft_branch(store, slug)
    if base is None and branch is not None and store.head(branch) is not None:
        base = branch
    plan = plan_import(store, slug, table, base)
    commit = None
    if not dry_run:
        commit = write_import(
            store,
            plan,
            author=principal.person(),
            message=str(message).strip(),
            branch=target,
        )
    return {
        "branch": target if commit else None,
        "commit": commit,
        "written": commit is not None,
        "diff": plan.diff.to_json(),
    }
