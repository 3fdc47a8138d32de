"""A QuestionnaireResponse's status at intake (issue 16), ingested from FHIR files (each resource
validated by fhir.resources first) by a supervisor, on SQLite and PostgreSQL (the withdrawals,
with the board's alerts, over every transport too): in-progress waits and its completed version
is then ingested; stopped is not work; entered-in-error cancels an unworked item and flags a
worked one to the supervisor (never changing it); amended updates an unworked item (screened
again) and quarantines a conflict with a worked one. No item is lost or worked twice, reasons
quote no patient details, and the audit still verifies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from ehub_tui.domain.models import Outcome
from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.ingest.runner import Ingester
from ehub_tui.service import HubService
from ehub_tui.store.engine import read_tx
from ehub_tui.store.models_status import ResponseHold
from ehub_tui.store.response_status import WITHDRAWN_REASON
from ehub_tui.ui.screens.board_alerts import alerts_text
from tests.store.test_lease_clock import HubTime
from tests.support.fhir_status import SOURCE, identifiers, response, write_ndjson

H = ResponseHold.__table__  # type: ignore[attr-defined]
WORST = "Sudden worst headache of my life, started an hour ago."
PHARMACY = Outcome(
    category="signpost",
    route="pharmacy_first_sore_throat",
    destination="Community pharmacy (Pharmacy First)",
    urgency="within_48h",
)


def ingest(svc: Any, path: Path) -> Any:
    """Ingest one file as ``svc`` (a supervisor); returns its FileReport."""
    report = Ingester(svc, settings=svc.settings).ingest_paths([path])
    assert not report.failed_files
    return report.files[0]


def cid(hub: HubService, i: int) -> int | None:
    return hub.find_consultation_id(SOURCE, f"ACX-S-{i}")


def stored_id(hub: HubService, i: int) -> int:
    found = cid(hub, i)
    assert found is not None, f"response {i} was not stored"
    return found


def holds(hub: HubService) -> dict[str, tuple[str, int | None]]:
    with read_tx(hub.engine) as conn:
        rows = conn.execute(select(H.c.external_id, H.c.state, H.c.consultation_id)).all()
    return {r.external_id: (r.state, r.consultation_id) for r in rows}


def test_in_progress_waits_until_its_completed_version_and_stopped_is_not_work(
    seeded: HubService, make_service: Callable[..., Any], tmp_path: Path
) -> None:
    sup = make_service("sup1")
    first = write_ndjson(
        tmp_path / "a.ndjson",
        response(1, "in-progress"),
        response(2, "stopped"),
        response(3),
    )
    fr = ingest(sup, first)
    assert (fr.new, fr.waiting, fr.stopped, fr.duplicate, fr.quarantined) == (1, 1, 1, 0, 0)
    assert cid(seeded, 1) is None and cid(seeded, 2) is None  # not work: nothing queued
    assert holds(seeded) == {"ACX-S-1": ("waiting", None), "ACX-S-2": ("stopped", None)}
    # sent again it still waits (counted so, nothing written twice)
    again = ingest(sup, first)
    assert (again.new, again.waiting, again.stopped, again.duplicate) == (0, 1, 1, 1)
    # the completed version is ingested as any new consultation; the hold is done
    done = ingest(sup, write_ndjson(tmp_path / "b.ndjson", response(1), response(3, "in-progress")))
    assert (done.new, done.waiting, done.duplicate) == (1, 0, 1)  # 3's late in-progress: stored
    stored = cid(seeded, 1)
    assert stored is not None and seeded.consultation(stored).status == "queued"
    assert holds(seeded)["ACX-S-1"] == ("done", stored)
    report = Ingester(sup, settings=sup.settings).ingest_paths([first])
    assert report.as_dict()["statuses"]["stopped"] == 1
    assert report.as_dict()["totals"]["new"] == 0
    assert seeded.verify_audit().ok, seeded.verify_audit().problems


@pytest.mark.usefixtures("transport")  # the counts, the board and its alerts over the wire too
def test_entered_in_error_withdraws_unworked_items_and_flags_worked_ones(
    seeded: HubService, make_service: Callable[..., Any], tmp_path: Path, hub_url: str
) -> None:
    sup, nav = make_service("sup1"), make_service("nav1")
    ingest(sup, write_ndjson(tmp_path / "a.ndjson", *(response(i) for i in (1, 2, 3, 4))))
    ids = {i: stored_id(seeded, i) for i in (1, 2, 3, 4)}
    hub = HubTime(hub_url)
    hub.attach(seeded, nav, sup)
    nav.claim(ids[2])  # worked: held
    nav.complete(nav.claim(ids[3]), PHARMACY)  # worked: completed
    nav.park(nav.claim(ids[4]), "Any fever?", hub.now() + timedelta(hours=3))  # unworked
    assert sup.board().awaiting == 1
    withdrawals = [response(i, "entered-in-error") for i in (1, 2, 3, 4, 9)]
    path = write_ndjson(tmp_path / "eie.ndjson", *withdrawals)
    fr = ingest(sup, path)
    assert (fr.withdrawn, fr.flagged, fr.withdrawn_unknown, fr.new) == (2, 2, 1, 0)
    assert fr.quarantined == 2  # the flags, kept for the supervisor
    # unworked: cancelled with the supplier's reason, audited as a cancel; parking closed
    for i in (1, 4):
        assert seeded.consultation(ids[i]).status == "cancelled"
        cancel = [e for e in seeded.audit_log(ids[i], 20) if e.action == "cancel"]
        assert cancel and cancel[0].body["reason"] == WITHDRAWN_REASON
    board = sup.board()
    assert board.awaiting == 0
    # worked: never changed; the board names them until the entries are dealt with
    assert seeded.consultation(ids[2]).status == "claimed"
    assert seeded.consultation(ids[2]).owner == "nav1"
    assert seeded.consultation(ids[3]).status == "completed"
    for i in (2, 3):  # each item's own history says so
        assert "withdrawal_flagged" in [e.action for e in seeded.audit_log(ids[i], 20)]
    assert {(a.item_id, a.item_status) for a in board.supplier_alerts} == {
        (ids[2], "claimed"),
        (ids[3], "completed"),
    }
    line = alerts_text(board, board.hub_now or hub.now())
    assert line is not None and f"#{ids[2]} withdrawn by the supplier, held by nav1" in line.plain
    entries = [e for e in sup.quarantined() if e.consultation_id in (ids[2], ids[3])]
    assert len(entries) == 2
    for e in entries:
        assert f"consultation {e.consultation_id}" in e.reason
        for i in (2, 3):
            assert not any(x in e.reason for x in identifiers(i))
    # a flag is never "released" into the queue from the quarantine
    result, problems = Ingester(sup, settings=sup.settings).retry_quarantined(entries[0].id)
    assert result == "still_bad" and "status is entered-in-error" in problems[0]
    # the same file again changes nothing and flags nothing twice
    again = ingest(sup, path)
    assert (again.duplicate, again.withdrawn, again.flagged, again.quarantined) == (5, 0, 0, 0)
    # the response the hub never had: a late completed copy of it is never queued
    late = ingest(sup, write_ndjson(tmp_path / "late.ndjson", response(9)))
    assert (late.new, late.withdrawn_unknown) == (0, 1) and cid(seeded, 9) is None
    # dealt with: discarded with what was done, and off the board
    for e in entries:
        sup.discard_quarantined(e.id, "practice told; outcome stands")
    assert sup.board().supplier_alerts == []
    assert seeded.verify_audit().ok, seeded.verify_audit().problems


def test_amended_updates_an_unworked_item_and_quarantines_a_conflict_with_a_worked_one(
    seeded: HubService, make_service: Callable[..., Any], tmp_path: Path
) -> None:
    sup, nav = make_service("sup1"), make_service("nav1")
    ingest(sup, write_ndjson(tmp_path / "a.ndjson", *(response(i) for i in (1, 2, 3))))
    ids = {i: stored_id(seeded, i) for i in (1, 2, 3)}
    seeded.prescreen()
    nav.claim(ids[2])
    nav.complete(nav.claim(ids[3]), PHARMACY)
    amended = [
        # unworked: updated (the supplier now gives only the month of birth)
        response(1, "amended", free_text=WORST, family_name="Amended", birth_date="1971-03"),
        response(2, "amended", free_text="now a cough too"),  # held: a conflict
        response(5, "amended"),  # never had: new work
    ]
    fr = ingest(sup, write_ndjson(tmp_path / "amend.ndjson", *amended))
    assert (fr.amended, fr.conflicting, fr.quarantined, fr.new) == (1, 1, 1, 1)
    one = seeded.consultation(ids[1])
    assert (one.free_text, one.family_name, one.status) == (WORST, "Amended", "queued")
    assert one.dob_precision == "month"  # shown as ≈age, sent as a partial birthDate
    seeded.prescreen()  # screened again: the red flag the amendment adds is found
    assert seeded.consultation(ids[1]).priority == 2
    assert [e.action for e in seeded.audit_log(ids[1], 20)].count("supplier_amendment") == 1
    two = seeded.consultation(ids[2])
    assert (two.free_text, two.status, two.owner) == ("sore throat since Monday", "claimed", "nav1")
    (entry,) = [e for e in sup.quarantined() if e.consultation_id == ids[2]]
    assert f"consultation {ids[2]}" in entry.reason and "free text" in entry.reason
    assert not any(x in entry.reason for x in identifiers(2))
    assert "amendment_held" in [e.action for e in seeded.audit_log(ids[2], 20)]
    # retried while the item is still held, it stays quarantined (not "released" into a new entry)
    from ehub_tui.errors import StoreError
    from tests.support.factories import oc_row

    again = oc_row(1, source=two.source, external_id=two.external_id, response_status="amended")
    with pytest.raises(StoreError, match="applied only once the item is back in the queue"):
        sup.release_quarantined(entry.id, again)
    assert [e.id for e in sup.quarantined() if e.consultation_id == ids[2]] == [entry.id]
    # a completed re-send with another patient: still the conflicting duplicate it always was
    resend = ingest(
        sup,
        write_ndjson(
            tmp_path / "resend.ndjson", response(3, nhs_number=make_test_nhs_number(9999))
        ),
    )
    assert (resend.conflicting, resend.new) == (1, 0)
    assert seeded.consultation(ids[3]).status == "completed"
    assert seeded.verify_audit().ok, seeded.verify_audit().problems


def test_a_withdrawal_and_its_completed_copy_at_once_leave_no_work(seeded: HubService) -> None:
    """Two ingests of one response at the same moment (PostgreSQL, READ COMMITTED): the
    completed copy waits for the withdrawal's key, then sees the withdrawal, and is not queued
    (each used to miss the other's uncommitted row: an item queued beside a withdrawal)."""
    import threading
    import time as _time

    from sqlalchemy import text as sql

    from ehub_tui.store import response_status as rs
    from ehub_tui.store.engine import write_tx
    from tests.support.factories import oc_row

    engine = seeded.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    now = datetime.now(UTC)

    def due(received: datetime, priority: int) -> datetime:
        return received + timedelta(days=1)

    withdrawn = oc_row(1, response_status="entered-in-error")
    completed = oc_row(1, response_status="completed")
    first = engine.connect()
    tx = first.begin()
    rs.store_items(first, [withdrawn], "system", now, due)  # holds the key, not committed
    done: list[object] = []

    def second() -> None:
        with write_tx(engine) as conn:
            done.append(rs.store_items(conn, [completed], "system", now, due))

    worker = threading.Thread(target=second)
    worker.start()
    deadline = _time.monotonic() + 20
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    with engine.connect() as look:
        while look.execute(sql(waiting)).scalar() == 0:  # the second ingest waits on the key
            assert _time.monotonic() < deadline and worker.is_alive(), "it never waited"
            look.rollback()
    tx.commit()
    first.close()
    worker.join(20)
    assert not worker.is_alive() and len(done) == 1
    created, _, _ = done[0]  # type: ignore[misc]
    assert created == [] and seeded.find_consultation_id("TEST", "T-0000001") is None
    assert seeded.verify_audit().ok
