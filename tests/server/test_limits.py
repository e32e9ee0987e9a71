"""Limits at the edge: expensive operations counted per caller and per group (429 with
Retry-After, in the problem shape), off with `rate_limit=0`; CORS off by default and,
when configured, for the listed origins only."""

from __future__ import annotations

import dataclasses

from litestar.testing import TestClient

from server.app import create_app
from server.limits import EXPENSIVE, PurgedMemoryStore
from server.settings import Settings
from tests.helpers import run_async
from tests.server.helpers import assert_problem, user_maker

RANKING = {"cohort": "daklak-so", "period": "2023"}
ANNEX = "/api/methodologies/vi-du/annex.docx"


def test_an_expensive_operation_past_the_limit_is_429_per_caller_and_group(settings):
    app = create_app(dataclasses.replace(settings, rate_limit=2))
    with TestClient(app) as client:
        make = user_maker(client)
        first, second = make("auditor"), make("auditor")
        for _ in range(2):
            r = client.get("/api/rankings", params=RANKING, headers=first)
            assert r.status_code != 429 and r.headers["ratelimit-limit"] == "2"
        r = client.get("/api/rankings", params=RANKING, headers=first)
        body = assert_problem(r, 429, extra=frozenset({"retry_after"}))
        wait = int(r.headers["retry-after"])
        assert 1 <= wait <= 60 and body["retry_after"] == wait
        assert body["detail"].startswith("quá nhiều yêu cầu")
        # Another caller, and the same caller in another group, are counted apart.
        assert client.get("/api/rankings", params=RANKING, headers=second).status_code != 429
        assert client.get(ANNEX, params={"ref": "vi-du/2014"}, headers=first).status_code == 200
        # What is cheap is never limited.
        for _ in range(5):
            assert client.get("/api/methodologies", headers=first).status_code == 200
    with TestClient(app) as client:  # started again: the counts start afresh
        assert client.get("/api/rankings", params=RANKING, headers=first).status_code != 429


def test_limits_off(settings):
    with TestClient(create_app(dataclasses.replace(settings, rate_limit=0))) as client:
        for _ in range(5):
            r = client.get("/api/rankings", params=RANKING)
            assert r.status_code == 401 and "ratelimit-limit" not in r.headers


def test_cors_is_off_by_default(settings):
    with TestClient(create_app(settings)) as client:
        origin = {"Origin": "https://app.example.gov.vn"}
        r = client.get("/api/methodologies", headers=origin)
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers
        preflight = client.options(
            "/api/methodologies",
            headers={**origin, "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in preflight.headers


def test_cors_for_the_listed_origin_only(settings):
    allowed = "https://app.example.gov.vn"
    configured = dataclasses.replace(settings, cors_origins=(allowed,))
    with TestClient(create_app(configured)) as client:
        ask = {
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        }
        ok = client.options("/api/methodologies", headers={"Origin": allowed, **ask})
        assert ok.status_code in (200, 204)
        assert ok.headers["access-control-allow-origin"] == allowed
        assert "authorization" in ok.headers["access-control-allow-headers"].lower()
        r = client.get("/api/methodologies", headers={"Origin": allowed})
        assert r.headers["access-control-allow-origin"] == allowed
        assert "etag" in r.headers["access-control-expose-headers"].lower()

        other = "https://elsewhere.example.com"
        refused = client.options("/api/methodologies", headers={"Origin": other, **ask})
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        r = client.get("/api/methodologies", headers={"Origin": other})
        assert "access-control-allow-origin" not in r.headers


def test_the_settings_read_from_the_environment():
    s = Settings.from_env(
        {"PARINDEX_RATE_LIMIT": "0", "PARINDEX_CORS_ORIGINS": "https://a.vn, https://b.vn"}
    )
    assert s.rate_limit == 0 and s.cors_origins == ("https://a.vn", "https://b.vn")
    assert Settings.from_env({}).cors_origins == () and Settings.from_env({}).rate_limit == 600


def test_the_counts_of_callers_gone_quiet_are_purged():
    async def run() -> int:
        store = PurgedMemoryStore(every=3)
        for key in ("a", "b"):
            await store.set(key, "1", expires_in=-1)  # already past, never read again
        await store.set("c", "1", expires_in=60)  # the third write purges
        return len(store._store)

    assert run_async(run) == 1


def test_every_limited_operation_exists(tmp_path):
    """A renamed operation must not silently lose its limit."""
    app = create_app(Settings(data_dir=str(tmp_path)))
    ids = {
        handler.operation_id
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
    }
    assert set(EXPENSIVE) <= ids, set(EXPENSIVE) - ids
