"""Helpers the API test modules share: bundled samples as request bodies, database
counts, problem-details checks, `parindex` processes and a running `parindex serve`.

A helper lives here once two test modules use it; test modules do not import each other.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session, func, select

from server.auth import issue_token
from server.models import ApiToken, AuditEntry, User
from server.services.samples import sample_documents
from server.settings import Settings

CHECKOUT = Path(__file__).resolve().parents[2]
BUNDLED = CHECKOUT / "methodology" / "bundled"


def checkout_env(**extra: str) -> dict[str, str]:
    """The environment of a `python -m server` started outside the checkout: it imports
    this checkout's code (not whichever one the virtualenv was installed from)."""
    path = os.pathsep.join(p for p in (str(CHECKOUT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


SAMPLES = BUNDLED / "submissions" / "daklak-so" / "2023"
METHODOLOGY, REF, PERIOD = "daklak-so", "daklak-so/2022", "2023"
PDF = b"%PDF-1.4\n% evidence\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PROVINCIAL = BUNDLED / "submissions" / "par-provincial"
FROM, TO = "par-provincial@par-provincial/2019", "par-provincial@par-provincial/2022"
PNG = b"\x89PNG\r\n\x1a\n"
QUERY = {"cohort": "daklak-so", "period": PERIOD, "methodology": METHODOLOGY, "ref": REF}
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "errors"}
TOKEN = re.compile(r"pdx_[0-9a-f]+_\S+")
STARTUP_SECONDS = 90
SAMPLES_SECONDS = 300  # a first start that loads the samples: ~30 s, more on a busy machine


# -- apps --------------------------------------------------------------------------

_APPS: dict[Settings, Litestar] = {}


def app_for(settings: Settings) -> Litestar:
    """`create_app(settings)`, built once per worker for settings that differ only in
    where the data live (building one takes ~0.3 s: its routes and OpenAPI document) and
    started over ``settings`` by the next `TestClient` (its lifespan opens the services of
    `app.state.settings`). Each test still gets its own database, store and services.
    One client of it at a time: a test that needs two running apps builds the second
    with `create_app`."""
    from server.app import create_app  # the web stack, only for the tests that use it

    key = dataclasses.replace(settings, database_url="", store="", data_dir="", samples=False)
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings)
    app.state.settings = settings
    return app


# -- users with real tokens --------------------------------------------------------


def user_maker(client: TestClient) -> Callable[..., dict[str, str]]:
    """`make(role, name=..., province=..., unit_id=...)` → headers carrying a real token."""

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


# -- the database behind a test client ---------------------------------------------


def db(client) -> Session:
    return Session(client.app.state.services.db)


def count(client, model) -> int:
    with db(client) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def audit(client, action: str | None = None) -> list[AuditEntry]:
    with db(client) as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        return list(session.exec(query).all())


# -- bundled samples as request bodies ---------------------------------------------


def cohort_units(cohort: str = "daklak-so") -> list[dict[str, Any]]:
    return json.loads(_yaml_as_json(BUNDLED / "cohorts" / f"{cohort}.yaml"))["units"]


def add_units(client, headers, cohort: str = "daklak-so", only: set[str] | None = None) -> None:
    """The cohort's units as the bundled cohort file lists them (Đắk Lắk's departments)."""
    for u in cohort_units(cohort):
        if only is not None and u["id"] not in only:
            continue
        body = {
            "id": u["id"],
            "name": u["name"],
            "level": "sở",
            "province": "dak-lak",
            "ranked": u.get("ranked", True),
            "cohorts": [cohort],
            "methodology": METHODOLOGY,
        }
        r = client.post("/api/units", json=body, headers=headers)
        assert r.status_code == 201, r.text


@functools.cache
def _yaml_as_json(path: Path) -> str:
    """A bundled YAML file as JSON text (dates as ISO text), read once per worker: tests
    ask for the same samples again and again (~20 ms a parse)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return json.dumps(yaml.load(path.read_text(encoding="utf-8"), Loader=loader), default=str)


def sample(unit: str) -> dict[str, Any]:
    """The bundled synthetic sample of ``unit`` as plain JSON (a fresh copy each call)."""
    return json.loads(_yaml_as_json(SAMPLES / f"{unit}.yaml"))


def draft_body(unit: str, **changes: Any) -> dict[str, Any]:
    s = sample(unit)
    body = {
        "unit_id": unit,
        "period": PERIOD,
        "methodology": METHODOLOGY,
        "ref": REF,
        "values": s["values"],
        "not_applicable": s.get("not_applicable") or {},
        "facts": s.get("facts") or {},
        # the evidence the sample names, so the nodes that require it can be submitted
        "documents": sample_documents(s),
    }
    body.update(changes)
    return body


def post_submission(client, headers, unit: str, *, submit: bool = True, **changes: Any) -> dict:
    r = client.post("/api/submissions", json=draft_body(unit, **changes), headers=headers)
    assert r.status_code == 201, r.text
    if submit:
        r = client.post(f"/api/submissions/{r.json()['id']}/submit", headers=headers)
        assert r.status_code == 200, r.text
    return r.json()


def appraise_as_sample(client, headers, submission_id: int, unit: str) -> None:
    """The sample's appraisal entries, posted one by one as the council would."""
    for key, entry in (sample(unit).get("appraisal") or {}).items():
        body = {"key": key, "reason": entry["reason"]}
        body.update({"points": entry["points"]} if "points" in entry else {"value": entry["value"]})
        r = client.post(f"/api/submissions/{submission_id}/appraisals", json=body, headers=headers)
        assert r.status_code == 201, r.text


def survey_scores(units: list[str]) -> list[dict[str, Any]]:
    return [
        {"unit_id": unit, "node_id": node, "score": score}
        for unit in units
        for node, score in (sample(unit).get("survey") or {}).items()
    ]


def unit_and_submitter(client, make_user, unit: str = "so-noi-vu"):
    """An admin, the unit and `so-tu-phap`, and the unit's submitter: (admin, submitter)."""
    admin = make_user("admin")
    add_units(client, admin, only={unit, "so-tu-phap"})
    return admin, make_user("unit_submitter", unit_id=unit)


def provincial(unit: str, period: str) -> dict[str, Any]:
    """A province's bundled sample submission of ``period`` as plain JSON (a fresh copy)."""
    return json.loads(_yaml_as_json(PROVINCIAL / period / f"{unit}.yaml"))


def audit_body(units: list[str]) -> dict[str, Any]:
    """Inline 2021 submissions, filled from 2022: complete under both versions."""
    return {
        "from": FROM,
        "to": TO,
        "submissions": [provincial(u, "2021") for u in units],
        "fill": [provincial(u, "2022") for u in units],
    }


def sensitivity_body(units: list[str], **options: Any) -> dict[str, Any]:
    return {
        "methodology": TO,
        "submissions": [provincial(u, "2022") for u in units],
        **options,
    }


# -- answers -----------------------------------------------------------------------


def paths(response) -> list[str]:
    return [e["path"] for e in response.json()["errors"]]


def assert_problem(r, status: int, *, extra: frozenset[str] = frozenset()) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert set(body) == PROBLEM_KEYS | extra, body
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["instance"] == r.request.url.path
    assert isinstance(body["errors"], list)
    assert all(set(e) == {"path", "message"} for e in body["errors"])
    return body


# -- processes ---------------------------------------------------------------------


def parindex(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=checkout_env(),
        timeout=120,
        check=False,
    )


def db_args(settings: Settings) -> list[str]:
    return ["--database-url", settings.database, "--data-dir", settings.data_dir]


@dataclass
class Server:
    url: str
    data_dir: Path
    store: Path
    log: Path
    process: subprocess.Popen

    def admin_headers(self) -> dict[str, str]:
        token = (self.data_dir / "admin-token").read_text().strip()
        return {"Authorization": f"Bearer {token}"}

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(
    tmp_path: Path,
    store_template: Path | None = None,
    database_url: str | None = None,
    *,
    samples: bool = False,
    args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """`parindex serve` over ``tmp_path/data`` (made, with a copy of ``store_template`` when
    given, unless it exists) and ``database_url`` (default: SQLite in the data folder);
    its output is appended to ``tmp_path/serve.log``. The bundled samples are loaded on
    its first start only with ``samples`` (else it runs with `--empty`): other tests
    expect an empty database. ``args`` and ``env`` (`PARINDEX_*` settings) are added."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    store = data_dir / "store"
    if store_template is not None and not store.exists():
        shutil.copytree(store_template, store)
    port = free_port()
    log = tmp_path / "serve.log"
    command = [
        sys.executable,
        "-m",
        "server",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *(["--database-url", database_url] if database_url else []),
        *([] if samples else ["--empty"]),
        *args,
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # `--empty` is what turns the samples off
            env=checkout_env(PARINDEX_SAMPLES="on", **(env or {})),
        )
    server = Server(f"http://127.0.0.1:{port}", data_dir, store, log, process)
    try:
        seconds = STARTUP_SECONDS + (SAMPLES_SECONDS if samples else 0)
        deadline = time.monotonic() + seconds
        while True:
            if process.poll() is not None:
                pytest.fail(f"parindex serve exited with {process.returncode}:\n{server.output()}")
            try:
                if httpx.get(f"{server.url}/schema/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"parindex serve did not answer in {seconds}s:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def user_id_of(client: TestClient, headers: dict[str, str]) -> int:
    """The id of the user whose bearer token ``headers`` carry."""
    prefix = headers["Authorization"].split(" ", 1)[1].split("_")[1]
    with Session(client.app.state.services.db) as session:
        return session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).one().user_id


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name{labels}`` in a Prometheus text exposition."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        metric, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', metric))
        if metric.split("{")[0] == name and found == labels:
            return float(value)
    return None


# -- rows made once, copied into each test's database -----------------------------


@dataclass(frozen=True)
class KeptRows:
    """A test database's rows, kept (a SQLite file, or a PostgreSQL schema) so that later
    tests of the module start from them rather than make them again through the API; and
    the bearer tokens among them, whose stored digests depend on each server's key."""

    kept: str
    tokens: tuple[str, ...]


def _tables() -> list[str]:
    from sqlmodel import SQLModel

    return [table.name for table in SQLModel.metadata.sorted_tables]  # parents first


def keep_rows(
    client: TestClient, headers: list[dict[str, str]], where: Path, cleanup: Callable
) -> KeptRows:
    """The rows of ``client``'s database as they are now, with the tokens of
    ``headers``; ``where``: a folder for SQLite's copy; ``cleanup(f)``: f is called
    when the session ends (a PostgreSQL copy is dropped then)."""
    engine = client.app.state.services.db
    tokens = tuple(h["Authorization"].removeprefix("Bearer ") for h in headers)
    if engine.dialect.name == "sqlite":
        path = where / f"kept-{uuid.uuid4().hex[:8]}.db"
        with engine.connect() as conn:
            conn.exec_driver_sql(f"VACUUM INTO '{path}'")
        return KeptRows(str(path), tokens)
    schema = f"t_kept_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        for table in _tables():
            conn.exec_driver_sql(f'CREATE TABLE "{schema}"."{table}" AS SELECT * FROM "{table}"')

    def drop() -> None:
        from sqlalchemy import create_engine

        admin = create_engine(engine.url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

    cleanup(drop)
    return KeptRows(schema, tokens)


def put_rows(client: TestClient, rows: KeptRows) -> None:
    """The kept rows into ``client``'s database (migrated, empty): the same rows, ids and
    sequences, and the kept tokens valid under this server's key."""
    from server.auth import token_digest

    services = client.app.state.services
    engine = services.db
    tables = _tables()
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql(f"ATTACH DATABASE '{rows.kept}' AS kept")
            for table in tables:
                conn.exec_driver_sql(f'INSERT INTO main."{table}" SELECT * FROM kept."{table}"')
            conn.commit()
            conn.exec_driver_sql("DETACH DATABASE kept")
    else:
        with engine.begin() as conn:
            for table in tables:
                conn.exec_driver_sql(f'INSERT INTO "{table}" SELECT * FROM "{rows.kept}"."{table}"')
            serials = conn.exec_driver_sql(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%%'"
            ).all()
            for table, column in serials:  # the next id follows the kept rows' ids
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'),"
                    f' COALESCE(MAX("{column}"), 1), MAX("{column}") IS NOT NULL) FROM "{table}"'
                )
    with Session(engine) as session:
        for token in rows.tokens:
            _, prefix, secret = token.split("_", 2)
            row = session.exec(select(ApiToken).where(ApiToken.prefix == prefix)).one()
            row.token_hash = token_digest(services.token_key, prefix, secret)
            session.add(row)
        session.commit()
