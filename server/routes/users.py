"""`/api/users` and `/api/tokens`: disabling users, issuing and revoking tokens (admin only).

Bodies are msgspec structs that refuse unknown fields, so a typo is a 400 rather than a
silently ignored key. A change takes effect on the next request: tokens are checked on
every request, nothing caches them.
"""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlmodel import col, select

from server.auth import Principal, issue_token, record, require
from server.db import session_scope
from server.deps import Services
from server.errors import NotFound
from server.models import ApiToken, User
from server.services import users as svc

__all__ = ["TokenController", "UserController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]
MAX_ID = 2**63 - 1  # larger ids cannot exist, and some drivers overflow on them


class UserRead(msgspec.Struct):
    id: int
    name: str
    role: str
    province: str | None
    unit_id: str | None
    active: bool
    created_at: dt.datetime


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """`{"active": false}` disables the user: every token of theirs is refused at once."""

    active: bool


class TokenRead(msgspec.Struct):
    prefix: str
    user_id: int
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    """`expires_at` (RFC 3339; without an offset it is UTC) or null for no expiry."""

    expires_at: dt.datetime | None = None


class NewToken(TokenRead):
    """The token itself is in this response only: it is never stored nor shown again."""

    token: str = ""


def _user(user: User) -> UserRead:
    assert user.id is not None
    return UserRead(
        user.id, user.name, user.role, user.province, user.unit_id, user.active, user.created_at
    )


def _token(token: ApiToken) -> TokenRead:
    return TokenRead(
        token.prefix, token.user_id, token.created_at, token.expires_at, token.revoked_at
    )


def _id(user_id: int) -> int:
    if not 0 < user_id <= MAX_ID:
        raise NotFound(f"không có người dùng {user_id}")
    return user_id


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]

    @get("/", operation_id="listUsers", sync_to_thread=True)
    def list_users(self, services: Svc, principal: Who) -> list[UserRead]:
        """Every user, oldest first (never their tokens)."""
        require(principal, "user.manage")
        with session_scope(services.db) as session:
            return [_user(u) for u in session.exec(select(User).order_by(col(User.id))).all()]

    @patch("/{user_id:int}", operation_id="updateUser", sync_to_thread=True)
    def update_user(
        self, services: Svc, principal: Who, user_id: FromPath[int], data: JSONBody[UserUpdate]
    ) -> UserRead:
        """Disable (`{"active": false}`) or enable a user; effective from the next request."""
        require(principal, "user.manage")
        with session_scope(services.db) as session:
            user = svc.find_user(session, _id(user_id))
            before = svc.user_json(user)
            svc.set_active(session, user, data.active)
            record(
                session, principal, "user.update", "user", str(user.id), before, svc.user_json(user)
            )
            return _user(user)

    @get("/{user_id:int}/tokens", operation_id="listTokens", sync_to_thread=True)
    def list_tokens(self, services: Svc, principal: Who, user_id: FromPath[int]) -> list[TokenRead]:
        """The user's tokens: prefix, creation, expiry and revocation times."""
        require(principal, "user.manage")
        with session_scope(services.db) as session:
            return [
                _token(t) for t in svc.list_tokens(session, svc.find_user(session, _id(user_id)))
            ]

    @post("/{user_id:int}/tokens", operation_id="createToken", sync_to_thread=True)
    def create_token(
        self,
        services: Svc,
        principal: Who,
        user_id: FromPath[int],
        data: JSONBody[TokenCreate],
    ) -> Response[NewToken]:
        """Issue a token, optionally expiring; the token is in this response only."""
        require(principal, "user.manage")
        expires_at = svc.expiry(data.expires_at)
        with session_scope(services.db) as session:
            user = svc.find_user(session, _id(user_id))
            token = issue_token(session, user, services.token_key, expires_at=expires_at)
            session.flush()
            row = svc.find_token(session, token)
            record(
                session, principal, "token.create", "token", row.prefix, None, svc.token_json(row)
            )
            read = _token(row)
            return Response(NewToken(**msgspec.structs.asdict(read), token=token), status_code=201)


class TokenController(Controller):
    path = "/api/tokens"
    tags = ["users"]

    @post("/{prefix:str}/revoke", operation_id="revokeToken", status_code=200, sync_to_thread=True)
    def revoke(self, services: Svc, principal: Who, prefix: FromPath[str]) -> TokenRead:
        """Revoke a token by its prefix; refused from the next request on."""
        require(principal, "user.manage")
        with session_scope(services.db) as session:
            token = svc.revoke_token(session, prefix)
            record(
                session,
                principal,
                "token.revoke",
                "token",
                token.prefix,
                None,
                svc.token_json(token),
            )
            return _token(token)
