"""Analyses across versions and periods: `audit`, `trend`, `sensitivity`, `report`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from server.cli._common import (
    DEFAULT_STORE,
    PeriodOption,
    StoreOption,
    UnitOption,
    app,
    open_store,
    print_json,
)


class ReportFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


ReportFormatOption = Annotated[ReportFormat, typer.Option("--format", help="Output format.")]
ChartsOption = Annotated[
    Path | None,
    typer.Option(
        "--charts", help="Write the charts (SVG and PNG) into this folder.", show_default=False
    ),
]
NotRankedOption = Annotated[
    list[str] | None,
    typer.Option("--not-ranked", help="A unit scored but not ranked (repeatable)."),
]


def _report(data: Any, format: ReportFormat, folder: Path | None, unit: str | None) -> None:
    """Write the charts (when asked) and print the result in ``format``."""
    charts = _write_charts(folder, data, unit) if folder else {}
    if format is ReportFormat.json:
        print_json(data.to_json())
    elif format is ReportFormat.markdown:
        typer.echo(data.to_markdown(charts=charts))
    else:
        from evaluators import analysis_text

        typer.echo(analysis_text(data))


@app.command(name="audit")
def audit_command(
    source: Annotated[str, typer.Option("--from", help="The earlier version, <m>@<ref>.")],
    target: Annotated[str, typer.Option("--to", help="The later version, <m>@<ref>.")],
    submissions: Annotated[
        Path | None,
        typer.Argument(help="Submissions to compare on (default: the bundled samples)"),
    ] = None,
    fill: Annotated[
        Path | None,
        typer.Option(
            "--fill",
            help="Submissions of another period whose values fill inputs a version needs "
            "and a unit's submission lacks (each filled input is listed).",
            show_default=False,
        ),
    ] = None,
    period: PeriodOption = None,
    unit: UnitOption = None,
    not_ranked: NotRankedOption = None,
    charts: ChartsOption = None,
    store: StoreOption = DEFAULT_STORE,
    format: ReportFormatOption = ReportFormat.text,
) -> None:
    """Score the same submissions under two versions and attribute every change of index."""
    from evaluators import audit_request

    result = audit_request(
        open_store(store),
        source,
        target,
        submissions,
        fill=fill,
        period=period,
        not_ranked=not_ranked or (),
    )
    _report(result, format, charts, unit)


@app.command()
def trend(
    earlier: Annotated[
        Path | None, typer.Argument(help="Submissions of the earlier period")
    ] = None,
    later: Annotated[Path | None, typer.Argument(help="Submissions of the later period")] = None,
    source: Annotated[
        str | None,
        typer.Option("--from", help="Version of the earlier period (default: as submitted)"),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--to", help="Version of the later period (default: as submitted)"),
    ] = None,
    unit: UnitOption = None,
    not_ranked: NotRankedOption = None,
    charts: ChartsOption = None,
    store: StoreOption = DEFAULT_STORE,
    format: ReportFormatOption = ReportFormat.text,
) -> None:
    """Split each unit's year-over-year change into methodology and performance effects."""
    from evaluators import trend_request

    result = trend_request(
        open_store(store), source, target, earlier, later, not_ranked=not_ranked or ()
    )
    _report(result, format, charts, unit)


class Method(StrEnum):
    uniform = "uniform"
    dirichlet = "dirichlet"


class Level(StrEnum):
    both = "both"
    field = "field"
    criterion = "criterion"


@app.command(name="sensitivity")
def sensitivity_command(
    target: Annotated[str, typer.Argument(help="<methodology>@<ref>")],
    submissions: Annotated[
        Path | None, typer.Argument(help="Submissions (default: the bundled samples)")
    ] = None,
    replications: Annotated[
        int, typer.Option("--replications", "-n", help="Number of weight draws.")
    ] = 1000,
    spread: Annotated[
        float, typer.Option("--spread", help="Uniform perturbation: weights within ±spread.")
    ] = 0.2,
    method: Annotated[Method, typer.Option("--method", help="How weights are drawn.")] = (
        Method.uniform
    ),
    level: Annotated[Level, typer.Option("--level", help="Which weights are perturbed.")] = (
        Level.both
    ),
    concentration: Annotated[
        float, typer.Option("--concentration", help="Dirichlet concentration.")
    ] = 200.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")] = 0,
    period: PeriodOption = None,
    not_ranked: NotRankedOption = None,
    charts: ChartsOption = None,
    store: StoreOption = DEFAULT_STORE,
    format: ReportFormatOption = ReportFormat.text,
) -> None:
    """How fragile the ranking is to the weights: rank intervals and the driving fields."""
    from evaluators import sensitivity_request

    result = sensitivity_request(
        open_store(store),
        target,
        submissions,
        period=period,
        replications=replications,
        spread=spread,
        method=method.value,
        level=level.value,
        concentration=concentration,
        seed=seed,
        not_ranked=not_ranked or (),
    )
    _report(result, format, charts, None)


@app.command()
def report(
    source: Annotated[str, typer.Option("--from", help="The earlier version, <m>@<ref>.")],
    target: Annotated[str, typer.Option("--to", help="The later version, <m>@<ref>.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for report.md and its charts.")],
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="The unit of the waterfall charts (default: largest change)"),
    ] = None,
    replications: Annotated[
        int, typer.Option("--replications", "-n", help="Weight draws for the sensitivity part.")
    ] = 10000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the sensitivity part.")] = 1,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Audit, trend and sensitivity of the bundled samples as one Markdown report."""
    from evaluators import write_report

    path = write_report(
        open_store(store),
        source,
        target,
        out,
        unit=unit,
        replications=replications,
        seed=seed,
    )
    typer.echo(str(path))


def _write_charts(folder: Path, result: Any, unit: str | None) -> dict[str, str]:
    """Render the result's charts as SVG and PNG into ``folder``; {name: SVG path}."""
    from evaluators import write_charts

    return write_charts(result, folder, unit=unit)
