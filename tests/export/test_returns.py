"""The daily return on SQLite and PostgreSQL (issue 6).

A worked week on the fixtures (tests/support/history.py) is exported and compared with golden
files — the same files for both engines, so the two stores give byte-identical returns. The
counts are checked against the store itself, computed independently in Python from the rows.

Every return and report is asked for by a manager (the ``exporter``) over each ``transport``
(tests/conftest.py): the hub service itself, the in-process client and HTTPS to a served hub;
the navigators and the supervisor who work the items act through the same transport. So a
return that crossed the wire must still match the golden files byte for byte.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy import text as sql

from ehub_tui.domain.clock import LONDON
from ehub_tui.domain.models import Outcome
from ehub_tui.errors import SessionEnded
from ehub_tui.export import metrics as M
from ehub_tui.export.writers import render
from ehub_tui.service import HubService, StoreError
from ehub_tui.store.engine import read_tx, write_tx
from ehub_tui.store.models import Consultation
from ehub_tui.store.models import Outcome as OutcomeRow
from tests.conftest import FrozenClock
from tests.support.factories import oc_row
from tests.support.history import WEEK, work_week
from tests.support.hubserver import PASSWORD

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("UPDATE_GOLDEN"))
C = Consultation.__table__  # type: ignore[attr-defined]
O = OutcomeRow.__table__  # type: ignore[attr-defined]  # noqa: E741

# Run time (the whole suite stays under ~25 min on 2 cores): the costliest tests run on the hub
# service and over HTTPS only — the wire is where an answer could differ; the in-process client
# hands the hub service's own objects through (tests/client cover it call by call).
DIRECT_AND_HTTP = pytest.mark.parametrize("transport", ["direct", "http"], indirect=True)


# A sign-in over a client outlives the hours these tests move the clock by (the longest the
# settings allow: a day idle, a week in all); token expiry is not under test here.
SIGNED_IN_ALL_WEEK = {"token_idle_minutes": 24 * 60, "token_absolute_hours": 24 * 7}


class SignsInAgain:
    """A user's client service that signs in again when its sign-in has ended, as the user
    would: the worked week's supervisor acts once a day, a little over the longest idle time
    a sign-in may have. (A refused call did nothing on the hub, so it is made again.)"""

    def __init__(self, svc: Any, username: str) -> None:
        self._svc = svc
        self._username = username

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._svc, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except SessionEnded as ended:
                assert ended.code == "expired", ended  # only expiry: nothing else is forgiven
                self._svc.sign_in(self._username, PASSWORD)
                return attr(*args, **kwargs)

        return call


@pytest.fixture
def signed(make_service: Callable[..., HubService]) -> Callable[..., Any]:
    """make_service whose users stay signed in through the days a test's clock moves by."""

    def make(user: str | None = None, **settings: Any) -> Any:
        if user is None:
            return make_service(None, **settings)
        svc = make_service(user, **(SIGNED_IN_ALL_WEEK | settings))
        return svc if isinstance(svc, HubService) else SignsInAgain(svc, user)

    return make


@pytest.fixture
def exporter(seeded: HubService, signed: Callable[..., HubService], transport: str) -> Any:
    """A manager, signed in through the transport under test: who asks for the returns."""
    return signed("mgr1")


@pytest.fixture
def worked(seeded: HubService, signed: Callable[..., HubService], clock: FrozenClock) -> HubService:
    """The seeded hub after the worked fixture week (clock: Sun 22 Nov 2026, 21:30 UTC); its
    navigators and supervisor work it through the transport under test."""
    clock.now = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
    done = work_week(seeded, signed, clock)
    assert done["ingested"] == 179 and done["completed"] > 80 and done["cancelled"] >= 3
    return seeded


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to write it"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


def test_golden_csv_and_json_for_the_fixture_week(worked: HubService, exporter: Any) -> None:
    ret = exporter.daily_return(WEEK[0], WEEK[-1])
    _golden("week.csv", render(ret, "csv"))
    two = exporter.daily_return(WEEK[0], WEEK[1])
    _golden("mon-tue.json", render(two, "json"))
    one = exporter.daily_return(date(2026, 11, 18), date(2026, 11, 18), practice="Z99003")
    _golden("Z99003-2026-11-18.csv", render(one, "csv"))


