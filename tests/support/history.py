"""A worked week on the fixtures: the fixture OCs arrive day by day (16-22 Nov 2026) and demo
navigators and a supervisor work them with the real SOP decisions, under a frozen clock.

Deterministic (same claims, same outcomes, same times on SQLite and PostgreSQL), so the daily
return it gives can be compared with golden files.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from ehub_tui.domain.clock import LONDON
from ehub_tui.domain.models import Outcome
from ehub_tui.ingest.parsers import detect_format, iter_paths, parse_text, read_text
from ehub_tui.ingest.records import RawRecord
from ehub_tui.ingest.runner import FileReport, Ingester
from ehub_tui.service import HubService

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
WEEK = [date(2026, 11, 16) + timedelta(days=i) for i in range(7)]


def _received(rec: RawRecord) -> datetime:
    text = str((rec.data or {}).get("received_at", "")).replace("Z", "+00:00")
    return datetime.fromisoformat(text).astimezone(UTC)


def fixture_records() -> list[RawRecord]:
    """Every fixture OC as read from its file (all formats), oldest first."""
    out: list[RawRecord] = []
    for path in iter_paths([FIXTURES / "oc"]):
        text = read_text(path)
        out.extend(r for r in parse_text(text, detect_format(path, text), str(path)) if r.data)
    return sorted(out, key=lambda r: (_received(r), str((r.data or {}).get("external_id"))))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A UK-local time on ``day`` as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def outcome_for(svc: HubService, item_id: int) -> Outcome:
    """The outcome a navigator records: escalating a red flag, else asking the SOP's questions
    (the patient answers "no" to each, as most do) and accepting the suggested route."""
    item = svc.consultation(item_id)
    answers: dict[str, Any] = {}
    d = svc.decide(item, answers)
    while d is not None and not d.red_flags and d.next_question is not None:
        q = d.next_question
        if q.id in answers:  # a SOP that asks again would loop: take what it says now
            break
        answers[q.id] = "no" if "no" in q.answers else q.answers[-1]
        d = svc.decide(item, answers)
    if d is not None and d.red_flags:
        f = d.red_flags[0]
        return Outcome(
            category="escalate",
            route=f"escalate_{f.id}",
            destination=f"Duty clinician now: {f.action}",
            destination_code="DUTY_CLINICIAN_NOW",
            urgency="immediate",
        )
    if d is None or d.route is None:
        return Outcome(
            category="clinical",
            route="manual",
            destination="GP routine",
            destination_code="GP_ROUTINE",
        )
    r = d.route
    return Outcome(
        category=r.category,
        route=r.id,
        destination=r.destination,
        destination_code=r.destination_code,
        urgency=r.urgency,
        snomed_code=r.snomed,
    )


def work_week(
    system: HubService, make_service: Callable[..., HubService], clock: Any
) -> dict[str, int]:
    """Ingest the fixtures day by day and work them; returns what was done (for checks)."""
    navs = [make_service("nav1"), make_service("nav2")]
    sup = make_service("sup1")
    by_day: dict[date, list[RawRecord]] = defaultdict(list)
    for rec in fixture_records():
        by_day[_received(rec).astimezone(LONDON).date()].append(rec)
    done = defaultdict(int)
    ingester = Ingester(system)
    for n_day, day in enumerate(WEEK):
        # three deliveries a day (noon, 8 pm, just before midnight); work after the first two
        for ingest_hour, work_items in ((12, 6 + n_day % 3), (20, 9 - n_day % 4), (24, 0)):
            cut = local(day, ingest_hour) if ingest_hour < 24 else local(day + timedelta(1), 0)
            clock.now = cut
            batch = [r for r in by_day[day] if _received(r) < cut]
            by_day[day] = [r for r in by_day[day] if _received(r) >= cut]
            if batch:
                ingester.store_records(batch, "fixtures", FileReport("fixtures"))
                done["ingested"] += len(batch)
            for k in range(work_items):
                nav = navs[k % 2]
                clock.advance(minutes=2 + (k * 7) % 11)
                claim = nav.claim_next()
                if claim is None:
                    break
                clock.advance(minutes=1 + k % 4, seconds=(k * 13) % 60)
                if k == 3 and ingest_hour == 12:  # handed back once a day
                    nav.release(claim, "needs the practice's records")
                    done["released"] += 1
                    continue
                nav.complete(claim, outcome_for(nav, claim.item_id))
                done["completed"] += 1
            # the supervisor: one reassignment and (every other day) one cancellation
            clock.advance(minutes=5)
            queued, _ = system.queue_page("queue", _no_filter(), 0, 3)
            if queued and ingest_hour == 20:
                sup.reassign(queued[0].id, "nav2", "nav2 knows this patient's practice")
                done["reassigned"] += 1
                if n_day % 2 == 0 and len(queued) > 1:
                    sup.cancel(queued[1].id, "duplicate of an earlier request")
                    done["cancelled"] += 1
    clock.now = local(WEEK[-1], 21, 30)
    return dict(done)


def _no_filter() -> Any:
    from ehub_tui.store.views import QueueFilter

    return QueueFilter()
