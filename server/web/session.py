"""Who is looking at a page, and the CSRF check on every form.

Every visitor holds a cookie `parindex_session` with a random secret (HttpOnly,
SameSite=Lax). Signing in makes a new secret (so a secret planted before sign-in is
worth nothing) and stores its SHA-256 with the user id in `web_sessions`; signing out
deletes that row. The user row is read on every request, so a disabled user is signed
out at their next click, and roles and scopes are the API's own: `server.auth.require`
decides for pages as it does for the API.

Every unsafe request (POST, PUT, PATCH, DELETE) to a page must carry the CSRF token, an
HMAC of the session secret under the server's key, as the form field `csrf_token` or,
from htmx, the header `X-CSRF-Token`; otherwise it is refused with 403 before the
handler runs, so nothing is written. Another site can make a browser send the cookie
but cannot read it, so it cannot compute the token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from litestar import Request, Response
from sqlmodel import Session, col, delete

from server.auth import ANONYMOUS, Principal, principal_of
from server.errors import Forbidden
from server.models import User, WebSession, utcnow

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "check_csrf",
    "csrf_token",
    "provide_viewer",
    "set_session_cookie",
    "sign_in",
    "sign_out",
]

COOKIE = "parindex_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_DAYS = 14
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Per request (`request.state`): `new_session`, a secret to send back in a cookie, and
# `viewer`, the principal once looked up.


def _secret(request: Request) -> str:
    """This visitor's session secret: from the cookie, or a new one sent back with the
    response (`set_session_cookie`)."""
    fresh = request.state.get("new_session")
    if fresh:
        return str(fresh)
    sent = request.cookies.get(COOKIE, "")
    if 20 <= len(sent) <= 100:
        return sent
    secret = secrets.token_urlsafe(32)
    request.state["new_session"] = secret
    return secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(request: Request) -> str:
    key: bytes = request.app.state.services.token_key
    return hmac.new(key, b"csrf:" + _secret(request).encode(), hashlib.sha256).hexdigest()


async def check_csrf(request: Request) -> None:
    """`before_request` of the pages: refuse an unsafe request without the right token."""
    if request.method not in _UNSAFE:
        return
    sent: object = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get(CSRF_FIELD)
    if (
        COOKIE not in request.cookies
        or not isinstance(sent, str)
        or not hmac.compare_digest(sent, csrf_token(request))
    ):
        raise Forbidden(
            "biểu mẫu đã hết hạn hoặc không được gửi từ trang của parindex; "
            "hãy tải lại trang rồi thử lại"
        )


def provide_viewer(request: Request) -> Principal:
    """Litestar dependency `viewer`: the signed-in person, or anonymous."""
    cached = request.state.get("viewer")
    if isinstance(cached, Principal):
        return cached
    viewer = ANONYMOUS
    sent = request.cookies.get(COOKIE)
    if sent and not request.state.get("new_session"):
        with Session(request.app.state.services.db) as session:
            row = session.get(WebSession, _hash(sent))
            if row is not None and row.expires_at > utcnow():
                viewer = principal_of(session.get(User, row.user_id))
    request.state["viewer"] = viewer
    return viewer


def sign_in(request: Request, session: Session, user: User) -> None:
    """Start a signed-in session under a new secret (the caller commits ``session``)."""
    assert user.id is not None
    secret = secrets.token_urlsafe(32)
    request.state["new_session"] = secret
    now = utcnow()
    session.exec(delete(WebSession).where(col(WebSession.expires_at) <= now))
    session.add(
        WebSession(
            id_hash=_hash(secret),
            user_id=user.id,
            created_at=now,
            expires_at=now + dt.timedelta(days=SESSION_DAYS),
        )
    )
    request.state["viewer"] = principal_of(user)


def sign_out(request: Request, session: Session) -> None:
    """End this session (the row goes) and give the visitor a new anonymous secret."""
    sent = request.cookies.get(COOKIE)
    if sent:
        row = session.get(WebSession, _hash(sent))
        if row is not None:
            session.delete(row)
    request.state["new_session"] = secrets.token_urlsafe(32)
    request.state["viewer"] = ANONYMOUS


def set_session_cookie(request: Request, response: Response) -> Response:
    """Send the new secret when this request made one (`page` and `redirect` call it)."""
    fresh = request.state.get("new_session")
    if fresh:
        response.set_cookie(
            COOKIE,
            str(fresh),
            max_age=SESSION_DAYS * 86400,
            path="/",
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response
