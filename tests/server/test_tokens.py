"""API tokens: a fast keyed hash, old argon2 rows upgraded, failed sign-ins limited,
users disabled and tokens revoked or expired — each refused from the very next request.

Every test runs on SQLite and PostgreSQL through the app's real HTTP stack.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
import uuid
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from litestar.testing import TestClient
from sqlmodel import Session, select

import server.auth
from server.app import create_app
from server.auth import FailureLimiter
from server.models import ApiToken, AuditEntry, User
from server.settings import Settings
from tests.server.helpers import user_id_of

READ = "/api/units"  # any signed-in user may read it: 200 means "the token works"


class CountingHasher(PasswordHasher):
    """argon2 as shipped, counting its verifications: the costly step under test."""

    def __init__(self) -> None:
        super().__init__()
        self.verified = 0

    def verify(self, hash, password):
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def argon2_calls(monkeypatch) -> CountingHasher:
    hasher = CountingHasher()
    monkeypatch.setattr(server.auth, "_hasher", hasher)
    return hasher


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].split(" ", 1)[1]


def _row(client: TestClient, prefix: str) -> ApiToken:
    with Session(client.app.state.services.db) as session:
        return session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).one()


def _legacy_user(client: TestClient, role: str = "auditor") -> tuple[str, str]:
    """A user whose token was stored the way earlier versions did: an argon2 hash."""
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(24)
    with Session(client.app.state.services.db) as session:
        user = User(name=f"cũ-{uuid.uuid4().hex[:6]}", role=role)
        session.add(user)
        session.flush()
        session.add(
            ApiToken(user_id=user.id, prefix=prefix, token_hash=PasswordHasher().hash(secret))
        )
        session.commit()
    return prefix, f"pdx_{prefix}_{secret}"


def test_new_tokens_are_stored_as_hmac_and_work(client, make_user, argon2_calls):
    headers = make_user("auditor")
    prefix = _token(headers).split("_")[1]
    assert client.get(READ, headers=headers).status_code == 200
    stored = _row(client, prefix).token_hash
    assert stored.startswith("hmac-sha256$") and _token(headers) not in stored
    assert argon2_calls.verified == 0


def test_a_wrong_secret_for_a_known_prefix_runs_no_argon2(client, make_user, argon2_calls):
    prefix = _token(make_user("auditor")).split("_")[1]
    for _ in range(10):
        r = client.get(READ, headers=_bearer(f"pdx_{prefix}_{secrets.token_urlsafe(24)}"))
        assert r.status_code == 401
        assert r.json()["detail"] == "token không đúng hoặc không tồn tại"
    assert argon2_calls.verified == 0


def test_an_argon2_token_works_once_verified_then_is_rehashed(client, argon2_calls):
    prefix, token = _legacy_user(client)
    wrong = f"pdx_{prefix}_{secrets.token_urlsafe(24)}"
    assert client.get(READ, headers=_bearer(wrong)).status_code == 401
    assert client.get(READ, headers=_bearer(token)).status_code == 200
    assert argon2_calls.verified == 2
    assert _row(client, prefix).token_hash.startswith("hmac-sha256$")
    for _ in range(3):  # upgraded: later uses and wrong guesses cost no argon2
        assert client.get(READ, headers=_bearer(token)).status_code == 200
        assert client.get(READ, headers=_bearer(wrong)).status_code == 401
    assert argon2_calls.verified == 2


def test_the_token_key_file_is_private_and_reused(settings, tmp_path):
    with TestClient(create_app(settings)) as client:
        key = client.app.state.services.token_key
    path = settings.token_key_path
    assert path.stat().st_mode & 0o777 == 0o600
    assert bytes.fromhex(path.read_text().strip()) == key and len(key) == 32
    with TestClient(create_app(settings)) as client:
        assert client.app.state.services.token_key == key


# --- failed sign-ins are limited ------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def limited(settings: Settings) -> Iterator[tuple[TestClient, Clock]]:
    clock = Clock()
    with TestClient(
        create_app(dataclasses.replace(settings, auth_failure_limit=3, auth_failure_window=60))
    ) as client:
        client.app.state.services.auth_failures.clock = clock
        yield client, clock


def test_failed_sign_ins_get_429_with_retry_after_then_recover(limited, make_user_on):
    client, clock = limited
    good = make_user_on(client, "auditor")
    prefix = _token(good).split("_")[1]
    wrong = _bearer(f"pdx_{prefix}_{secrets.token_urlsafe(24)}")
    for _ in range(3):
        assert client.get(READ, headers=wrong).status_code == 401
        clock.now += 10
    r = client.get(READ, headers=wrong)
    assert r.status_code == 429
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["retry-after"] == "30"  # the first failure leaves the window in 30 s
    assert r.json()["retry_after"] == 30 and "30 giây" in r.json()["detail"]
    # The prefix (and this address) are held back, even with the right secret.
    assert client.get(READ, headers=good).status_code == 429
    assert client.get(READ).status_code == 401  # anonymous: not a failed sign-in, not held
    clock.now += 31
    assert client.get(READ, headers=good).status_code == 200
    # One more failure is within the limit again: the window slid.
    assert client.get(READ, headers=wrong).status_code == 401


def test_successes_do_not_count_and_malformed_headers_do(limited, make_user_on):
    client, _ = limited
    good = make_user_on(client, "auditor")
    for _ in range(10):
        assert client.get(READ, headers=good).status_code == 200
    for _ in range(3):
        assert client.get(READ, headers={"Authorization": "Basic eA=="}).status_code == 401
    assert client.get(READ, headers={"Authorization": "Basic eA=="}).status_code == 429


def test_limiter_counts_addresses_and_prefixes_apart():
    clock = Clock()
    limiter = FailureLimiter(2, 60, clock=clock)
    for _ in range(2):
        limiter.failed(["address:a", "prefix:p"])
    assert limiter.retry_after(["address:b", "prefix:p"]) == 60  # same prefix elsewhere
    assert limiter.retry_after(["address:a"]) == 60  # same address, any token
    assert limiter.retry_after(["address:b", "prefix:q"]) is None
    clock.now += 60
    assert limiter.retry_after(["address:a", "prefix:p"]) is None


# --- disabling, revoking, expiring ----------------------------------------------------


def test_admin_disables_a_user_effective_at_once(client, make_user):
    admin, submitter = make_user("admin"), make_user("unit_submitter", unit_id="so-noi-vu")
    user_id = user_id_of(client, submitter)
    assert client.get(READ, headers=submitter).status_code == 200
    r = client.patch(f"/api/users/{user_id}", json={"active": False}, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    r = client.get(READ, headers=submitter)
    assert r.status_code == 401 and "vô hiệu hoá" in r.json()["detail"]
    assert client.patch(f"/api/users/{user_id}", json={"active": True}, headers=admin).json()[
        "active"
    ]
    assert client.get(READ, headers=submitter).status_code == 200
    with Session(client.app.state.services.db) as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert actions.count("user.update") == 2


def test_admin_revokes_a_token_effective_at_once(client, make_user):
    admin, auditor = make_user("admin"), make_user("auditor")
    prefix = _token(auditor).split("_")[1]
    assert client.get(READ, headers=auditor).status_code == 200
    r = client.post(f"/api/tokens/{prefix}/revoke", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["revoked_at"] is not None
    r = client.get(READ, headers=auditor)
    assert r.status_code == 401 and "thu hồi" in r.json()["detail"]
    assert client.post("/api/tokens/000000000000/revoke", headers=admin).status_code == 404


def test_tokens_with_an_expiry(client, make_user):
    admin, auditor = make_user("admin"), make_user("auditor")
    user_id = user_id_of(client, auditor)
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    r = client.post(f"/api/users/{user_id}/tokens", json={"expires_at": soon}, headers=admin)
    assert r.status_code == 201, r.text
    body = r.json()
    token = body["token"]
    assert token.startswith(f"pdx_{body['prefix']}_")
    assert dt.datetime.fromisoformat(body["expires_at"]) == dt.datetime.fromisoformat(soon)
    assert client.get(READ, headers=_bearer(token)).status_code == 200
    listed = client.get(f"/api/users/{user_id}/tokens", headers=admin).json()
    assert [t["prefix"] for t in listed][-1] == body["prefix"]
    assert all("token" not in t and "token_hash" not in t for t in listed)
    # An hour later: the same token is refused, and says why.
    with Session(client.app.state.services.db) as session:
        row = session.exec(select(ApiToken).where(ApiToken.prefix == body["prefix"])).one()
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.add(row)
        session.commit()
    r = client.get(READ, headers=_bearer(token))
    assert r.status_code == 401 and "hết hạn" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "path"),
    [
        ({"expires_at": "2001-01-01T00:00:00Z"}, 422, "$.expires_at"),
        # Past year 9999 once in UTC: Python's datetime overflowed into a 500.
        ({"expires_at": "9999-12-31T23:59:59-05:00"}, 422, "$.expires_at"),
        ({"expires_at": "ngày mai"}, 400, None),
        ({"expire_at": "2099-01-01T00:00:00Z"}, 400, None),
    ],
)
def test_bad_token_bodies_are_refused(client, make_user, body, status, path):
    admin = make_user("admin")
    user_id = user_id_of(client, make_user("auditor"))
    r = client.post(f"/api/users/{user_id}/tokens", json=body, headers=admin)
    assert r.status_code == status, r.text
    if path:
        assert r.json()["errors"][0]["path"] == path
    assert len(client.get(f"/api/users/{user_id}/tokens", headers=admin).json()) == 1


def test_unknown_fields_on_user_update_are_400(client, make_user):
    admin = make_user("admin")
    user_id = user_id_of(client, make_user("auditor"))
    r = client.patch(f"/api/users/{user_id}", json={"activ": False}, headers=admin)
    assert r.status_code == 400
    r = client.patch(f"/api/users/{user_id}", json={"active": "no"}, headers=admin)
    assert r.status_code == 400


def test_the_last_active_admin_cannot_be_disabled(client, make_user):
    admin = make_user("admin")
    r = client.patch(
        f"/api/users/{user_id_of(client, admin)}", json={"active": False}, headers=admin
    )
    assert r.status_code == 409
    assert client.get(READ, headers=admin).status_code == 200


@pytest.mark.parametrize("role", ["ministry_editor", "auditor", "appraiser"])
def test_only_admins_manage_users(client, make_user, role):
    admin, other = make_user("admin"), make_user(role)
    target = user_id_of(client, make_user("auditor"))
    attempts = [
        ("get", "/api/users", None),
        ("patch", f"/api/users/{target}", {"active": False}),
        ("get", f"/api/users/{target}/tokens", None),
        ("post", f"/api/users/{target}/tokens", {}),
    ]
    for method, path, body in attempts:
        kwargs = {"json": body} if body is not None else {}
        assert getattr(client, method)(path, headers=other, **kwargs).status_code == 403
        assert getattr(client, method)(path, **kwargs).status_code == 401
    prefix = client.get(f"/api/users/{target}/tokens", headers=admin).json()[0]["prefix"]
    assert client.post(f"/api/tokens/{prefix}/revoke", headers=other).status_code == 403
    assert client.get(f"/api/users/{target}/tokens", headers=admin).json()[0]["revoked_at"] is None


def test_ids_beyond_the_id_columns_are_400_never_a_500(client, make_user):
    """Ids are INTEGER columns: past 2**31-1 (and past 64 bits, where drivers overflow)
    the user routes answer the same 400 as every other id; the last id is a plain 404."""
    admin = make_user("admin")
    for big in ("2147483648", "9223372036854775808", "99999999999999999999"):
        for method, path, body in [
            ("patch", f"/api/users/{big}", {"active": False}),
            ("get", f"/api/users/{big}/tokens", None),
            ("post", f"/api/users/{big}/tokens", {}),
        ]:
            kwargs = {"json": body} if body is not None else {}
            r = getattr(client, method)(path, headers=admin, **kwargs)
            assert r.status_code == 400, (path, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["errors"][0]["path"] == "$.path.user_id", r.text
    r = client.patch("/api/users/2147483647", json={"active": False}, headers=admin)
    assert r.status_code == 404, r.text
