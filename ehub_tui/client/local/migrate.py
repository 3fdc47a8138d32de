"""The local store's own migrations: ordered steps over SQLite's ``PRAGMA user_version``.

Why not Alembic (the hub's): a workstation's file is small, private to one machine and made by
this code alone, so a list of SQL steps numbered by ``user_version`` is all it needs, and it runs
in the transaction that opens the file. A step is never edited once released: a change to the
tables is a new step appended to ``STEPS`` (a test checks the result matches ``models.py``).

A file made by a newer ehub-tui (``user_version`` above what this code knows) is refused with a
sentence: an older program must not write to tables it does not understand.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, text

from ehub_tui.errors import StoreError

_V1 = """
CREATE TABLE device (
    id VARCHAR(64) NOT NULL PRIMARY KEY,
    hub_key VARCHAR(64) NOT NULL,
    next_seq INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    offset_seconds FLOAT,
    rtt_seconds FLOAT,
    last_synced VARCHAR(40),
    sop_stamp JSON,
    created VARCHAR(40)
);
CREATE TABLE user (
    username VARCHAR(64) NOT NULL PRIMARY KEY,
    role VARCHAR(32) NOT NULL,
    display_name VARCHAR NOT NULL,
    active BOOLEAN NOT NULL,
    permissions JSON NOT NULL,
    verifier VARCHAR,
    pull_cursor INTEGER NOT NULL,
    updated VARCHAR(40)
);
CREATE TABLE queue_cache (
    item_id INTEGER NOT NULL PRIMARY KEY,
    "row" JSON NOT NULL,
    status VARCHAR(16) NOT NULL,
    owner VARCHAR,
    priority INTEGER NOT NULL,
    received_at VARCHAR(40),
    due_by VARCHAR(40),
    practice VARCHAR NOT NULL,
    request_type VARCHAR NOT NULL,
    updated VARCHAR(40)
);
CREATE INDEX ix_queue_cache_order ON queue_cache (status, priority, received_at);
CREATE TABLE held (
    item_id INTEGER NOT NULL PRIMARY KEY,
    username VARCHAR(64) NOT NULL,
    epoch INTEGER NOT NULL,
    lease_until VARCHAR(40),
    consultation JSON,
    state VARCHAR(16) NOT NULL,
    last_heartbeat VARCHAR(40),
    updated VARCHAR(40)
);
CREATE INDEX ix_held_username ON held (username);
CREATE TABLE draft (
    item_id INTEGER NOT NULL,
    username VARCHAR(64) NOT NULL,
    epoch INTEGER NOT NULL,
    draft JSON NOT NULL,
    updated VARCHAR(40),
    PRIMARY KEY (item_id, username)
);
CREATE TABLE outcome_local (
    event_id VARCHAR(36) NOT NULL PRIMARY KEY,
    item_id INTEGER NOT NULL,
    username VARCHAR(64) NOT NULL,
    epoch INTEGER NOT NULL,
    outcome JSON NOT NULL,
    completed_at VARCHAR(40),
    handling_seconds FLOAT NOT NULL,
    active_seconds FLOAT NOT NULL,
    state VARCHAR(16) NOT NULL,
    hub_outcome_id INTEGER,
    code VARCHAR,
    reason VARCHAR,
    hub_at VARCHAR(40)
);
CREATE INDEX ix_outcome_local_item_id ON outcome_local (item_id);
CREATE TABLE outbox (
    event_id VARCHAR(36) NOT NULL PRIMARY KEY,
    device_seq INTEGER NOT NULL UNIQUE,
    username VARCHAR(64) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    item_id INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    payload JSON NOT NULL,
    client_at VARCHAR(40) NOT NULL,
    offset_seconds FLOAT,
    rtt_seconds FLOAT,
    state VARCHAR(16) NOT NULL,
    attempts INTEGER NOT NULL,
    next_try_at VARCHAR(40),
    result JSON,
    created VARCHAR(40),
    acked_at VARCHAR(40),
    resolved_at VARCHAR(40)
);
CREATE INDEX ix_outbox_pending ON outbox (state, username, device_seq);
CREATE TABLE sops_cache (
    sha256 VARCHAR(64) NOT NULL PRIMARY KEY,
    sop_id VARCHAR(128) NOT NULL,
    version VARCHAR(64) NOT NULL,
    name VARCHAR NOT NULL,
    text BLOB NOT NULL,
    tests BLOB,
    approved_by VARCHAR NOT NULL,
    published_by VARCHAR NOT NULL,
    published_at VARCHAR(40),
    row_id INTEGER NOT NULL
)
"""

# STEPS[n - 1] takes a file from user_version n - 1 to n. Append only.
STEPS: tuple[str, ...] = (_V1,)
VERSION = len(STEPS)


def version_of(conn: Connection) -> int:
    """The file's ``user_version`` (0: a new, empty file)."""
    return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())


def migrate(conn: Connection, path: Path) -> int:
    """Bring the file to ``VERSION`` inside the caller's write transaction; returns the version
    it was at. Raises StoreError (naming the file) when it is newer than this code knows."""
    found = version_of(conn)
    if found > VERSION:
        raise StoreError(
            f"{path}: this workstation's local store was made by a newer version of ehub-tui "
            f"(schema {found}; this one knows up to {VERSION}). Upgrade ehub-tui on this "
            "workstation; the file has been left as it is."
        )
    for number in range(found + 1, VERSION + 1):
        for statement in STEPS[number - 1].split(";"):
            if statement.strip():
                conn.execute(text(statement))
        # PRAGMA user_version is transactional in SQLite: it commits with the step's tables
        conn.exec_driver_sql(f"PRAGMA user_version = {number}")
    return found
