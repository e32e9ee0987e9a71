"""Every HTTP request: an id (the client's `X-Request-ID` when it is a sane one, else a
new one, sent back in the answer), counted and timed by route template, logged as one
line with the user, the route, the status and the duration."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from server.observe.logs import request_id
from server.observe.metrics import Metrics

__all__ = ["observe_requests"]

log = logging.getLogger("parindex.request")

HEADER = b"x-request-id"
# Ids of another system (a proxy's, a client's) are kept when they can do no harm in a
# log line or a header; anything else is replaced, never echoed.
_SANE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")
UNMATCHED = "<unmatched>"  # one label for every path no route has: no label per URL


def observe_requests(app: Any, metrics_of: Callable[[Any], Metrics]) -> Any:
    """``app`` (an ASGI callable: a Litestar app's `asgi_handler`) wrapped; the counts
    go to ``metrics_of(scope)`` (the metrics of the services that serve the request)."""

    async def observed(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        metrics = metrics_of(scope)
        given = next((v for k, v in scope["headers"] if k == HEADER), None)
        rid = given.decode() if given and _SANE_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        status = 500  # until the answer starts: an exception no handler turned into one
        started = time.perf_counter()

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (HEADER, rid.encode())]
            await send(message)

        metrics.in_progress.inc()
        try:
            await app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            metrics.in_progress.dec()
            method, route = scope.get("method", "?"), scope.get("path_template") or UNMATCHED
            metrics.requests.labels(method, route, str(status)).inc()
            metrics.duration.labels(method, route).observe(seconds)
            principal = scope.get("parindex_principal")
            log.info(
                "%s %s %s %.1f ms",
                method,
                scope.get("path", ""),
                status,
                seconds * 1000,
                extra={
                    "request_id": rid,
                    "user_id": getattr(principal, "id", None),
                    "method": method,
                    "route": route,
                    "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
            request_id.reset(token)

    return observed
