"""Scoring commands: `evaluate` and `rank`."""

from __future__ import annotations

from contextlib import closing
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from server.cli._common import (
    DEFAULT_STORE,
    DataFormat,
    FormatOption,
    PeriodOption,
    StoreOption,
    app,
    open_store,
    print_json,
)


class EngineName(StrEnum):
    compiled = "compiled"
    durable = "durable"


EngineOption = Annotated[EngineName, typer.Option("--engine", help="Scoring engine.")]


@app.command()
def evaluate(
    target: Annotated[str, typer.Argument(help="<methodology>@<ref>")],
    submissions: Annotated[
        Path, typer.Argument(help="A submission file (YAML/JSON) or a folder of them")
    ],
    engine: EngineOption = EngineName.compiled,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the values behind every rule")
    ] = False,
    store: StoreOption = DEFAULT_STORE,
    format: FormatOption = DataFormat.text,
) -> None:
    """Score submissions; exit 1 when any is incomplete (every missing input is listed)."""
    from evaluators import evaluate_path, evaluation_json, evaluation_text, open_engine

    with closing(open_engine(engine.value)) as runner:
        results = evaluate_path(open_store(store), target, submissions, runner)
    if format is DataFormat.json:
        print_json(
            [evaluation_json(r, explain=explain) for r in results]
            if submissions.is_dir()
            else evaluation_json(results[0], explain=explain)
        )
    else:
        typer.echo("\n\n".join(evaluation_text(r, explain=explain) for r in results))
    if any(not r.complete for r in results):
        raise typer.Exit(1)


@app.command(name="rank")
def rank_command(
    target: Annotated[str, typer.Argument(help="<methodology>@<ref>")],
    submissions: Annotated[Path, typer.Argument(help="A folder of submissions")],
    period: PeriodOption = None,
    engine: EngineOption = EngineName.compiled,
    store: StoreOption = DEFAULT_STORE,
    format: FormatOption = DataFormat.text,
) -> None:
    """Score and rank a cohort (competition ranking, bands, per-field ranks)."""
    from evaluators import open_engine, rank_path

    with closing(open_engine(engine.value)) as runner:
        ranking = rank_path(open_store(store), target, submissions, runner, period=period)
    if format is DataFormat.json:
        print_json(ranking.to_json())
    else:
        typer.echo(ranking.to_text())
