"""Analyses across versions and periods: `audit`, `trend`, `sensitivity`, `report`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from server.cli._common import (
    DEFAULT_STORE,
    ExportOption,
    PeriodOption,
    StoreOption,
    ToOption,
    UnitOption,
    app,
    export_kind,
    open_store,
    print_json,
    write_export,
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


def _report(
    data: Any,
    format: ReportFormat,
    folder: Path | None,
    unit: str | None,
    to: Path | None = None,
) -> None:
    """Write the charts (when asked) and print the result in ``format``, or write it to
    the Excel or Word file ``to``."""
    charts = _write_charts(folder, data, unit) if folder else {}
    if to is not None:
        write_export(to, _office_file(data.to_json(), export_kind(to) or "", unit))
    elif format is ReportFormat.json:
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
    export: ExportOption = None,
) -> None:
    """Score the same submissions under two versions and attribute every change of index."""
    from evaluators import audit_request

    export_kind(export)
    result = audit_request(
        open_store(store),
        source,
        target,
        submissions,
        fill=fill,
        period=period,
        not_ranked=not_ranked or (),
    )
    _report(result, format, charts, unit, export)


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
    to: ToOption = None,
) -> None:
    """How fragile the ranking is to the weights: rank intervals and the driving fields."""
    from evaluators import sensitivity_request

    export_kind(to)
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
    _report(result, format, charts, None, to)


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


def _office_file(data: dict[str, Any], kind: str, unit: str | None) -> bytes:
    """An audit's or a sensitivity run's JSON as xlsx or docx (the docx with its charts)."""
    from evaluators import rank_interval_chart, render_chart, slope_chart, waterfall_chart
    from server.office import (
        audit_document,
        audit_workbook,
        sensitivity_document,
        sensitivity_workbook,
    )

    if "drivers" in data:  # a sensitivity run
        if kind == "xlsx":
            return sensitivity_workbook(data)
        return sensitivity_document(data, {"ranks": render_chart(rank_interval_chart(data), "png")})
    if kind == "xlsx":
        return audit_workbook(data)
    charts = {"slope": render_chart(slope_chart(data), "png")}
    complete = [u for u in data["units"] if u.get("complete") and u.get("delta") is not None]
    chosen = next((u for u in complete if u["unit"] == unit), None) or max(
        complete, key=lambda u: abs(u["delta"]), default=None
    )
    if chosen is not None:
        labels = [str(data[k].get("label") or data[k].get("ref")) for k in ("from", "to")]
        charts["waterfall"] = render_chart(
            waterfall_chart(chosen, start_label=labels[0], end_label=labels[1]), "png"
        )
    return audit_document(data, charts)
