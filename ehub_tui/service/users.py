"""Hub users: who exists, their roles, and who is online."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select, update

from ehub_tui.domain.models import UserInfo
from ehub_tui.domain.types import Role
from ehub_tui.errors import NotFound, StoreError
from ehub_tui.service.context import HubContext
from ehub_tui.service.session import U, has_users, read_user
from ehub_tui.store import audit
from ehub_tui.store.engine import read_tx, write_tx

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _check_role(role: str) -> None:
    if role not in {r.value for r in Role}:
        raise StoreError(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}")


class Users:
    """Reading and managing hub users (managing them is for admins)."""

    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx

    def get(self, username: str) -> UserInfo | None:
        """Look a hub user up by name."""
        return read_user(self._ctx.engine, username)

    def exist(self) -> bool:
        """True once any hub user exists (before that, the first admin may be created)."""
        return has_users(self._ctx.engine)

    def all(self) -> list[UserInfo]:
        """Every hub user."""
        with read_tx(self._ctx.engine) as conn:
            rows = conn.execute(select(U).order_by(U.c.username)).all()
        return [UserInfo(r.username, r.role, r.display_name, r.active) for r in rows]

    def add(self, username: str, role: str, display_name: str = "") -> UserInfo:
        """Create a hub user (admin only)."""
        ctx = self._ctx
        ctx.require("manage_users")
        if not USERNAME.match(username or ""):
            raise StoreError(
                f"{username!r} is not a usable user name: 1 to 64 letters, digits, '.', '_' or '-'"
            )
        _check_role(role)
        now = ctx.now()
        with write_tx(ctx.engine) as conn:
            if conn.execute(select(U.c.id).where(U.c.username == username)).first():
                raise StoreError(f"hub user {username!r} already exists")
            conn.execute(
                U.insert().values(
                    username=username,
                    role=role,
                    display_name=display_name or username,
                    active=True,
                    created_at=now,
                )
            )
            event = audit.Event(
                ctx.actor,
                "user_add",
                None,
                {"username": username, "role": role},
                rows=(("hub_user", "username", [username]),),
            )
            audit.append(conn, [event], now)
        return UserInfo(username, role, display_name or username, True)

    def set_role(self, username: str, role: str) -> UserInfo:
        """Change a hub user's role (admin only)."""
        self._ctx.require("manage_users")
        _check_role(role)
        return self._update(username, "user_set_role", role=role)

    def set_active(self, username: str, active: bool) -> UserInfo:
        """Disable (or enable again) a hub user (admin only); a disabled user cannot sign in."""
        self._ctx.require("manage_users")
        me = self._ctx.session.user
        if not active and me is not None and username == me.username:
            raise StoreError("you cannot disable yourself")
        return self._update(username, "user_enable" if active else "user_disable", active=active)

    def _update(self, username: str, action: str, **values: Any) -> UserInfo:
        ctx = self._ctx
        now = ctx.now()
        with write_tx(ctx.engine) as conn:
            row = conn.execute(
                update(U)
                .where(U.c.username == username)
                .values(**values)
                .returning(U.c.username, U.c.role, U.c.display_name, U.c.active)
            ).first()
            if row is None:
                raise NotFound(f"{username!r} is not a hub user")
            event = audit.Event(
                ctx.actor,
                action,
                None,
                {"username": username, **values},
                rows=(("hub_user", "username", [username]),),
            )
            audit.append(conn, [event], now)
        return UserInfo(row.username, row.role, row.display_name, row.active)

    def touch(self) -> None:
        """Say this user is online (the apps call it every little while)."""
        user = self._ctx.session.user
        if user is None:
            return
        with write_tx(self._ctx.engine) as conn:
            conn.execute(
                update(U).where(U.c.username == user.username).values(last_seen_at=self._ctx.now())
            )
