"""Self-assessment forms in Excel: `form` writes the blank form of a version for a unit and
period, `import-form` reads a filled one back into a submission (a YAML file, or a
draft in the server's database as a unit's submitter); `assign` gives a draft's criteria to
the units that own them and shows their progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from server.cli._common import (
    DEFAULT_STORE,
    CliError,
    DatabaseOption,
    DataDirOption,
    StoreOption,
    app,
    load,
    open_store,
    settings_from_env,
)


@app.command()
def form(
    target: Annotated[str, typer.Argument(help="<methodology>@<ref>")],
    unit: Annotated[str, typer.Option("--unit", help="The unit's id (e.g. dak-lak)")],
    period: Annotated[str, typer.Option("--period", help="The period assessed (e.g. 2023)")],
    to: Annotated[Path, typer.Option("--to", help="The .xlsx file to write")],
    unit_name: Annotated[
        str | None, typer.Option("--unit-name", help="The unit's name shown on the form")
    ] = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Write the blank self-assessment form (.xlsx): a row per sub-criterion with its
    inputs, data validation, guidance as comments, only the input cells editable."""
    from server.office import write_form

    if not period.strip():
        raise CliError("--period: give the period assessed (e.g. 2023)")
    methodology = load(target, store)
    data = write_form(methodology, unit=unit, period=period.strip(), unit_name=unit_name)
    to.write_bytes(data)
    leaves = sum(1 for n in methodology.walk() if methodology.is_leaf(n.id))
    typer.echo(
        f"wrote {to}: {methodology.name}@{methodology.ref or 'head'}, unit {unit}, "
        f"period {period.strip()}, {leaves} sub-criteria"
    )


@app.command("import-form")
def import_form(
    path: Annotated[Path, typer.Argument(help="The filled form (.xlsx)")],
    to: Annotated[
        Path | None,
        typer.Option("--to", help="Write the submission here (YAML); default: standard output"),
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="Refuse a form made for another unit")
    ] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="Refuse a form made for another period")
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Store it as a draft in the server's database, as this unit submitter "
            "(the store is then the server's: --database-url, --data-dir)",
        ),
    ] = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Read a filled form into a submission, checked as a JSON or YAML one; every wrong
    cell is named (`Tự đánh giá!G12`) and nothing is written."""
    from server.office import OfficeError

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}") from None
    try:
        if user is not None:
            _as_draft(data, path.name, user, unit, period, database_url, data_dir)
            return
        _as_file(data, path.name, to, unit, period, store)
    except OfficeError as exc:
        for where, message in exc.problems:
            typer.echo(f"error: {where}: {message}" if where else f"error: {message}", err=True)
        raise typer.Exit(2) from None


def _as_file(
    data: bytes, name: str, to: Path | None, unit: str | None, period: str | None, store: Path
) -> None:
    from evaluators import SubmissionError, build_program, clean_problems, parse_submission
    from methodology import yaml_dump
    from server.office import OfficeError, read_form

    opened = open_store(store)
    versions: list[Any] = []

    def open_version(methodology: str, ref: str | None) -> Any:
        versions.append(_open(opened, methodology, ref))
        return versions[-1]

    filled = read_form(data, name, open_version, expect={"unit": unit, "period": period})
    try:
        submission = parse_submission(filled.submission(), source=name)
    except SubmissionError as exc:  # the reader builds the shape; kept for completeness
        raise OfficeError(exc.message, name) from None
    program = build_program(versions[-1])
    problems = [p for p in clean_problems(program, submission) if p.get("status") == "invalid"]
    if problems:
        at_cells = filled.problems_at_cells(problems)
        raise OfficeError(
            f"biểu mẫu có {len(at_cells)} ô không hợp lệ", at_cells[0][0], problems=at_cells
        )
    text = yaml_dump(filled.submission(), allow_unicode=True, sort_keys=False)
    if to is None:
        typer.echo(text, nl=False)
        return
    to.write_text(text, encoding="utf-8")
    typer.echo(
        f"wrote {to}: {filled.unit}, period {filled.period}, {len(filled.values)} values, "
        f"{len(filled.not_applicable)} không phát sinh"
    )


def _open(store: Any, methodology: str, ref: str | None) -> Any:
    from methodology import Spec, open_methodology

    return open_methodology(store, Spec(methodology, ref))


def _as_draft(
    data: bytes,
    name: str,
    user: str,
    unit: str | None,
    period: str | None,
    database_url: str | None,
    data_dir: str | None,
) -> None:
    from server.auth import principal_of
    from server.db import session_scope
    from server.deps import open_services
    from server.errors import ApiError
    from server.services.forms import import_form as import_into_db
    from server.services.users import find_user

    settings = settings_from_env(database_url=database_url, data_dir=data_dir)
    services = open_services(settings)
    try:
        try:
            with session_scope(services.db) as session:
                principal = principal_of(find_user(session, user))
            created = import_into_db(services, principal, data, name, unit=unit, period=period)
        except ApiError as exc:
            lines = [f"{e['path']}: {e['message']}" for e in exc.errors] or [exc.detail]
            for line in lines:
                typer.echo(f"error: {line}", err=True)
            raise typer.Exit(2) from None
        typer.echo(
            f"draft {created['id']} of {created['unit_id']}, period {created['period']} "
            f"({created['methodology']}@{created['ref']}): {len(created['values'])} values"
        )
    finally:
        services.close()


@app.command()
def assign(
    submission: Annotated[int, typer.Argument(help="The draft's id")],
    user: Annotated[
        str, typer.Option("--user", help="As this user: the unit's submitter or its editor")
    ],
    give: Annotated[
        list[str] | None,
        typer.Option(
            "--give",
            help="UNIT=NODE[,NODE…]: criteria the unit fills in (repeat; replaces them all)",
        ),
    ] = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Give criteria of a draft to the units that own them (`--give so-tu-phap=…`), or,
    without `--give`, show who fills what and how far each has come."""
    from server.auth import principal_of
    from server.db import session_scope
    from server.deps import open_services
    from server.errors import ApiError
    from server.services.contributions import assignments, put_assignments
    from server.services.users import find_user

    body = {"assignments": [_assignment(text) for text in give or []]}
    settings = settings_from_env(database_url=database_url, data_dir=data_dir)
    services = open_services(settings)
    try:
        try:
            with session_scope(services.db) as session:
                principal = principal_of(find_user(session, user))
            answer = (
                put_assignments(services, principal, submission, body)
                if give
                else assignments(services, principal, submission)
            )
        except ApiError as exc:
            for e in exc.errors or [{"path": "$", "message": exc.detail}]:
                typer.echo(f"error: {e['path']}: {e['message']}", err=True)
            raise typer.Exit(2) from None
        for a in answer["assignments"]:
            codes = ", ".join(n["code"] for n in a["nodes"])
            state = "done" if a["done"] else "in progress"
            typer.echo(
                f"{a['unit_id']} ({a['unit_name']}): {codes} — {a['filled']}/{a['leaves']} "
                f"filled, {len(a['missing'])} missing evidence or explanation, {state}"
            )
        if not answer["assignments"]:
            typer.echo(f"submission {submission}: no criteria assigned")
    finally:
        services.close()


def _assignment(text: str) -> dict[str, Any]:
    unit, sep, nodes = text.partition("=")
    if not sep or not unit.strip() or not nodes.strip():
        raise CliError(
            f"--give {text!r}: write UNIT=NODE[,NODE…], e.g. so-tu-phap=cai-cach-the-che"
        )
    return {"unit_id": unit.strip(), "nodes": [n.strip() for n in nodes.split(",") if n.strip()]}
