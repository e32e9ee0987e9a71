"""`parindex backup DIR` and `parindex restore DIR`: one consistent snapshot of a
deployment — its database, its methodology store, its evidence files and its token key —
and the deployment rebuilt from it.

A backup runs while the server serves. It takes the database first (SQLite's online
backup API; `pg_dump`, which reads one snapshot, for PostgreSQL), then the store (a git
bundle of every ref), then the evidence files: the store and the evidence folder only
grow, so every commit and every file the database names is in the later copies. The
manifest, written last, lists each file with its SHA-256; a folder without one is an
unfinished backup and is never restored.

A restore checks every checksum before it writes anything, refuses a deployment that is
not empty, and then applies the migrations: a backup taken by an older parindex comes
back at the current schema.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from server.db import make_engine, migrate
from server.settings import Settings

__all__ = ["MANIFEST", "BackupError", "Summary", "backup", "restore"]

MANIFEST = "manifest.json"
FORMAT = 1
STORE_BUNDLE = "store.bundle"
EVIDENCE = "evidence"
TOKEN_KEY = "token-key"
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or a restore cannot be done as asked; nothing was written."""


@dataclass(frozen=True)
class Summary:
    folder: Path
    database: str  # sqlite or postgresql
    revision: str | None  # the schema's migration when backed up
    refs: int
    evidence: int
    files: int


def backup(settings: Settings, folder: Path) -> Summary:
    """Write the snapshot of ``settings``' deployment to ``folder`` (new or empty)."""
    folder = Path(folder).absolute()  # git runs in the store's folder
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise BackupError(f"{folder} đã có và không trống: chọn một thư mục mới cho bản sao lưu")
    store = settings.store_path
    if not (store / "HEAD").is_file():
        raise BackupError(f"không có kho phương pháp tại {store}")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    kind = _kind(settings.database)
    database_file = _backup_database(settings.database, folder)
    revision = _revision(folder / database_file) if kind == "sqlite" else _pg_revision(settings)
    if settings.store_remote:
        from methodology import Store

        # The copy may lag the remote by `store_staleness`, and the database just dumped
        # can name commits made through the other servers meanwhile.
        with Store.open(store, remote=settings.store_remote) as copy:
            copy.sync(force=True)
    head = _git(store, "symbolic-ref", "HEAD").strip()
    _git(store, "bundle", "create", str(folder / STORE_BUNDLE), "--all")
    refs = {}  # as the bundle holds them: "<sha> <ref>" lines
    for line in _git(store, "bundle", "list-heads", str(folder / STORE_BUNDLE)).splitlines():
        sha, _, ref = line.partition(" ")
        if ref.startswith("refs/"):
            refs[ref] = sha
    evidence = _copy_evidence(settings.evidence_dir, folder / EVIDENCE)
    if settings.token_key_path.is_file():
        _copy_private(settings.token_key_path, folder / TOKEN_KEY)
    files = {
        path.relative_to(folder).as_posix(): {"sha256": _sha256(path), "size": path.stat().st_size}
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": {"kind": kind, "file": database_file, "revision": revision},
        "store": {"file": STORE_BUNDLE, "head": head, "refs": refs},
        "evidence": evidence,
        "files": files,
    }
    partial = folder / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    os.replace(partial, folder / MANIFEST)
    return Summary(folder, kind, revision, len(refs), evidence, len(files))


def restore(settings: Settings, folder: Path) -> Summary:
    """Rebuild ``settings``' (empty) deployment from the backup in ``folder``."""
    folder = Path(folder).absolute()  # git runs in the store's folder
    manifest = read_manifest(folder)
    _verify(folder, manifest)
    kind = manifest["database"]["kind"]
    if kind != _kind(settings.database):
        raise BackupError(
            f"bản sao lưu chứa cơ sở dữ liệu {kind}, còn đích khôi phục là "
            f"{_kind(settings.database)} (--database-url)"
        )
    _require_empty(settings)
    store = settings.store_path
    from methodology import Store

    head = manifest["store"]["head"].removeprefix("refs/heads/")
    Store.init(store, branch=head).close()
    _git(store, "fetch", "--quiet", str(folder / manifest["store"]["file"]), "refs/*:refs/*")
    _restore_database(settings, folder / manifest["database"]["file"], kind)
    copied = _copy_evidence(folder / EVIDENCE, settings.evidence_dir)
    if (folder / TOKEN_KEY).is_file():
        _copy_private(folder / TOKEN_KEY, settings.token_key_path)
    migrate(settings.database)  # a backup of an older schema comes back at this one
    return Summary(
        folder,
        kind,
        manifest["database"]["revision"],
        len(manifest["store"]["refs"]),
        copied,
        len(manifest["files"]),
    )


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{folder} không phải một bản sao lưu hoàn chỉnh: thiếu {MANIFEST} "
            "(bản sao lưu bị ngắt giữa chừng, hoặc sai thư mục)"
        )
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path}: không đọc được ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: định dạng không được hỗ trợ (cần format {FORMAT})")
    return manifest


