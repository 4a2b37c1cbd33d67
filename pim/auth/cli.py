"""``pim user ...`` and ``pim token ...``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from pim.auth.access import set_user_active, set_user_role
from pim.auth.actor import ROLES
from pim.auth.service import create_user, ensure_admin, list_users
from pim.auth.tokens import create_token, list_tokens, parse_expiry, revoke_token
from pim.cli_support import command_reader, command_session
from pim.db import utcnow


@click.group("user")
def user_group() -> None:
    """People who sign in to the UI and own API tokens."""


@user_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", default=None, help="Default: a generated password, printed once.")
def user_create(email: str, role: str, password: str | None) -> None:
    """Create a user (exit 1 when the e-mail is taken)."""

    with command_session() as session:
        user, generated = create_user(session, email, role=role, password=password)
        email = user.email
    click.echo(f"user {email} created ({role})")
    if generated:
        click.echo(f"password: {generated}")


@user_group.command("ensure-admin")
@click.argument("email")
@click.option("--password-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the generated password here (readable by its owner only), so "
                   "`make run` can show it again on later runs.")
def user_ensure_admin(email: str, password_file: Path | None) -> None:
    """Create the admin user unless it exists (its password is printed the first time)."""

    with command_session() as session:
        user, generated = ensure_admin(session, email)
        email, role = user.email, user.role
    if generated:
        if password_file is not None:
            password_file.parent.mkdir(parents=True, exist_ok=True)
            password_file.unlink(missing_ok=True)
            fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(generated)
        click.echo(f"admin {email} created; password: {generated}")
    else:
        click.echo(f"user {email} exists ({role}); password unchanged")


@user_group.command("list")
def user_list() -> None:
    """One line per user: id, e-mail, role, active."""

    with command_reader() as session:
        for user in list_users(session):
            click.echo(f"{user['id']}\t{user['email']}\t{user['role']}\t"
                       f"{'active' if user['active'] else 'inactive'}")


@user_group.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable a user: their tokens and sessions are refused from the next request on."""

    with command_session() as session:
        email = set_user_active(session, email, False).email
    click.echo(f"user {email} disabled")


@user_group.command("enable")
@click.argument("email")
def user_enable(email: str) -> None:
    """Enable a disabled user again (their unrevoked, unexpired tokens work again)."""

    with command_session() as session:
        email = set_user_active(session, email, True).email
    click.echo(f"user {email} enabled")


@user_group.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def user_set_role(email: str, role: str) -> None:
    """Change a user's role (tokens never act beyond it, from the next request on)."""

    with command_session() as session:
        email = set_user_role(session, email, role).email
    click.echo(f"user {email} is now {role}")


@click.group("token")
def token_group() -> None:
    """Personal API tokens (bearer)."""


@token_group.command("create")
@click.option("--user", "email", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--expires", default=None, help="30d, 12h, 2w, 6m or an ISO date; default never.")
@click.option("--name", default="")
def token_create(email: str, role: str, expires: str | None, name: str) -> None:
    """Create a token and print it (it is shown this once)."""

    with command_session() as session:
        token, raw = create_token(session, email, role=role, name=name,
                                  expires_at=parse_expiry(expires))
        token_id, expires_at = token.id, token.expires_at
    until = f", expires {expires_at:%Y-%m-%d %H:%M}Z" if expires_at else ""
    click.echo(f"token {token_id} ({role}{until}); store it now, it is not shown again:",
               err=True)
    click.echo(raw)


@token_group.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a token (running servers stop accepting it within seconds)."""

    with command_session() as session:
        revoke_token(session, token_id)
    click.echo(f"token {token_id} revoked")


@token_group.command("list")
@click.option("--user", "email", default=None)
def token_list(email: str | None) -> None:
    """One line per token: id, prefix, user, role, state, name."""

    now = utcnow()
    with command_reader() as session:
        for t in list_tokens(session, user_email=email):
            if t["revoked_at"]:
                state = "revoked"
            elif t["expires_at"] and t["expires_at"] <= now:
                state = "expired"
            elif t["expires_at"]:
                state = f"expires {t['expires_at']:%Y-%m-%d}"
            else:
                state = "active"
            click.echo(f"{t['id']}\t{t['prefix']}…\t{t['user']}\t{t['role']}\t{state}\t{t['name']}")


COMMANDS = [user_group, token_group]
