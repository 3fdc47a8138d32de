"""queue counters: whole-hub counts kept by triggers, not recounted (issue 18)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The columns whose change moves an item between counters (received_at: its hour bucket).
_KEYS = "status, practice_ods, request_type, priority"
_WATCHED = f"{_KEYS}, received_at"
_CHANGED = " OR ".join(
    f"old.{c} IS NOT new.{c}" for c in ("status", "practice_ods", "request_type", "priority")
)

# SQLite: writers are serialised (BEGIN IMMEDIATE), so the triggers update the counters directly
# in the writer's transaction. A counter row left at zero stays (the keys are bounded: statuses x
# practices x types x priorities); an hour bucket at zero is removed (hours grow with history).
_SQLITE_HOUR = "substr({r}.received_at, 1, 13)"


def _sqlite_add(r: str, d: int) -> str:
    hour = _SQLITE_HOUR.format(r=r)
    sign = "+" if d > 0 else "-"
    # only a removal can leave an hour at zero
    drop = f"""
        DELETE FROM queued_hour WHERE {r}.status = 'queued' AND hour = {hour} AND n = 0;"""
    return f"""
        INSERT INTO queue_count ({_KEYS}, n)
        VALUES ({r}.status, {r}.practice_ods, {r}.request_type, {r}.priority, {d})
        ON CONFLICT ({_KEYS}) DO UPDATE SET n = n {sign} 1;
        INSERT INTO queued_hour (hour, n) SELECT {hour}, {d} WHERE {r}.status = 'queued'
        ON CONFLICT (hour) DO UPDATE SET n = n {sign} 1;{drop if d < 0 else ""}"""


_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER consultation_count_ai AFTER INSERT ON consultation BEGIN"
    f"{_sqlite_add('new', 1)}\n    END",
    f"CREATE TRIGGER consultation_count_ad AFTER DELETE ON consultation BEGIN"
    f"{_sqlite_add('old', -1)}\n    END",
    f"CREATE TRIGGER consultation_count_au AFTER UPDATE OF {_WATCHED} ON consultation "
    f"WHEN {_CHANGED} OR old.received_at IS NOT new.received_at BEGIN"
    f"{_sqlite_add('old', -1)}{_sqlite_add('new', 1)}\n    END",
)

# PostgreSQL: concurrent writers must not wait on one another's counter rows (a claim would
# hold a counter row while waiting for the audit head another transaction holds while it moves a
# parked item back: a deadlock). So the trigger only appends a delta row (an INSERT takes no lock
# anyone waits for), and store/counters.fold() folds the deltas into the counters in a short
# transaction of its own, in key order, one folder at a time. Readers add the pending deltas.
_PG_FUNCTION = """
CREATE FUNCTION consultation_count_delta() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO count_delta (status, practice_ods, request_type, priority, hour, n)
        VALUES (OLD.status, OLD.practice_ods, OLD.request_type, OLD.priority,
                CASE WHEN OLD.status = 'queued'
                     THEN to_char(OLD.received_at, 'YYYY-MM-DD HH24') END, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO count_delta (status, practice_ods, request_type, priority, hour, n)
        VALUES (NEW.status, NEW.practice_ods, NEW.request_type, NEW.priority,
                CASE WHEN NEW.status = 'queued'
                     THEN to_char(NEW.received_at, 'YYYY-MM-DD HH24') END, 1);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER consultation_count_aid AFTER INSERT OR DELETE ON consultation "
    "FOR EACH ROW EXECUTE FUNCTION consultation_count_delta()",
    f"CREATE TRIGGER consultation_count_au AFTER UPDATE OF {_WATCHED} ON consultation "
    f"FOR EACH ROW WHEN ({_CHANGED.replace('IS NOT', 'IS DISTINCT FROM')} "
    "OR old.received_at IS DISTINCT FROM new.received_at) "
    "EXECUTE FUNCTION consultation_count_delta()",
)

_BACKFILL = (
    f"INSERT INTO queue_count ({_KEYS}, n) SELECT {_KEYS}, count(*) FROM consultation "
    f"GROUP BY {_KEYS}",
    "INSERT INTO queued_hour (hour, n) SELECT {hour}, count(*) FROM consultation "
    "WHERE status = 'queued' GROUP BY {hour}",
)


def upgrade() -> None:
    """Create the counters, fill them from the rows there are, and keep them with triggers.

    Derived data, as the word index (0014): every value is a count of consultation rows whose
    digests the audit covers, so the tables are not covered (``audit verify`` replays only
    store/coverage.py's tables) and dropping and refilling them loses nothing. The migration
    runs under the migration lock with no writers, so the back-fill and the triggers start from
    the same rows.
    """
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "queue_count",
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("practice_ods", sa.String(length=16), nullable=False),
        sa.Column("request_type", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("status", "practice_ods", "request_type", "priority"),
    )
    # queued items by the UTC hour they arrived ('YYYY-MM-DD HH'): the median wait's walk
    op.create_table(
        "queued_hour",
        sa.Column("hour", sa.String(length=13), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour"),
    )
    # PostgreSQL's pending changes (empty on SQLite, whose triggers write the counters directly)
    op.create_table(
        "count_delta",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("practice_ods", sa.String(length=16), nullable=False),
        sa.Column("request_type", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("hour", sa.String(length=13), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    hour = (
        _SQLITE_HOUR.format(r="consultation")
        if sqlite
        else "to_char(received_at, 'YYYY-MM-DD HH24')"
    )
    for sql in _BACKFILL:
        op.execute(sql.format(hour=hour))
    if sqlite:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        op.execute(_PG_FUNCTION)
        for trigger in _PG_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    """Drop the triggers and the counters (derived data only)."""
    if op.get_bind().dialect.name == "sqlite":
        for name in ("consultation_count_ai", "consultation_count_ad", "consultation_count_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name in ("consultation_count_aid", "consultation_count_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON consultation")
        op.execute("DROP FUNCTION IF EXISTS consultation_count_delta()")
    for table in ("count_delta", "queued_hour", "queue_count"):
        op.drop_table(table)
