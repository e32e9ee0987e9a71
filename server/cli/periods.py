"""`period create|show|list`: a cohort's assessment periods (kỳ đánh giá) in the server's
database, through the same service as `/api/periods` (its checks and audit entries), as
the operator who holds the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

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

period_app = typer.Typer(
    help="Assessment periods of cohorts: the pinned release, the schedule, late submissions.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(period_app, name="period")

CohortArgument = Annotated[str, typer.Argument(help="The cohort (e.g. provinces)")]
PeriodArgument = Annotated[str, typer.Argument(help='The period (e.g. "2025")')]


def _day(flag: str) -> Any:
    return typer.Option(flag, help="A date, dd/mm/yyyy (or yyyy-mm-dd).", show_default=False)


Day = str | None


def _run(
    call: Callable[[Any], Any], database_url: str | None, store: str | None, data_dir: str | None
) -> Any:
    """``call(services)`` on the database and store of the settings; API errors in one line."""
    from server.deps import open_services
    from server.errors import ApiError

    settings = settings_from_env(database_url=database_url, store=store, data_dir=data_dir)
    services = open_services(settings)
    try:
        return call(services)
    except ApiError as exc:
        where = "; ".join(f"{e['path']}: {e['message']}" for e in exc.errors)
        raise CliError(f"{exc.detail}" + (f" ({where})" if where else "")) from None
    finally:
        services.close()


def _text(period: dict[str, Any]) -> str:
    """A period as people read it: the release, each date set, the late policy."""
    from server.format import vi_date
    from server.labels import LATE_LABELS, SCHEDULE_LABELS

    release = f"{period['methodology']}@{period['ref']}" if period["ref"] else period["methodology"]
    pinned = f" ({period['commit'][:10]})" if period["commit"] else " (chưa chốt phiên bản)"
    lines = [f"{period['cohort']} {period['period']}: {release}{pinned}"]
    width = max(len(label) for label in SCHEDULE_LABELS.values())
    lines += [
        f"  {label:<{width}}  {vi_date(period[name])}"
        for name, label in SCHEDULE_LABELS.items()
        if period[name]
    ]
    lines.append(f"  {LATE_LABELS[period['late']]}")
    lines += [
        f"  gia hạn {e['unit_id']} đến {vi_date(e['until'])}: {e['reason']}"
        for e in period["extensions"]
    ]
    return "\n".join(lines)


def _show(period: dict[str, Any], fmt: DataFormat) -> None:
    if fmt is DataFormat.json:
        print_json(period)
    else:
        typer.echo(_text(period))


@period_app.command("create")
def create(
    cohort: CohortArgument,
    period: PeriodArgument,
    ref: Annotated[
        str | None,
        typer.Option(
            "--ref", help="The release its submissions are made under (pinned).", show_default=False
        ),
    ] = None,
    self_assessment_opens: Annotated[Day, _day("--self-assessment-opens")] = None,
    self_assessment_closes: Annotated[Day, _day("--self-assessment-closes")] = None,
    appraisal_opens: Annotated[Day, _day("--appraisal-opens")] = None,
    appraisal_closes: Annotated[Day, _day("--appraisal-closes")] = None,
    survey_import: Annotated[Day, _day("--survey-import")] = None,
    preliminary_publication: Annotated[Day, _day("--preliminary-publication")] = None,
    objection_opens: Annotated[Day, _day("--objection-opens")] = None,
    objection_closes: Annotated[Day, _day("--objection-closes")] = None,
    final_publication: Annotated[Day, _day("--final-publication")] = None,
    late: Annotated[
        str,
        typer.Option("--late", help="Submissions after the deadline: refuse, or flag (nộp muộn)."),
    ] = "refuse",
    database_url: DatabaseOption = None,
    store: ServerStoreOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = DataFormat.text,
) -> None:
    """Open a cohort's assessment period: its release, schedule and late policy."""
    from server.format import parse_date
    from server.services.periods import OPERATOR, create_period

    given = {
        "self_assessment_opens": self_assessment_opens,
        "self_assessment_closes": self_assessment_closes,
        "appraisal_opens": appraisal_opens,
        "appraisal_closes": appraisal_closes,
        "survey_import": survey_import,
        "preliminary_publication": preliminary_publication,
        "objection_opens": objection_opens,
        "objection_closes": objection_closes,
        "final_publication": final_publication,
    }
    body: dict[str, Any] = {"cohort": cohort, "period": period, "ref": ref, "late": late}
    for name, text in given.items():
        if text is not None:
            try:
                body[name] = parse_date(text).isoformat()
            except ValueError as exc:
                raise CliError(f"--{name.replace('_', '-')}: {exc}") from None
    created = _run(
        lambda services: create_period(services, OPERATOR, body), database_url, store, data_dir
    )
    _show(created, fmt)


@period_app.command("show")
def show(
    cohort: CohortArgument,
    period: PeriodArgument,
    database_url: DatabaseOption = None,
    store: ServerStoreOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = DataFormat.text,
) -> None:
    """A cohort's period: its release, schedule, late policy and extensions."""
    from server.services.periods import OPERATOR, get_period

    found = _run(
        lambda services: get_period(services, OPERATOR, cohort, period),
        database_url,
        store,
        data_dir,
    )
    _show(found, fmt)


@period_app.command("list")
def list_command(
    cohort: Annotated[
        str | None, typer.Option("--cohort", help="Only this cohort's periods", show_default=False)
    ] = None,
    database_url: DatabaseOption = None,
    store: ServerStoreOption = None,
    data_dir: DataDirOption = None,
    fmt: FormatOption = DataFormat.text,
) -> None:
    """Every assessment period, one line each: cohort, period, release, self-assessment."""
    from server.format import vi_date
    from server.services.periods import OPERATOR, list_periods

    found = _run(
        lambda services: list_periods(services, OPERATOR, cohort), database_url, store, data_dir
    )
    if fmt is DataFormat.json:
        print_json(found)
        return
    if not found:
        typer.echo("no assessment period")
    for p in found:
        release = p["ref"] or "—"
        window = f"{vi_date(p['self_assessment_opens'])}–{vi_date(p['self_assessment_closes'])}"
        typer.echo(f"{p['cohort']}  {p['period']}  {release}  tự đánh giá {window}  {p['late']}")
