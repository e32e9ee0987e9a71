"""Who is calling, and what they may do.

Tokens are `pdx_<prefix>_<secret>`: the prefix finds the row, the secret is checked
against an argon2 hash, so the database never holds a usable token. `require` is the one
place that decides; handlers call it before any write, so a refused request changes
nothing.

| action                 | allowed to                                                        |
|------------------------|-------------------------------------------------------------------|
| methodology.read       | anyone for a released version; any signed-in user otherwise       |
| methodology.edit       | ministry_editor (national); province_editor (own province's)      |
| methodology.release    | ministry_editor (national); province_editor (own province's)      |
| methodology.create     | ministry_editor; province_editor (own province's, derived only)   |
| methodology.rebase     | ministry_editor; province_editor (own province's)                 |
| unit.create            | admin, ministry_editor, province_editor (own province)            |
| cohort.create/join     | as unit.create, for the province owning the cohort's methodology  |
| submission.create/edit | unit_submitter of that unit, while the submission is a draft      |
| submission.read        | its unit's submitter, appraiser, auditor, editors, admin          |
| appraisal.create       | appraiser, on a submitted submission                              |
| submission.reopen      | appraiser (a submitted or appraised submission, else 409)         |
| survey.import          | appraiser, auditor, admin                                         |
| evaluation.run         | auditor, appraiser, editors, admin; a submitter for own unit      |
| ranking.read           | auditor, appraiser, editors, admin                                |
| analysis.run           | auditor, appraiser, editors, admin                                |
| analysis.read          | auditor, appraiser, editors, admin                                |

`admin` may do everything.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from litestar import Request
from sqlmodel import Session, select

from methodology import Person
from server.errors import Forbidden, Unauthorized
from server.models import ApiToken, AuditEntry, User

__all__ = [
    "ANONYMOUS",
    "Principal",
    "issue_token",
    "principal_for",
    "provide_principal",
    "record",
    "require",
]

_hasher = PasswordHasher()
NATIONAL_EDITORS = ("ministry_editor",)
EDITORS = ("ministry_editor", "province_editor")


@dataclass(frozen=True)
class Principal:
    id: int | None
    name: str
    role: str
    province: str | None = None
    unit_id: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.id is None

    def person(self) -> Person:
        """The git identity of this user's methodology commits."""
        return Person(self.name, f"user-{self.id}@parindex.invalid")


ANONYMOUS = Principal(None, "anonymous", "anonymous")


def issue_token(session: Session, user: User) -> str:
    """Create a token for ``user``; the plain token is returned once and never stored."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    session.add(ApiToken(user_id=user.id, prefix=prefix, token_hash=_hasher.hash(secret)))
    return f"pdx_{prefix}_{secret}"


def principal_for(session: Session, header: str | None) -> Principal:
    """The caller named by an `Authorization: Bearer` header (anonymous without one)."""
    if not header:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith("pdx_") or token.count("_") < 2:
        raise Unauthorized(
            "send `Authorization: Bearer pdx_…` with a token from `parindex user add`"
        )
    _, prefix, secret = token.split("_", 2)
    row = session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).first()
    if row is None or row.revoked_at is not None:
        raise Unauthorized("unknown or revoked token")
    try:
        _hasher.verify(row.token_hash, secret)
    except VerificationError:
        raise Unauthorized("unknown or revoked token") from None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthorized("the token's user is disabled")
    return Principal(user.id, user.name, user.role, user.province, user.unit_id)


def provide_principal(request: Request) -> Principal:
    """Litestar dependency `principal` (tokens are checked once per request)."""
    cached = request.scope.get("parindex_principal")
    if cached is not None:
        return cached
    services = request.app.state.services
    header = request.headers.get("authorization")
    principal = services.tokens.get(header) if header else ANONYMOUS
    if principal is None:
        with Session(services.db) as session:
            principal = principal_for(session, header)
        services.tokens.put(header, principal)
    request.scope["parindex_principal"] = principal  # type: ignore[typeddict-unknown-key]
    return principal


class TokenCache:
    """Verified tokens for a short while: argon2 is slow on purpose, once is enough.

    Keys are SHA-256 digests of the header, so the cache never holds a usable token;
    a revoked or disabled user is refused again within ``ttl`` seconds.
    """

    def __init__(self, ttl: float = 60.0, size: int = 1024) -> None:
        self.ttl, self.size = ttl, size
        self._entries: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(header: str) -> str:
        return hashlib.sha256(header.encode("utf-8")).hexdigest()

    def get(self, header: str) -> Principal | None:
        with self._lock:
            entry = self._entries.get(self._key(header))
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, header: str | None, principal: Principal) -> None:
        if not header or principal.anonymous:
            return
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[self._key(header)] = (principal, time.monotonic() + self.ttl)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def require(principal: Principal, action: str, **scope: Any) -> None:
    """Raise Unauthorized or Forbidden unless ``principal`` may do ``action`` in ``scope``.

    Scope keys: `released` (bool), `province` (the methodology's or unit's owner province,
    None for national), `derived` (bool), `unit_id`, `status` (a submission's status).
    """
    if action == "methodology.read" and scope.get("released"):
        return
    if principal.anonymous:
        raise Unauthorized(f"sign in to {action.replace('.', ' ')}")
    role = principal.role
    if role == "admin":
        return
    if not _allowed(principal, action, scope):
        raise Forbidden(f"a {role} may not {action.replace('.', ' ')}" + _scope_text(scope))


def _allowed(p: Principal, action: str, scope: dict[str, Any]) -> bool:
    role, province = p.role, scope.get("province")
    own_province = role == "province_editor" and province is not None and province == p.province
    if action == "methodology.read":
        return True
    if action in ("methodology.edit", "methodology.release", "methodology.rebase"):
        return (role == "ministry_editor" and province is None) or own_province
    if action == "methodology.create":
        return (role == "ministry_editor" and province is None) or (
            own_province and scope.get("derived", False)
        )
    if action in ("unit.create", "cohort.create", "cohort.join"):
        return role == "ministry_editor" or own_province
    if action in (
        "submission.create",
        "submission.edit",
        "submission.evidence",
        "submission.submit",
    ):
        return (
            role == "unit_submitter"
            and p.unit_id == scope.get("unit_id")
            and scope.get("status", "draft") == "draft"
        )
    if action == "submission.read":
        return role in ("appraiser", "auditor", *EDITORS) or (
            role == "unit_submitter" and p.unit_id == scope.get("unit_id")
        )
    if action == "appraisal.create":
        return role == "appraiser" and scope.get("status") in ("submitted", "appraised")
    if action == "submission.reopen":
        return role == "appraiser"
    if action == "survey.import":
        return role in ("appraiser", "auditor")
    if action == "evaluation.run":
        return role in ("auditor", "appraiser", *EDITORS) or (
            role == "unit_submitter" and p.unit_id is not None and p.unit_id == scope.get("unit_id")
        )
    if action in ("ranking.read", "analysis.run", "analysis.read"):
        return role in ("auditor", "appraiser", *EDITORS)
    return False


def _scope_text(scope: dict[str, Any]) -> str:
    parts = [f"{k}={v}" for k, v in scope.items() if v is not None and k != "released"]
    return f" ({', '.join(parts)})" if parts else ""


def record(
    session: Session,
    principal: Principal,
    action: str,
    entity: str,
    entity_id: str,
    before: Any = None,
    after: Any = None,
) -> None:
    """Append one audit entry in the caller's transaction (it commits with the change)."""
    session.add(
        AuditEntry(
            user_id=principal.id,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before=before,
            after=after,
        )
    )
