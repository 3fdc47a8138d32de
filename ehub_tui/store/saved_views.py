"""Saved views on the hub: the named filters everyone may apply, and each user's default.

Every write is one transaction with its audit event, which covers the rows it wrote
(store/coverage.py), so ``audit verify`` finds a view or a default changed behind the hub's back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from ehub_tui.domain import views as V
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.errors import NotFound
from ehub_tui.store import audit
from ehub_tui.store.models import UTCDateTime
from ehub_tui.store.models_views import DefaultView, SavedView

SV = SavedView.__table__  # type: ignore[attr-defined]
DV = DefaultView.__table__  # type: ignore[attr-defined]
_DT = UTCDateTime()


def _aware(value: Any) -> datetime:
    out = _DT.process_result_value(value, None)
    assert out is not None
    return out


def list_views(conn: Connection, username: str) -> list[V.SavedView]:
    """Every saved view by name, the user's default marked."""
    default = conn.execute(
        select(DV.c.view_name).where(DV.c.username == username)
    ).scalar_one_or_none()
    rows = conn.execute(select(SV).order_by(SV.c.name)).all()
    return [
        V.SavedView(
            name=r.name,
            filters=V.from_json(dict(r.filters or {})),
            updated_by=r.updated_by,
            updated_at=_aware(r.updated_at),
            is_default=r.name == default,
        )
        for r in rows
    ]


def save_view(
    conn: Connection, name: str, filters: QueueFilter, actor: str, now: datetime
) -> V.SavedView:
    """Create or replace the view called ``name`` (audited ``view_save``)."""
    body = V.to_json(filters)
    found = conn.execute(select(SV.c.id).where(SV.c.name == name)).scalar_one_or_none()
    if found is None:
        view_id = conn.execute(
            insert(SV)
            .values(name=name, filters=body, created_by=actor, updated_by=actor, updated_at=now)
            .returning(SV.c.id)
        ).scalar_one()
    else:
        view_id = found
        conn.execute(
            update(SV)
            .where(SV.c.id == view_id)
            .values(filters=body, updated_by=actor, updated_at=now)
        )
    audit.append(
        conn,
        [
            audit.Event(
                actor,
                "view_save",
                body={"name": name, "filters": body, "new": found is None},
                rows=(("saved_view", "id", [view_id]),),
            )
        ],
        now,
    )
    return V.SavedView(name, V.from_json(body), actor, now)


def delete_view(conn: Connection, name: str, actor: str, now: datetime) -> None:
    """Delete a view, and make it nobody's default any more (audited ``view_delete``)."""
    view_id = conn.execute(select(SV.c.id).where(SV.c.name == name)).scalar_one_or_none()
    if view_id is None:
        raise NotFound(f"there is no saved view called {name!r}")
    users = list(conn.execute(select(DV.c.username).where(DV.c.view_name == name)).scalars())
    conn.execute(delete(DV).where(DV.c.view_name == name))
    conn.execute(delete(SV).where(SV.c.id == view_id))
    rows: tuple[tuple[str, str, list[Any]], ...] = (("saved_view", "id", [view_id]),)
    if users:
        rows += (("default_view", "username", users),)
    audit.append(
        conn,
        [audit.Event(actor, "view_delete", body={"name": name, "defaults_of": users}, rows=rows)],
        now,
    )


def set_default(
    conn: Connection, username: str, name: str | None, actor: str, now: datetime
) -> None:
    """Make ``name`` the view ``username``'s queue opens with (None: no default), audited
    ``view_default``."""
    if name is not None:
        exists = conn.execute(select(SV.c.id).where(SV.c.name == name)).first()
        if exists is None:
            raise NotFound(f"there is no saved view called {name!r}")
    conn.execute(delete(DV).where(DV.c.username == username))
    if name is not None:
        conn.execute(insert(DV).values(username=username, view_name=name, set_by=actor, set_at=now))
    audit.append(
        conn,
        [
            audit.Event(
                actor,
                "view_default",
                body={"user": username, "view": name},
                rows=(("default_view", "username", [username]),),
            )
        ],
        now,
    )