@DIRECT_AND_HTTP
def test_exports_are_deterministic(worked: HubService, exporter: Any) -> None:
    first = exporter.daily_return(WEEK[0], WEEK[-1])
    again = exporter.daily_return(WEEK[0], WEEK[-1])
    for fmt in ("csv", "json"):
        assert render(first, fmt).encode() == render(again, fmt).encode()


def _table(ret: Any) -> dict[tuple[str, str, str, str], Any]:
    return {(r[0], r[3], r[5], r[6]): r[7] for r in ret.rows()}


def _store_rows(svc: HubService) -> tuple[list[Any], list[Any]]:
    with read_tx(svc.engine) as conn:
        items = list(conn.execute(select(C)).all())
        outcomes = list(conn.execute(select(O)).all())
    return items, outcomes


def _local_day(dt: datetime) -> date:
    return dt.astimezone(LONDON).date()


def test_counts_reconcile_per_practice_per_day(worked: HubService, exporter: Any) -> None:
    ret = exporter.daily_return(WEEK[0], WEEK[-1])
    t = _table(ret)
    items, outcomes = _store_rows(worked)
    # independent counts from the stored rows
    received: dict[tuple[date, str], int] = defaultdict(int)
    processed: dict[tuple[date, str], int] = defaultdict(int)
    cancelled: dict[tuple[date, str], int] = defaultdict(int)
    practice_of = {i.id: i.practice_ods for i in items}
    for i in items:
        received[(_local_day(i.received_at), i.practice_ods)] += 1
        if i.status == "cancelled":
            cancelled[(_local_day(i.cancelled_at), i.practice_ods)] += 1
    for o in outcomes:
        processed[(_local_day(o.completed_at), practice_of[o.consultation_id])] += 1

    def open_at_end(day: date, ods: str) -> int:
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
        n = 0
        for i in items:
            if i.practice_ods != ods or i.received_at >= end:
                continue
            closed = i.completed_at if i.status == "completed" else i.cancelled_at
            if closed is None or closed >= end:
                n += 1
        return n

    for day in WEEK:
        d = day.isoformat()
        for p in ret.practices:
            key = (day, p.ods_code)

            def v(metric: str, supplier: str = M.ALL_SUPPLIERS) -> Any:
                return t[(d, p.ods_code, supplier, metric)]  # noqa: B023

            assert v("OC_TOTAL_SUBMISSIONS") == received[key]
            assert v("PROCESSED") == processed[key]
            assert v("CANCELLED") == cancelled[key]
            # backlog at end = backlog at start + received - processed - cancelled …
            assert v("BACKLOG_END") == (
                v("BACKLOG_START") + v("OC_TOTAL_SUBMISSIONS") - v("PROCESSED") - v("CANCELLED")
            )
            # … and is what was really open at midnight
            assert v("BACKLOG_END") == open_at_end(day, p.ods_code), key
            if day > WEEK[0]:
                prev = (day - timedelta(days=1)).isoformat()
                assert v("BACKLOG_START") == t[(prev, p.ods_code, "ALL", "BACKLOG_END")]
            # the parts add up to their wholes
            types = [v(m) for m in M.SUBMISSIONS[1:]]
            assert sum(types) == v("OC_TOTAL_SUBMISSIONS")
            assert sum(v(m, s) for s in ret.suppliers for m in M.SUBMISSIONS[:1]) == v(
                "OC_TOTAL_SUBMISSIONS"
            )
            cats = [v(m) for m in (*M.CATEGORY_METRICS, M.OTHER_CATEGORY_METRIC)]
            assert sum(cats) == v("PROCESSED")
            assert sum(v(m) for m in ret.destinations) == v("PROCESSED")
            pf = [v(m) for m in (*M.PHARMACY_FIRST_METRICS, M.PHARMACY_FIRST_OTHER)]
            assert sum(pf) == v(M.PHARMACY_FIRST_TOTAL)
            assert v(M.ESCALATIONS) == v("OUTCOME_CATEGORY_ESCALATE")
            assert v("COMPLETED_WITHIN_STANDARD") <= v("PROCESSED")
    # the week's totals against the store
    hub = ret.totals["ALL"]
    assert hub["OC_TOTAL_SUBMISSIONS"] == len(items) == 179
    assert hub["PROCESSED"] == len(outcomes)
    assert hub["CANCELLED"] == sum(1 for i in items if i.status == "cancelled")
    assert hub["BACKLOG_END"] == sum(1 for i in items if i.status in ("queued", "claimed"))
    reassigns = [e for e in worked.audit_log(limit=10_000) if e.action == "reassign"]
    assert hub["REASSIGNMENTS"] == len(reassigns) > 0
    assert hub[M.PHARMACY_FIRST_TOTAL] == sum(
        1 for o in outcomes if o.snomed_code in M.PHARMACY_FIRST_SNOMED
    )
    assert hub[M.PHARMACY_FIRST_TOTAL] > 0 and hub["OUTCOME_CATEGORY_ESCALATE"] > 0


