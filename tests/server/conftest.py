"""API fixtures: a real app over a real store and database, and users with real tokens.

`db_url` runs every API test against SQLite and, when it answers, the PostgreSQL server
at 127.0.0.1:5432 (database `test`); when it does not, the PostgreSQL run is skipped and
says why. The server is asked once per session, not once per test.

`db_url` is empty (the migration tests start from nothing); `settings` and the clients
built on it get a migrated one, a copy of a SQLite file migrated once per session.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from server.app import create_app
from server.db import migrate
from server.settings import Settings
from tests.server.helpers import app_for, user_maker

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@functools.cache
def _postgres_reason() -> str | None:
    try:
        engine = create_engine(PG_ADMIN, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"PostgreSQL at 127.0.0.1:5432/test is not reachable: {type(exc).__name__}: {str(exc).splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """One engine for making and dropping the tests' schemas (connected only when used)."""
    engine = create_engine(PG_ADMIN)
    yield engine
    engine.dispose()


# The PostgreSQL run repeats each API test on the second database: `make test` runs it,
# `make test-fast` keeps the SQLite run only.
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def db_url(request, tmp_path: Path, postgres_admin) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'parindex.db'}"
        return
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with postgres_admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _schema_url(schema)
    finally:
        with postgres_admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file brought to the latest migration once per session (~0.6 s each time)."""
    path = tmp_path_factory.mktemp("sqlite") / "parindex.db"
    migrate(f"sqlite:///{path}")
    return path


TEMPLATE_SCHEMA = "{schema}"  # where the migrated schema's name stood in its DDL


@functools.cache
def _migrated_postgres_ddl() -> str | None:
    """The DDL of a PostgreSQL schema brought to the latest migration once per worker
    (by Alembic, then read back by `pg_dump --schema-only`), with `{schema}` where its
    name stood, and the migration it is at. Running it makes a migrated schema in ~0.03 s,
    against ~0.3 s for the migrations (and far more on a busy machine). None without
    pg_dump or when it cannot read the server: each schema is then migrated."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None or _postgres_reason():
        return None
    postgres_admin = create_engine(PG_ADMIN, poolclass=NullPool)
    template = f"t_template_{uuid.uuid4().hex[:12]}"
    with postgres_admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{template}"'))
    try:
        migrate(_schema_url(template))
        with postgres_admin.connect() as conn:
            version = conn.execute(text(f'SELECT version_num FROM "{template}".alembic_version'))
            (head,) = version.scalars().all()
        url = make_url(PG_ADMIN)
        what = ["--schema-only", "--no-owner", "--no-privileges", f"--schema={template}"]
        where = [f"--host={url.host}", f"--port={url.port}", f"--username={url.username}"]
        dump = subprocess.run(
            [pg_dump, *what, *where, f"--dbname={url.database}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        with postgres_admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{template}" CASCADE'))
    if dump.returncode != 0:
        return None
    # Only the statements that make the objects: pg_dump's session settings (one empties
    # the search_path), psql's commands (`\restrict`) and the schema itself stay out.
    kept = [
        line
        for line in dump.stdout.splitlines()
        if not line.startswith(("--", "\\", "SET ", "SELECT pg_catalog.set_config("))
        and line != f"CREATE SCHEMA {template};"
    ]
    ddl = "\n".join(kept).replace(template, TEMPLATE_SCHEMA)
    return f"{ddl}\nINSERT INTO {TEMPLATE_SCHEMA}.alembic_version VALUES ('{head}');\n"


def _schema_url(schema: str) -> str:
    return f"{PG_ADMIN}?options=-csearch_path%3D{schema}"


@pytest.fixture
def migrated_db_url(db_url: str, migrated_sqlite: Path, postgres_admin: Engine) -> str:
    """`db_url` at the latest migration: for SQLite a copy of the migrated file; for
    PostgreSQL the migrated schema's DDL run in the test's schema (`_migrated_postgres_ddl`;
    without it, the schema is migrated by whatever opens it first)."""
    if db_url.startswith("sqlite:///"):
        shutil.copyfile(migrated_sqlite, db_url.removeprefix("sqlite:///"))
        return db_url
    ddl = _migrated_postgres_ddl()
    if ddl is not None:
        schema = db_url.rsplit("%3D", 1)[1]
        with postgres_admin.begin() as conn:
            # Several statements in one query: psycopg sends a query without parameters
            # as it is.
            conn.connection.driver_connection.execute(ddl.replace(TEMPLATE_SCHEMA, schema))
    return db_url


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)]
)
def module_client(
    request, tmp_path_factory, template_store: Path, migrated_sqlite: Path, postgres_admin
) -> Iterator[TestClient]:
    """`client` for a whole module whose tests share their setup and keep out of each
    other's way (their own periods, units or submissions): one app over its own store and
    database, SQLite and, when it answers, PostgreSQL."""
    tmp = tmp_path_factory.mktemp("module")
    schema = None
    if request.param == "sqlite":
        shutil.copyfile(migrated_sqlite, tmp / "parindex.db")
        url = f"sqlite:///{tmp / 'parindex.db'}"
    else:
        reason = _postgres_reason()
        if reason:
            pytest.skip(reason)
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with postgres_admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{PG_ADMIN}?options=-csearch_path%3D{schema}"
    shutil.copytree(template_store, tmp / "var" / "store")
    settings = Settings(data_dir=str(tmp / "var"), database_url=url, samples=False)
    try:
        with TestClient(create_app(settings)) as test_client:
            yield test_client
    finally:
        if schema is not None:
            with postgres_admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def settings(tmp_path: Path, template_store: Path, migrated_db_url: str) -> Settings:
    data = tmp_path / "var"
    shutil.copytree(template_store, data / "store")
    # Without the bundled samples: the API tests start from an empty database.
    return Settings(data_dir=str(data), database_url=migrated_db_url, samples=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A test client of an app started over this test's store and database (the app
    itself, its routes and OpenAPI document, is built once per worker: `app_for`)."""
    with TestClient(app_for(settings)) as test_client:
        yield test_client


@pytest.fixture
def make_user(client: TestClient) -> Callable[..., dict[str, str]]:
    """`make_user(role, province=..., unit_id=...)` → headers carrying a real token."""
    return user_maker(client)


@pytest.fixture
def make_user_on() -> Callable[..., dict[str, str]]:
    """`make_user_on(client, role, ...)`: `make_user` for a client a test built itself."""

    def make(client: TestClient, role: str, **kwargs: str | None) -> dict[str, str]:
        return user_maker(client)(role, **kwargs)

    return make
