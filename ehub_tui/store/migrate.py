"""Schema versions: Alembic migrations run under a lock at start-up; an upgrade never drops data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text

from ehub_tui.store.engine import StoreError, begin_write, is_sqlite, read_tx

HEAD = "0021"  # the newest revision this code knows; a test checks it matches Alembic's head
_PG_LOCK_KEY = 0x65687562  # "ehub": pg_advisory_lock key for migrations
MIGRATIONS = Path(__file__).parent / "migrations"


def current_revision(conn: Connection) -> str | None:
    """The revision a database is at, or None for an empty one."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return row[0] if row else None


def _known_revisions() -> set[str]:
    return {p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*.py")}


def upgrade(engine: Engine) -> bool:
    """Bring the schema to HEAD; True if anything was applied. Safe to call from many processes."""
    with read_tx(engine) as conn:
        rev = current_revision(conn)
    if rev == HEAD:
        return False
    if rev is not None and rev not in _known_revisions():
        raise StoreError(
            f"the hub's schema is at revision {rev}, newer than this ehub-tui knows ({HEAD}): "
            "upgrade ehub-tui on this machine"
        )
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        if not is_sqlite(conn):
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
        try:
            with begin_write(conn):  # BEGIN IMMEDIATE on SQLite: one migrator at a time
                if current_revision(conn) == HEAD:
                    return False
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        finally:
            if not is_sqlite(conn):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()
    return True
