"""Retention purge: closed items past retention_days whose returns are exported lose every
patient identifier — from the tables (the rows about them too: a refused sync event, a draft, a
handover, a parking, a quarantined copy), the word index and (SQLite) the file's bytes — while the
returns, the counts and ``audit verify`` stay as they were; quarantine entries resolved long ago
lose their copy of the record, open ones keep it; a dry run changes nothing; only an admin may run
it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, inspect, select, text

from ehub_tui.domain.models import Outcome
from ehub_tui.errors import PermissionDenied
from ehub_tui.service import HubService
from ehub_tui.store import audit, coverage, intake
from ehub_tui.store.engine import read_tx, write_tx
from tests.support.factories import oc_row

DAY = date(2026, 11, 23)  # the clock fixture's day


def _item(i: int) -> Any:
    return oc_row(
        i,
        given_name=f"Given{i}xq",
        family_name=f"Family{i}xq",
        date_of_birth=date(1971, 3, 10 + i),
        free_text=f"Freetext{i}xq has a wheeze",
        answers={"said": f"Answer{i}xq"},
    )


def _identifiers(i: int, nhs: str) -> list[str]:
    return [
        f"Given{i}xq",
        f"Family{i}xq",
        f"Freetext{i}xq",
        f"Answer{i}xq",
        f"Message{i}xq",
        f"Note{i}xq",
        f"1971-03-{10 + i}",
        nhs,
        *(f"{part}{i}xq" for part in _CHILD_PARTS),
    ]


# what the rows about item i say of the patient (seeded by _seed_children)
_CHILD_PARTS = (
    *("Payload", "Resolution", "Draft", "Handnote", "Handdraft", "Question", "Reply"),
    "Linkedraw",
)
_CHILD_TABLES = ("sync_rejected", "sync_draft", "handover", "awaiting_reply")
STRAY = "Strayraw9xq"  # a never-stored record's copy, its entry discarded long ago
OPEN = "Openraw9xq"  # a never-stored record's copy, its entry still open (kept for a retry)


def _seed_children(svc: HubService, items: dict[int, int], now: datetime) -> None:
    """A row of each table the purge blanks for each item (written with an audit event covering
    it, as the hub's own writes are, so `audit verify` holds before and after), a quarantine entry
    linked to it, and two entries of a record never stored: one discarded, one open."""
    t = {name: coverage.TABLES[name].table for name in _CHILD_TABLES}
    with write_tx(svc.engine) as conn:
        for i, item in items.items():
            keys: dict[str, Any] = {}
            row = {"item_id": item, "epoch": 1}
            conn.execute(
                insert(t["sync_rejected"]),
                {
                    **row,
                    "event_id": f"00000000-0000-4000-8000-00000000000{i}",
                    "device_id": "dev1",
                    "username": "nav1",
                    "kind": "complete",
                    "code": "stale_epoch",
                    "reason": "the item was claimed by someone else",
                    "payload": {"note": f"Payload{i}xq"},
                    "client_at": now,
                    "rejected_at": now,
                    "resolution": f"Resolution{i}xq",
                },
            )
            keys["sync_rejected"] = f"00000000-0000-4000-8000-00000000000{i}"
            for name, values in (
                ("sync_draft", {"username": "nav1", "draft": {"text": f"Draft{i}xq"}}),
                (
                    "handover",
                    {
                        "from_user": "nav1",
                        "to_user": "nav2",
                        "by_user": "sup1",
                        "note": f"Handnote{i}xq",
                        "draft": {"text": f"Handdraft{i}xq"},
                    },
                ),
                (
                    "awaiting_reply",
                    {
                        "parked_by": "nav1",
                        "parked_at": now,
                        "question": f"Question{i}xq",
                        "return_at": now,
                        "due_by": now,
                        "state": "replied",
                        "returned_at": now,
                        "reply_text": f"Reply{i}xq",
                    },
                ),
            ):
                stamp = {"created_at": now} if name == "handover" else {}
                stamp |= {"updated_at": now} if name == "sync_draft" else {}
                keys[name] = conn.execute(
                    insert(t[name]).returning(t[name].c.id), {**row, **values, **stamp}
                ).scalar_one()
            rows = tuple((name, coverage.TABLES[name].key, [k]) for name, k in keys.items())
            audit.append(conn, [audit.Event("nav1", "seed", item, {}, rows)], now)
        linked = [
            {"source_file": "in.csv", "location": f"line {i}", "reason": "conflicting duplicate"}
            | {"raw": f"Linkedraw{i}xq", "fmt": "csv", "consultation_id": item}
            for i, item in items.items()
        ]
        never = [
            {"source_file": "bad.csv", "location": f"line {n}", "reason": "no NHS number"}
            | {"raw": raw, "fmt": "csv"}
            for n, raw in ((8, STRAY), (9, OPEN))
        ]
        intake.quarantine(conn, linked, "ingest", now)
        stray, _ = intake.quarantine(conn, never, "ingest", now)
        intake.resolve_quarantine(conn, stray, "discarded", None, "sup1", now)


def _everything(svc: HubService) -> str:
    """Every value of every column of every table (the word index's tables included), as text."""
    parts: list[str] = []
    with read_tx(svc.engine) as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                parts.extend(
                    v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in row
                )
    return "\n".join(parts).lower()


def _file_bytes(svc: HubService) -> bytes:
    path = Path(str(svc.engine.url.database))
    found = path.read_bytes()
    wal = Path(f"{path}-wal")
    if wal.exists():
        found += wal.read_bytes()
    return found.lower()


def _figures(svc: HubService) -> Any:
    ret = svc.daily_return(DAY, DAY, purpose="preview")
    return dataclasses.asdict(ret)


@pytest.fixture
def closed(
    seeded: HubService, make_service: Callable[..., HubService], clock: Any
) -> dict[str, Any]:
    """Item 1 completed (with a message and a note), item 2 cancelled, item 3 still queued."""
    seeded.store_intake([_item(1), _item(2), _item(3)])
    nhs = {}
    with read_tx(seeded.engine) as conn:
        for r in conn.execute(text("SELECT id, nhs_number, given_name FROM consultation")):
            nhs[int(r.given_name[5])] = (int(r.id), str(r.nhs_number))
    nav = make_service("nav1")
    claim = None
    while claim is None or claim.item_id != nhs[1][0]:
        if claim is not None:
            nav.release(claim, "not this one")
        claim = nav.claim_next()
        assert claim is not None
    clock.advance(minutes=5)
    nav.complete(
        claim,
        Outcome(
            category="signpost",
            route="pharmacy",
            destination="Community pharmacy",
            destination_code="COMMUNITY_PHARMACY",
            message="Message1xq: please see your pharmacist",
            note="Note1xq rang back",
        ),
    )
    make_service("sup1").cancel(nhs[2][0], "duplicate")
    return {"ids": {k: v[0] for k, v in nhs.items()}, "nhs": {k: v[1] for k, v in nhs.items()}}


def test_purge_leaves_no_identifier_and_the_returns_and_audit_as_they_were(
    seeded: HubService, make_service: Callable[..., HubService], closed: dict[str, Any], clock: Any
) -> None:
    admin = make_service("admin1")
    _seed_children(seeded, {i: closed["ids"][i] for i in (1, 2)}, clock.now)
    before = _figures(seeded)
    clock.advance(days=91)

    # old enough, but the day's return was never exported: nothing is purged yet — but the
    # discarded entry of a record never stored (in no return) loses its copy of the record now
    waiting = admin.retention_purge()
    assert (waiting.purged, waiting.ready, waiting.waiting_for_export) == (0, 0, 2)
    assert waiting.quarantine == 1  # what the run says it did
    event = seeded.audit_log(None, 1)[0]
    assert event.action == "retention_purge" and event.body["quarantine"] == 1
    assert event.body["items"] == 0
    everything = _everything(seeded)
    assert STRAY.lower() not in everything and "linkedraw1xq" in everything

    make_service("mgr1").daily_return(DAY, DAY)  # the export (an audited `export` event)
    head = seeded.audit_log(None, 1)[0].seq
    dry = admin.retention_purge(dry_run=True)
    assert (dry.dry_run, dry.purged, dry.ready, dry.waiting_for_export) == (True, 0, 2, 0)
    assert seeded.audit_log(None, 1)[0].seq == head  # a dry run writes nothing
    assert "given1xq" in _everything(seeded)

    done = admin.retention_purge()
    assert (done.purged, done.ready, done.more) == (2, 2, False)
    event = seeded.audit_log(None, 1)[0]
    assert event.action == "retention_purge" and event.actor == "admin1"
    assert event.body["items"] == 2 and event.body["retention_days"] == 90

    everything = _everything(seeded)
    for i in (1, 2):
        for value in _identifiers(i, closed["nhs"][i]):
            assert value.lower() not in everything, value
    assert STRAY.lower() not in everything
    assert "given3xq" in everything and closed["nhs"][3] in everything  # open work is kept
    assert OPEN.lower() in everything  # an open quarantine entry keeps its record for the retry
    if seeded.engine.dialect.name == "sqlite":
        raw = _file_bytes(seeded)
        for i in (1, 2):
            for value in _identifiers(i, closed["nhs"][i]):
                assert value.lower().encode() not in raw, value
        assert STRAY.lower().encode() not in raw
        assert b"given3xq" in raw and OPEN.lower().encode() in raw  # (the grep finds what is)
        with read_tx(seeded.engine) as conn:
            words = "SELECT rowid FROM consultation_words WHERE consultation_words MATCH :w"
            assert conn.execute(text(words), {"w": "given1xq"}).all() == []
            assert conn.execute(text(words), {"w": "freetext2xq"}).all() == []
            assert conn.execute(text(words), {"w": "given3xq"}).all() == [(closed["ids"][3],)]

    assert _figures(seeded) == before
    result = seeded.verify_audit()
    assert result.ok, result.reason
    with read_tx(seeded.engine) as conn:
        C = audit.EVENT.metadata.tables["consultation"]
        rows = {r.id: r for r in conn.execute(select(C))}
    kept = rows[closed["ids"][1]]
    assert (kept.status, kept.practice_ods, kept.source) == ("completed", "Z99002", "TEST")
    assert kept.purged_at is not None and rows[closed["ids"][3]].purged_at is None

    again = admin.retention_purge()
    assert again.purged == 0  # a purged item is not purged twice


def test_only_an_admin_may_purge(closed: dict[str, Any], make_service: Callable[..., Any]) -> None:
    for user in ("sup1", "mgr1"):
        with pytest.raises(PermissionDenied, match="only an admin may"):
            make_service(user).retention_purge(dry_run=True)


@pytest.mark.usefixtures("transport")
def test_through_the_client_only_an_admin_may_purge(
    seeded: HubService, make_service: Callable[..., Any]
) -> None:
    """Enforced on the hub for every way in (direct, in-process, HTTP): a navigator is refused
    (and the refusal audited); an admin's dry run answers with counts only."""
    with pytest.raises(PermissionDenied, match="only an admin may"):
        make_service("nav1").retention_purge(dry_run=True)
    assert seeded.audit_log(None, 1)[0].action == "denied"
    result = make_service("admin1").retention_purge(dry_run=True)
    assert (result.dry_run, result.purged, result.retention_days) == (True, 0, 90)


@pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)
def test_the_cli_dry_run_counts_and_changes_nothing(
    closed: dict[str, Any], seeded: HubService, hub_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ehub-tui retention purge --dry-run`` on the hub (an embedded hub: the system principal)
    answers in counts and writes no audit event."""
    import json

    from typer.testing import CliRunner

    from ehub_tui.cli import app

    monkeypatch.setenv("EHUB_TUI_HUB_URL", hub_url)
    head = seeded.audit_log(None, 1)[0].seq
    result = CliRunner().invoke(app, ["retention", "purge", "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["dry_run"] and answer["purged"] == 0 and answer["retention_days"] == 90
    assert seeded.audit_log(None, 1)[0].seq == head
    said = CliRunner().invoke(app, ["retention", "purge", "--dry-run"])
    assert said.exit_code == 0 and said.stdout.startswith("Would purge 0 item(s) closed before")
