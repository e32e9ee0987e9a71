"""Published results: `publication verify` scores a publication again from what it
stored and says whether its hashes and ranks reproduce."""

from __future__ import annotations

from typing import Annotated

import typer

from server.cli._common import (
    CliError,
    DatabaseOption,
    DataDirOption,
    DataFormat,
    FormatOption,
    ServerStoreOption,
    app,
    print_json,
    settings_from_env,
)

publication_app = typer.Typer(
    help="Published results (preliminary and final).", no_args_is_help=True, add_completion=False
)
app.add_typer(publication_app, name="publication")


@publication_app.command("verify")
def publication_verify(
    publication_id: Annotated[int, typer.Argument(help="The publication's id.")],
    database_url: DatabaseOption = None,
    store: ServerStoreOption = None,
    data_dir: DataDirOption = None,
    format: FormatOption = DataFormat.text,
) -> None:
    """Score a publication again from its stored inputs at its stored commit and compare
    every hash and number; exit code 1 when anything differs."""
    from server.auth import Principal
    from server.deps import open_services
    from server.errors import ApiError
    from server.services.verification import verify

    settings = settings_from_env(database_url=database_url, store=store, data_dir=data_dir)
    services = open_services(settings)
    # Whoever can open the database reads every publication, withdrawn ones included.
    reader = Principal(0, "parindex (command line)", "auditor")
    try:
        checked = verify(services, reader, publication_id)
    except ApiError as exc:
        raise CliError(exc.detail, code=1 if exc.status == 409 else 2) from None
    finally:
        services.close()
    if format is DataFormat.json:
        print_json(checked)
    else:
        state = "reproduced" if checked["reproduced"] else "NOT reproduced"
        typer.echo(
            f"publication {publication_id} ({checked['stage']}) at {checked['commit'][:12]}: "
            f"{state}, {len(checked['units'])} units, ranking hash {checked['recomputed_hash']}"
        )
        for d in checked["differences"]:
            typer.echo(f"  {d['path']}: stored {d['stored']!r}, recomputed {d['recomputed']!r}")
    if not checked["reproduced"]:
        raise typer.Exit(1)
