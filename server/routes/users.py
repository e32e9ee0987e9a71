"""`/api/users` and `/api/tokens`: disabling users, issuing and revoking tokens (admin only).

A change takes effect on the next request: tokens are checked on every request, nothing
caches them.
"""

from __future__ import annotations

from litestar import Controller, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from server import schemas as s
from server.auth import Principal
from server.deps import Services
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
        users = svc.manage_users(services.db, principal)
        return s.reply(list[s.UserRead], [view.user for view in users])

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
        after = svc.update_user_as(services.db, principal, user_id, active=data.active)
        return s.reply(s.UserRead, after)

    @get(
        "/{user_id:int}/tokens",
        operation_id="listTokens",
        sync_to_thread=True,
        responses=s.problems(),
    )
    def list_tokens(self, services: Svc, principal: Who, user_id: s.IdParam) -> list[s.TokenRead]:
        """The user's tokens: prefix, creation, expiry and revocation times."""
        view = svc.manage_user(services.db, principal, user_id)
        return s.reply(list[s.TokenRead], view.tokens)

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
        made = svc.issue_token_as(
            services.db, principal, services.token_key, user_id, data.expires_at
        )
        return Response(s.reply(s.NewToken, made), status_code=201)


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
        return s.reply(s.TokenRead, svc.revoke_token_as(services.db, principal, prefix))
