"""The outcome panel's contact mode and team (issue 15) travel with a completion saved on a
workstation while the hub is away: kept in the local outbox, pushed when the hub is back, and
stored in the hub's outcome row (covered by the audit like every outcome column)."""

from __future__ import annotations

from sqlalchemy import text

from ehub_tui.domain.models import Outcome
from ehub_tui.store.engine import read_tx
from tests.client.test_sync_engine import Hub, hub  # noqa: F401  (the fixture, over each way)

PANEL = Outcome(
    category="clinical",
    route="clin_gp_routine",
    destination="GP routine",
    destination_code="GP_ROUTINE",
    urgency="within_24h",
    snomed_code="183561008",
    contact_mode="video",
    team="GP team",
)


def test_an_outcome_completed_offline_keeps_its_contact_mode_and_team(hub: Hub) -> None:  # noqa: F811
    station = hub.station("nav1", sync_wait_seconds=0.3)
    nav = station.svc
    claim = nav.claim(1)
    nav.sync_drain(10)
    station.go_down()

    done = nav.complete(claim, PANEL)
    assert done.state == "pending"
    (kept,) = nav.local.outcomes("nav1")
    saved = Outcome.model_validate(kept["outcome"])
    assert (saved.contact_mode, saved.team, saved.urgency) == ("video", "GP team", "within_24h")

    station.heal()
    status = nav.sync_drain(10)
    assert (status.online, status.pending, status.rejected) == (True, 0, 0)
    with read_tx(hub.core.engine) as conn:
        row = conn.execute(
            text(
                "SELECT contact_mode, team, urgency, event_id FROM outcome "
                "WHERE consultation_id = 1"
            )
        ).one()
    assert (row.contact_mode, row.team, row.urgency) == ("video", "GP team", "within_24h")
    assert row.event_id == done.event_id
    assert hub.core.system().verify_audit().ok  # the new columns are in the row's digest


def test_an_outcome_without_the_panel_still_completes(hub: Hub) -> None:  # noqa: F811
    nav = hub.station("nav1").svc
    done = nav.complete(nav.claim(2), PANEL.model_copy(update={"contact_mode": None, "team": None}))
    assert done.state == "accepted"
    with read_tx(hub.core.engine) as conn:
        row = conn.execute(
            text("SELECT contact_mode, team FROM outcome WHERE consultation_id = 2")
        ).one()
    assert (row.contact_mode, row.team) == (None, None)
    assert hub.core.system().verify_audit().ok
