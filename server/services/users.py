"""Users and their tokens: disabling, issuing, listing and revoking, for the CLI and the API.

Each function works in the caller's session (the API's `session_scope`, the CLI's own),
so a change and its audit entry commit together. Tokens are checked on every request
(`server.auth.provide_principal`), so a disabled user or a revoked token is refused from
the very next request.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from server.auth import Principal, hash_password, issue_token, record, require
from server.db import session_scope
from server.errors import Conflict, NotFound, Unprocessable
from server.models import ROLES, ApiToken, User, utcnow

__all__ = [
    "UserView",
    "add_user_as",
    "create_user",
    "expiry",
    "find_token",
    "find_user",
    "issue_token_as",
    "list_tokens",
    "manage_user",
    "manage_users",
    "revoke_token",
    "revoke_token_as",
    "set_active",
    "set_password",
    "set_password_as",
    "set_role",
    "token_json",
    "update_user_as",
    "user_json",
]


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "role": user.role,
        "province": user.province,
        "unit_id": user.unit_id,
        "active": user.active,
        "created_at": user.created_at.isoformat(),
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token as anyone may see it: its prefix and dates, never the secret or its hash."""
    return {
        "prefix": token.prefix,
        "user_id": token.user_id,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def find_user(session: Session, who: str | int) -> User:
    """A user by id (an int) or by name; 404 naming what was looked for."""
    if isinstance(who, int):
        user = session.get(User, who)
    else:
        name = unicodedata.normalize("NFC", who.strip())  # names are stored NFC
        user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"không có người dùng '{who}'")
    return user


def set_active(session: Session, user: User, active: bool) -> User:
    """Enable or disable ``user``; the last active admin cannot be disabled (nobody could
    then manage users through the API)."""
    if not active and user.role == "admin" and user.active:
        others = session.exec(
            select(User).where(User.role == "admin", col(User.active), User.id != user.id)
        ).first()
        if others is None:
            raise Conflict(f"'{user.name}' là quản trị viên cuối cùng còn hoạt động")
    user.active = active
    session.add(user)
    session.flush()
    return user


def create_user(
    session: Session,
    name: str,
    role: str,
    *,
    province: str | None = None,
    unit_id: str | None = None,
    password: str | None = None,
) -> User:
    """A new user (flushed, so it has its id); 422 naming the field for a missing name, an
    unknown role, a missing scope or a short password, 409 for a name that is taken."""
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise Unprocessable("người dùng cần có tên", [{"path": "$.name", "message": "bắt buộc"}])
    if session.exec(select(User).where(User.name == name)).first() is not None:
        raise Conflict(f"đã có người dùng tên '{name}'")
    user = User(name=name, role="auditor")
    set_role(session, user, role, province=province, unit_id=unit_id)
    if password is not None:
        set_password(session, user, password)
    session.add(user)
    session.flush()
    return user


def set_role(
    session: Session,
    user: User,
    role: str,
    *,
    province: str | None = None,
    unit_id: str | None = None,
) -> User:
    """Give ``user`` a role and the scope it needs (a province editor's province, a unit
    submitter's unit); the scope of another role is cleared. The last active admin keeps
    the role (nobody could manage users otherwise)."""
    if role not in ROLES:
        message = f"vai trò '{role}' không có (chọn một trong: {', '.join(ROLES)})"
        raise Unprocessable(message, [{"path": "$.role", "message": message}])
    province = (province or "").strip() or None
    unit_id = (unit_id or "").strip() or None
    if role == "province_editor" and not province:
        message = "biên tập viên cấp tỉnh cần có tỉnh (mã tỉnh, ví dụ dak-lak)"
        raise Unprocessable(message, [{"path": "$.province", "message": message}])
    if role == "unit_submitter" and not unit_id:
        message = "cán bộ tự đánh giá cần có đơn vị (mã đơn vị)"
        raise Unprocessable(message, [{"path": "$.unit_id", "message": message}])
    if user.id is not None and user.role == "admin" and role != "admin" and user.active:
        others = session.exec(
            select(User).where(User.role == "admin", col(User.active), User.id != user.id)
        ).first()
        if others is None:
            raise Conflict(f"'{user.name}' là quản trị viên cuối cùng còn hoạt động")
    user.role = role
    user.province = province if role == "province_editor" else None
    user.unit_id = unit_id if role == "unit_submitter" else None
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: User, password: str | None) -> User:
    """Set (or, with None, remove) the password ``user`` signs in to the pages with."""
    if password is None:
        user.password_hash = None
    else:
        try:
            user.password_hash = hash_password(password)
        except ValueError as exc:
            raise Unprocessable(str(exc), [{"path": "$.password", "message": str(exc)}]) from None
    session.add(user)
    session.flush()
    return user


