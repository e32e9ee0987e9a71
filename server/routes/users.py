"""`/api/users` and `/api/tokens`: disabling users, issuing and revoking tokens (admin only).

A change takes effect on the next request: tokens are checked on every request, nothing
caches them.
"""

from __future__ import annotations

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlmodel import col, select

from server import schemas as s
from server.auth import Principal, issue_token, record, require
from server.db import session_scope
from server.deps import Services
from server.models import User
from server.services import users as svc

__all__ = ["TokenController", "UserController"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


class UserController(Controller):
    path = "/api/users"
    tags = ["users"]
    security = s.SIGNED_IN

    @get("/", operation_id="listUsers", sync_to_thread=True, responses=s.problems())
    def list_users(self, services: Svc, principal: Who) -> list[s.UserRead]:
        """Every user, oldest first (never their tokens)."""
        require(principal, "user.manage")
        with session_scope(services.db) as session:
            users = session.exec(select(User).order_by(col(User.id))).all()
            return s.reply(list[s.UserRead], [svc.user_json(u) for u in users])

    @patch(
        "/{user_id:int}",
        operation_id="updateUser",
        sync_to_thread=True,
        responses=s.problems(409, 413),
    )
    def update_user(
        self, services: Svc, principal: Who, user_id: s.IdParam, data: JSONBody[s.UserUpdate]
    ) -> s.UserRead:
        """Disable (`{"active": false}`) or enable a user; effective from the next request;
        409 for the last active admin."""
        require(principal, "user.manage")
        with session_scope(services.db) as session:
            user = svc.find_user(session, user_id)
            before = svc.user_json(user)
            svc.set_active(session, user, data.active)
            after = svc.user_json(user)
            record(session, principal, "user.update", "user", str(user.id), before, after)
            return s.reply(s.UserRead, after)

    @get(
        "/{user_id:int}/tokens",
        operation_id="listTokens",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def list_tokens(self, services: Svc, principal: Who, user_id: s.IdParam) -> list[s.TokenRead]:
        """The user's tokens: prefix, creation, expiry and revocation times."""
        require(principal, "user.manage")
        with session_scope(services.db) as session:
            tokens = svc.list_tokens(session, svc.find_user(session, user_id))
            return s.reply(list[s.TokenRead], [svc.token_json(t) for t in tokens])

    @post(
        "/{user_id:int}/tokens",
        operation_id="createToken",
        sync_to_thread=True,
        responses=s.problems(413),
    )
    def create_token(
        self, services: Svc, principal: Who, user_id: s.IdParam, data: JSONBody[s.TokenCreate]
    ) -> Response[s.NewToken]:
        """Issue a token, optionally expiring; the token is in this response only."""
        require(principal, "user.manage")
        expires_at = svc.expiry(data.expires_at)
        with session_scope(services.db) as session:
            user = svc.find_user(session, user_id)
            token = issue_token(session, user, services.token_key, expires_at=expires_at)
            session.flush()
            read = svc.token_json(svc.find_token(session, token))
            record(session, principal, "token.create", "token", read["prefix"], None, read)
            return Response(s.reply(s.NewToken, {**read, "token": token}), status_code=201)


class TokenController(Controller):
    path = "/api/tokens"
    tags = ["users"]
    security = s.SIGNED_IN

    @post(
        "/{prefix:str}/revoke",
        operation_id="revokeToken",
        status_code=200,
        sync_to_thread=True,
        responses=s.problems(),
    )
    def revoke(self, services: Svc, principal: Who, prefix: s.PrefixParam) -> s.TokenRead:
        """Revoke a token by its prefix; refused from the next request on."""
        require(principal, "user.manage")
        with session_scope(services.db) as session:
            read = svc.token_json(svc.revoke_token(session, prefix))
            record(session, principal, "token.revoke", "token", read["prefix"], None, read)
            return s.reply(s.TokenRead, read)
