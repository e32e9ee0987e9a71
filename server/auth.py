"""Who is calling, and what they may do.

Tokens are `pdx_<prefix>_<secret>`: the prefix finds the row, the secret is checked
against an HMAC-SHA256 of it under the server's key (`Settings.token_key_path`), so the
database never holds a usable token and checking one costs microseconds. Tokens are
random 192-bit secrets, so a slow password hash buys nothing and made every wrong guess
cost ~0.5 s and 64 MiB; argon2 is for passwords people choose. Rows hashed with argon2
by earlier versions still work: the first successful use re-hashes them with the key
(the secret is needed for that, so no migration can do it), and at most
`_ARGON2_AT_ONCE` argon2 checks run at a time. Failed sign-ins are counted per client
address and per token prefix (`FailureLimiter`): past the limit the answer is 429.

`require` is the one place that decides; handlers call it before any write, so a
refused request changes nothing.

| action                 | allowed to                                                        |
|------------------------|-------------------------------------------------------------------|
| methodology.read       | anyone for a released version; any signed-in user otherwise       |
| methodology.edit       | ministry_editor (national); province_editor (own province's)      |
| methodology.release    | ministry_editor (national); province_editor (own province's)      |
| methodology.create     | ministry_editor; province_editor (own province's, derived only)   |
| methodology.rebase     | ministry_editor; province_editor (own province's)                 |
| unit.create            | admin, ministry_editor, province_editor (own province)            |
| cohort.create/join     | as unit.create, for the province owning the cohort's methodology  |
| submission.create/edit | unit_submitter of that unit, while it is a draft or returned      |
| submission.read        | its unit's submitter, appraiser, auditor, editors, admin; the      |
|                        | submitters of the units its criteria are assigned to              |
| submission.contribute  | unit_submitter of a unit assigned criteria of the draft (its      |
|                        | nodes only: `services.requirements.check_write`)                  |
| assignment.manage      | the focal point: unit_submitter of the unit, or province_editor    |
|                        | of its province, while the submission is a draft                  |
| assignment.done        | unit_submitter of the assigned unit, or of the submission's unit  |
| appraisal.create       | appraiser, on a submitted, resubmitted, appraised or council one  |
| appraisal.council      | appraiser (an appraised submission goes to round 2, else 409)     |
| submission.return      | appraiser (a submitted or resubmitted one, for supplement)        |
| submission.reopen      | appraiser (a submitted, resubmitted, appraised or council one)    |
| submission.unlock      | admin only (back to a draft, with a reason)                       |
| period.read            | any signed-in user                                                |
| period.manage          | ministry_editor (national cohorts); province_editor (own province's) |
| period.extend          | admin only (one unit's self-assessment deadline, with a reason)   |
| survey.import          | appraiser, auditor, admin                                         |
| evaluation.run         | auditor, appraiser, editors, admin; a submitter for own unit      |
| ranking.read           | anyone for a published ranking; auditor, appraiser, editors, admin |
| ranking.publish        | ministry_editor (national cohorts); province_editor (own province's) |
| objection.file         | unit_submitter of that unit (a preliminary result, its window open) |
| objection.answer       | appraiser (accepting also needs appraisal.create)                 |
| objection.read         | auditor, appraiser, editors, admin; a submitter for own unit      |
| analysis.run           | auditor, appraiser, editors, admin                                |
| analysis.read          | auditor, appraiser, editors, admin                                |
| user.manage            | admin only (disable users, issue and revoke tokens)               |

`admin` may do everything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Request
from sqlmodel import Session, select

from methodology import Person
from server.errors import ApiError, Forbidden, Unauthorized
from server.models import ApiToken, AuditEntry, User, stored_id, utcnow
from server.settings import Settings
from server.transitions import APPRAISABLE, EDITABLE

__all__ = [
    "ANONYMOUS",
    "FailureLimiter",
    "Principal",
    "SharedFailureLimiter",
    "TokenKeyError",
    "TooManyRequests",
    "check_password",
    "failure_limiter",
    "hash_password",
    "issue_token",
    "load_token_key",
    "may",
    "principal_for",
    "principal_of",
    "provide_principal",
    "record",
    "require",
    "token_digest",
]

_hasher = PasswordHasher()
HMAC_SCHEME = "hmac-sha256$"
_ARGON2_AT_ONCE = threading.BoundedSemaphore(2)  # each check holds 64 MiB for ~0.5 s
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


class TokenKeyError(OSError):
    """The token key file is unusable (an OSError, so the CLI prints it as one line)."""


def load_token_key(path: Path) -> bytes:
    """The server's token key, created (32 random bytes, hex, mode 0600) when missing."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return load_token_key(path)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        return load_token_key(path)
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise TokenKeyError(
            f"{path}: the token key must be at least 64 hex digits "
            "(delete the file to create a new key; every issued token then stops working)"
        )
    return key


