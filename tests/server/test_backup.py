"""`parindex backup` and `parindex restore` on SQLite and PostgreSQL: data made through the
API, a backup taken while writes continue, a restore into an empty deployment compared
row by row, ref by ref and file by file; an older schema's backup migrates; a damaged
or partial backup, and a deployment that is not empty, are refused with nothing written."""

from __future__ import annotations

import json
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlmodel import Session
from typer.testing import CliRunner

from methodology import Person, Put, Store
from server.backup import MANIFEST, BackupError, backup, read_manifest, restore
from server.cli import app as cli
from server.db import alembic_config, make_engine, migrate
from server.models import AuditEntry, metadata
from server.settings import Settings
from tests.server.helpers import PDF, post_submission, unit_and_submitter

WRITER = Person("Người ghi liên tục", "writer@parindex.invalid")


def rows(url: str) -> dict[str, list[str]]:
    """Every row of every table of the schema (as JSON text, comparable and hashable
    whatever its JSON columns hold), in primary-key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [
                    json.dumps(list(row), default=str, sort_keys=True, ensure_ascii=False)
                    for row in connection.execute(
                        sa.select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def refs(store: Path) -> dict[str, str]:
    with Store.open(store) as opened:
        repo = opened.repo
        return {ref.path: ref.commit.hexsha for ref in repo.refs}


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def empty_target(settings: Settings, tmp_path: Path, postgres_admin) -> Any:
    """Settings of an empty deployment beside ``settings``': a new data folder, and for
    PostgreSQL a new database (the same schema name: a dump recreates its schema)."""
    data = tmp_path / "restored"
    if settings.database.startswith("sqlite"):
        yield Settings(data_dir=str(data), samples=False)
        return
    name = f"restore_{uuid.uuid4().hex[:10]}"
    with postgres_admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = settings.database.replace("/test?", f"/{name}?")
    try:
        yield Settings(data_dir=str(data), database_url=url, samples=False)
    finally:
        with postgres_admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_a_backup_taken_while_writing_restores_every_row_ref_and_file(
    client, make_user, settings, empty_target, tmp_path
):
    _admin, submitter = unit_and_submitter(client, make_user)
    draft = post_submission(client, submitter, "so-noi-vu", submit=False)
    url = f"/api/submissions/{draft['id']}/evidence"
    for name, content in (("Kế hoạch.pdf", PDF), ("Báo cáo.pdf", PDF + b"% 2\n")):
        r = client.post(url, files={"file": (name, content, "application/pdf")}, headers=submitter)
        assert r.status_code == 201, r.text
    services = client.app.state.services
    before_rows = rows(settings.database)
    before_refs = refs(settings.store_path)

    # Writes continue while the backup runs: commits to the store, rows to the database.
    stop = threading.Event()
    written: list[str] = []

    def write() -> None:
        n = 0
        while not stop.is_set() or n < 3:
            n += 1
            with Session(services.db) as session:
                session.add(AuditEntry(action="test.write", entity="x", entity_id=str(n)))
                session.commit()
            written.append(
                services.store.commit(
                    [Put(f"ghi-chu/{n}.md", f"lần {n}\n".encode())],
                    message=f"Ghi lần {n}",
                    author=WRITER,
                )
            )

    writer = threading.Thread(target=write)
    writer.start()
    try:
        summary = backup(settings, tmp_path / "backup")
    finally:
        stop.set()
        writer.join()
    assert summary.evidence == 2 and written

    restored = restore(empty_target, tmp_path / "backup")
    assert restored.revision == summary.revision

    # Every row that existed before is back unchanged; rows written during the backup are
    # there or not, but whole (the live row); nothing else.
    live, back = rows(settings.database), rows(empty_target.database)
    for table, before in before_rows.items():
        assert set(before) <= set(back[table]), table
        assert set(back[table]) <= set(live[table]), table
    assert len(back["audit_log"]) >= len(before_rows["audit_log"])
    # The refs are the store's at one moment of the backup: the tags as they were, the
    # branch at a commit the writer made (or the head before it started).
    back_refs, live_refs = refs(empty_target.store_path), refs(settings.store_path)
    tags = {k: v for k, v in before_refs.items() if k.startswith("refs/tags/")}
    assert {k: v for k, v in back_refs.items() if k.startswith("refs/tags/")} == tags
    branch = f"refs/heads/{services.store.branch}"
    assert back_refs[branch] in [before_refs[branch], *written]
    with Store.open(empty_target.store_path) as store:
        assert store.branch == services.store.branch
        assert store.resolve("par-provincial/2022") == services.store.resolve("par-provincial/2022")
    assert live_refs[branch] == written[-1]
    # Evidence files and the token key, byte for byte, readable by the owner only.
    assert files(empty_target.evidence_dir) == files(settings.evidence_dir)
    assert empty_target.token_key_path.read_bytes() == settings.token_key_path.read_bytes()
    for path in [*empty_target.evidence_dir.rglob("*"), empty_target.token_key_path]:
        if path.is_file():
            assert path.stat().st_mode & 0o077 == 0, path


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_backup_of_an_older_schema_is_restored_at_the_current_one(
    db_url, template_store, tmp_path
):
    data = tmp_path / "old"
    shutil.copytree(template_store, data / "store")
    old = Settings(data_dir=str(data), database_url=db_url, samples=False)
    command.upgrade(alembic_config(old.database), "0006")
    summary = backup(old, tmp_path / "backup")
    assert summary.revision == "0006"
    assert read_manifest(tmp_path / "backup")["database"]["revision"] == "0006"

    target = Settings(data_dir=str(tmp_path / "new"), samples=False)
    restore(target, tmp_path / "backup")
    engine = make_engine(target.database)
    try:
        with engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            head = ScriptDirectory.from_config(alembic_config(target.database)).get_current_head()
            assert version.scalar_one() == head
            columns = {c["name"] for c in sa.inspect(connection).get_columns("submissions")}
            assert "documents" in columns  # added by 0007, after the backup's schema
    finally:
        engine.dispose()


@pytest.fixture
def backed_up(tmp_path, template_store) -> tuple[Settings, Path]:
    """A small deployment (the store, a migrated SQLite database) and its backup."""
    data = tmp_path / "live"
    shutil.copytree(template_store, data / "store")
    live = Settings(data_dir=str(data), samples=False)
    migrate(live.database)
    backup(live, tmp_path / "backup")
    return live, tmp_path / "backup"


def nothing_written(target: Settings) -> bool:
    return not Path(target.data_dir).exists() or not any(Path(target.data_dir).rglob("*"))


def test_a_damaged_or_partial_backup_is_refused_and_nothing_is_written(backed_up, tmp_path):
    _live, folder = backed_up
    target = Settings(data_dir=str(tmp_path / "target"), samples=False)
    bundle = folder / "store.bundle"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF
    bundle.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=r"store\.bundle: tổng kiểm tra \(SHA-256\) không khớp"):
        restore(target, folder)
    assert nothing_written(target)

    (folder / MANIFEST).unlink()
    with pytest.raises(BackupError, match=r"thiếu manifest\.json"):
        restore(target, folder)
    assert nothing_written(target)


def test_a_deployment_that_is_not_empty_is_not_overwritten(backed_up, tmp_path):
    live, folder = backed_up
    before = refs(live.store_path)
    with pytest.raises(BackupError, match=r"kho phương pháp .* đã có dữ liệu"):
        restore(live, folder)
    assert refs(live.store_path) == before
    with pytest.raises(BackupError, match="không trống"):
        backup(live, folder)  # nor is a backup written over another


def test_the_commands_back_up_and_restore(backed_up, tmp_path):
    live, _ = backed_up
    runner = CliRunner()
    done = runner.invoke(cli, ["backup", str(tmp_path / "b2"), "--data-dir", live.data_dir])
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"đã sao lưu vào {tmp_path / 'b2'}: cơ sở dữ liệu sqlite")
    target = tmp_path / "t2"
    done = runner.invoke(cli, ["restore", str(tmp_path / "b2"), "--data-dir", str(target)])
    assert done.exit_code == 0, done.output
    assert "đã khôi phục từ" in done.output
    assert refs(target / "store") == refs(live.store_path)
    again = runner.invoke(cli, ["restore", str(tmp_path / "b2"), "--data-dir", str(target)])
    assert again.exit_code == 1 and "chỉ khôi phục vào chỗ trống" in str(again.exception)


def test_a_backup_on_a_copy_of_a_remote_holds_the_remotes_latest_commit(
    tmp_path: Path, template_store: Path
):
    """The database may name a commit another server pushed since this copy last looked:
    the backup fetches first, whatever `store_staleness` says."""
    from server.deps import open_store

    remote = tmp_path / "remote.git"
    shutil.copytree(template_store, remote)
    settings = Settings(
        data_dir=str(tmp_path / "a"), store_remote=str(remote), store_staleness=3600.0
    )
    make_engine(settings.database).dispose()  # makes the data folder
    migrate(settings.database)
    open_store(settings).close()
    with Store.open(remote) as other_server:
        pushed = other_server.commit([Put("vi-du/ghi-chu.md", b"x")], message="x", author=WRITER)
    backup(settings, tmp_path / "backup")
    assert read_manifest(tmp_path / "backup")["store"]["refs"]["refs/heads/main"] == pushed
