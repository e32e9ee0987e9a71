"""Office commands: `export` (the annex in Word or Excel, the change list in Word) and
`import-table` (a criteria table in the annex layout into a draft branch)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from server.cli._common import DEFAULT_STORE, CliError, StoreOption, app, open_store

_KINDS = {".docx": "Word", ".xlsx": "Excel"}


@app.command()
def export(
    target: Annotated[str, typer.Argument(help="<methodology>[@ref]: the version to export")],
    to: Annotated[
        Path, typer.Option("--to", help="The file to write: .docx (Word) or .xlsx (Excel).")
    ],
    diff_with: Annotated[
        str | None,
        typer.Option(
            "--diff",
            help="<methodology>@<ref>: write the change list from TARGET to this version "
            "instead (.docx).",
        ),
    ] = None,
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Write the methodology as the decision's annex (Phụ lục), or the list of changes
    between two versions, as a Word or Excel file."""
    from methodology import open_methodology, parse_spec
    from server.office import annex_docx, annex_xlsx, changes_docx

    suffix = to.suffix.lower()
    if suffix not in _KINDS:
        raise CliError(f"--to {to}: write a .docx (Word) or .xlsx (Excel) file")
    opened = open_store(store)
    m = open_methodology(opened, parse_spec(target))
    releases = opened.releases()
    if diff_with is not None:
        if suffix != ".docx":
            raise CliError("--diff writes the change list as a Word file: --to ….docx")
        other = open_methodology(opened, parse_spec(diff_with))
        data = changes_docx(m, other, releases)
        what = f"danh sách thay đổi {m.name}@{m.ref or 'head'} → {other.name}@{other.ref or 'head'}"
    else:
        data = annex_docx(m, releases) if suffix == ".docx" else annex_xlsx(m, releases)
        what = f"phụ lục {m.name}@{m.ref or 'head'} ({len(m.nodes)} mục)"
    _write(to, data)
    size = f"{len(data):,}".replace(",", ".")
    typer.echo(f"wrote {to} ({_KINDS[suffix]}, {size} bytes): {what}")


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a failure never leaves half a document."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


@app.command(name="import-table")
def import_table(
    table: Annotated[Path, typer.Argument(help="A criteria table (.xlsx) in the annex layout.")],
    into: Annotated[str, typer.Option("--into", help="The methodology to import into.")],
    message: Annotated[
        str | None, typer.Option("--message", "-m", help="The commit message.")
    ] = None,
    branch: Annotated[
        str | None,
        typer.Option(
            "--branch",
            help="The draft branch to commit on (default: a new nhap/<methodology>-<time>).",
        ),
    ] = None,
    base: Annotated[
        str | None,
        typer.Option("--base", help="The version the table is compared with (default: head)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the changes and write nothing.")
    ] = False,
    author: Annotated[
        str, typer.Option("--author", help="Name and e-mail: 'Name <email>'.")
    ] = "parindex <parindex@localhost>",
    store: StoreOption = DEFAULT_STORE,
) -> None:
    """Read a criteria table into a new commit on a draft branch: new, changed and
    removed nodes, renames detected as `diff` does. Errors name the sheet and cell."""
    from methodology import Person
    from server.office import draft_branch, plan_import, read_table, write_import

    if not dry_run and not message:
        raise CliError("give --message (the commit message), or --dry-run to only look")
    data = table.read_bytes()
    opened = open_store(store)
    found = read_table(data, table.name)
    target_branch = branch or draft_branch(opened, into)
    if base is None and branch is not None and opened.head(branch) is not None:
        base = branch  # a draft that exists: the table is compared with its head
    plan = plan_import(opened, into, found, base)
    typer.echo(plan.diff.to_text())
    if dry_run:
        typer.echo("dry run: nothing written")
        return
    name, _, email = author.partition("<")
    commit = write_import(
        opened,
        plan,
        author=Person(
            name.strip() or "parindex", email.rstrip(">").strip() or "parindex@localhost"
        ),
        message=str(message),
        branch=target_branch,
    )
    if commit is None:
        typer.echo("no changes: nothing written")
        return
    typer.echo(
        f"committed {commit[:10]} on branch {target_branch} ({len(plan.diff.changes)} changes)"
    )
