"""`parindex serve` and `parindex user`: running the HTTP API and managing its users.

`serve` applies the migrations, makes sure the database has an admin (the first start
creates a user `admin` and writes its token to `<data_dir>/admin-token` and the password
it signs in to the pages with to `<data_dir>/admin-password`, both mode 0600; tokens
are keyed with `Settings.token_key_path`, created 0600 on first use), then
runs uvicorn on `create_app(settings)`; the lifespan opens the store, creating it from the
bundled catalog on first start, and loads the bundled synthetic samples into an empty
database unless `Settings.samples` is off (`server.services.samples.load_on_first_start`).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from server.auth import hash_password, issue_token, load_token_key
from server.db import make_engine, migrate, session_scope
from server.errors import ApiError
from server.models import User
from server.observe import logging_config, share_between_processes
from server.services.submissions import nfc_name
from server.services.users import create_user
from server.settings import Settings

__all__ = [
    "ADMIN_NAME",
    "ADMIN_PASSWORD_FILE",
    "ADMIN_TOKEN_FILE",
    "UserError",
    "add_user",
    "admin_session",
    "ensure_admin",
    "list_users",
    "serve",
]

ADMIN_NAME = "admin"
ADMIN_TOKEN_FILE = "admin-token"
ADMIN_PASSWORD_FILE = "admin-password"


class UserError(Exception):
    """A user cannot be created as asked (unknown role, missing scope, name taken)."""


@dataclass(frozen=True)
class NewUser:
    id: int
    name: str
    role: str
    province: str | None
    unit_id: str | None
    token: str


def add_user(
    settings: Settings,
    name: str,
    role: str,
    *,
    province: str | None = None,
    unit_id: str | None = None,
    expires_at: dt.datetime | None = None,
    password: str | None = None,
) -> NewUser:
    """Create a user and its first token (migrations applied first); the token is returned once."""
    database_url = settings.database
    engine = make_engine(database_url)  # first: it creates the SQLite file's folder
    migrate(database_url)
    try:
        with session_scope(engine) as session:
            user = create_user(
                session, name, role, province=province, unit_id=unit_id, password=password
            )
            key = load_token_key(settings.token_key_path)
            token = issue_token(session, user, key, expires_at=expires_at)
            assert user.id is not None
            return NewUser(user.id, user.name, user.role, user.province, user.unit_id, token)
    except ApiError as exc:
        raise UserError(_with_option(exc)) from None
    except IntegrityError:  # the same name added at the same moment
        raise UserError(f"đã có người dùng tên '{nfc_name(name)}'") from None
    finally:
        engine.dispose()


# The CLI option that sets each field a service names in its problems.
_OPTIONS = {"$.province": "--province", "$.unit_id": "--unit", "$.role": "--role"}


def _with_option(error: ApiError) -> str:
    """The service's message, naming the command-line option to fix it with."""
    options = [_OPTIONS[e["path"]] for e in error.errors or [] if e.get("path") in _OPTIONS]
    return error.detail + (f" ({', '.join(options)})" if options else "")


@contextmanager
def admin_session(settings: Settings) -> Iterator[Session]:
    """A committed-on-success session on the migrated database, for the `user`/`token` CLI."""
    engine = make_engine(settings.database)  # first: it creates the SQLite file's folder
    migrate(settings.database)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def list_users(database_url: str) -> list[User]:
    """Every user, oldest first (migrations applied first)."""
    engine = make_engine(database_url)  # first: it creates the SQLite file's folder
    migrate(database_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            return list(session.exec(select(User).order_by(col(User.id))).all())
    finally:
        engine.dispose()


def ensure_admin(settings: Settings) -> Path | None:
    """Create the `admin` user when the database has no admin; return its token file then."""
    engine = make_engine(settings.database)  # first: it creates the SQLite file's folder
    migrate(settings.database)
    try:
        with session_scope(engine) as session:
            if session.exec(select(User).where(User.role == "admin")).first() is not None:
                return None
            name = ADMIN_NAME
            taken = {u.name for u in session.exec(select(User)).all()}
            suffix = 1
            while name in taken:
                suffix += 1
                name = f"{ADMIN_NAME}-{suffix}"
            password = secrets.token_urlsafe(12)
            user = User(name=name, role="admin", password_hash=hash_password(password))
            session.add(user)
            session.flush()
            token = issue_token(session, user, load_token_key(settings.token_key_path))
            path = Path(settings.data_dir) / ADMIN_TOKEN_FILE
            _write_private(path, token + "\n")
            _write_private(Path(settings.data_dir) / ADMIN_PASSWORD_FILE, password + "\n")
            return path
    finally:
        engine.dispose()


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (mode 0600, even if it existed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)


def serve(settings: Settings, echo: Callable[[str], None] = print) -> None:
    """Run the API with uvicorn until interrupted: in this process, or in
    `settings.workers` processes that uvicorn starts (and restarts when one dies), once
    the migrations, the admin, the store and the first start's samples are in place —
    done here, once, so that the workers never race to make them."""
    import uvicorn

    token_file = ensure_admin(settings)
    url = f"http://{_url_host(settings.host)}:{settings.port}"
    echo(f"parindex: web pages on {url}/ , API on {url}/api (OpenAPI: {url}/schema)")
    store = f"{settings.store_path}" + (
        f", a copy of {settings.store_remote}" if settings.store_remote else ""
    )
    echo(f"  database {_redact(settings.database)}; store {store}")
    if token_file is not None:
        echo(
            f"  created the user '{ADMIN_NAME}' (role admin); its token is in {token_file} "
            f"and its password for the pages in {token_file.with_name(ADMIN_PASSWORD_FILE)} "
            "(readable by you only). Add users with `parindex user add`."
        )
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_config": logging_config(settings.log_format),
        "access_log": False,  # each request is logged once, by parindex, with its id
        "lifespan": "on",
    }
    if settings.workers == 1:
        from server.app import create_app

        # On SIGTERM uvicorn stops taking connections, lets the requests in flight finish,
        # closes the lifespan, then raises the signal again for the handler it found: this
        # one ends a requested stop with status 0, which a service manager reads as a
        # clean stop. (With several workers uvicorn's supervisor handles the signals.)
        signal.signal(signal.SIGTERM, _stopped)
        uvicorn.Server(uvicorn.Config(create_app(settings), **options)).run()
        return
    echo(f"  {settings.workers} worker processes")
    _prepare(settings)
    share_between_processes(Path(settings.data_dir) / "metrics")
    # Each worker builds its app from the environment (`create_app()` reads
    # `Settings.from_env()`): these settings, options included, are what it reads.
    os.environ.update(settings.as_env())
    uvicorn.run("server.app:create_app", factory=True, workers=settings.workers, **options)


def _prepare(settings: Settings) -> None:
    """What a first start makes, made once before the workers start: the store (from the
    bundled catalog or the remote) and the samples of an empty database."""
    from server.deps import open_services
    from server.services.samples import load_on_first_start

    services = open_services(settings)
    try:
        load_on_first_start(services)
    finally:
        services.close()


def _stopped(*_: object) -> None:
    raise SystemExit(0)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _redact(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url
