"""Limits counted in the real Redis at 127.0.0.1:6379 (`limits_store=redis://…`): two
applications over one database and one Redis, as two workers or two servers are, refuse
together at the limit, not at twice it — expensive requests and failed sign-ins alike.
Each test writes under a prefix of its own and removes only that. Skipped when Redis
does not answer, a failure under CI=true."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from redis import Redis

from server.app import create_app
from server.settings import Settings
from tests.server.helpers import user_maker
from tests.server.test_jobs_saq import saq_settings  # noqa: F401  (Redis or skip)

REDIS = "redis://127.0.0.1:6379/1"
RANKING = {"cohort": "daklak-so", "period": "2023"}
READ = "/api/methodologies"


@pytest.fixture
def shared(saq_settings: Settings) -> Iterator[Settings]:  # noqa: F811
    prefix = f"test-{secrets.token_hex(6)}"
    yield dataclasses.replace(
        saq_settings, job_queue="inprocess", limits_store=REDIS, limits_prefix=prefix
    )
    with Redis.from_url(REDIS) as redis:
        for key in redis.scan_iter(f"{prefix}*"):
            redis.delete(key)


def _two(settings: Settings) -> tuple[TestClient, TestClient]:
    return TestClient(create_app(settings)), TestClient(create_app(settings))


@pytest.mark.parametrize("where", ["redis", "memory"])
def test_two_apps_sharing_redis_refuse_expensive_requests_at_the_limit(shared, where):
    settings = dataclasses.replace(shared, rate_limit=3)
    if where == "memory":
        settings = dataclasses.replace(settings, limits_store="")
    a, b = _two(settings)
    with a, b:
        caller = user_maker(a)("auditor")
        statuses = [
            client.get("/api/rankings", params=RANKING, headers=caller).status_code
            for client in (a, b, a, b, a, b)
        ]
    refused = [status == 429 for status in statuses]
    if where == "redis":
        assert refused == [False] * 3 + [True] * 3, statuses
    else:  # each process counts its own: together they allow twice the limit
        assert refused == [False] * 6, statuses


@pytest.mark.parametrize("where", ["redis", "memory"])
def test_two_apps_sharing_redis_refuse_failed_sign_ins_at_the_limit(shared, where):
    settings = dataclasses.replace(shared, auth_failure_limit=3, auth_failure_window=60)
    if where == "memory":
        settings = dataclasses.replace(settings, limits_store="")
    a, b = _two(settings)
    with a, b:
        good = user_maker(a)("auditor")
        prefix = good["Authorization"].split("_")[1]
        wrong = {"Authorization": f"Bearer pdx_{prefix}_{secrets.token_urlsafe(24)}"}
        statuses = [client.get(READ, headers=wrong).status_code for client in (a, b, a, b)]
        if where == "redis":
            assert statuses == [401, 401, 401, 429]
            r = b.get(READ, headers=good)  # the prefix is held back on the other app too
            assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60
        else:
            assert statuses == [401] * 4


def test_a_store_other_than_redis_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="PARINDEX_LIMITS_STORE: expected empty or a redis://"):
        Settings.from_env({"PARINDEX_LIMITS_STORE": "memcached://127.0.0.1:11211"})
