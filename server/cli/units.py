"""`units levels|succession|lineage|series`: the unit registry's levels, the bundled
succession events, and a unit's lineage and results through time in the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
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

units_app = typer.Typer(
    help="Units: their levels, and how they merge, split, are renamed or abolished.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(units_app, name="units")

UnitArgument = Annotated[str, typer.Argument(help="The unit's id, e.g. dak-lak-2025")]


@units_app.command("levels")
def levels(format: FormatOption = DataFormat.text) -> None:
    """The levels a unit is registered at, with their Vietnamese labels."""
    from server.format import vi_date
    from server.services.succession import level_list

    found = level_list()
    if format is DataFormat.json:
        print_json(found)
        return
    for level in found:
        until = f"  (đến {vi_date(level['until'])})" if level["until"] else ""
        typer.echo(f"{level['key']:<8}{level['label']}{until}")


@units_app.command("succession")
def succession(
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only merge, split, rename or abolish")
    ] = None,
    format: FormatOption = DataFormat.text,
) -> None:
    """The bundled succession events (`methodology/bundled/succession.yaml`): who merged
    into whom, on which date, by which act."""
    from methodology import SUCCESSION_KINDS, load_succession
    from server.format import vi_date

    if kind is not None and kind not in SUCCESSION_KINDS:
        raise CliError(f"--kind: one of {', '.join(SUCCESSION_KINDS)}, not {kind!r}")
    events = [e for e in load_succession() if kind is None or e.kind == kind]
    if format is DataFormat.json:
        print_json([e.to_json() for e in events])
        return
    for e in events:
        after = ", ".join(e.successors) or "—"
        typer.echo(
            f"{vi_date(e.effective)}  {e.kind:<8} {', '.join(e.predecessors)} → {after}"
            f"  ({e.basis})"
        )
    ended = sum(len(e.predecessors) for e in events)
    began = sum(len(e.successors) for e in events)
    typer.echo(f"{len(events)} events: {ended} units ended, {began} began")


@contextmanager
def _services(database_url: str | None, store: str | None, data_dir: str | None) -> Iterator[Any]:
    from server.deps import open_services

    settings = settings_from_env(database_url=database_url, store=store, data_dir=data_dir)
    services = open_services(settings)
    try:
        yield services
    finally:
        services.close()


def _answer(call: Callable[[], Any]) -> Any:
    from server.errors import ApiError

    try:
        return call()
    except ApiError as exc:
        raise CliError(str(exc)) from None


@units_app.command("lineage")
def lineage(
    unit: UnitArgument,
    database_url: DatabaseOption = None,
    store: ServerStoreOption = None,
    data_dir: DataDirOption = None,
    format: FormatOption = DataFormat.text,
) -> None:
    """The events a unit began and ended by, and every event before and after it through
    its predecessors and successors (from the server's database)."""
    from server.format import vi_date
    from server.services.succession import lineage as read_lineage

    with _services(database_url, store, data_dir) as services:
        found = _answer(lambda: read_lineage(services, unit))
    if format is DataFormat.json:
        print_json(found)
        return
    u = found["unit"]
    typer.echo(f"{u['id']} — {u['name']} ({u['level']})")
    for title, events in (("trước", found["earlier"]), ("sau", found["later"])):
        for e in events:
            before = ", ".join(p["id"] for p in e["predecessors"])
            after = ", ".join(p["id"] for p in e["successors"]) or "—"
            typer.echo(
                f"  {title}: {vi_date(e['effective'])}  {e['kind_label']}: {before} → {after}"
            )
            typer.echo(f"         căn cứ {e['basis']}")
    if not found["earlier"] and not found["later"]:
        typer.echo("  không có sự kiện kế thừa nào")


@units_app.command("series")
def series(
    unit: UnitArgument,
    database_url: DatabaseOption = None,
    store: ServerStoreOption = None,
    data_dir: DataDirOption = None,
    format: FormatOption = DataFormat.text,
) -> None:
    """The unit's index per period; before it began by a merger, its predecessors'
    results, listed, and their simple mean, named as such."""
    from server.auth import Principal
    from server.services.succession import unit_series

    cli = Principal(0, "parindex CLI", "admin")  # reads only; records nothing
    with _services(database_url, store, data_dir) as services:
        found = _answer(lambda: unit_series(services, cli, unit))
    if format is DataFormat.json:
        print_json(found)
        return
    u = found["unit"]
    typer.echo(f"{u['id']} — {u['name']} ({u['level']})")
    for p in found["periods"]:
        if p["own"]:
            typer.echo(f"  {p['period']}  {p['index'] or '—':>7}  {p['name']}")
            continue
        listed = "; ".join(f"{x['name']} {x['index'] or '—'}" for x in p["predecessors"])
        combined = p["combined"] or "—"
        typer.echo(f"  {p['period']}  {combined:>7}  ({p['rule_label']}: {listed})")
    typer.echo(found["note"])
