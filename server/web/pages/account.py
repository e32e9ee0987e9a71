"""Signing in and out of the pages (name and password; API tokens stay for programs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from sqlmodel import Session

from server.auth import TooManyRequests, check_password
from server.deps import Services
from server.services.submissions import nfc_name
from server.web.render import page, redirect, safe_next
from server.web.session import sign_in, sign_out

__all__ = ["AccountPages"]

Svc = NamedDependency[Services]


@dataclass
class SignInForm:
    ten: str = ""
    mat_khau: str = ""
    tiep: str = ""
    csrf_token: str = ""


Form = Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


class AccountPages(Controller):
    @get("/dang-nhap", sync_to_thread=False, name="sign-in")
    def sign_in_form(self, request: Request, tiep: FromQuery[str | None] = None) -> Template:
        return page(request, "sign_in.html", tiep=safe_next(tiep), name="", error=None)

    @post("/dang-nhap", sync_to_thread=True, status_code=303)
    def sign_in(self, request: Request, services: Svc, data: Form) -> Redirect | Template:
        name = nfc_name(data.ten)
        keys = [f"address:{request.client.host if request.client else '?'}", f"name:{name}"]
        wait = services.auth_failures.retry_after(keys)
        if wait is not None:
            raise TooManyRequests(
                f"Đăng nhập sai quá nhiều lần; hãy thử lại sau {wait} giây.", retry_after=wait
            )
        with Session(services.db) as session:
            user = check_password(session, name, data.mat_khau)
            if user is None:
                services.auth_failures.failed(keys)
                return page(
                    request,
                    "sign_in.html",
                    status=401,
                    tiep=safe_next(data.tiep),
                    name=name,
                    error="Tên đăng nhập hoặc mật khẩu không đúng.",
                )
            sign_in(request, session, user)
            session.commit()
        return redirect(request, safe_next(data.tiep))

    @post("/dang-xuat", sync_to_thread=True, status_code=303)
    def sign_out(self, request: Request, services: Svc) -> Redirect:
        with Session(services.db) as session:
            sign_out(request, session)
            session.commit()
        return redirect(request, "/")
