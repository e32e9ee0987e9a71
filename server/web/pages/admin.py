"""Administration (admin only): people, their roles and scopes, passwords and tokens.

Every handler is one call of `server.services.users` (the same functions the API's
`/api/users` and `/api/tokens` call), so the checks, the rules (the last admin stays an
admin) and the audit entries are the API's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from server.auth import Principal
from server.deps import Services
from server.errors import ApiError
from server.format import sort_vi
from server.labels import ROLE_LABELS
from server.models import ROLES
from server.services import users as svc
from server.web.messages import vi_detail
from server.web.render import page, redirect

__all__ = ["AdminPages"]

Svc = NamedDependency[Services]
Who = NamedDependency[Principal]


@dataclass
class UserForm:
    ten: str = ""
    vai_tro: str = ""
    tinh: str = ""
    don_vi: str = ""
    mat_khau: str = ""
    csrf_token: str = ""


@dataclass
class PasswordForm:
    mat_khau: str = ""
    xoa: str = ""
    csrf_token: str = ""


@dataclass
class StateForm:
    hoat_dong: str = ""
    csrf_token: str = ""


Form = Annotated[UserForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
Password = Annotated[PasswordForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
State = Annotated[StateForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
ROLE_CHOICES = [(role, ROLE_LABELS[role]) for role in ROLES]


def _field_errors(exc: ApiError) -> dict[str, str]:
    """The problems of a service error, by the form field they are about."""
    fields = {"$.name": "ten", "$.role": "vai_tro", "$.province": "tinh", "$.unit_id": "don_vi"}
    fields["$.password"] = "mat_khau"
    out = {fields.get(e["path"], "_"): vi_detail(e["message"]) for e in exc.errors or []}
    if not out:
        out["_"] = vi_detail(exc.detail)
    return out


class AdminPages(Controller):
    path = "/quan-tri"

    @get("/", sync_to_thread=False)
    def index(self, request: Request) -> Redirect:
        return redirect(request, "/quan-tri/nguoi-dung")

    @get("/nguoi-dung", sync_to_thread=True, name="admin-users")
    def users(self, request: Request, services: Svc, viewer: Who) -> Template:
        views = sort_vi(svc.manage_users(services.db, viewer), key=lambda v: v.user["name"])
        return self._users_page(request, views, UserForm(), {})

    @post("/nguoi-dung", sync_to_thread=True, status_code=303)
    def add_user(
        self, request: Request, services: Svc, viewer: Who, data: Form
    ) -> Redirect | Template:
        try:
            made = svc.add_user_as(
                services.db,
                viewer,
                data.ten,
                data.vai_tro,
                province=data.tinh,
                unit_id=data.don_vi,
                password=data.mat_khau or None,
            )
        except ApiError as exc:
            if exc.status not in (409, 422):
                raise
            views = sort_vi(svc.manage_users(services.db, viewer), key=lambda v: v.user["name"])
            return self._users_page(request, views, data, _field_errors(exc), status=exc.status)
        return redirect(request, f"/quan-tri/nguoi-dung/{made['id']}?da-tao=1")

    def _users_page(
        self,
        request: Request,
        views: list[svc.UserView],
        form: UserForm,
        errors: dict[str, str],
        status: int = 200,
    ) -> Template:
        return page(
            request,
            "admin_users.html",
            status=status,
            views=views,
            form=form,
            errors=errors,
            roles=ROLE_CHOICES,
            role_labels=ROLE_LABELS,
        )

    @get("/nguoi-dung/{user_id:int}", sync_to_thread=True, name="admin-user")
    def user(
        self, request: Request, services: Svc, viewer: Who, user_id: FromPath[int]
    ) -> Template:
        return self._user_page(request, svc.manage_user(services.db, viewer, user_id))

    def _user_page(
        self,
        request: Request,
        view: svc.UserView,
        *,
        errors: dict[str, str] | None = None,
        new_token: dict[str, Any] | None = None,
        status: int = 200,
    ) -> Template:
        return page(
            request,
            "admin_user.html",
            status=status,
            view=view,
            errors=errors or {},
            new_token=new_token,
            roles=ROLE_CHOICES,
            role_labels=ROLE_LABELS,
            created=request.query_params.get("da-tao") == "1",
        )

    @post("/nguoi-dung/{user_id:int}/vai-tro", sync_to_thread=True, status_code=303)
    def set_role(
        self, request: Request, services: Svc, viewer: Who, user_id: FromPath[int], data: Form
    ) -> Redirect | Template:
        try:
            svc.update_user_as(
                services.db,
                viewer,
                user_id,
                role=data.vai_tro,
                province=data.tinh,
                unit_id=data.don_vi,
            )
        except ApiError as exc:
            if exc.status not in (409, 422):
                raise
            view = svc.manage_user(services.db, viewer, user_id)
            return self._user_page(request, view, errors=_field_errors(exc), status=exc.status)
        return redirect(request, f"/quan-tri/nguoi-dung/{user_id}")

    @post("/nguoi-dung/{user_id:int}/mat-khau", sync_to_thread=True, status_code=303)
    def set_password(
        self, request: Request, services: Svc, viewer: Who, user_id: FromPath[int], data: Password
    ) -> Redirect | Template:
        try:
            secret = None if data.xoa else data.mat_khau
            svc.set_password_as(services.db, viewer, user_id, secret)
        except ApiError as exc:
            if exc.status != 422:
                raise
            view = svc.manage_user(services.db, viewer, user_id)
            return self._user_page(request, view, errors=_field_errors(exc), status=422)
        return redirect(request, f"/quan-tri/nguoi-dung/{user_id}")

    @post("/nguoi-dung/{user_id:int}/trang-thai", sync_to_thread=True, status_code=303)
    def set_active(
        self, request: Request, services: Svc, viewer: Who, user_id: FromPath[int], data: State
    ) -> Redirect | Template:
        try:
            svc.update_user_as(services.db, viewer, user_id, active=data.hoat_dong == "1")
        except ApiError as exc:
            if exc.status != 409:
                raise
            view = svc.manage_user(services.db, viewer, user_id)
            return self._user_page(request, view, errors=_field_errors(exc), status=409)
        return redirect(request, f"/quan-tri/nguoi-dung/{user_id}")

    @post("/nguoi-dung/{user_id:int}/token", sync_to_thread=True, status_code=201)
    def issue_token(
        self, request: Request, services: Svc, viewer: Who, user_id: FromPath[int]
    ) -> Template:
        made = svc.issue_token_as(services.db, viewer, services.token_key, user_id, None)
        view = svc.manage_user(services.db, viewer, user_id)
        return self._user_page(request, view, new_token=made, status=201)

    @post("/token/{prefix:str}/thu-hoi", sync_to_thread=True, status_code=303)
    def revoke_token(
        self, request: Request, services: Svc, viewer: Who, prefix: FromPath[str]
    ) -> Redirect:
        read = svc.revoke_token_as(services.db, viewer, prefix)
        return redirect(request, f"/quan-tri/nguoi-dung/{read['user_id']}")
