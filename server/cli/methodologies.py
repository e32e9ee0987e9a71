"""Methodology commands: `init`, `show`, `validate`, `diff`, `log`, `blame`, `releases`,
`rebase`."""

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
    """List official releases (annotated tags) with their decisions."""
    found = open_store(store).releases(methodology)
    if format is DataFormat.json:
        print_json(
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
