"""The split service (issue 12): every answer at the boundary is typed, every part keeps time by
the one injected clock, and HubService only composes the parts (no module of it grows large)."""

from __future__ import annotations

import ast
import typing
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import ehub_tui.service as service_pkg
from ehub_tui import errors
from ehub_tui.domain.clock import SystemClock, as_clock
from ehub_tui.domain.models import (
    AuditEvent,
    Consultation,
    NewConsultation,
    Outcome,
    QuarantineEntry,
)
from ehub_tui.domain.queue import ClaimState
from ehub_tui.service import HubService, LostClaim, PermissionDenied, StoreError
from ehub_tui.store import engine as store_engine
from ehub_tui.store import queue as store_queue
from tests.conftest import FrozenClock
from tests.support.factories import oc_row

BAD = {
    "source_file": "inbox/bad-1.csv",
    "location": "row 2",
    "reason": "NHS number fails its check digit",
    "raw": "TEST,T-bad,...",
    "fmt": "csv",
}


# (through the hub service, the in-process client and HTTPS: the answers are as typed there)
@pytest.mark.usefixtures("transport")
def test_the_service_answers_with_typed_models(
    seeded: HubService, make_service: Callable[..., HubService]
) -> None:
    created, qids = seeded.store_intake([oc_row(1), oc_row(2, priority=1)], [dict(BAD)])
    (_, first), _ = created
    # (signed in before the claim: over a client a sign-in is itself an audit event)
    sup = make_service("sup1")
    nav = make_service("nav1")
    claim = nav.claim(first)

    item = nav.consultation(first)
    assert isinstance(item, Consultation)
    assert (item.status, item.owner, item.epoch) == ("claimed", "nav1", claim.epoch)
    state = nav.item_state(first)
    assert isinstance(state, ClaimState) and state == ("claimed", "nav1", claim.epoch)
    assert state.owner == "nav1"  # and it still unpacks as the 3-tuple it was

    [listed] = seeded.quarantined()
    assert isinstance(listed, QuarantineEntry) and listed.id == qids[0] and listed.raw is None
    assert (listed.source_file, listed.location, listed.reason, listed.status) == (
        BAD["source_file"],
        BAD["location"],
        BAD["reason"],
        "open",
    )
    entry = seeded.quarantine_entry(qids[0])
    assert isinstance(entry, QuarantineEntry) and entry.id == listed.id
    assert (entry.status, entry.raw, entry.fmt) == ("open", BAD["raw"], "csv")
    assert seeded.quarantined("released") == []

    events = seeded.audit_log(first)
    assert all(isinstance(e, AuditEvent) for e in events)
    assert [e.action for e in events] == ["claim"]
    assert (events[0].actor, events[0].consultation_id) == ("nav1", first)
    assert events[0].body == {"epoch": claim.epoch} and events[0].covers

    board = sup.board()
    assert all(isinstance(e, AuditEvent) for e in board.events)
    assert board.events[0].action == "claim"


def test_consultations_and_outcomes_cross_the_boundary_typed() -> None:
    """What goes in is typed as what comes out is: no mapping is validated into a model inside
    the service any more, and the mapping-shaped answers are gone."""
    hints = {
        name: typing.get_type_hints(getattr(HubService, name))
        for name in ("complete", "store_intake", "release_quarantined")
    }
    assert hints["complete"]["outcome"] is Outcome
    assert hints["store_intake"]["items"] == Sequence[NewConsultation]
    assert hints["release_quarantined"]["item"] is NewConsultation
    for gone in ("get_consultation", "list_quarantine", "get_quarantine", "audit_events", "_sops"):
        assert not hasattr(HubService, gone), gone


def test_every_part_keeps_time_by_the_one_injected_clock(
    seeded: HubService, hub_url: str, tmp_path: Path
) -> None:
    """The wall clock stamps records and says what day it is; the monotonic clock alone decides
    when the board's whole-hub counts are read again."""
    from ehub_tui.config import Settings

    wall = FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    ticks = [0.0]
    clock = SystemClock(wall, lambda: ticks[0])
    settings = Settings(data_dir=tmp_path / "data", hub_url=hub_url)
    sup = HubService.open(settings, "sup1", clock=clock)
    try:
        assert sup.clock() == wall() and sup.today().isoformat() == "2026-11-23"
        assert sup.board().queued == 0
        seeded.store_intake([oc_row(1)])
        wall.advance(hours=2)  # wall time alone does not make the counts stale
        assert sup.board().queued == 0
        ticks[0] += 5.1  # BOARD_AGGREGATES_SECONDS on this process's monotonic clock
        assert sup.board().queued == 1
        assert [e.at for e in sup.audit_log(limit=1)] == [datetime(2026, 11, 23, 10, 0, tzinfo=UTC)]
    finally:
        sup.close()


def test_a_bare_function_is_still_a_clock() -> None:
    stamp = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    clock = as_clock(lambda: stamp)
    assert clock() == clock.now() == stamp
    assert clock.monotonic() <= clock.monotonic()
    assert as_clock(clock) is clock
    naive = as_clock(lambda: datetime(2026, 1, 2, 3, 4))
    assert naive.now() == stamp  # a naive reading is taken as UTC


def test_the_errors_are_one_set_of_classes_wherever_imported() -> None:
    assert service_pkg.StoreError is store_engine.StoreError is errors.StoreError is StoreError
    assert store_queue.LostClaim is errors.LostClaim is LostClaim
    assert service_pkg.PermissionDenied is errors.PermissionDenied is PermissionDenied
    assert issubclass(errors.NotAvailable, errors.QueueError)
    assert issubclass(errors.HubMissing, errors.StoreError)


def test_the_errors_module_is_a_leaf() -> None:
    tree = ast.parse(Path(errors.__file__).read_text(encoding="utf-8"))
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m and m.startswith("ehub_tui")]


def test_no_module_of_the_service_is_large() -> None:
    folder = Path(service_pkg.__file__).parent
    sizes = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in folder.glob("*.py")}
    assert max(sizes.values()) <= 400, sizes


def test_a_refusal_is_still_audited_through_the_parts(
    seeded: HubService, make_service: Callable[..., HubService], transport: str
) -> None:
    nav: Any = make_service("nav1")
    try:
        nav.board()
    except PermissionDenied as exc:
        assert "only a supervisor may" in str(exc)
    else:
        raise AssertionError("a navigator saw the board")
    [denied] = [e for e in seeded.audit_log() if e.action == "denied"]
    # over a client the hub also names the device the navigator signed in on
    device = {} if transport == "direct" else {"device": nav.client.device_id}
    assert (denied.actor, denied.body) == ("nav1", {"permission": "see_board"} | device)
