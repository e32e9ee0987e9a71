"""`samples write|load`: the synthetic sample submissions, as files and in a database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli._common import (
    DEFAULT_STORE,
    CliError,
    DatabaseOption,
    DataDirOption,
    ServerStoreOption,
    StoreOption,
    app,
    open_store,
    settings_from_env,
)

samples_app = typer.Typer(
    help="The synthetic sample submissions of the bundled cohorts: regenerate the files, "
    "or load them into a database.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(samples_app, name="samples")


@samples_app.command("write")
def write(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write (default: the bundled submissions folder)"),
    ] = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Regenerate the synthetic sample submissions of the bundled cohorts."""
    from evaluators import sample_scorer
    from methodology import write_samples

    written = write_samples(
        open_store(store), sample_scorer(), out, progress=lambda line: typer.echo(line, err=True)
    )
    typer.echo(f"wrote {written} sample submissions")


@samples_app.command("load")
def load(
    database_url: DatabaseOption = None,
    store: ServerStoreOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Load the bundled sample cohorts into the server's database (units, submitted and
    appraised submissions, survey scores), through the API's own checks; once only."""
    import time

    from server.deps import open_services
    from server.errors import ApiError
    from server.services.samples import SampleError, load_samples, sample_summary

    settings = settings_from_env(database_url=database_url, store=store, data_dir=data_dir)
    services = open_services(settings)
    try:
        started = time.monotonic()
        try:
            summary = load_samples(services, progress=lambda line: typer.echo(line, err=True))
        except (SampleError, ApiError) as exc:
            raise CliError(str(exc)) from None
        if summary is None:
            loaded = sample_summary(services)
            assert loaded is not None
            typer.echo(
                f"already loaded on {loaded.loaded_at:%Y-%m-%d %H:%M} UTC: "
                f"{loaded.units} units, {loaded.submissions} submissions; nothing done"
            )
            return
        typer.echo(
            f"loaded {summary.submissions} synthetic sample submissions of "
            f"{summary.units} units in {len(summary.cohorts)} cohorts "
            f"({', '.join(summary.periods)}) in {time.monotonic() - started:.1f} s"
        )
    finally:
        services.close()