def expiry(value: dt.datetime | None, path: str = "$.expires_at") -> dt.datetime | None:
    """An expiry as stored: aware UTC (a naive time is read as UTC); 422 when it is past."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        value = value.astimezone(dt.UTC)
    except OverflowError:  # 9999-12-31T23:59-05:00 is past the last time Python holds
        raise Unprocessable(
            f"thời điểm hết hạn {value.isoformat()} vượt quá năm 9999",
            [{"path": path, "message": "phải là một thời điểm trước năm 10000 (UTC)"}],
        ) from None
    if value <= utcnow():
        raise Unprocessable(
            f"thời điểm hết hạn {value.isoformat()} đã qua",
            [{"path": path, "message": "phải là một thời điểm trong tương lai"}],
        )
    return value


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.exec(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id))
        ).all()
    )


def find_token(session: Session, prefix: str) -> ApiToken:
    """The token with ``prefix`` (a whole `pdx_…` token is accepted too), or 404."""
    if prefix.startswith("pdx_"):
        prefix = prefix.split("_", 2)[1]
    token = session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).first()
    if token is None:
        raise NotFound(f"không có token '{prefix}'")
    return token


def revoke_token(session: Session, prefix: str) -> ApiToken:
    """Revoke a token; revoking it again keeps the first revocation time."""
    token = find_token(session, prefix)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.flush()
    return token


# -- what an admin does, for the API and the pages alike: checked, written, recorded ----


@dataclass(frozen=True)
class UserView:
    """A user as the administration page lists it (never a secret)."""

    user: dict[str, Any]
    has_password: bool
    tokens: list[dict[str, Any]]


def manage_users(db: Engine, principal: Principal) -> list[UserView]:
    """Every user, oldest first, with their tokens (prefixes and dates only)."""
    require(principal, "user.manage")
    with session_scope(db) as session:
        users = session.exec(select(User).order_by(col(User.id))).all()
        return [
            UserView(
                user_json(u),
                u.password_hash is not None,
                [token_json(t) for t in list_tokens(session, u)],
            )
            for u in users
        ]


def manage_user(db: Engine, principal: Principal, user_id: int) -> UserView:
    require(principal, "user.manage")
    with session_scope(db) as session:
        user = find_user(session, user_id)
        tokens = [token_json(t) for t in list_tokens(session, user)]
        return UserView(user_json(user), user.password_hash is not None, tokens)


def add_user_as(
    db: Engine,
    principal: Principal,
    name: str,
    role: str,
    *,
    province: str | None = None,
    unit_id: str | None = None,
    password: str | None = None,
) -> dict[str, Any]:
    """Create a user (`create_user`) and record it."""
    require(principal, "user.manage")
    with session_scope(db) as session:
        user = create_user(
            session, name, role, province=province, unit_id=unit_id, password=password
        )
        after = user_json(user)
        record(session, principal, "user.create", "user", str(user.id), None, after)
        return after


def update_user_as(
    db: Engine,
    principal: Principal,
    user_id: int,
    *,
    active: bool | None = None,
    role: str | None = None,
    province: str | None = None,
    unit_id: str | None = None,
) -> dict[str, Any]:
    """Enable or disable a user, or change their role and scope; recorded with the state
    before and after. Takes effect from the user's next request."""
    require(principal, "user.manage")
    with session_scope(db) as session:
        user = find_user(session, user_id)
        before = user_json(user)
        if role is not None:
            set_role(session, user, role, province=province, unit_id=unit_id)
        if active is not None:
            set_active(session, user, active)
        after = user_json(user)
        record(session, principal, "user.update", "user", str(user.id), before, after)
        return after


def set_password_as(
    db: Engine, principal: Principal, user_id: int, password: str | None
) -> dict[str, Any]:
    """Set or remove a user's password; the audit entry says which, never the password."""
    require(principal, "user.manage")
    with session_scope(db) as session:
        user = find_user(session, user_id)
        set_password(session, user, password)
        state = {"password": "removed" if password is None else "set"}
        record(session, principal, "user.password", "user", str(user.id), None, state)
        return user_json(user)


def issue_token_as(
    db: Engine, principal: Principal, key: bytes, user_id: int, expires_at: dt.datetime | None
) -> dict[str, Any]:
    """A new token for the user: its prefix and dates, and the token itself (shown once)."""
    require(principal, "user.manage")
    expires_at = expiry(expires_at)
    with session_scope(db) as session:
        user = find_user(session, user_id)
        token = issue_token(session, user, key, expires_at=expires_at)
        session.flush()
        read = token_json(find_token(session, token))
        record(session, principal, "token.create", "token", read["prefix"], None, read)
        return {**read, "token": token}


def revoke_token_as(db: Engine, principal: Principal, prefix: str) -> dict[str, Any]:
    require(principal, "user.manage")
    with session_scope(db) as session:
        read = token_json(revoke_token(session, prefix))
        record(session, principal, "token.revoke", "token", read["prefix"], None, read)
        return read
