"""Migration 0011 (issue 15): an outcome's contact mode and team, nullable. Older outcomes keep
NULL (outside their digest), so the audit verifies without a baseline event at 0010, at 0011
and after; a new outcome's values are in its digest like every outcome column."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text, update

from ehub_tui.domain.models import Outcome
from ehub_tui.service import HubService
from ehub_tui.store.engine import read_tx, write_tx
from ehub_tui.store.migrate import HEAD, MIGRATIONS, current_revision
from ehub_tui.store.models import Outcome as OutcomeRow
from tests.support.factories import oc_row

PLAIN = Outcome(category="admin", route="r", destination="Fit note")


def test_0011_adds_contact_mode_and_team_and_keeps_every_digest(
    seeded: HubService, make_service: Callable[..., HubService]
) -> None:
    seeded.store_intake([oc_row(i) for i in range(3)])
    nav = make_service("nav1")
    for _ in range(2):
        nav.complete(nav.claim_next(), PLAIN)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))

    def migrate(to: str, down: bool = False) -> None:
        with seeded.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(cfg, to)

    def columns() -> set[str]:
        with read_tx(seeded.engine) as conn:
            return {c["name"] for c in inspect(conn).get_columns("outcome")}

    def events() -> int:
        with read_tx(seeded.engine) as conn:
            return int(conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one())

    before = events()
    migrate("0010", down=True)
    assert not {"contact_mode", "team"} & columns()
    assert seeded.verify_audit().ok, seeded.verify_audit().problems  # a hub at 0010
    migrate(HEAD)
    with read_tx(seeded.engine) as conn:
        assert current_revision(conn) == HEAD
        rows = conn.execute(text("SELECT contact_mode, team FROM outcome")).all()
    assert [tuple(r) for r in rows] == [(None, None)] * 2
    assert events() == before  # no baseline needed: nothing existing changed
    assert seeded.verify_audit().ok, seeded.verify_audit().problems

    # a new outcome carries them, and they are covered: changed behind the app's back, found
    nav.complete(nav.claim_next(), PLAIN.model_copy(update={"contact_mode": "phone", "team": "GP"}))
    assert seeded.verify_audit().ok
    with write_tx(seeded.engine) as conn:
        conn.execute(
            update(OutcomeRow.__table__)  # type: ignore[attr-defined]
            .where(OutcomeRow.__table__.c.contact_mode == "phone")  # type: ignore[attr-defined]
            .values(contact_mode="home_visit")
        )
    problems = seeded.verify_audit().problems
    assert any("contact_mode" in p.what for p in problems), problems
