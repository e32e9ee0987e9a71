"""API fixtures: a real app over a real store and database, and users with real tokens.

`db_url` runs every API test against SQLite and, when it answers, the PostgreSQL server
at 127.0.0.1:5432 (database `test`); when it does not, the PostgreSQL run is skipped and
says why.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from sqlmodel import Session

from server.app import create_app
from server.auth import issue_token
from server.models import User
from server.settings import Settings

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_reason() -> str | None:
    try:
        engine = create_engine(PG_ADMIN, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL at 127.0.0.1:5432/test is not reachable: {type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'parindex.db'}"
        return
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, template_store: Path, db_url: str) -> Settings:
    data = tmp_path / "var"
    shutil.copytree(template_store, data / "store")
    return Settings(data_dir=str(data), database_url=db_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def make_user(client: TestClient) -> Callable[..., dict[str, str]]:
    """`make_user(role, province=..., unit_id=...)` → headers carrying a real token."""
    return user_maker(client)


def user_maker(client: TestClient) -> Callable[..., dict[str, str]]:
    def make(
        role: str,
        *,
        name: str | None = None,
        province: str | None = None,
        unit_id: str | None = None,
    ) -> dict[str, str]:
        engine = client.app.state.services.db
        with Session(engine) as session:
            user = User(
                name=name or f"{role}-{uuid.uuid4().hex[:6]}",
                role=role,
                province=province,
                unit_id=unit_id,
            )
            session.add(user)
            session.flush()
            token = issue_token(session, user, client.app.state.services.token_key)
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def make_user_on() -> Callable[..., dict[str, str]]:
    """`make_user_on(client, role, ...)`: `make_user` for a client a test built itself."""

    def make(client: TestClient, role: str, **kwargs: str | None) -> dict[str, str]:
        return user_maker(client)(role, **kwargs)

    return make
