"""The `parindex` command line.

Every command takes `--store PATH` (default `$PARINDEX_STORE`, else `var/store`) and,
where its output is data, `--format`. Errors print one line and exit non-zero.
`serve` runs the HTTP API; `user add|list|disable|enable` manage its users and
`token add|list|revoke` their tokens; `publication verify` reproduces a published result.

One module per command group (`methodologies`, `office`, `samples`, `scoring`, `forms`,
`analyses`, `units`, `api`, `operations`, `periods`, `publications`); each registers
its commands on the shared `app` when imported.
"""

from __future__ import annotations

import importlib
import sys

import typer

from server.cli._common import CliError, app

# Imported in the order `parindex --help` lists the commands.
_GROUPS = (
    "methodologies",
    "office",
    "samples",
    "scoring",
    "forms",
    "analyses",
    "units",
    "api",
    "operations",
    "periods",
    "publications",
)
for _group in _GROUPS:
    importlib.import_module(f"server.cli.{_group}")

__all__ = ["app", "main"]

# Errors shown as one line rather than a traceback, as (module, class), each from its
# package's public surface. They are looked up only in modules already imported: an error
# class never imported cannot have been raised, and importing SQLAlchemy or the domain
# packages just to ask would slow every failing command down.
_ONE_LINE_ERRORS = (
    ("rules", "RuleError"),
    ("methodology", "MethodologyError"),
    ("evaluators", "EvaluatorError"),
    ("server.office", "OfficeError"),
    ("sqlalchemy.exc", "SQLAlchemyError"),
)


def _loaded(module: str, name: str) -> type | None:
    return getattr(sys.modules.get(module), name, None)


def _one_line(exc: Exception) -> bool:
    if isinstance(exc, CliError | OSError):
        return True
    return any(
        isinstance(exc, cls)
        for module, name in _ONE_LINE_ERRORS
        if (cls := _loaded(module, name)) is not None
    )


def main() -> None:
    """Console entry point: usage errors as click prints them, domain errors in one line."""
    try:
        app()
    except Exception as exc:
        if not _one_line(exc):
            raise
        message = str(exc)
        sqlalchemy_error = _loaded("sqlalchemy.exc", "SQLAlchemyError")
        if sqlalchemy_error is not None and isinstance(exc, sqlalchemy_error):
            # Driver messages span lines and quote SQL.
            message = (message.splitlines() or [type(exc).__name__])[0]
        suggestion = getattr(exc, "suggestion", None)
        if suggestion and suggestion not in message:
            message += f" ({suggestion})"
        typer.echo(f"error: {message}", err=True)
        sys.exit(exc.code if isinstance(exc, CliError) else 2)
