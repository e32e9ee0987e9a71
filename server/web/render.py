"""Turning a service's answer into a page: `page` renders a template with what every
page needs (the viewer, the CSRF token, the navigation), `redirect` goes elsewhere
after a form; both send the session cookie when one was made."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from server.labels import ROLE_LABELS
from server.web.nav import nav_for
from server.web.session import csrf_token, provide_viewer, set_session_cookie

__all__ = ["is_htmx", "page", "redirect", "safe_next"]


def is_htmx(request: Request) -> bool:
    """A partial update asked for by htmx (the page then sends only the changed part)."""
    return request.headers.get("hx-request") == "true"


def page(request: Request, template: str, *, status: int = 200, **context: Any) -> Template:
    viewer = provide_viewer(request)
    response = Template(
        template_name=template,
        context={
            "viewer": viewer,
            "role_label": ROLE_LABELS.get(viewer.role, viewer.role),
            "nav": nav_for(viewer),
            "csrf_token": csrf_token(request),
            "path": request.url.path,
            **context,
        },
        status_code=status,
        media_type="text/html",
    )
    set_session_cookie(request, response)
    return response


def safe_next(target: str | None, default: str = "/") -> str:
    """Where to go after signing in: only a path on this site (never `//evil` or a URL)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def redirect(request: Request, path: str) -> Redirect:
    """A 303 to ``path`` (a GET after a POST); htmx follows it as a whole page."""
    response = Redirect(path=path, status_code=303)
    if is_htmx(request):
        response.headers["HX-Redirect"] = path
    set_session_cookie(request, response)
    return response