@DIRECT_AND_HTTP
def test_waiting_times_and_the_response_standard(worked: HubService, exporter: Any) -> None:
    """Median / 90th percentile minutes and the share within the standard, from the rows."""
    ret = exporter.daily_return(WEEK[0], WEEK[-1])
    items, outcomes = _store_rows(worked)
    by_id = {i.id: i for i in items}
    day = date(2026, 11, 18)
    for p in ret.practices:
        mine = [
            o
            for o in outcomes
            if _local_day(o.completed_at) == day
            and by_id[o.consultation_id].practice_ods == p.ods_code
        ]
        done = sorted(round((o.completed_at - o.received_at).total_seconds()) for o in mine)
        first = sorted(
            round((by_id[o.consultation_id].first_claimed_at - o.received_at).total_seconds())
            for o in mine
        )
        within = sum(1 for o in mine if o.completed_at <= by_id[o.consultation_id].due_by)

        def median(xs: list[int]) -> float | None:
            if not xs:
                return None
            mid = len(xs) // 2
            return round((xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2) / 60, 1)

        assert ret.value(day, p.ods_code, "MINUTES_TO_COMPLETION_MEDIAN") == median(done)
        assert ret.value(day, p.ods_code, "MINUTES_TO_FIRST_ACTION_MEDIAN") == median(first)
        assert ret.value(day, p.ods_code, "COMPLETED_WITHIN_STANDARD") == within
        pct = ret.value(day, p.ods_code, "PCT_COMPLETED_WITHIN_STANDARD")
        assert pct == (round(100 * within / len(mine), 1) if mine else None)
        if len(done) >= 2:
            p90 = ret.value(day, p.ods_code, "MINUTES_TO_COMPLETION_P90")
            assert isinstance(p90, float) and done[0] / 60 - 0.05 <= p90 <= done[-1] / 60 + 0.05


def test_a_quiet_day_lists_every_practice_with_zeros(seeded: HubService, exporter: Any) -> None:
    quiet = date(2026, 11, 19)
    ret = exporter.daily_return(quiet, quiet)
    rows = list(ret.rows())
    practices = sorted(seeded.practice_codes())
    assert sorted({r[3] for r in rows}) == practices == [p.ods_code for p in ret.practices]
    for r in rows:
        assert r[0] == "2026-11-19" and r[5] == "ALL"
        if r[6] in M.TIMINGS or r[6] in ("PCT_COMPLETED_WITHIN_STANDARD", "HUB_SHARE_PCT"):
            assert r[7] is None  # nothing to measure: blank, not a misleading zero
        elif r[6] not in M.EQUITY:
            assert r[7] == 0, r
    per_practice = {r[6] for r in rows if r[3] == practices[0]}
    assert set(M.SUBMISSIONS) | set(M.FLOW) | {M.ESCALATIONS, M.REASSIGNMENTS} <= per_practice
    text = render(ret, "csv")
    assert "Z99001,Harbour Street Surgery,ALL,OC_TOTAL_SUBMISSIONS,0\n" in text
    assert "MINUTES_TO_COMPLETION_MEDIAN,\n" in text


