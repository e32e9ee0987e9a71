"""`parindex user disable|enable` and `parindex token add|list|revoke`: real processes
against the test databases, checked through the API they govern."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.helpers import TOKEN, parindex
from tests.server.helpers import db_args as _db_args

pytestmark = pytest.mark.slow  # a `parindex` process per command

READ = "/api/units"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_disable_revoke_and_expire_from_the_cli(settings: Settings, tmp_path: Path):
    db = _db_args(settings)
    added = parindex("user", "add", "Lê Văn Kiểm Toán", "--role", "auditor", *db, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    first = added.stdout.splitlines()[-1]
    second_run = parindex("token", "add", "Lê Văn Kiểm Toán", "--expires", "30d", *db, cwd=tmp_path)
    assert second_run.returncode == 0, second_run.stderr
    second = second_run.stdout.splitlines()[-1]
    assert TOKEN.fullmatch(second) and second != first
    assert "valid until" in second_run.stdout

    with TestClient(create_app(settings)) as client:
        assert client.get(READ, headers=_bearer(first)).status_code == 200
        assert client.get(READ, headers=_bearer(second)).status_code == 200

        revoked = parindex("token", "revoke", first, *db, cwd=tmp_path)  # the whole token works
        assert revoked.returncode == 0, revoked.stderr
        r = client.get(READ, headers=_bearer(first))  # the running server: at once
        assert r.status_code == 401 and "thu hồi" in r.json()["detail"]
        assert client.get(READ, headers=_bearer(second)).status_code == 200

        listed = parindex(
            "token", "list", "Lê Văn Kiểm Toán", "--format", "json", *db, cwd=tmp_path
        )
        rows = json.loads(listed.stdout)
        assert [bool(r["revoked_at"]) for r in rows] == [True, False]
        assert rows[1]["expires_at"] is not None and rows[0]["expires_at"] is None
        assert "pdx_" not in listed.stdout

        disabled = parindex("user", "disable", "Lê Văn Kiểm Toán", *db, cwd=tmp_path)
        assert disabled.returncode == 0, disabled.stderr
        r = client.get(READ, headers=_bearer(second))
        assert r.status_code == 401 and "vô hiệu hoá" in r.json()["detail"]
        assert "(disabled)" in parindex("user", "list", *db, cwd=tmp_path).stdout

        enabled = parindex("user", "enable", "Lê Văn Kiểm Toán", *db, cwd=tmp_path)
        assert enabled.returncode == 0, enabled.stderr
        assert client.get(READ, headers=_bearer(second)).status_code == 200


def test_cli_errors_are_one_line(settings: Settings, tmp_path: Path):
    db = _db_args(settings)
    for args, text in [
        (("user", "disable", "không-có-ai"), "không có người dùng 'không-có-ai'"),
        (("token", "revoke", "abcdef123456"), "không có token 'abcdef123456'"),
        (("user", "add", "x", "--role", "auditor", "--expires", "2001-01-01"), "đã qua"),
        (("user", "add", "x", "--role", "auditor", "--expires", "sớm"), "--expires: 'sớm'"),
    ]:
        result = parindex(*args, *db, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and text in lines[0], (args, lines)


def test_an_unusable_token_key_is_a_one_line_error(settings: Settings, tmp_path: Path):
    settings.token_key_path.parent.mkdir(parents=True, exist_ok=True)
    settings.token_key_path.write_text("abc\n")
    result = parindex("user", "add", "x", "--role", "auditor", *_db_args(settings), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "token-key" in lines[0] and "64 hex digits" in lines[0], lines
