"""The HTTP API and its people: `serve`, `user add|list|disable|enable`,
`token add|list|revoke`."""

from __future__ import annotations

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
    store: ServerStoreOption = None,
    data_dir: DataDirOption = None,
    empty: Annotated[
        bool,
        typer.Option(
            "--empty",
            help="Start with an empty database: no bundled synthetic samples on first start "
            "(as PARINDEX_SAMPLES=off; what production wants).",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes that answer requests (default $PARINDEX_WORKERS, else 1).",
        ),
    ] = None,
) -> None:
    """Run the HTTP API (migrations applied; the first start creates the admin and its token
    and, unless --empty, loads the bundled synthetic samples into an empty database)."""
    from server.serve import serve as run_server

    settings = settings_from_env(
        host=host,
        port=port,
        database_url=database_url,
        store=store,
        data_dir=data_dir,
        samples=False if empty else None,
        workers=workers,
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
        raise CliError(
            f"--expires: '{text}' is neither a date/time (2027-06-30) nor days (90d)"
        ) from None
    try:
        return expiry(at)
    except ApiError as exc:
        raise CliError(f"--expires: {exc}") from None


def _admin_change(settings: Any, change: Any) -> Any:
    """Run ``change(session, principal)`` in one transaction; API errors become one line."""
    from server.auth import Principal
    from server.errors import ApiError
    from server.serve import admin_session

    try:
        with admin_session(settings) as session:
            return change(session, Principal(None, CLI_PRINCIPAL_NAME, "admin"))
    except ApiError as exc:
        raise CliError(str(exc)) from None


def _set_active(name: str, active: bool, database_url: str | None, data_dir: str | None) -> None:
    from server.auth import record
    from server.services.users import find_user, set_active, user_json

    def change(session: Any, principal: Any) -> Any:
        user = find_user(session, name)
        before = user_json(user)
        set_active(session, user, active)
        record(session, principal, "user.update", "user", str(user.id), before, user_json(user))
        return user

    user = _admin_change(settings_from_env(database_url=database_url, data_dir=data_dir), change)
    state = "enabled" if active else "disabled: its tokens are refused from the next request"
    typer.echo(f"user {user.id} '{user.name}' {state}")


PasswordOption = Annotated[
    bool,
    typer.Option(
        "--password",
        help="Ask for a password to sign in to the web pages (read from standard input "
        "when it is not a terminal).",
    ),
]


def _ask_password() -> str:
    """A password typed twice at a terminal, or one line of piped standard input."""
    import sys

    if sys.stdin.isatty():
        return typer.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise CliError("no password on standard input")
    return line


@user_app.command("password")
def user_password(
    name: Annotated[str, typer.Argument(help="The user's name")],
    remove: Annotated[
        bool, typer.Option("--remove", help="Remove the password: tokens only from now on")
    ] = False,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Set a user's password for the web pages (asked for, as with `user add --password`)."""
    from server.auth import record
    from server.services.users import find_user, set_password

    secret = None if remove else _ask_password()

    def change(session: Any, principal: Any) -> Any:
        user = find_user(session, name)
        set_password(session, user, secret)
        record(session, principal, "user.password", "user", str(user.id), None, None)
        return user

    user = _admin_change(settings_from_env(database_url=database_url, data_dir=data_dir), change)
    state = "removed" if remove else "set"
    typer.echo(f"password of user {user.id} '{user.name}' {state}")


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
    password: PasswordOption = False,
    database_url: DatabaseOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a user; its token is printed once, alone on the last line."""
    from server.serve import UserError, add_user

    settings = settings_from_env(database_url=database_url, data_dir=data_dir)
    try:
        user = add_user(
            settings,
            name,
            role,
            province=province,
            unit_id=unit,
            expires_at=_expiry(expires),
            password=_ask_password() if password else None,
        )
    except UserError as exc:
        raise CliError(str(exc)) from None
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

    settings = settings_from_env(database_url=database_url, data_dir=data_dir)
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
        print_json(rows)
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

    settings = settings_from_env(database_url=database_url, data_dir=data_dir)
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
        settings_from_env(database_url=database_url, data_dir=data_dir),
        lambda session, _: [token_json(t) for t in list_tokens(session, find_user(session, name))],
    )
    if format is DataFormat.json:
        print_json(rows)
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

    token = _admin_change(settings_from_env(database_url=database_url, data_dir=data_dir), change)
    typer.echo(f"token {token.prefix} revoked at {token.revoked_at.isoformat()}")