def test_days_follow_uk_time_across_the_clock_change(
    seeded: HubService, exporter: Any, clock: FrozenClock
) -> None:
    """Clocks went back at 01:00 UTC on Sun 25 Oct 2026: 23:30 UTC on the 24th is 00:30 BST on
    the 25th; 23:30 UTC on the 25th is still the 25th (GMT); 23:30 UTC on the 26th is the 26th."""
    stamps = [
        datetime(2026, 10, 23, 22, 59, tzinfo=UTC),  # 23:59 BST on the 23rd
        datetime(2026, 10, 23, 23, 0, tzinfo=UTC),  # 00:00 BST on the 24th
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),  # 00:30 BST on the 25th
        datetime(2026, 10, 25, 0, 59, tzinfo=UTC),  # 01:59 BST on the 25th
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # 01:00 GMT on the 25th
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # 23:30 GMT on the 25th
        datetime(2026, 10, 26, 0, 0, tzinfo=UTC),  # 00:00 GMT on the 26th
    ]
    seeded.store_intake(
        [oc_row(i, received_at=s, practice_ods="Z99002") for i, s in enumerate(stamps)]
    )
    ret = exporter.daily_return(date(2026, 10, 23), date(2026, 10, 26))

    def n(day: int) -> Any:
        return ret.value(date(2026, 10, day), "Z99002", "OC_TOTAL_SUBMISSIONS")

    assert [n(23), n(24), n(25), n(26)] == [1, 1, 4, 1]
    assert ret.value(date(2026, 10, 26), "Z99002", "BACKLOG_END") == 7
    # hours follow UK time too (the reports screen's arrivals by hour)
    from ehub_tui.store import returns as store_returns

    with read_tx(seeded.engine) as conn:
        hours = store_returns.arrivals_by_hour(conn, date(2026, 10, 25), date(2026, 10, 25))
    assert sorted(h for h, _, _ in hours) == ["2026-10-25 00", "2026-10-25 01", "2026-10-25 23"]
    assert dict((h, c) for h, _, c in hours)["2026-10-25 01"] == 2  # 01:59 BST and 01:00 GMT


def test_a_backlog_carries_in_from_before_the_range(
    seeded: HubService,
    signed: Callable[..., HubService],
    exporter: Any,
    clock: FrozenClock,
) -> None:
    """Items received before the range and closed inside it (or still open) start the backlog."""
    monday = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    created, _ = seeded.store_intake(
        [oc_row(i, received_at=monday, practice_ods="Z99004") for i in range(4)]
    )
    ids = [cid for _, cid in created]
    nav, sup = signed("nav1"), signed("sup1")
    clock.now = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)
    claim = nav.claim(ids[0])
    nav.complete(claim, Outcome(category="admin", route="r", destination="Fit note"))
    sup.cancel(ids[1], "duplicate")
    clock.now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    nav.complete(nav.claim(ids[2]), Outcome(category="signpost", route="r", destination="x"))
    ret = exporter.daily_return(date(2026, 11, 18), date(2026, 11, 19))
    assert ret.value(date(2026, 11, 18), "Z99004", "BACKLOG_START") == 4
    assert ret.value(date(2026, 11, 18), "Z99004", "PROCESSED") == 1
    assert ret.value(date(2026, 11, 18), "Z99004", "CANCELLED") == 1
    assert ret.value(date(2026, 11, 19), "Z99004", "BACKLOG_END") == 2
    assert ret.value(date(2026, 11, 18), "Z99004", "MINUTES_TO_FIRST_ACTION_MEDIAN") == 2940.0


@DIRECT_AND_HTTP
def test_practice_filter_keeps_hub_wide_shares(worked: HubService, exporter: Any) -> None:
    full = exporter.daily_return(WEEK[0], WEEK[-1])
    one = exporter.daily_return(WEEK[0], WEEK[-1], practice="Z99005")
    assert [p.ods_code for p in one.practices] == ["Z99005"]
    full_rows = [r for r in full.rows() if r[3] == "Z99005"]
    assert list(one.rows()) == full_rows
    shares = [r[7] for r in full_rows if r[6] == "HUB_SHARE_PCT" and r[7] is not None]
    assert shares and all(0 < s < 100 for s in shares)


