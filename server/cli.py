"""The `parindex` command line.

Every command takes `--store PATH` (default `$PARINDEX_STORE`, else `var/store`) and,
where its output is data, `--format`. Errors print one line and exit non-zero.
`serve` runs the HTTP API; `user add|list|disable|enable` manage its users and
`token add|list|revoke` their tokens.
"""

from __future__ import annotations

import json
import sys
from contextlib import closing
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from evaluators import (
    EvaluatorError,
    evaluate_path,
    evaluation_json,
    evaluation_text,
    open_engine,
    rank_path,
)
from methodology import (
    Methodology,
    MethodologyError,
    Person,
    Store,
    diff,
    guidance_blame,
    init_store,
    load_directory,
    log_entries,
    open_methodology,
    parse_spec,
    plan_rebase,
    validate,
    write_rebase,
    write_samples,
)
from rules import RuleError

__all__ = ["app", "main"]

app = typer.Typer(
    name="parindex",
    help="Composite administrative indices (PAR INDEX) as rules-as-code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

StoreOption = Annotated[
    Path,
    typer.Option(
        "--store", envvar="PARINDEX_STORE", help="The methodology store (a git repository)."
    ),
]
DEFAULT_STORE = Path("var/store")


class DataFormat(StrEnum):
    text = "text"
    json = "json"


class DiffFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


FormatOption = Annotated[DataFormat, typer.Option("--format", help="Output format.")]
UnitOption = Annotated[
    str | None,
    typer.Option("--unit", help="The unit of the waterfall chart (default: largest change)"),
]
PeriodOption = Annotated[
    str | None, typer.Option("--period", help="Only submissions of this period")
]


class _Exit(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _open_store(path: Path) -> Store:
    return Store.open(path)


def _load(target: str, store_path: Path) -> Methodology:
    """A methodology from `name[@ref]` in the store, or from a folder on disk."""
    candidate = Path(target)
    if "@" not in target and (candidate / "methodology.yaml").is_file():
        # A derived folder reads its parent from the store, when there is one.
        store = _open_store(store_path) if (store_path / "HEAD").exists() else None
        return load_directory(candidate, store=store)
    return open_methodology(_open_store(store_path), parse_spec(target))


@app.command()
def init(store: StoreOption = DEFAULT_STORE) -> None:
    """Create a store replaying the bundled catalog's releases."""
    init_store(store, progress=lambda line: typer.echo(f"  committing {line}", err=True))
    typer.echo(f"initialised {store}")


@app.command()
def show(
    target: Annotated[str, typer.Argument(help="<methodology>[@ref] or a methodology folder")],
    store: StoreOption = DEFAULT_STORE,
    format: FormatOption = DataFormat.text,
) -> None:
    """Print the resolved tree of a methodology at a ref."""
    m = _load(target, store)
    if format is DataFormat.json:
        _print_json(m.to_json())
        return
    typer.echo(_tree_text(m))


def _tree_text(m: Methodology) -> str:
    manifest = m.manifest
    head = f"{m.name}@{m.ref}" if m.ref else m.name
    if m.commit:
        head += f" ({m.commit[:10]})"
    if manifest:
        head += f" — {manifest.title} · {manifest.level} · {manifest.scale} điểm"
    lines = [head]
    if m.extends:
        lines.append(
            f"kế thừa {m.extends['methodology']}@{m.extends['ref']} ({(m.extends['commit'] or '')[:10]})"
        )
    width = max((len(n.code) + 2 * (m.depth(n.id) - 1) for n in m.walk()), default=0) + 2
    for node in m.walk():
        indent = "  " * (m.depth(node.id) - 1)
        code = f"{indent}{node.code}".ljust(width)
        rule = ""
        if m.is_leaf(node.id) and node.scoring is not None:
            rule = f"  [{node.scoring.kind}]"
        mark = "  (minh hoạ)" if node.provenance == "illustrative" else ""
        derivation = m.derivation.get(node.id)
        if derivation is not None and derivation.status != "inherited":
            mark += f"  [{_DERIVATION_LABELS[derivation.status]}]"
        lines.append(f"{code}{node.title}  — {_points(node.max_points)} điểm{rule}{mark}")
    lines.append(
        f"{m.counts()['fields']} lĩnh vực, {m.counts()['criteria']} tiêu chí, "
        f"{m.counts()['sub_criteria']} tiêu chí thành phần; tổng {_points(m.total)} điểm"
    )
    return "\n".join(lines)


_DERIVATION_LABELS = {"overridden": "ghi đè", "local": "bổ sung"}


def _points(value: Any) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@app.command(name="validate")
def validate_command(
    target: Annotated[str, typer.Argument(help="<methodology>[@ref] or a methodology folder")],
    store: StoreOption = DEFAULT_STORE,
    format: FormatOption = DataFormat.text,
) -> None:
    """Check a methodology; exit 1 when it has errors."""
    report = validate(_load(target, store))
    if format is DataFormat.json:
        _print_json(report.to_json())
    else:
        typer.echo(report.to_text())
    if not report.ok:
        raise typer.Exit(1)


@app.command(name="diff")
def diff_command(
    source: Annotated[str, typer.Argument(help="<methodology>@<ref> to compare from")],
    target: Annotated[str, typer.Argument(help="<methodology>@<ref> to compare to")],
    store: StoreOption = DEFAULT_STORE,
    format: Annotated[
        DiffFormat, typer.Option("--format", help="Output format.")
    ] = DiffFormat.text,
) -> None:
    """Show what changed between two versions, node by node."""
    result = diff(_load(source, store), _load(target, store))
    if format is DiffFormat.json:
        _print_json(result.to_json())
    elif format is DiffFormat.markdown:
        typer.echo(result.to_markdown())
    else:
        typer.echo(result.to_text())


@app.command()
def log(
    methodology: Annotated[str, typer.Argument(help="<methodology>[@ref]")],
    node: Annotated[
        str | None, typer.Argument(help="A node id: its history across moves and renames")
    ] = None,
    store: StoreOption = DEFAULT_STORE,
    format: FormatOption = DataFormat.text,
) -> None:
    """History of a methodology, or of one node through moves and `replaces`."""
    spec = parse_spec(methodology)
    entries = log_entries(_open_store(store), spec, node)
    if node is not None and not entries:
        raise _Exit(f"no history for node '{node}' in {spec.methodology}")
    if format is DataFormat.json:
        _print_json({"methodology": spec.methodology, "node": node, "entries": entries})
        return
    for entry in entries:
        head = f"{entry['commit'][:10]}  {entry['date'][:10]}  {entry['author']}"
        if "kind" in entry:
            head += f"  {entry['kind']} {entry['node']}"
            if entry["methodology"] != spec.methodology:
                head += f" (in {entry['methodology']})"
            if entry["kind"] == "moved":
                head += f"\n    {entry['old_path']} → {entry['path']}"
        typer.echo(f"{head}\n    {entry['message']}")
        for line in entry.get("changes", []):
            typer.echo(f"    · {line}")


@app.command()
def blame(
    target: Annotated[str, typer.Argument(help="<methodology>[@ref]")],
    node: Annotated[str, typer.Argument(help="The node id")],
    store: StoreOption = DEFAULT_STORE,
    format: FormatOption = DataFormat.text,
) -> None:
    """Who last changed each line of a node's guidance."""
    spec = parse_spec(target)
    lines = guidance_blame(_open_store(store), spec.methodology, node, spec.ref)
    if format is DataFormat.json:
        _print_json(
            [
                {
                    "line": b.line,
                    "text": b.text,
                    "commit": b.commit,
                    "author": b.author_name,
                    "date": b.authored_date.isoformat(),
                }
                for b in lines
            ]
        )
        return
    for b in lines:
        typer.echo(
            f"{b.commit[:10]} {b.author_name[:20]:<20} {b.authored_date.date()} {b.line:>4}  {b.text}"
        )


@app.command()
def releases(
    methodology: Annotated[str | None, typer.Argument(help="Only this methodology")] = None,
    store: StoreOption = DEFAULT_STORE,
    format: FormatOption = DataFormat.text,
) -> None:
    """List official releases (annotated tags) with their decisions."""
    found = _open_store(store).releases(methodology)
    if format is DataFormat.json:
        _print_json(
            [
                {
                    "methodology": r.methodology,
                    "name": r.name,
                    "tag": r.tag,
                    "commit": r.commit,
                    "decision": r.decision,
                    "date": r.date.isoformat(),
                }
                for r in found
            ]
        )
        return
    for r in found:
        typer.echo(f"{r.tag:<28} {r.decision:<16} {r.date}  {r.commit[:10]}")


@app.command()
def rebase(
    derived: Annotated[str, typer.Argument(help="The derived methodology")],
    onto: Annotated[
        str, typer.Option("--onto", help="The parent version to move to: <ref> or <parent>@<ref>")
    ],
    write: Annotated[
        bool, typer.Option("--write", help="Commit the new pin when nothing conflicts")
    ] = False,
    author: Annotated[
        str, typer.Option("--author", help="Who commits: 'Name <email>'")
    ] = "parindex <parindex@localhost>",
    store: StoreOption = DEFAULT_STORE,
    format: FormatOption = DataFormat.text,
) -> None:
    """Re-apply a derived index's overlay onto a new parent version; report, then optionally write."""
    st = _open_store(store)
    report = plan_rebase(st, derived, onto)
    if format is DataFormat.json:
        _print_json(report.to_json())
    else:
        typer.echo(report.to_text())
    if not report.ok:
        raise typer.Exit(1)
    if write:
        name, _, email = author.partition("<")
        commit = write_rebase(
            st,
            report,
            author=Person(name.strip(), email.rstrip(">").strip() or "parindex@localhost"),
        )
        typer.echo(f"committed {commit[:10]}: {derived} now extends {report.onto}", err=True)


@app.command()
def samples(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write (default: the bundled submissions folder)"),
    ] = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Regenerate the synthetic sample submissions of the bundled cohorts."""
    written = write_samples(
        _open_store(store), out, progress=lambda line: typer.echo(line, err=True)
    )
    typer.echo(f"wrote {written} sample submissions")


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
    with closing(open_engine(engine.value)) as runner:
        results = evaluate_path(_open_store(store), target, submissions, runner)
    if format is DataFormat.json:
        _print_json(
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
    with closing(open_engine(engine.value)) as runner:
        ranking = rank_path(_open_store(store), target, submissions, runner, period=period)
    if format is DataFormat.json:
        _print_json(ranking.to_json())
    else:
        typer.echo(ranking.to_text())


# --- auditing across versions: `audit`, `trend`, `sensitivity` ----------------------


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
        _print_json(data.to_json())
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
        _open_store(store),
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
        _open_store(store), source, target, earlier, later, not_ranked=not_ranked or ()
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
        _open_store(store),
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
        _open_store(store),
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


# --- the HTTP API: `serve` and `user` ------------------------------------------------

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL of the database (default $PARINDEX_DATABASE_URL, "
        "else the SQLite file <data-dir>/parindex.db).",
        show_default=False,
    ),
]
DataDirOption = Annotated[
    str | None,
    typer.Option(
        "--data-dir",
        help="Folder for runtime data (default $PARINDEX_DATA_DIR, else var).",
        show_default=False,
    ),
]


def _settings(**overrides: Any) -> Any:
    from server.settings import Settings

    return Settings.from_env(**overrides)


@app.command()
def serve(
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Address to listen on (default $PARINDEX_HOST, else 127.0.0.1)."
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Port to listen on (default $PARINDEX_PORT, else 8000)."),
    ] = None,
    database_url: DatabaseOption = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            help="The methodology store (default $PARINDEX_STORE, else <data-dir>/store); "
            "created from the bundled catalog on first start.",
            show_default=False,
        ),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Run the HTTP API (migrations applied; the first start creates the admin and its token)."""
    from server.serve import serve as run_server

    settings = _settings(
        host=host, port=port, database_url=database_url, store=store, data_dir=data_dir
    )
    run_server(settings, echo=typer.echo)


user_app = typer.Typer(
    help="Users of the HTTP API and their tokens.", no_args_is_help=True, add_completion=False
)
app.add_typer(user_app, name="user")
token_app = typer.Typer(
    help="API tokens: issue, list, revoke.", no_args_is_help=True, add_completion=False
)
app.add_typer(token_app, name="token")

ExpiresOption = Annotated[
    str | None,
    typer.Option(
        "--expires",
        help="When the token stops working: a date or time (2027-06-30, "
        "2027-06-30T17:00+07:00; without an offset it is UTC) or a number of days (90d).",
        show_default=False,
    ),
]
CLI_PRINCIPAL_NAME = "parindex CLI"


def _expiry(text: str | None) -> Any:
    """``--expires`` as an aware UTC datetime in the future, or None."""
    import datetime as dt

    from server.errors import ApiError
    from server.services.users import expiry

    if text is None:
        return None
    try:
        if text.endswith("d") and text[:-1].isdigit():
            at = dt.datetime.now(dt.UTC) + dt.timedelta(days=int(text[:-1]))
        else:
            at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise _Exit(
            f"--expires: '{text}' is neither a date/time (2027-06-30) nor days (90d)"
        ) from None
    try:
        return expiry(at)
    except ApiError as exc:
        raise _Exit(f"--expires: {exc}") from None


def _admin_change(settings: Any, change: Any) -> Any:
    """Run ``change(session, principal)`` in one transaction; API errors become one line."""
    from server.auth import Principal
    from server.errors import ApiError
    from server.serve import admin_session

    try:
        with admin_session(settings) as session:
            return change(session, Principal(None, CLI_PRINCIPAL_NAME, "admin"))
    except ApiError as exc:
        raise _Exit(str(exc)) from None


def _set_active(name: str, active: bool, database_url: str | None, data_dir: str | None) -> None:
    from server.auth import record
    from server.services.users import find_user, set_active, user_json

    def change(session: Any, principal: Any) -> Any:
        user = find_user(session, name)
        before = user_json(user)
        set_active(session, user, active)
        record(session, principal, "user.update", "user", str(user.id), before, user_json(user))
        return user

    user = _admin_change(_settings(database_url=database_url, data_dir=data_dir), change)
    state = "enabled" if active else "disabled: its tokens are refused from the next request"
    typer.echo(f"user {user.id} '{user.name}' {state}")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The user's name (shown as the author of commits)")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="admin, ministry_editor, province_editor, unit_submitter, appraiser or auditor",
        ),
    ],
    province: Annotated[
        str | None,
        typer.Option("--province", help="The province of a province_editor (e.g. dak-lak)"),
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="The unit of a unit_submitter (its id)")
    ] = None,
    expires: ExpiresOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a user; its token is printed once, alone on the last line."""
    from server.serve import UserError, add_user

    settings = _settings(database_url=database_url, data_dir=data_dir)
    try:
        user = add_user(
            settings,
            name,
            role,
            province=province,
            unit_id=unit,
            expires_at=_expiry(expires),
        )
    except UserError as exc:
        raise _Exit(str(exc)) from None
    scope = ", ".join(
        part
        for part in (
            f"province {user.province}" if user.province else "",
            f"unit {user.unit_id}" if user.unit_id else "",
        )
        if part
    )
    typer.echo(f"created user {user.id} '{user.name}' ({user.role}{'; ' + scope if scope else ''})")
    typer.echo("its token, shown only this once (send it as `Authorization: Bearer <token>`):")
    typer.echo(user.token)


@user_app.command("list")
def user_list(
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
    format: FormatOption = DataFormat.text,
) -> None:
    """List the users (never their tokens)."""
    from server.serve import list_users

    settings = _settings(database_url=database_url, data_dir=data_dir)
    users = list_users(settings.database)
    rows = [
        {
            "id": u.id,
            "name": u.name,
            "role": u.role,
            "province": u.province,
            "unit": u.unit_id,
            "active": u.active,
            "created_at": u.created_at.isoformat(),
        }
        for u in users
    ]
    if format is DataFormat.json:
        _print_json(rows)
        return
    if not rows:
        typer.echo("no users yet (`parindex serve` creates the admin; `parindex user add` others)")
        return
    for r in rows:
        scope = r["province"] or r["unit"] or ""
        state = "" if r["active"] else "  (disabled)"
        typer.echo(f"{r['id']:>4}  {r['name']:<24} {r['role']:<16} {scope}{state}")


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="The user's name")],
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Disable a user: every token of theirs is refused from the next request."""
    _set_active(name, False, database_url, data_dir)


