"""`parindex user add` / `user list`: real processes against the test databases."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from tests.server.helpers import TOKEN, parindex
from tests.server.helpers import db_args as _db_args

pytestmark = pytest.mark.slow  # a `parindex` process per command


def test_user_add_prints_the_token_alone_on_the_last_line(settings: Settings, tmp_path: Path):
    result = parindex(
        "user",
        "add",
        "Trần Thị Biên Tập",
        "--role",
        "province_editor",
        "--province",
        "dak-lak",
        *_db_args(settings),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.rstrip("\n").splitlines()
    token = lines[-1]
    assert TOKEN.fullmatch(token), lines
    assert all(token not in line for line in lines[:-1])  # printed once
    assert "Trần Thị Biên Tập" in result.stdout and "province_editor" in result.stdout

    with TestClient(create_app(settings)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/methodologies/daklak-so").status_code == 401
        r = client.get("/api/methodologies/daklak-so", headers=headers)
        assert r.status_code == 200, r.text
        # The token carries the user's role and province: national edits are refused.
        put = client.put(
            "/api/methodologies/vi-du/nodes/ket-qua-ro-rang",
            headers=headers,
            json={"node": {"id": "ket-qua-ro-rang"}, "base": r.json()["commit"]},
        )
        assert put.status_code == 403
        bad = client.get(
            "/api/methodologies/daklak-so", headers={"Authorization": f"Bearer {token}x"}
        )
        assert bad.status_code == 401

    listed = parindex("user", "list", *_db_args(settings), cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "Trần Thị Biên Tập" in listed.stdout and "dak-lak" in listed.stdout
    assert "pdx_" not in listed.stdout


def test_unknown_role_is_a_one_line_error_and_exit_2(settings: Settings, tmp_path: Path):
    result = parindex("user", "add", "x", "--role", "superuser", *_db_args(settings), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: vai trò 'superuser' không có"), lines
    assert "ministry_editor" in lines[0]


def test_a_taken_name_is_refused(settings: Settings, tmp_path: Path):
    first = parindex("user", "add", "an", "--role", "auditor", *_db_args(settings), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = parindex("user", "add", "an", "--role", "auditor", *_db_args(settings), cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr.strip() == "error: đã có người dùng tên 'an'"


def test_scoped_roles_need_their_scope(settings: Settings, tmp_path: Path):
    for role, option in [("province_editor", "--province"), ("unit_submitter", "--unit")]:
        result = parindex("user", "add", "y", "--role", role, *_db_args(settings), cwd=tmp_path)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1 and option in result.stderr


def test_nfc_and_nfd_spellings_are_one_user(settings: Settings, tmp_path: Path):
    nfc = "Nguyễn Văn Á"
    nfd = unicodedata.normalize("NFD", nfc)
    first = parindex("user", "add", nfd, "--role", "auditor", *_db_args(settings), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"'{nfc}'" in first.stdout
    again = parindex("user", "add", nfc, "--role", "auditor", *_db_args(settings), cwd=tmp_path)
    assert again.returncode != 0
    assert again.stderr.strip() == f"error: đã có người dùng tên '{nfc}'"