def test_bad_ranges_and_practices_are_refused(seeded: HubService, exporter: Any) -> None:
    with pytest.raises(StoreError, match="before it starts"):
        exporter.daily_return(date(2026, 11, 20), date(2026, 11, 19))
    with pytest.raises(StoreError, match="in the future"):
        exporter.daily_return(date(2026, 11, 24), date(2026, 11, 24))
    with pytest.raises(StoreError, match="no practice 'Z00000' in this hub"):
        exporter.daily_return(date(2026, 11, 20), date(2026, 11, 20), practice="Z00000")


def test_progress_is_reported_on_long_ranges(seeded: HubService) -> None:
    # the hub service's own: a client asks the hub once for the whole range (no progress)
    seen: list[tuple[int, int]] = []
    ret = seeded.daily_return(
        date(2026, 8, 1), date(2026, 11, 22), progress=lambda d, t: seen.append((d, t))
    )
    total = (date(2026, 11, 22) - date(2026, 8, 1)).days + 1
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 4
    assert len(ret.days) == total


# -- no patient identifiers; spreadsheet-safe cells --------------------------------------------


@DIRECT_AND_HTTP
def test_no_patient_identifiers_in_any_export(worked: HubService, exporter: Any) -> None:
    from rich.console import Console

    from ehub_tui.cli.export import summary_dict, summary_tables

    ret = exporter.daily_return(WEEK[0], WEEK[-1])
    console = Console(width=200, record=True, file=io.StringIO())
    for table in summary_tables(ret, 200):
        console.print(table)
    texts = {
        "csv": render(ret, "csv"),
        "json": render(ret, "json"),
        "summary": json.dumps(summary_dict(ret)),
        "table": console.export_text(),
        "report": repr(exporter.report("week")),
    }
    items, outcomes = _store_rows(worked)
    secrets: set[str] = set()
    for i in items:
        secrets |= {i.nhs_number, i.external_id, f"{i.given_name} {i.family_name}"}
        secrets.add(f"{i.nhs_number[:3]} {i.nhs_number[3:6]} {i.nhs_number[6:]}")
        if i.date_of_birth < date(2026, 11, 1):  # a baby's birthday could equal a DATE cell
            secrets.add(i.date_of_birth.isoformat())
        if len(i.free_text) >= 12:
            secrets.add(i.free_text[:24])
    for o in outcomes:
        if o.note:
            secrets.add(o.note)
        if o.message and len(o.message) > 12:
            secrets.add(o.message[:24])
    secrets = {s for s in secrets if s and len(s) >= 4}
    assert len(secrets) > 300
    for name, text in texts.items():
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{name} export carries patient data: {leaked[:5]}"