def token_digest(key: bytes, prefix: str, secret: str) -> str:
    """The stored form of a token: HMAC-SHA256 over prefix and secret under ``key``."""
    mac = hmac.new(key, f"{prefix}_{secret}".encode(), hashlib.sha256).hexdigest()
    return HMAC_SCHEME + mac


def issue_token(
    session: Session, user: User, key: bytes, *, expires_at: dt.datetime | None = None
) -> str:
    """Create a token for ``user``; the plain token is returned once and never stored."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    session.add(
        ApiToken(
            user_id=stored_id(user),
            prefix=prefix,
            token_hash=token_digest(key, prefix, secret),
            expires_at=expires_at,
        )
    )
    return f"pdx_{prefix}_{secret}"


_MALFORMED = "gửi `Authorization: Bearer pdx_…` với token do `parindex user add` cấp"
_WRONG = "token không đúng hoặc không tồn tại"


def token_prefix(header: str) -> str | None:
    """The prefix of a well-formed bearer header, else None."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith("pdx_") or token.count("_") < 2:
        return None
    return token.split("_", 2)[1]


def principal_for(session: Session, header: str | None, key: bytes) -> Principal:
    """The caller named by an `Authorization: Bearer` header (anonymous without one).

    Unauthorized for a malformed, unknown, wrong, revoked or expired token or a disabled
    user; only a caller holding the right secret learns which of the last three it is."""
    if not header:
        return ANONYMOUS
    prefix = token_prefix(header)
    if prefix is None:
        raise Unauthorized(_MALFORMED)
    secret = header.partition(" ")[2].split("_", 2)[2]
    row = session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).first()
    if row is None or not _verify(session, row, key, secret):
        raise Unauthorized(_WRONG)
    if row.revoked_at is not None:
        raise Unauthorized(f"token {prefix} đã bị thu hồi lúc {_when(row.revoked_at)}")
    if row.expires_at is not None and row.expires_at <= utcnow():
        raise Unauthorized(
            f"token {prefix} đã hết hạn lúc {_when(row.expires_at)}; "
            "xin quản trị viên cấp token mới"
        )
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthorized("người dùng của token này đã bị vô hiệu hoá")
    return Principal(user.id, user.name, user.role, user.province, user.unit_id)


def principal_of(user: User | None) -> Principal:
    """The principal of a signed-in page visitor: anonymous once the user is gone or
    disabled, so disabling someone ends their page sessions from the next request."""
    if user is None or not user.active or user.id is None:
        return ANONYMOUS
    return Principal(user.id, user.name, user.role, user.province, user.unit_id)


# A fixed hash to check against when the name is unknown, so that a wrong name costs
# the same time as a wrong password and timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash("parindex: no such user")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    """argon2id of a password a person chose (refused when shorter than 8 characters)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự")
    return _hasher.hash(password)


def check_password(session: Session, name: str, password: str) -> User | None:
    """The active user called ``name`` whose password this is, else None."""
    user = session.exec(select(User).where(User.name == name)).first()
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    with _ARGON2_AT_ONCE:
        try:
            _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
    if user is None or not user.password_hash or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.add(user)
        session.commit()
    return user


