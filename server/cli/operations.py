"""Keeping a deployment: `backup DIR` and `restore DIR` (see server/backup.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from server.cli._common import (
    CliError,
    DatabaseOption,
    DataDirOption,
    ServerStoreOption,
    app,
    settings_from_env,
)

FolderArgument = Annotated[Path, typer.Argument(help="The backup's folder.", show_default=False)]


def _run(action: Any, settings: Any, folder: Path) -> Any:
    from server.backup import BackupError

    try:
        return action(settings, folder)
    except BackupError as exc:
        raise CliError(str(exc)) from None


def _describe(summary: Any) -> str:
    return (
        f"cơ sở dữ liệu {summary.database} (migration {summary.revision or 'chưa có'}), "
        f"{summary.refs} ref của kho phương pháp, {summary.evidence} tệp minh chứng; "
        f"{summary.files} tệp có tổng kiểm tra SHA-256 trong manifest.json"
    )


@app.command()
def backup(
    folder: FolderArgument,
    database_url: DatabaseOption = None,
    store: ServerStoreOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Write one consistent snapshot of the deployment to FOLDER (new or empty): the
    database, the methodology store, the evidence files, the token key and a manifest with
    checksums. It runs while the server serves."""
    from server.backup import backup as run_backup

    settings = settings_from_env(database_url=database_url, store=store, data_dir=data_dir)
    summary = _run(run_backup, settings, folder)
    typer.echo(f"đã sao lưu vào {summary.folder}: {_describe(summary)}")


@app.command()
def restore(
    folder: FolderArgument,
    database_url: DatabaseOption = None,
    store: ServerStoreOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Rebuild an empty deployment from the backup in FOLDER: every checksum is verified
    first, then the database, the store, the evidence files and the token key are put in
    place and the migrations applied (a backup of an older version comes back current)."""
    from server.backup import restore as run_restore

    settings = settings_from_env(database_url=database_url, store=store, data_dir=data_dir)
    summary = _run(run_restore, settings, folder)
    typer.echo(f"đã khôi phục từ {summary.folder}: {_describe(summary)}")
