"""Schema versions: Alembic's head is the one the code expects; upgrades keep data."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from ehub_tui.domain.models import Outcome
from ehub_tui.service import HubService
from ehub_tui.store.engine import StoreError, create_hub_engine, read_tx, write_tx
from ehub_tui.store.migrate import HEAD, MIGRATIONS, current_revision, upgrade
from ehub_tui.store.models import Consultation
from tests.conftest import REPO, FrozenClock
from tests.support.factories import oc_row

C = Consultation.__table__  # type: ignore[attr-defined]


def test_head_constant_matches_alembic() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD


def test_upgrade_is_idempotent_and_keeps_data(hub_url: str) -> None:
    engine = create_hub_engine(hub_url)
    assert upgrade(engine) is True
    with write_tx(engine) as conn:
        conn.execute(
            text(
                "INSERT INTO practice (ods_code, name, pcn_code, pcn_name, list_size, "
                "active) VALUES ('Z1', 'P', '', '', 1, true)"
            )
        )
    assert upgrade(engine) is False
    with read_tx(engine) as conn:
        assert current_revision(conn) == HEAD
        assert conn.execute(text("SELECT count(*) FROM practice")).scalar() == 1
    engine.dispose()


def test_newer_schema_is_refused(hub_url: str) -> None:
    engine = create_hub_engine(hub_url)
    upgrade(engine)
    with write_tx(engine) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        upgrade(engine)
    except StoreError as exc:
        assert "newer than this ehub-tui knows" in str(exc)
    else:
        raise AssertionError("a newer schema must be refused")
    finally:
        engine.dispose()


def test_concurrent_start_ups_migrate_once(hub_url: str, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from ehub_tui.store.engine import create_hub_engine\n"
        "from ehub_tui.store.migrate import upgrade\n"
        "print(upgrade(create_hub_engine(sys.argv[1])))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, hub_url],
            cwd=REPO,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert sorted(o.strip() for o, _ in outputs) == ["False", "False", "False", "True"]


def test_0004_fills_first_claim_and_cancel_times_from_the_audit(
    seeded: HubService, make_service: Callable[..., HubService], clock: FrozenClock
) -> None:
    """Down to 0003 and up again: the new columns are refilled from the audit trail."""
    from alembic import command
    from alembic.config import Config

    created, _ = seeded.store_intake([oc_row(i) for i in range(4)])
    ids = [cid for _, cid in created]
    nav, sup = make_service("nav1"), make_service("sup1")
    first_claim = clock()
    nav.claim(ids[0])
    clock.advance(minutes=5)
    nav.release(nav.claim(ids[1]), "not mine")
    clock.advance(minutes=5)
    sup.reassign(ids[2], "nav2", "covering")
    reassigned_at = clock()
    clock.advance(minutes=5)
    sup.cancel(ids[3], "duplicate")
    cancelled_at = clock()
    clock.advance(minutes=5)
    again = nav.claim(ids[1])  # claimed again later: the first claim still counts
    clock.advance(seconds=90)
    nav.complete(again, Outcome(category="admin", route="r", destination="Fit note"))

    def columns() -> dict[int, tuple[Any, Any]]:
        with read_tx(seeded.engine) as conn:
            rows = conn.execute(select(C.c.id, C.c.first_claimed_at, C.c.cancelled_at)).all()
        return {r.id: (r.first_claimed_at, r.cancelled_at) for r in rows}

    expected = {
        ids[0]: (first_claim, None),
        ids[1]: (first_claim + timedelta(minutes=5), None),
        ids[2]: (reassigned_at, None),
        ids[3]: (None, cancelled_at),
    }
    assert columns() == expected

    def waits() -> list[tuple[Any, Any]]:
        with read_tx(seeded.engine) as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    text("SELECT first_action_seconds, completion_seconds FROM outcome")
                )
            ]

    # received 09:00 (oc_row), first claimed 10:05, completed 10:21:30
    assert waits() == [(65 * 60, 81 * 60 + 30)]
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with seeded.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    with read_tx(seeded.engine) as conn:
        assert current_revision(conn) == "0003"
    assert upgrade(seeded.engine) is True
    assert columns() == expected
    assert waits() == [(65 * 60, 81 * 60 + 30)]  # refilled by the migration


def test_0008_adds_sign_in_tables_and_keeps_everything(
    seeded: HubService, clock: FrozenClock
) -> None:
    """A hub at 0007 (users, work, an audit chain) goes to 0008: the sign-in tables arrive
    empty, nothing else changes, the audit still verifies, and passwords can then be set; down
    again drops only the sign-in tables."""
    from alembic import command
    from alembic.config import Config
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST
    from sqlalchemy import inspect

    from ehub_tui.domain.clock import as_clock
    from ehub_tui.hub.auth import Auth

    seeded.store_intake([oc_row(i) for i in range(3)])
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))

    def migrate(to: str, down: bool = False) -> None:
        with seeded.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, to)

    def tables() -> set[str]:
        with read_tx(seeded.engine) as conn:
            return set(inspect(conn).get_table_names())

    def counts() -> tuple[int, ...]:
        with read_tx(seeded.engine) as conn:
            return tuple(
                int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one())
                for t in ("hub_user", "consultation", "audit_event")
            )

    migrate("0007", down=True)
    assert not {"hub_credential", "hub_session"} & tables()
    before = counts()
    migrate("0008")
    with read_tx(seeded.engine) as conn:
        assert current_revision(conn) == "0008"
        assert conn.execute(text("SELECT count(*) FROM hub_credential")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM hub_session")).scalar_one() == 0
        indexes = {i["name"] for i in inspect(conn).get_indexes("hub_session")}
    assert "ix_hub_session_user_revoked" in indexes
    assert counts() == before
    # (the code verifies a hub at its own HEAD: 0009's sync tables are covered too)
    assert upgrade(seeded.engine) is True
    assert seeded.verify_audit().ok, seeded.verify_audit().problems
    auth = Auth(
        seeded.engine,
        seeded.settings,
        as_clock(clock),
        hasher=PasswordHasher.from_parameters(CHEAPEST),
    )
    auth.set_password("nav1", "a long enough phrase", by="system")
    signed = auth.sign_in("nav1", "a long enough phrase", "device-a")
    assert auth.authenticate(signed.token, "device-a").username == "nav1"
    assert seeded.verify_audit().ok, seeded.verify_audit().problems
    migrate("0007", down=True)
    assert not {"hub_credential", "hub_session"} & tables()
    assert counts()[:2] == before[:2]


def test_0009_adds_the_sync_tables_and_keeps_every_digest(
    seeded: HubService, make_service: Callable[..., HubService]
) -> None:
    """A hub at 0008 with completed work and an audit chain goes to 0009: the sync tables
    arrive empty, the outcome's new columns are NULL (outside the digest, so the old outcomes
    keep theirs and the audit verifies with no baseline event), and down again drops only what
    0009 added."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    seeded.store_intake([oc_row(i) for i in range(3)])
    nav = make_service("nav1")
    for _ in range(2):
        claim = nav.claim_next()
        nav.complete(claim, Outcome(category="admin", route="r", destination="Fit note"))
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))

    def migrate(to: str, down: bool = False) -> None:
        with seeded.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, to)

    def tables() -> set[str]:
        with read_tx(seeded.engine) as conn:
            return set(inspect(conn).get_table_names())

    def events() -> int:
        with read_tx(seeded.engine) as conn:
            return int(conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one())

    sync_tables = {"sync_event", "sync_rejected", "sync_draft"}
    migrate("0008", down=True)
    assert not sync_tables & tables()
    before = events()
    migrate("0009")
    with read_tx(seeded.engine) as conn:
        assert current_revision(conn) == "0009"
        for name in sync_tables:
            assert conn.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() == 0
        late = conn.execute(text("SELECT late, event_id, client_completed_at FROM outcome")).all()
        indexes = {i["name"] for i in inspect(conn).get_indexes("sync_event")}
    assert [tuple(r) for r in late] == [(None, None, None)] * 2
    assert "ix_sync_event_device" in indexes
    assert events() == before  # no baseline needed: nothing existing changed
    assert seeded.verify_audit().ok, seeded.verify_audit().problems
    migrate("0008", down=True)
    assert not sync_tables & tables()
    with read_tx(seeded.engine) as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("outcome")}
        assert conn.execute(text("SELECT count(*) FROM outcome")).scalar_one() == 2
    assert not {"late", "event_id", "clock_suspect"} & columns
    assert upgrade(seeded.engine) is True