def _when(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _verify(session: Session, row: ApiToken, key: bytes, secret: str) -> bool:
    expected = token_digest(key, row.prefix, secret)
    if row.token_hash.startswith(HMAC_SCHEME):
        return hmac.compare_digest(row.token_hash, expected)
    with _ARGON2_AT_ONCE:
        try:
            _hasher.verify(row.token_hash, secret)
        except (VerificationError, InvalidHashError):
            return False
    row.token_hash = expected  # upgraded once: the next use is an HMAC check
    session.add(row)
    session.commit()
    return True


class TooManyRequests(ApiError):
    status, title = 429, "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.headers = {"Retry-After": str(retry_after)}


class FailureLimiter:
    """Failed sign-ins per key (a client address, a token prefix) in a sliding window.

    In memory, per process: it bounds what one server spends on wrong tokens, it is not
    an account lockout. At most ``keys`` keys are tracked; past that the oldest go."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        keys: int = 10_000,
    ) -> None:
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, keys
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: Sequence[str]) -> int | None:
        """Seconds until ``keys`` may try again, or None when none is over the limit."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._prune(key, now)
                if times is not None and len(times) >= self.limit:
                    wait = max(wait, times[len(times) - self.limit] + self.window - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, keys: Sequence[str]) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                times = self._prune(key, now)
                if times is None:
                    if len(self._failures) >= self.max_keys:
                        del self._failures[next(iter(self._failures))]
                    times = self._failures[key] = deque()
                times.append(now)
                while len(times) > self.limit:
                    times.popleft()

    def _prune(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times


class SharedFailureLimiter(FailureLimiter):
    """`FailureLimiter`'s counts kept in Redis (`Settings.limits_store`), so that every
    process and every server naming it refuses at the same count: per key a sorted set
    of failure times (wall clock, which the processes share), its oldest dropped past
    ``limit`` and the whole of it expiring a ``window`` after the last failure."""

    def __init__(self, url: str, prefix: str, limit: int, window: float) -> None:
        from redis import Redis

        super().__init__(limit, window)
        self.prefix = f"{prefix}:auth-failures:"
        self.redis = Redis.from_url(url)

    def retry_after(self, keys: Sequence[str]) -> int | None:
        now = time.time()
        pipe = self.redis.pipeline()
        for key in keys:
            pipe.zremrangebyscore(self.prefix + key, "-inf", now - self.window)
            pipe.zrange(self.prefix + key, -self.limit, -self.limit, withscores=True)
        # The limit-th latest failure, when there are that many, ends the wait.
        oldest = [found[0][1] for found in pipe.execute()[1::2] if found]
        wait = max((at + self.window - now for at in oldest), default=0.0)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, keys: Sequence[str]) -> None:
        now = time.time()
        pipe = self.redis.pipeline()
        for key in keys:
            name = self.prefix + key
            pipe.zadd(name, {f"{now}:{secrets.token_hex(4)}": now})
            pipe.zremrangebyrank(name, 0, -self.limit - 1)
            pipe.expire(name, math.ceil(self.window))
        pipe.execute()

    def close(self) -> None:
        self.redis.close()


def failure_limiter(settings: Settings) -> FailureLimiter:
    """Failed sign-ins counted where `Settings.limits_store` says."""
    limit, window = settings.auth_failure_limit, settings.auth_failure_window
    if settings.limits_store:
        return SharedFailureLimiter(settings.limits_store, settings.limits_prefix, limit, window)
    return FailureLimiter(limit, window)


def provide_principal(request: Request) -> Principal:
    """Litestar dependency `principal`: the token is checked on every request, so a
    revoked token or a disabled user is refused from the next request on."""
    # Cached in the request's ASGI scope, under a key of ours its TypedDict does not know.
    cached = cast("Principal | None", request.scope.get("parindex_principal"))
    if cached is not None:
        return cached
    header = request.headers.get("authorization")
    if not header:
        return ANONYMOUS
    services = request.app.state.services
    prefix = token_prefix(header)
    keys = [f"address:{request.client.host if request.client else '?'}"]
    if prefix is not None:
        keys.append(f"prefix:{prefix}")
    wait = services.auth_failures.retry_after(keys)
    if wait is not None:
        raise TooManyRequests(
            f"quá nhiều lần xác thực thất bại; thử lại sau {wait} giây", retry_after=wait
        )
    try:
        with Session(services.db) as session:
            principal = principal_for(session, header, services.token_key)
    except Unauthorized:
        services.auth_failures.failed(keys)
        raise
    request.scope["parindex_principal"] = principal  # type: ignore[typeddict-unknown-key]
    return principal


def require(principal: Principal, action: str, **scope: Any) -> None:
    """Raise Unauthorized or Forbidden unless ``principal`` may do ``action`` in ``scope``.

    Scope keys: `released` (bool), `published` (bool: a ranking in force), `province` (the methodology's or unit's owner province,
    None for national), `derived` (bool), `unit_id`, `status` (a submission's status),
    `contributors` (the units a submission's criteria are assigned to), `contributor`
    (the assigned unit an action is about).
    """
    if action == "methodology.read" and scope.get("released"):
        return
    if action == "ranking.read" and scope.get("published"):
        return
    if principal.anonymous:
        raise Unauthorized(f"sign in to {action.replace('.', ' ')}")
    role = principal.role
    if role == "admin":
        return
    if not _allowed(principal, action, scope):
        raise Forbidden(f"a {role} may not {action.replace('.', ' ')}" + _scope_text(scope))


def may(principal: Principal, action: str, **scope: Any) -> bool:
    """Whether `require` would let ``principal`` do ``action`` (what a page offers)."""
    try:
        require(principal, action, **scope)
    except (Unauthorized, Forbidden):
        return False
    return True


def _allowed(p: Principal, action: str, scope: dict[str, Any]) -> bool:
    role, province = p.role, scope.get("province")
    own_province = role == "province_editor" and province is not None and province == p.province
    if action == "methodology.read":
        return True
    if action in (
        "methodology.edit",
        "methodology.release",
        "methodology.rebase",
        "ranking.publish",
        "period.manage",
    ):
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
            and scope.get("status", "draft") in EDITABLE
        )
    if action == "submission.read":
        return role in ("appraiser", "auditor", *EDITORS) or (
            role == "unit_submitter"
            and (p.unit_id == scope.get("unit_id") or p.unit_id in scope.get("contributors", ()))
        )
    if action == "submission.contribute":
        return (
            role == "unit_submitter"
            and p.unit_id is not None
            and p.unit_id in scope.get("contributors", ())
            and scope.get("status", "draft") == "draft"
        )
    if action == "assignment.manage":
        focal = (role == "unit_submitter" and p.unit_id == scope.get("unit_id")) or own_province
        return focal and scope.get("status", "draft") == "draft"
    if action == "assignment.done":
        return (
            role == "unit_submitter"
            and p.unit_id is not None
            and (p.unit_id in (scope.get("unit_id"), scope.get("contributor")))
            and scope.get("status", "draft") == "draft"
        )
    if action == "appraisal.create":
        return role == "appraiser" and scope.get("status") in APPRAISABLE
    if action in ("submission.reopen", "submission.return", "appraisal.council"):
        return role == "appraiser"
    if action == "period.read":
        return True
    if action == "survey.import":
        return role in ("appraiser", "auditor")
    if action == "evaluation.run":
        return role in ("auditor", "appraiser", *EDITORS) or (
            role == "unit_submitter" and p.unit_id is not None and p.unit_id == scope.get("unit_id")
        )
    if action == "objection.file":
        return (
            role == "unit_submitter" and p.unit_id is not None and p.unit_id == scope.get("unit_id")
        )
    if action == "objection.answer":
        return role == "appraiser"
    if action == "objection.read":
        return role in ("auditor", "appraiser", *EDITORS) or (
            role == "unit_submitter" and p.unit_id is not None and p.unit_id == scope.get("unit_id")
        )
    if action in ("ranking.read", "analysis.run", "analysis.read"):
        return role in ("auditor", "appraiser", *EDITORS)
    return False


def _scope_text(scope: dict[str, Any]) -> str:
    parts = [
        f"{k}={v}" for k, v in scope.items() if v is not None and k not in ("released", "published")
    ]
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