def _verify(folder: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists is there, whole; and nothing else is."""
    listed = manifest.get("files") or {}
    problems = []
    for name, expected in sorted(listed.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: thiếu")
        elif path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            problems.append(f"{name}: tổng kiểm tra (SHA-256) không khớp")
    present = {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    problems += [f"{name}: không có trong {MANIFEST}" for name in sorted(present - set(listed))]
    if problems:
        raise BackupError("bản sao lưu bị hỏng, không khôi phục: " + "; ".join(problems))


def _require_empty(settings: Settings) -> None:
    store = settings.store_path
    if store.exists() and (not store.is_dir() or any(store.iterdir())):
        raise BackupError(f"kho phương pháp {store} đã có dữ liệu: chỉ khôi phục vào chỗ trống")
    evidence = settings.evidence_dir
    if evidence.is_dir() and any(p.is_file() for p in evidence.rglob("*")):
        raise BackupError(f"thư mục minh chứng {evidence} đã có tệp: chỉ khôi phục vào chỗ trống")
    engine = make_engine(settings.database)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            "cơ sở dữ liệu đích đã có bảng ("
            + ", ".join(sorted(tables)[:5])
            + "…): chỉ khôi phục vào cơ sở dữ liệu trống"
        )


# -- the database ----------------------------------------------------------------------


def _kind(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"không sao lưu được cơ sở dữ liệu {backend}")
    return backend


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được")
    return Path(database)


def _backup_database(url: str, folder: Path) -> str:
    if _kind(url) == "sqlite":
        source = _sqlite_path(url)
        if not source.is_file():
            raise BackupError(f"không có cơ sở dữ liệu tại {source}")
        target = folder / "database.sqlite"
        # The online backup API copies a consistent state while others write (WAL).
        with (
            contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            contextlib.closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)
            # One self-contained file: the copy is read (and restored) without -wal/-shm.
            dst.execute("PRAGMA journal_mode=DELETE")
        os.chmod(target, 0o600)
        return target.name
    target = folder / "database.pgdump"
    command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target)]
    schema = _pg_schema(url)
    if schema:
        command += ["--schema", schema]
    _pg(command, url)
    return target.name


def _restore_database(settings: Settings, file: Path, kind: str) -> None:
    if kind == "sqlite":
        target = _sqlite_path(settings.database)
        target.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)  # an empty file the check above found tableless
        _copy_private(file, target)
        return
    _pg(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"], settings.database, file)


def _pg_schema(url: str) -> str | None:
    """The schema a `?options=-csearch_path=NAME` URL works in (None: the default one)."""
    options = make_url(url).query.get("options")
    text = options if isinstance(options, str) else " ".join(options or ())
    for part in text.split():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1].split(",")[0]
    return None


def _pg(command: list[str], url: str, file: Path | None = None) -> None:
    """Run a PostgreSQL client with the connection of ``url`` (its password through the
    environment, not the command line others can read)."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    dsn = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    args = [*command, "--dbname", dsn, *([str(file)] if file else [])]
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"cần {command[0]} (PostgreSQL client) trên máy này") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} thất bại: {done.stderr.strip()[:2000]}")


def _revision(sqlite_file: Path) -> str | None:
    with contextlib.closing(sqlite3.connect(f"file:{sqlite_file}?mode=ro", uri=True)) as db:
        try:
            row = db.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:
            return None
    return row[0] if row else None


def _pg_revision(settings: Settings) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = make_engine(settings.database)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


# -- files --------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"git {args[0]} thất bại trong {repo}: {done.stderr.strip()}")
    return done.stdout


def _copy_evidence(source: Path, target: Path) -> int:
    """Copy the content-addressed files (`xx/<sha256>`); uploads still being written
    (`.upload-*`) are not evidence yet. Readable by the service's user only."""
    copied = 0
    if not source.is_dir():
        return 0
    for path in sorted(source.glob("*/*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        _copy_private(path, target / path.parent.name / path.name)
        copied += 1
    return copied


def _copy_private(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as src:
        shutil.copyfileobj(src, out, _CHUNK)
        out.flush()
        os.fsync(out.fileno())
    os.chmod(target, 0o600)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
