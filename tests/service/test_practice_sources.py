"""Practices from their national sources through the hub (issue 16): an admin imports an ODS
file's practices and a month's list sizes over each transport on SQLite and PostgreSQL (audited,
covered by ``audit verify``); other roles are refused on the hub; a past day's return uses the
list size of its month."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from ehub_tui.domain.practice_sources import ListSize
from ehub_tui.errors import PermissionDenied
from ehub_tui.practices_ods import read_epraccur, select_practices
from ehub_tui.service import HubService
from ehub_tui.store.engine import read_tx, write_tx
from ehub_tui.store.models import Practice
from tests.support.practice_files import epraccur

P = Practice.__table__  # type: ignore[attr-defined]
FIXTURE_PCN = ("U99001", "Harbourside & Downs PCN")


def _hub_practices(svc: HubService) -> dict[str, Any]:
    with read_tx(svc.engine) as conn:
        return {r.ods_code: r for r in conn.execute(select(P))}


def _chosen(tmp_path: Path) -> list[Any]:
    rows = read_epraccur(epraccur(tmp_path / "epraccur.csv")).rows
    return select_practices(rows, pcn="99Q", only=None, known=[]).chosen


@pytest.mark.usefixtures("transport")
def test_an_admin_imports_practices_and_list_sizes(
    seeded: HubService, make_service: Callable[..., Any], tmp_path: Path
) -> None:
    admin = make_service("admin1")
    chosen = _chosen(tmp_path)
    before = _hub_practices(seeded)
    events = len(seeded.audit_log(limit=1000))
    dry = admin.import_ods_practices(chosen, "U99001", dry_run=True)
    assert dry.dry_run and dry.added == ["Z99008"]
    assert _hub_practices(seeded) == before and len(seeded.audit_log(limit=1000)) == events

    done = admin.import_ods_practices(chosen, "U99001")
    assert (done.added, done.updated, done.unchanged) == (["Z99008"], ["Z99002"], ["Z99001"])
    assert (done.deactivated, done.closed_not_added) == (["Z99003"], ["Z99009"])
    after = _hub_practices(seeded)
    assert (after["Z99008"].name, after["Z99008"].active) == (
        "The Dr McKenzie Practice (St John's)",
        True,
    )
    assert (after["Z99008"].pcn_code, after["Z99008"].pcn_name) == FIXTURE_PCN
    assert after["Z99002"].name == "Castle Hill Medical Centre, Dr Jones & Partners"
    assert not after["Z99003"].active and after["Z99003"].list_size == 7800  # kept, inactive
    assert "Z99009" not in after  # closed: never added

    oct_ = admin.import_list_sizes("2026-10", [ListSize("Z99001", 11500), ListSize("Y00001", 9)])
    assert (oct_.stored, oct_.unknown, oct_.current) == (["Z99001"], 1, ["Z99001"])
    nov = admin.import_list_sizes("2026-11", [ListSize("Z99001", 11600)])
    assert nov.current == ["Z99001"]
    again = admin.import_list_sizes("2026-10", [ListSize("Z99001", 11501)])  # a correction
    assert again.current == []  # November stays the current size
    assert _hub_practices(seeded)["Z99001"].list_size == 11600
    made = [e for e in seeded.audit_log(limit=1000) if e.actor == "admin1"]
    assert [e.action for e in made[:4]] == ["practice_list_sizes"] * 3 + ["practices_ods"]
    assert seeded.verify_audit().ok


@pytest.mark.usefixtures("transport")
def test_only_an_admin_may_import_and_a_refusal_is_audited(
    seeded: HubService, make_service: Callable[..., Any], tmp_path: Path
) -> None:
    # a supervisor may edit the practices file (manage_practices), not replace it from a
    # national file
    user = "sup1"
    svc = make_service(user)
    before = _hub_practices(seeded)
    with pytest.raises(PermissionDenied, match=r"may not import practices .*only an admin may"):
        svc.import_ods_practices(_chosen(tmp_path), "U99001")
    with pytest.raises(PermissionDenied, match=r"may not import list sizes: only an admin may"):
        svc.import_list_sizes("2026-10", [ListSize("Z99001", 1)])
    assert _hub_practices(seeded) == before
    denied = [e for e in seeded.audit_log(limit=100) if e.action == "denied"]
    assert [(e.actor, e.body["permission"]) for e in denied] == [
        (user, "import_practice_files")
    ] * 2


def test_a_past_return_uses_the_list_size_of_its_month(seeded: HubService) -> None:
    def registered(day: date, ods: str = "Z99001") -> Any:
        return seeded.daily_return(day, day).value(day, ods, "PATIENTS_REGISTERED")

    october, november, september = date(2026, 10, 15), date(2026, 11, 2), date(2026, 9, 30)
    codes = sorted(seeded.practice_codes())  # every practice, as the national file has them
    before = registered(september)  # the size the hub had before any file was imported
    first_september = seeded.daily_return(september, september)
    seeded.import_list_sizes("2026-10", [ListSize(c, 10_000 + i) for i, c in enumerate(codes)])
    assert registered(october) == 10_000
    first_export = seeded.daily_return(october, october)
    seeded.import_list_sizes("2026-11", [ListSize(c, 12_000 + i) for i, c in enumerate(codes)])
    # re-exporting October after November's figures gives October's, cell for cell
    again = seeded.daily_return(october, october)
    assert again.cells == first_export.cells and again.totals == first_export.totals
    assert registered(november) == 12_000
    assert registered(november, "Z99002") == 12_001 and registered(october, "Z99002") == 10_001
    share = seeded.daily_return(october, october).value(october, "Z99001", "LIST_SHARE_PCT")
    assert share == round(100 * 10_000 / sum(10_000 + i for i in range(len(codes))), 1)
    # before the first month kept: the size the hub had until the first import (kept for the
    # months before it), not the newest file's: September's return is as it was
    assert before not in (10_000, 12_000) and registered(september) == before
    again_september = seeded.daily_return(september, september)
    assert again_september.cells == first_september.cells
    # a range over both: each day its month's; the totals and the practices the last day's
    span = seeded.daily_return(date(2026, 10, 31), date(2026, 11, 1))
    assert span.value(date(2026, 10, 31), "Z99001", "PATIENTS_REGISTERED") == 10_000
    assert span.value(date(2026, 11, 1), "Z99001", "PATIENTS_REGISTERED") == 12_000
    assert span.totals["Z99001"]["PATIENTS_REGISTERED"] == 12_000
    assert {p.ods_code: p.list_size for p in span.practices}["Z99001"] == 12_000
    # the board's share uses the latest
    assert {p.ods_code: p.list_size for p in seeded.list_practices()}["Z99001"] == 12_000
    assert seeded.verify_audit().ok
    # a kept size changed behind the hub's back is found
    with write_tx(seeded.engine) as conn:
        conn.execute(text("UPDATE practice_list_size SET list_size = 1 WHERE month = '2026-10'"))
    assert not seeded.verify_audit().ok
