"""Methodology commands: `init`, `show`, `validate`, `diff`, `log`, `blame`, `releases`,
`release`, `rebase`."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from server.cli._common import (
    DEFAULT_STORE,
    CliError,
    DataFormat,
    FormatOption,
    StoreOption,
    app,
    load,
    open_store,
    print_json,
)

if TYPE_CHECKING:
    from methodology import Methodology


class DiffFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@app.command()
def init(store: StoreOption = DEFAULT_STORE) -> None:
    """Create a store replaying the bundled catalog's releases."""
    from methodology import init_store

    init_store(store, progress=lambda line: typer.echo(f"  committing {line}", err=True))
    typer.echo(f"initialised {store}")


@app.command()
def show(
    target: Annotated[str, typer.Argument(help="<methodology>[@ref] or a methodology folder")],
    store: StoreOption = DEFAULT_STORE,
    format: FormatOption = DataFormat.text,
) -> None:
    """Print the resolved tree of a methodology at a ref."""
    m = load(target, store)
    if format is DataFormat.json:
        print_json(m.to_json())
        return
    typer.echo(_tree_text(m))


def _tree_text(m: Methodology) -> str:
    from server.labels import DERIVATION_LABELS, provenance_mark

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
        mark = f"  ({provenance_mark(node)})" if node.provenance == "illustrative" else ""
        derivation = m.derivation.get(node.id)
        if derivation is not None and derivation.status != "inherited":
            mark += f"  [{DERIVATION_LABELS[derivation.status]}]"
        lines.append(f"{code}{node.title}  — {_points(node.max_points)} điểm{rule}{mark}")
    lines.append(
        f"{m.counts()['fields']} lĩnh vực, {m.counts()['criteria']} tiêu chí, "
        f"{m.counts()['sub_criteria']} tiêu chí thành phần; tổng {_points(m.total)} điểm"
    )
    return "\n".join(lines)


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
    from methodology import validate

    report = validate(load(target, store))
    if format is DataFormat.json:
        print_json(report.to_json())
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
    from methodology import diff

    result = diff(load(source, store), load(target, store))
    if format is DiffFormat.json:
        print_json(result.to_json())
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
    from methodology import log_entries, parse_spec

    spec = parse_spec(methodology)
    entries = log_entries(open_store(store), spec, node)
    if node is not None and not entries:
        raise CliError(f"no history for node '{node}' in {spec.methodology}")
    if format is DataFormat.json:
        print_json({"methodology": spec.methodology, "node": node, "entries": entries})
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
    from methodology import guidance_blame, parse_spec

    spec = parse_spec(target)
    lines = guidance_blame(open_store(store), spec.methodology, node, spec.ref)
    if format is DataFormat.json:
        print_json(
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
    """List official releases (annotated tags): decision, date, the date each takes effect,
    the assessment years it applies to and the release it amends."""
    from server.labels import RELEASE_LABELS

    found = open_store(store).releases(methodology)
    if format is DataFormat.json:
        print_json([r.to_json() for r in found])
        return
    if not found:
        return
    labels = RELEASE_LABELS
    effective = {r.tag: r.effective.isoformat() if r.effective else "—" for r in found}
    rows = [
        (r.tag, r.decision, r.date.isoformat(), effective[r.tag], r.years_text or "—")
        for r in found
    ]
    head = ("", labels["decision"], labels["date"], labels["effective"], labels["years"])
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]

    def line(cells: tuple[str, ...], commit: str, amends: str) -> str:
        text = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return f"{text}  {commit:<10}  {amends}".rstrip()

    typer.echo(line(head, "commit", labels["amends"]))
    for r, row in zip(found, rows, strict=True):
        typer.echo(line(row, r.commit[:10], r.amends or ""))


@app.command()
def release(
    target: Annotated[str, typer.Argument(help="<methodology>[@ref]: the version to release")],
    name: Annotated[str, typer.Argument(help="The release's name: the tag <methodology>/<name>")],
    decision: Annotated[str, typer.Option("--decision", help="The decision's number")],
    date: Annotated[
        str, typer.Option("--date", help="The decision's date: 2022-11-10 or 10/11/2022")
    ],
    years: Annotated[
        str | None,
        typer.Option("--years", help="Assessment years it applies to: 2022-2030, 2018,2019"),
    ] = None,
    effective: Annotated[
        str | None,
        typer.Option("--effective", help="The date it takes effect (default: --date)"),
    ] = None,
    amends: Annotated[
        str | None,
        typer.Option("--amends", help="The release it amends: <methodology>/<name> or <name>"),
    ] = None,
    author: Annotated[
        str, typer.Option("--author", help="Who releases: 'Name <email>'")
    ] = "parindex <parindex@localhost>",
    store: StoreOption = DEFAULT_STORE,
    format: FormatOption = DataFormat.text,
) -> None:
    """Tag a version that validates as an official release."""
    import datetime as dt

    from methodology import Person, validate
    from server.format import parse_date

    def day(text: str, option: str) -> dt.date:
        try:
            return parse_date(text)
        except ValueError as exc:
            raise CliError(f"{option}: {exc}") from None

    m = load(target, store)
    if m.commit is None:
        raise CliError(
            f"{target} is a folder; release a version of the store (<methodology>@<ref>)"
        )
    report = validate(m)
    if not report.ok:
        raise CliError(
            f"{target} does not validate; it cannot be released ({report.errors[0].message})", 1
        )
    who, _, email = author.partition("<")
    r = open_store(store).tag_release(
        m.name,
        name,
        m.commit,
        decision=decision,
        date=day(date, "--date"),
        effective=day(effective, "--effective") if effective else None,
        years=years,
        amends=amends,
        tagger=Person(who.strip(), email.rstrip(">").strip() or "parindex@localhost"),
    )
    if format is DataFormat.json:
        print_json(r.to_json())
        return
    line = (
        f"released {r.tag} ({r.decision}, {r.date}) at {r.commit[:10]}, in force from {r.effective}"
    )
    if r.years:
        line += f", for {r.years_text}"
    if r.amends:
        line += f", amending {r.amends}"
    typer.echo(line)


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
    from methodology import Person, plan_rebase, write_rebase

    st = open_store(store)
    report = plan_rebase(st, derived, onto)
    if format is DataFormat.json:
        print_json(report.to_json())
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
