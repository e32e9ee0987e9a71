"""Passwords people sign in to the pages with: set by the CLI, hashed with argon2id."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session

from server.auth import check_password
from server.db import make_engine, migrate

pytestmark = pytest.mark.slow


def _parindex(*args: str, data_dir: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args, "--data-dir", str(data_dir)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _hash_of(data_dir: Path, name: str) -> str | None:
    row = sqlite3.connect(data_dir / "parindex.db").execute(
        "SELECT password_hash FROM users WHERE name = ?", (name,)
    )
    return row.fetchone()[0]


def _signs_in(data_dir: Path, name: str, password: str) -> bool:
    url = f"sqlite:///{data_dir / 'parindex.db'}"
    migrate(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return check_password(session, name, password) is not None
    finally:
        engine.dispose()


def test_user_add_sets_a_password_that_signs_in(tmp_path):
    done = _parindex(
        "user", "add", "Nguyễn Văn An", "--role", "auditor", "--password",
        data_dir=tmp_path, stdin="mật khẩu dài\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith("pdx_")  # the token is still printed
    stored = _hash_of(tmp_path, "Nguyễn Văn An")
    assert stored is not None and stored.startswith("$argon2id$")
    assert "mật khẩu" not in stored
    assert _signs_in(tmp_path, "Nguyễn Văn An", "mật khẩu dài")
    assert not _signs_in(tmp_path, "Nguyễn Văn An", "mật khẩu sai")
    assert not _signs_in(tmp_path, "Không Có Ai", "mật khẩu dài")


def test_a_short_password_is_refused_and_nothing_is_written(tmp_path):
    done = _parindex(
        "user", "add", "Bình", "--role", "auditor", "--password", data_dir=tmp_path, stdin="ngắn\n"
    )
    assert done.returncode != 0
    assert "ít nhất 8 ký tự" in done.stderr
    rows = sqlite3.connect(tmp_path / "parindex.db").execute("SELECT count(*) FROM users")
    assert rows.fetchone()[0] == 0


def test_user_password_changes_and_removes_it(tmp_path):
    assert _parindex("user", "add", "Cúc", "--role", "appraiser", data_dir=tmp_path).returncode == 0
    assert _hash_of(tmp_path, "Cúc") is None  # tokens only until a password is set
    done = _parindex("user", "password", "Cúc", data_dir=tmp_path, stdin="mật-khẩu-mới-1\n")
    assert done.returncode == 0, done.stderr
    assert _signs_in(tmp_path, "Cúc", "mật-khẩu-mới-1")
    assert _parindex("user", "password", "Cúc", "--remove", data_dir=tmp_path).returncode == 0
    assert _hash_of(tmp_path, "Cúc") is None
    assert not _signs_in(tmp_path, "Cúc", "mật-khẩu-mới-1")
    missing = _parindex("user", "password", "Không Có", data_dir=tmp_path, stdin="mật-khẩu-mới-1\n")
    assert missing.returncode != 0 and "không có người dùng" in missing.stderr


def test_a_disabled_user_cannot_sign_in(tmp_path):
    _parindex("user", "add", "Dũng", "--role", "auditor", "--password", data_dir=tmp_path,
              stdin="mật-khẩu-dài-1\n")  # fmt: skip
    assert _parindex("user", "disable", "Dũng", data_dir=tmp_path).returncode == 0
    assert not _signs_in(tmp_path, "Dũng", "mật-khẩu-dài-1")


def test_the_first_start_gives_the_admin_a_password(tmp_path):
    from server.serve import ADMIN_PASSWORD_FILE, ensure_admin
    from server.settings import Settings

    settings = Settings(data_dir=str(tmp_path))
    ensure_admin(settings)
    password_file = tmp_path / ADMIN_PASSWORD_FILE
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert _signs_in(tmp_path, "admin", password_file.read_text().strip())
