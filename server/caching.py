"""HTTP caching of representations fixed by their commits: ETags, `Cache-Control`, 304.

A released tree, a diff between two versions and a published ranking are each fully
determined by a few ids (commits, a publication and its ranking hash). Their encoded
bodies are kept in a per-process LRU (`ResponseCache`) under those ids, so the key can
never go stale: a new commit is a new key. The ETag is a digest of the same key, so a
conditional request is answered 304 before any body is built or read.

`Cache-Control` says what a cache may do with the answer:

- `IMMUTABLE` (`public, max-age=31536000, immutable`): the URL names the content for good
  (a full commit sha, a release tag: the store never moves or deletes a tag) and anyone
  may read it;
- `PRIVATE_IMMUTABLE`: as fixed, but only for signed-in readers (an unreleased commit);
- `REVALIDATE` (`no-cache`): the URL may name other content later (a branch head, a date,
  a publication that can be withdrawn); a cache keeps it but asks again with the ETag.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPI, OpenAPIHeader, OpenAPIResponse, OpenAPIType, Schema

__all__ = [
    "IMMUTABLE",
    "NOT_MODIFIED",
    "PRIVATE_IMMUTABLE",
    "PUBLIC_REVALIDATE",
    "REVALIDATE",
    "ResponseCache",
    "conditional",
    "declare_cache_headers",
    "etag_for",
]

IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE_IMMUTABLE = "private, max-age=31536000, immutable"
REVALIDATE = "no-cache"
PUBLIC_REVALIDATE = "public, no-cache"

# Raised when what a representation's body means changes (a field added to a tree's JSON):
# every ETag changes with it, so no cache keeps a body of the former shape.
REPRESENTATION = "1"

# The conditional operations' `responses`, beside their problems: `declare_cache_headers`
# finds them by it.
NOT_MODIFIED = {
    304: ResponseSpec(
        data_container=None,
        description="If-None-Match held the current ETag: no body, the cached copy is current",
        generate_examples=False,
    )
}


class ResponseCache:
    """Encoded bodies by key, least recently used first out, at most ``max_bytes`` in all
    (a body larger than a quarter of that is served, not kept); and what fixed URLs
    resolve to (`recall`). Thread-safe: handlers run on a thread pool."""

    def __init__(self, max_bytes: int, *, names: int = 4096) -> None:
        self.max_bytes, self.max_names = max_bytes, names
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._names: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def recall(self, name: Hashable) -> object | None:
        """What `remember` kept under ``name`` (a URL's fixed key), None if nothing."""
        with self._lock:
            value = self._names.get(name)
            if value is not None:
                self._names.move_to_end(name)
            return value

    def remember(self, name: Hashable, value: object) -> None:
        """Keep a small value that never changes for ``name`` (at most ``names`` of them)."""
        with self._lock:
            self._names[name] = value
            self._names.move_to_end(name)
            while len(self._names) > self.max_names:
                self._names.popitem(last=False)

    def get_or_build(self, key: Hashable, build: Callable[[], bytes]) -> bytes:
        with self._lock:
            body = self._bodies.get(key)
            if body is not None:
                self._bodies.move_to_end(key)
                return body
        body = build()  # outside the lock: two first requests may both build, both correct
        if len(body) * 4 > self.max_bytes:
            return body
        with self._lock:
            if key not in self._bodies:
                self._bodies[key] = body
                self._size += len(body)
            while self._size > self.max_bytes:
                _, dropped = self._bodies.popitem(last=False)
                self._size -= len(dropped)
        return body

    def __len__(self) -> int:
        return len(self._bodies)


def etag_for(key: Hashable) -> str:
    """A strong ETag from the ids that determine a body (never from the body itself)."""
    digest = hashlib.sha256(repr((REPRESENTATION, key)).encode("utf-8")).hexdigest()
    return f'"{digest[:40]}"'


def _matches(header: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: `*`, or any listed tag (weak comparison: a `W/` prefix is ignored)."""
    if not header:
        return False
    tags = {t.strip().removeprefix("W/") for t in header.split(",")}
    return "*" in tags or etag in tags


def conditional(
    request: Request[Any, Any, Any],
    cache: ResponseCache,
    key: Hashable,
    cache_control: str,
    build: Callable[[], Any],
) -> Response[Any]:
    """304 with no body when `If-None-Match` holds the ETag of ``key``; else the body
    `build()` returns (a typed answer), encoded once per key and kept in ``cache``.

    Call it after the caller's access check: a 304 says as much as a 200 does."""
    etag = etag_for(key)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(content=b"", status_code=304, headers=headers)
    body = cache.get_or_build(key, lambda: msgspec.json.encode(build()))
    return Response(content=body, media_type="application/json", headers=headers)


def declare_cache_headers(document: OpenAPI) -> None:
    """The 200 and 304 of every operation that may answer 304 carry `ETag` and
    `Cache-Control` (a route's `response_headers` cannot give a header its schema)."""
    text = Schema(type=OpenAPIType.STRING)
    headers = {
        "ETag": OpenAPIHeader(
            schema=text,
            required=True,
            description="Strong validator of the representation; send it in If-None-Match",
        ),
        "Cache-Control": OpenAPIHeader(
            schema=text,
            required=True,
            description="`public, max-age=31536000, immutable` (or `private, …` for what "
            "needs a sign-in) when the URL fixes the content: a commit sha, a release; "
            "`no-cache` when it can change: a branch head, a date, a publication",
        ),
    }
    for item in (document.paths or {}).values():
        for method in ("get", "put", "post", "patch", "delete"):
            operation = getattr(item, method)
            responses = (operation.responses or {}) if operation else {}
            if "304" not in responses:
                continue
            for status in ("200", "304"):
                response = responses[status]
                if isinstance(response, OpenAPIResponse):
                    response.headers = dict(headers)