@user_app.command("enable")
def user_enable(
    name: Annotated[str, typer.Argument(help="The user's name")],
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Enable a disabled user again (their unrevoked, unexpired tokens work again)."""
    _set_active(name, True, database_url, data_dir)


@token_app.command("add")
def token_add(
    name: Annotated[str, typer.Argument(help="The user's name")],
    expires: ExpiresOption = None,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Issue another token for a user; it is printed once, alone on the last line."""
    from server.auth import issue_token, load_token_key, record
    from server.services.users import find_token, find_user, token_json

    settings = _settings(database_url=database_url, data_dir=data_dir)
    expires_at = _expiry(expires)

    def change(session: Any, principal: Any) -> tuple[Any, str]:
        user = find_user(session, name)
        token = issue_token(
            session, user, load_token_key(settings.token_key_path), expires_at=expires_at
        )
        session.flush()
        row = find_token(session, token)
        record(session, principal, "token.create", "token", row.prefix, None, token_json(row))
        return user, token

    user, token = _admin_change(settings, change)
    until = f", valid until {expires_at.isoformat()}" if expires_at else ""
    typer.echo(f"issued token {token.split('_')[1]} for '{user.name}'{until}")
    typer.echo("its token, shown only this once (send it as `Authorization: Bearer <token>`):")
    typer.echo(token)


@token_app.command("list")
def token_list(
    name: Annotated[str, typer.Argument(help="The user's name")],
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
    format: FormatOption = DataFormat.text,
) -> None:
    """A user's tokens: prefix, created, expires, revoked (never the secret)."""
    from server.services.users import find_user, list_tokens, token_json

    rows = _admin_change(
        _settings(database_url=database_url, data_dir=data_dir),
        lambda session, _: [token_json(t) for t in list_tokens(session, find_user(session, name))],
    )
    if format is DataFormat.json:
        _print_json(rows)
        return
    for r in rows:
        state = (
            f"revoked {r['revoked_at']}"
            if r["revoked_at"]
            else (f"expires {r['expires_at']}" if r["expires_at"] else "no expiry")
        )
        typer.echo(f"{r['prefix']}  created {r['created_at']}  {state}")


@token_app.command("revoke")
def token_revoke(
    prefix: Annotated[str, typer.Argument(help="The token's prefix (or the whole pdx_… token)")],
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Revoke a token: it is refused from the next request."""
    from server.auth import record
    from server.services.users import revoke_token, token_json

    def change(session: Any, principal: Any) -> Any:
        token = revoke_token(session, prefix)
        record(session, principal, "token.revoke", "token", token.prefix, None, token_json(token))
        return token

    token = _admin_change(_settings(database_url=database_url, data_dir=data_dir), change)
    typer.echo(f"token {token.prefix} revoked at {token.revoked_at.isoformat()}")


def main() -> None:
    """Console entry point: usage errors as click prints them, domain errors in one line."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        app()
    except (MethodologyError, RuleError, EvaluatorError, _Exit, OSError, SQLAlchemyError) as exc:
        message = str(exc)
        if isinstance(exc, SQLAlchemyError):  # driver messages span lines and quote SQL
            message = (message.splitlines() or [type(exc).__name__])[0]
        suggestion = getattr(exc, "suggestion", None)
        if suggestion and suggestion not in message:
            message += f" ({suggestion})"
        typer.echo(f"error: {message}", err=True)
        sys.exit(exc.code if isinstance(exc, _Exit) else 2)
