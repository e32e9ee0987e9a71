"""What every command group shares: the Typer app, the common options, output helpers.

Start-up stays cheap (`parindex --help` imports typer and little else): the domain
packages are imported inside the functions that need them, never at module level here
or in the command modules.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from methodology import Methodology, Store

app = typer.Typer(
    name="parindex",
    help="Composite administrative indices (PAR INDEX) as rules-as-code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

StoreOption = Annotated[
    Path,
    typer.Option(
        "--store", envvar="PARINDEX_STORE", help="The methodology store (a git repository)."
    ),
]
DEFAULT_STORE = Path("var/store")
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the database (default $PARINDEX_DATABASE_URL, "
        "else the SQLite file <data-dir>/parindex.db).",
        show_default=False,
    ),
]
DataDirOption = Annotated[
    str | None,
    typer.Option(
        "--data-dir",
        help="Folder for runtime data (default $PARINDEX_DATA_DIR, else var).",
        show_default=False,
    ),
]
ServerStoreOption = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="The methodology store (default $PARINDEX_STORE, else <data-dir>/store); "
        "created from the bundled catalog on first start.",
        show_default=False,
    ),
]


class DataFormat(StrEnum):
    text = "text"
    json = "json"


FormatOption = Annotated[DataFormat, typer.Option("--format", help="Output format.")]
UnitOption = Annotated[
    str | None,
    typer.Option("--unit", help="The unit of the waterfall chart (default: largest change)"),
]
PeriodOption = Annotated[
    str | None, typer.Option("--period", help="Only submissions of this period")
]


class CliError(Exception):
    """A mistake in what was asked: printed as one line, exit code ``code``."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def settings_from_env(**overrides: Any) -> Any:
    """The server's settings (`PARINDEX_*`), with the options given on the command line."""
    from server.settings import Settings

    return Settings.from_env(**overrides)


def open_store(path: Path) -> Store:
    """The store at ``path``; with `PARINDEX_STORE_REMOTE` set, as the remote's copy the
    servers share: a command's write is pushed there as theirs are, never left behind in
    the copy for the next fetch to drop."""
    from methodology import Store

    settings = settings_from_env()
    return Store.open(
        path, remote=settings.store_remote or None, staleness=settings.store_staleness
    )


def load(target: str, store_path: Path) -> Methodology:
    """A methodology from `name[@ref]` in the store, or from a folder on disk."""
    from methodology import load_directory, open_methodology, parse_spec

    candidate = Path(target)
    if "@" not in target and (candidate / "methodology.yaml").is_file():
        # A derived folder reads its parent from the store, when there is one.
        store = open_store(store_path) if (store_path / "HEAD").exists() else None
        return load_directory(candidate, store=store)
    return open_methodology(open_store(store_path), parse_spec(target))


_EXPORT_HELP = "Write the result to this Excel (.xlsx) or Word (.docx) file instead of printing it."
ToOption = Annotated[
    Path | None, typer.Option("--to", "--export", help=_EXPORT_HELP, show_default=False)
]
# `parindex audit` already names its later version `--to`.
ExportOption = Annotated[
    Path | None, typer.Option("--export", help=_EXPORT_HELP, show_default=False)
]
EXPORT_SUFFIXES = (".xlsx", ".docx")


def export_kind(path: Path | None) -> str | None:
    """``xlsx`` or ``docx`` from the file named by ``--to`` (checked before any work)."""
    if path is None:
        return None
    if path.suffix.lower() not in EXPORT_SUFFIXES:
        raise CliError(f"{path}: the file must end in .xlsx (Excel) or .docx (Word)")
    return path.suffix.lower().lstrip(".")


def write_export(path: Path, content: bytes) -> None:
    """Write the whole file at once (nothing is written when building it failed)."""
    path.write_bytes(content)
    typer.echo(str(path))
