"""`samples`: regenerate the synthetic sample submissions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from server.cli._common import DEFAULT_STORE, StoreOption, app, open_store


@app.command()
def samples(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write (default: the bundled submissions folder)"),
    ] = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Regenerate the synthetic sample submissions of the bundled cohorts."""
    from methodology import write_samples

    written = write_samples(
        open_store(store), out, progress=lambda line: typer.echo(line, err=True)
    )
    typer.echo(f"wrote {written} sample submissions")
