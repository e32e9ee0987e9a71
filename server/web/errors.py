"""Errors on pages: a Vietnamese page with the status, never a JSON problem or a 500
with a traceback. Signing in is offered where that is what is missing."""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import HTTPException

from server.errors import ApiError, problem_for
from server.web.messages import STATUS_TITLES, vi_detail
from server.web.render import is_htmx, page, redirect

__all__ = ["page_error", "wants_page"]

log = logging.getLogger("parindex")


def wants_page(request: Request) -> bool:
    """A browser asking for a page (not a program calling the API)."""
    path = request.url.path
    if path.startswith(("/api/", "/schema")):
        return False
    return "text/html" in request.headers.get("accept", "") or is_htmx(request)


def page_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, ApiError):
        status, detail = exc.status, exc.detail
        problems = exc.errors or []
    elif isinstance(exc, HTTPException):
        status, detail, problems = exc.status_code, exc.detail, []
    else:
        error = problem_for(exc)
        status, detail, problems = error.status, error.detail, error.errors or []
        if status == 500:
            log.exception("unhandled error on page %s", request.url.path, exc_info=exc)
            detail = "Đã có lỗi không mong muốn; lỗi đã được ghi lại để quản trị viên xem."
    if status == 401 and request.method == "GET" and not is_htmx(request):
        return redirect(request, f"/dang-nhap?tiep={quote(request.url.path)}")
    if status == 404 and detail in ("Not Found", ""):
        detail = "Trang này không có. Hãy kiểm tra lại địa chỉ."
    return page(
        request,
        "error.html",
        status=status,
        title=STATUS_TITLES.get(status, f"Lỗi {status}"),
        detail=vi_detail(detail),
        problems=problems,
    )
