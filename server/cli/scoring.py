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
    ToOption,
    app,
    export_kind,
    open_store,
    print_json,
    write_export,
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
    to: ToOption = None,
) -> None:
    """Score submissions; exit 1 when any is incomplete (every missing input is listed)."""
    from evaluators import evaluate_path, evaluation_json, evaluation_text, open_engine

    kind = export_kind(to)
    with closing(open_engine(engine.value)) as runner:
        results = evaluate_path(open_store(store), target, submissions, runner)
    if to is not None and kind is not None:
        from server.office import results_document, results_workbook

        docs = [r.to_json(explain=False) for r in results]
        title = "Kết quả đánh giá" + (
            f" {results[0].unit_name or results[0].unit} kỳ {results[0].period}"
            if len(results) == 1
            else f" {len(results)} đơn vị"
        )
        about = {"Bộ chỉ số": target, "Công cụ chấm": engine.value}
        build = results_workbook if kind == "xlsx" else results_document
        write_export(to, build(docs, title=title, about=about))
    elif format is DataFormat.json:
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
    to: ToOption = None,
    compare_published: Annotated[
        bool,
        typer.Option(
            "--compare-published",
            help="Show each unit's computed total and rank beside the published ones, "
            "and the average and groups beside the published ones.",
        ),
    ] = False,
    cohort: Annotated[
        str | None,
        typer.Option("--cohort", help="The cohort of the published results (default: guessed)"),
    ] = None,
) -> None:
    """Score and rank a cohort (competition ranking, bands, per-field ranks)."""
    from evaluators import compare_published as compare
    from evaluators import open_engine, rank_path

    kind = export_kind(to)
    with closing(open_engine(engine.value)) as runner:
        ranking = rank_path(open_store(store), target, submissions, runner, period=period)
    comparison = None
    if compare_published:
        periods = sorted({r.period for r in ranking.results})
        comparison = compare(ranking, period or periods[-1], cohort)
    if to is not None and kind is not None:
        write_export(to, _ranking_file(ranking, kind, target, period))
    elif format is DataFormat.json:
        data = ranking.to_json()
        if comparison is not None:
            data["published"] = comparison.to_json()
        print_json(data)
    else:
        typer.echo(ranking.to_text())
        if comparison is not None:
            typer.echo("\n" + comparison.to_text())


def _ranking_file(ranking, kind: str, target: str, period: str | None) -> bytes:
    from evaluators import ranking_chart, render_chart
    from server.office import results_document, results_workbook

    docs = [r.to_json(explain=False) for r in ranking.results]
    periods = sorted({r.period for r in ranking.results})
    title = f"Xếp hạng năm {period or ', '.join(periods)}"
    about = {"Bộ chỉ số": target}
    if kind == "xlsx":
        return results_workbook(docs, ranking.to_json(), title=title, about=about)
    chart = render_chart(ranking_chart(ranking.to_json(), title=title), "png")
    return results_document(docs, ranking.to_json(), title=title, about=about, chart=chart)
