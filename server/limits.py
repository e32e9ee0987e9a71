"""Limits at the edge: how often a caller may ask for expensive work, and which other
sites' pages may call the API (CORS).

Expensive operations are named here by their operationId, in groups; each group is
counted apart per caller by Litestar's rate-limit middleware, so a caller who ranks
often can still run an evaluation. The counts are kept where `Settings.limits_store`
says: in the process's memory, or in a Redis that every process and server shares.
Past `Settings.rate_limit` a minute the answer is the project's 429
(`server.auth.TooManyRequests`, with `Retry-After`), built in `server.app` from the
middleware's refusal.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Request
from litestar.config.cors import CORSConfig
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore

from server.auth import TooManyRequests
from server.settings import Settings
from server.web.session import COOKIE

__all__ = [
    "EXPENSIVE",
    "RATE_LIMIT_STORE",
    "PurgedMemoryStore",
    "SharedStore",
    "cors_config",
    "rate_limit_config",
    "rate_limit_store",
    "too_many",
]

RATE_LIMIT_STORE = "rate_limit"  # the name the middleware asks the application's stores for

# Each scores a cohort, re-scores a publication, renders a document or reads a workbook.
EXPENSIVE: dict[str, str] = {
    **dict.fromkeys(
        (
            "getRanking",
            "createPublication",
            "verifyPublication",
            "publicationDifference",
        ),
        "rankings",
    ),
    **dict.fromkeys(("runAudit", "runSensitivity", "createJob"), "analyses"),
    **dict.fromkeys(
        (
            "getAuditReport",
            "getAuditChart",
            "getSensitivityReport",
            "getSensitivityChart",
            "getRankingWorkbook",
            "getRankingDocument",
            "getEvaluationWorkbook",
            "getEvaluationDocument",
            "getAuditWorkbook",
            "getAuditDocument",
            "getSensitivityWorkbook",
            "getSensitivityDocument",
            "getAnnexDocx",
            "getAnnexXlsx",
            "getChangesDocx",
            "downloadForm",
            "downloadSubmissionForm",
        ),
        "documents",
    ),
    **dict.fromkeys(
        ("importTable", "importForm", "importSubmissionForm", "importSurvey"), "imports"
    ),
    "runEvaluations": "evaluations",
}


def _group(request: Request[Any, Any, Any]) -> str | None:
    handler = request.scope.get("route_handler")
    operation = getattr(handler, "operation_id", None)
    return EXPENSIVE.get(operation) if isinstance(operation, str) else None


def _caller(request: Request[Any, Any, Any]) -> str:
    """Who is counted: the bearer token, else the page session, else the address. Only a
    digest of the secret is kept; a made-up token gets a bucket of its own, but is
    refused at once and counted by the sign-in failure limit."""
    secret = request.headers.get("authorization") or request.cookies.get(COOKIE)
    if secret:
        return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()[:32]
    return f"address:{request.client.host if request.client else '?'}"


def _identifier(request: Request[Any, Any, Any]) -> str:
    return f"{_group(request)}:{_caller(request)}"


class PurgedMemoryStore(MemoryStore):
    """Litestar's memory store, purged of expired counts every ``every`` writes: it drops
    them only when they are read, and a caller making up a token per request would leave
    a key behind each time. Every count expires within a minute."""

    def __init__(self, every: int = 10_000) -> None:
        super().__init__()
        self.every, self._writes = every, 0

    async def set(self, key: str, value: str | bytes, expires_in: Any = None) -> None:
        await super().set(key, value, expires_in)
        self._writes += 1
        if self._writes >= self.every:
            self._writes = 0
            await self.delete_expired()


class SharedStore(RedisStore):
    """Litestar's Redis store, its connections closed when an application stops: they
    belong to the event loop that made them, and an app started again runs another."""

    async def disconnect(self) -> None:
        await self._redis.connection_pool.disconnect()


def rate_limit_store(settings: Settings) -> Store:
    """The store the middleware counts in (see `Settings.limits_store`)."""
    if not settings.limits_store:
        return PurgedMemoryStore()
    from redis.asyncio import Redis

    return SharedStore(
        Redis.from_url(settings.limits_store), namespace=f"{settings.limits_prefix}-rate"
    )


def rate_limit_config(settings: Settings) -> RateLimitConfig | None:
    """The middleware's configuration, None when `rate_limit` is 0 (off)."""
    if settings.rate_limit <= 0:
        return None
    return RateLimitConfig(
        rate_limit=("minute", settings.rate_limit),
        identifier_for_request=_identifier,
        check_throttle_handler=lambda request: _group(request) is not None,
        store=RATE_LIMIT_STORE,
    )


def too_many(exc: TooManyRequestsException) -> TooManyRequests:
    """The middleware's refusal in the project's shape: `Retry-After` is its reset."""
    reset = (exc.headers or {}).get("RateLimit-Reset", "60")
    wait = max(1, int(reset)) if reset.isdigit() else 60
    return TooManyRequests(f"quá nhiều yêu cầu tốn tài nguyên; thử lại sau {wait} giây", wait)


def cors_config(settings: Settings) -> CORSConfig | None:
    """CORS for the listed origins, None (off) when none is listed."""
    if not settings.cors_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "If-None-Match", "X-Request-ID"],
        expose_headers=["ETag", "Retry-After", "X-Request-ID"],
        max_age=600,
    )