def test_formula_like_cells_are_neutralised(seeded: HubService, exporter: Any) -> None:
    evil = [
        {"ods_code": "Z99801", "name": '=HYPERLINK("http://x","y")', "list_size": 10},
        {"ods_code": "Z99802", "name": "+SUM(A1:A9)", "list_size": 10},
        {"ods_code": "Z99803", "name": "-2+3", "pcn_name": "@SUM(1)", "list_size": 10},
        {"ods_code": "Z99804", "name": "\tTab", "pcn_code": "=1", "list_size": 10},
    ]
    seeded.import_practices([{"pcn_code": "U1", "pcn_name": "P", **e} for e in evil])
    when = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    seeded.store_intake(
        [oc_row(1, practice_ods="Z99801", received_at=when, source="=cmd|' /C calc'!A0")]
    )
    ret = exporter.daily_return(date(2026, 11, 20), date(2026, 11, 20))
    rows = list(csv.reader(io.StringIO(render(ret, "csv"))))
    text_cells = [c for r in rows[1:] for c in r[:7]]
    assert not [c for c in text_cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert '\'=HYPERLINK("http://x","y")' in text_cells
    assert "'-2+3" in text_cells
    # a source is never written: an unknown supplier is OTHER
    assert not [c for c in text_cells if "cmd|" in c] and "OTHER" in {r[5] for r in rows[1:]}
    assert "'@SUM(1)" in text_cells and "'\tTab" in text_cells and "'=1" in text_cells
    doc = json.loads(render(ret, "json"))
    names = {r["GP_NAME"] for r in doc["rows"]}
    assert "'+SUM(A1:A9)" in names and "+SUM(A1:A9)" not in names
    # values stay numbers
    assert all(isinstance(r["VALUE"], int | float) or r["VALUE"] is None for r in doc["rows"])


@DIRECT_AND_HTTP
def test_json_return_matches_the_csv(worked: HubService, exporter: Any) -> None:
    ret = exporter.daily_return(WEEK[0], WEEK[1])
    doc = json.loads(render(ret, "json"))
    assert doc["columns"] == list(M.COLUMNS)
    assert (doc["from"], doc["to"], doc["format_version"]) == ("2026-11-16", "2026-11-17", 1)
    rows = list(csv.reader(io.StringIO(render(ret, "csv"))))[1:]
    assert len(rows) == len(doc["rows"])
    for c, j in zip(rows, doc["rows"], strict=True):
        assert c[:7] == [j[k] for k in M.COLUMNS[:7]]
        assert c[7] == ("" if j["VALUE"] is None else str(j["VALUE"]))


def test_waits_are_whole_seconds_the_same_way_on_both_engines(
    seeded: HubService,
    signed: Callable[..., HubService],
    exporter: Any,
    clock: FrozenClock,
) -> None:
    """11.5 s between a received time with milliseconds and a claim: each time's whole
    seconds, then the difference (12 s here) — never a rounding that one engine does
    differently."""
    received = datetime(2026, 11, 20, 9, 0, 0, 600_000, tzinfo=UTC)
    (created,), _ = seeded.store_intake([oc_row(1, received_at=received)])
    nav = signed("nav1")
    clock.now = datetime(2026, 11, 20, 9, 0, 12, 100_000, tzinfo=UTC)
    claim = nav.claim(created[1])
    clock.now = datetime(2026, 11, 20, 9, 1, 0, 599_000, tzinfo=UTC)
    nav.complete(claim, Outcome(category="admin", route="r", destination="Fit note"))
    ret = exporter.daily_return(date(2026, 11, 20), date(2026, 11, 20))
    ods = oc_row(1).practice_ods
    assert ret.value(date(2026, 11, 20), ods, "MINUTES_TO_FIRST_ACTION_MEDIAN") == 0.2  # 12 s
    assert ret.value(date(2026, 11, 20), ods, "MINUTES_TO_COMPLETION_MEDIAN") == 1.0  # 60 s


def test_a_received_time_in_the_future_is_taken_as_the_arrival(
    seeded: HubService, exporter: Any, clock: FrozenClock
) -> None:
    """A supplier clock (or time zone) ahead of ours: the item counts, and is due, from when it
    reached the hub — never later — so the backlog still reconciles."""
    ahead = clock() + timedelta(hours=1)
    (created,), _ = seeded.store_intake([oc_row(1, received_at=ahead)])
    item = seeded.consultation(created[1])
    assert item.received_at == clock()
    assert item.due_by == seeded.due_by(clock(), 0)
    today = clock().astimezone(LONDON).date()
    ret = exporter.daily_return(today, today)
    ods = oc_row(1).practice_ods
    assert ret.value(today, ods, "OC_TOTAL_SUBMISSIONS") == 1
    assert ret.value(today, ods, "BACKLOG_END") == 1


@pytest.mark.usefixtures("transport")
def test_report_periods(seeded: HubService, make_service: Callable[..., HubService]) -> None:
    sup = make_service("sup1")  # the clock: Monday 23 November 2026
    spans = {p: (sup.report(p).first, sup.report(p).last) for p in ("today", "week", "last_week")}
    assert spans["today"] == (date(2026, 11, 23), date(2026, 11, 23))
    assert spans["week"] == (date(2026, 11, 23), date(2026, 11, 23))
    assert spans["last_week"] == (date(2026, 11, 16), date(2026, 11, 22))
    assert sup.report("last_week").label == "Last week (Mon 16 Nov – Sun 22 Nov)"
    with pytest.raises(StoreError, match="unknown period 'month'"):
        sup.report("month")


# -- no free text: suppliers from the known list, destinations by code ----------------------------

HOSTILE_SOURCES = [
    "9998345138 Jane Smith",
    "=cmd|' /C calc'!A0",
    "[/b]PATCHS[b]",
    "Accurx; DROP TABLE outcome",
    "eConsult (Jane Smith, DOB 01/02/1960)",
]
# (destination text, destination_code sent with the outcome or None, the code it counts under,
# and the code it counts under on a hub whose outcomes cannot keep a code yet: migration 0007)
ODD_DESTINATIONS = [
    ("Dr Who's garden shed — ring Jane on 07700 900123", None, "OTHER", "OTHER"),
    ("GP urgent same-day (Jane Smith 9998345138)", None, "GP_SAME_DAY", "GP_SAME_DAY"),
    ('=HYPERLINK("http://x","Jane")', None, "OTHER", "OTHER"),
    ("", None, "OTHER", "OTHER"),
    (
        "Duty clinician now: call 999 for Jane Smith",
        None,
        "DUTY_CLINICIAN_NOW",
        "DUTY_CLINICIAN_NOW",
    ),
    (
        "Boots on the High St, ask for Jane Smith",
        "COMMUNITY_PHARMACY",
        "COMMUNITY_PHARMACY",
        "OTHER",
    ),
    ("Sandcastle clinic (Jane's idea)", "SANDCASTLE_CLINIC", "OTHER", "OTHER"),
    ("GP routine", "Jane Smith 9998345138", "OTHER", "GP_ROUTINE"),
]
# outcomes keep their route's code from migration 0007 on
KEEPS_CODE = "destination_code" in O.c


def test_no_source_or_destination_text_in_any_return(
    seeded: HubService,
    signed: Callable[..., HubService],
    exporter: Any,
    clock: FrozenClock,
) -> None:
    """A hub whose sources and destinations are free text (an NHS number and a name among
    them): no return, summary or report carries any of it; suppliers are the known ones or
    OTHER, destination metrics are codes of the vocabulary."""
    from rich.console import Console

    from ehub_tui.cli.export import summary_dict, summary_tables
    from ehub_tui.domain.destinations import DESTINATION_CODES

    when = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    rows = [
        oc_row(i, received_at=when, practice_ods="Z99002", source=src)
        for i, src in enumerate([*HOSTILE_SOURCES, "eConsult", " e consult ", "ACCURX"])
    ]
    rows += [oc_row(100 + i, received_at=when, practice_ods="Z99002") for i in range(3)]
    created, _ = seeded.store_intake(rows)
    ids = [cid for _, cid in created]
    assert len(ids) == len(rows)
    nav = signed("nav1")
    clock.now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    for item_id, (text, code, _, _) in zip(ids, ODD_DESTINATIONS, strict=False):
        sent = code if KEEPS_CODE else None
        outcome = Outcome(category="clinical", route="r", destination=text, destination_code=sent)
        claim = nav.claim(item_id)
        if sent is not None and sent not in DESTINATION_CODES:
            # the hub refuses a code outside the vocabulary; one written by other means (an
            # older client, a hand edit) still counts as OTHER, never by its text
            with pytest.raises(StoreError, match="destination_code"):
                nav.complete(claim, outcome)
            nav.complete(claim, outcome.model_copy(update={"destination_code": None}))
            with write_tx(seeded.engine) as conn:
                conn.execute(
                    sql("UPDATE outcome SET destination_code = :c WHERE consultation_id = :i"),
                    {"c": code, "i": item_id},
                )
        else:
            nav.complete(claim, outcome)

    day = date(2026, 11, 20)
    ret = exporter.daily_return(day, day)
    console = Console(width=200, record=True, file=io.StringIO())
    for table in summary_tables(ret, 200):
        console.print(table)
    texts = {
        "csv": render(ret, "csv"),
        "json": render(ret, "json"),
        "summary": json.dumps(summary_dict(ret)),
        "table": console.export_text(),
    }
    free = [*HOSTILE_SOURCES, *(t for t, _, _, _ in ODD_DESTINATIONS if t)]
    free += ["Jane", "9998345138", "999 834 5138", "07700", "garden shed", "Boots", "Sandcastle"]
    free += [c for _, c, _, _ in ODD_DESTINATIONS if c and c not in DESTINATION_CODES]
    for name, text in texts.items():
        leaked = [f for f in free if f in text]
        assert not leaked, f"{name} carries free text: {leaked}"

    cells = list(csv.reader(io.StringIO(texts["csv"])))[1:]
    assert {r[5] for r in cells} == {"ALL", "eConsult", "Accurx", "OTHER"}
    assert ret.suppliers == ["Accurx", "eConsult", "OTHER"]  # OTHER last
    v = ret.value
    # the hostile sources and the factory's "TEST" (not a supplier on the list)
    assert v(day, "Z99002", "OC_TOTAL_SUBMISSIONS", "OTHER") == len(HOSTILE_SOURCES) + 3
    assert v(day, "Z99002", "OC_TOTAL_SUBMISSIONS", "eConsult") == 2
    assert v(day, "Z99002", "OC_TOTAL_SUBMISSIONS", "Accurx") == 1
    metrics = {r[6] for r in cells if r[6].startswith(M.DESTINATION_PREFIX)}
    assert metrics == set(ret.destinations)
    assert {m.removeprefix(M.DESTINATION_PREFIX) for m in metrics} <= set(DESTINATION_CODES)
    want: dict[str, int] = defaultdict(int)
    for _, _, counted, without_code in ODD_DESTINATIONS:
        want[counted if KEEPS_CODE else without_code] += 1
    got = {m.removeprefix(M.DESTINATION_PREFIX): v(day, "Z99002", m) for m in metrics}
    assert got == {k: n for k, n in want.items() if n}
    assert sum(got.values()) == v(day, "Z99002", "PROCESSED") == len(ODD_DESTINATIONS)


def test_the_known_supplier_list_is_the_one_given() -> None:
    """build_return names only the suppliers it is given (spelled as given; ALL and OTHER can
    never be a supplier's name), everyone else is OTHER."""
    from ehub_tui.export.returns import PracticeRef, build_return
    from ehub_tui.store.returns import RangeCounts

    day = date(2026, 11, 20)

    class Reader:
        def counts(self, first: date, last: date) -> RangeCounts:
            rc = RangeCounts()
            rc.received = [
                ("2026-11-20", "Z1", "acme  OC", "clinical", 2),
                ("2026-11-20", "Z1", "eConsult", "admin", 1),
                ("2026-11-20", "Z1", "all", "admin", 4),
                ("2026-11-20", "Z1", "Other", "admin", 1),
            ]
            rc.outcomes = [
                ("2026-11-20", "Z1", "admin", "FIT_NOTE", None, None, 1, 1),
                ("2026-11-20", "Z1", "admin", "Fit note (Jane)", None, None, 1, 1),
            ]
            return rc

        def open_at(self, day: date) -> dict[str, int]:
            return {}

    refs = [PracticeRef("Z1", "One", "U1", "PCN", 100)]
    ret = build_return(Reader(), refs, day, day, suppliers=["Acme OC", "ALL", "Other"])
    assert ret.suppliers == ["Acme OC", "OTHER"]
    assert ret.value(day, "Z1", "OC_TOTAL_SUBMISSIONS", "Acme OC") == 2
    assert ret.value(day, "Z1", "OC_TOTAL_SUBMISSIONS", "OTHER") == 6
    assert ret.value(day, "Z1", "OC_TOTAL_SUBMISSIONS") == 8  # ALL is still everything
    # a code that is not of the vocabulary is OTHER, never a metric of its own
    assert ret.destinations == ["OUTCOME_DESTINATION_FIT_NOTE", "OUTCOME_DESTINATION_OTHER"]
    # without a list, the settings' default list
    default = build_return(Reader(), refs, day, day)
    assert default.suppliers == ["eConsult", "OTHER"]


def test_the_returns_doc_lists_every_destination_metric() -> None:
    """docs/returns.md lists exactly the destination metrics a return can write: one per code."""
    import re

    from ehub_tui.domain.destinations import DESTINATION_CODES

    doc = (Path(__file__).resolve().parents[2] / "docs" / "returns.md").read_text(encoding="utf-8")
    block = doc.split("destination metrics are:", 1)[1].split("(A test checks", 1)[0]
    listed = [m.lstrip("…_") for m in re.findall(r"`([^`]+)`", block)]
    listed = [m.removeprefix(M.DESTINATION_PREFIX) for m in listed]
    assert listed == list(DESTINATION_CODES)
    assert {M.destination_metric(c) for c in DESTINATION_CODES} == {
        M.DESTINATION_PREFIX + c for c in listed
    }
