"""A month's daily return: ours beside raw SQL GROUP BY counts of the same month, in one run.

The hub: a fresh SQLite hub (our migrations, the fixture practices, one manager) holding one month
of work, written straight into the tables with sqlite3 executemany (untimed), seed fixed:

- N outcomes (default 150,000): consultations completed between 1 and 31 October 2026 (UK time: BST
  until the clocks go back at 02:00 on Sunday 25 October, GMT after, so most UK days are not UTC
  days and the 25th is 25 hours long), mostly in core hours and some around midnight, each with its
  Outcome row: four suppliers, three request types, categories signpost / clinical / admin /
  escalate and a few of none of those, a dozen destinations (some empty), Pharmacy First referrals
  (SNOMED 1362511000000107, a few 983341000000102) on the seven PF templates and on others, waits
  of minutes to days (so some were received in September), first_claimed_at before claimed_at (3%
  left NULL, as items from before migration 0004), due_by 2 or 10 hours after arrival;
- 2% as many cancelled items (status 'cancelled', cancelled_at in October), 4.7% as many still open
  (queued or claimed; some received in September, so the month starts with a backlog);
- the audit trail: a claim and a completion event per completed item, a cancel event per cancelled
  one, and a 'reassign' event for 2% of the completed items. The chain's hashes are not computed
  (fake values; only audit_head's seq matters, so that the export's own audit event follows on):
  `verify_audit` would fail on this hub, and nothing here calls it.

Ours, timed: the real export of 1-31 October, `HubService.daily_return(first, last)` as the
manager (role check, practices, one snapshot read: store/returns.py `open_at` and `range_counts`
with its five queries, including the waiting times one row per outcome; export/returns.py
`build_return`: zero-filled cells, backlog carried day to day, medians and 90th percentiles, hub
share; then the export's own audit event, a write transaction with synchronous=FULL), then
`write_csv` of the return to a file (plain open/write/close: no fsync or rename as the CLI does).

Baseline, timed: raw SQL GROUP BY on a bare sqlite3 connection to the same file, in one read
transaction, computing the same counts per UK-local day (written by hand for this month: `CASE WHEN
col < '2026-10-25 01:00' THEN date(col, '+1 hours') ELSE date(col) END`) and practice: submissions
by day/practice/supplier/request type; outcomes by
day/practice/category/destination/snomed/template with the within-standard sum; cancellations and
reassignments by day/practice; the open-at-start backlog per practice in one statement (received
before the start, not completed or cancelled before it; `open_at` adds up three counts instead).
The first four are the store's own statements but for the day expression written out; the backlog
one is hand-written, as someone writing the counts by hand would, and planned as SQLite should (an
index range on received_at). It fetches the rows and stops there: no waiting times, no percentiles,
no zero-filling, no cells, no file, no audit event. Ours does strictly more work.

Correctness, in the same run: every count ours puts in the return (per day and practice: each
submission metric, overall and per supplier, processed, cancelled, backlog start and end, each
category, each destination, Pharmacy First by condition, escalations, within standard,
reassignments) must equal what the baseline's rows give, the totals must equal what was
generated, and the CSV must hold every row with the same figures; the script exits non-zero if
not.

Timing (benchmarks/_harness.py): the hub is built once as a template; then one untimed warm-up
pair (which also does the correctness check) and --reps pairs, interleaved, ours first on odd
repeats and the baseline first on even ones, EACH RUN ON A FRESH COPY of the template (file and
data folder copied, untimed; SQLite's own cache cold, the file in the OS page cache), so ours'
export event is never in the baseline's file and no run reads pages another warmed. Median,
min-max and IQR of both sides.
Comparison `export_month`: ratio = ours / baseline seconds, lower is better; target <= 2.
--profile adds a cProfile of one run of ours and the time of each of its SQL statements;
--explain replays every statement of both sides on the bare driver with its query plan.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import itertools
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection  # noqa: E402

from benchmarks._harness import comparison, emit, interleave  # noqa: E402
from ehub_tui.config import Settings  # noqa: E402
from ehub_tui.domain.clock import LONDON  # noqa: E402
from ehub_tui.domain.destinations import reported_code  # noqa: E402
from ehub_tui.domain.nhs import make_test_nhs_number  # noqa: E402
from ehub_tui.domain.suppliers import supplier_code  # noqa: E402
from ehub_tui.export import metrics as M  # noqa: E402
from ehub_tui.export.returns import DailyReturn  # noqa: E402
from ehub_tui.export.writers import write_csv  # noqa: E402
from ehub_tui.practices import load_practices  # noqa: E402
from ehub_tui.service import HubService  # noqa: E402
from ehub_tui.store import bulk  # noqa: E402
from ehub_tui.store import returns as store_returns  # noqa: E402
from ehub_tui.store.lease import whole_seconds  # noqa: E402

# October 2026: BST (UTC+1) until 01:00 UTC on Sunday 25 October, GMT after it, so UK-local days
# are not UTC days for most of the month and 25 October is 25 hours long
FIRST, LAST = date(2026, 10, 1), date(2026, 10, 31)
DAYS = (LAST - FIRST).days + 1
START = datetime(2026, 10, 1, tzinfo=LONDON).astimezone(UTC)  # 00:00 UK time on FIRST (BST)
END = datetime(2026, 11, 1, tzinfo=LONDON).astimezone(UTC)  # 00:00 UK time after LAST (GMT)
CHANGE = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # clocks go back: 02:00 BST is 01:00 GMT
NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # the export is made the next morning
MANAGER = "bench.manager"
TARGET = 2.0
PF_SNOMED, PF_SERVICE_SNOMED = "1362511000000107", "983341000000102"
KNOWN_SUPPLIERS = Settings().suppliers  # the return names these; ENGAGE is not one: OTHER

SUPPLIERS = [("ACCURX", 50), ("PATCHS", 25), ("ENGAGE", 15), ("KLINIK", 10)]
REQUEST_TYPES = [("clinical", 60), ("admin", 30), ("other", 10)]
TEMPLATES: dict[str, list[str | None]] = {
    "clinical": [*M.PHARMACY_FIRST_CONDITIONS, "back_pain", "rash", "mental_health", "medication"],
    "admin": ["fit_note", "repeat_prescription", "test_results", "letter"],
    "other": [None],
}
TEXTS = [
    "Sore throat for three days, worse when swallowing, no fever that I know of.",
    "I need a fit note for work after my operation last month, the old one ran out on Friday.",
    "Could someone tell me whether my blood test results from last week are back yet please?",
    "Burning when passing urine since yesterday and going more often than usual.",
    "Asking about my repeat prescription, the pharmacy says it has not been sent over.",
]
# (category, route, destination, urgency, snomed, sop id), with weights, for non-PF outcomes
OUTCOMES = [
    (
        (
            "signpost",
            "self_care",
            "Self-care (NHS website) with community pharmacist advice",
            "routine",
            None,
            "self-care",
        ),
        8,
    ),
    (("clinical", "gp_urgent", "GP urgent same-day", "urgent", None, "acute"), 14),
    (("clinical", "gp_urgent", "GP urgent same-day (frailty)", "urgent", None, "acute"), 3),
    (("clinical", "gp_routine", "GP routine (within 2 weeks)", "routine", None, "acute"), 14),
    (("clinical", "anp", "ANP minor illness hub", "soon", None, "acute"), 8),
    (("clinical", "fcp", "First Contact Physiotherapist (FCP)", "routine", None, "msk"), 4),
    (("clinical", "mhp", "Mental Health Practitioner", "soon", None, "mental-health"), 3),
    (
        (
            "clinical",
            "pharmacist",
            "Clinical pharmacist (medication query or review)",
            "routine",
            None,
            "medicines",
        ),
        5,
    ),
    (
        (
            "admin",
            "fit_note",
            "Fit note — new (clinician assessment; GP, nurse, pharmacist or "
            "physiotherapist may issue)",
            "routine",
            None,
            "admin",
        ),
        7,
    ),
    (("admin", "repeat", "Repeat prescription (prescription clerk)", "routine", None, "admin"), 9),
    (
        (
            "admin",
            "results",
            "Test results query (admin checks the record and the clinician's comment)",
            "routine",
            None,
            "admin",
        ),
        6,
    ),
    (
        (
            "admin",
            "letters",
            "Letters and forms — non-NHS work (fee may apply)",
            "routine",
            None,
            "admin",
        ),
        3,
    ),
    (
        (
            "escalate",
            "duty_now",
            "Duty clinician now (999 if life-threatening)",
            "emergency",
            None,
            "red-flags",
        ),
        2,
    ),
    (
        (
            "escalate",
            "duty_999",
            "Duty clinician now: call 999 now",
            "emergency",
            None,
            "red-flags",
        ),
        1,
    ),
    (("duplicate", "duplicate", "", "", None, None), 1),
]
PF_OUTCOME = ("signpost", "pharmacy_first", "Community pharmacy (Pharmacy First)", "routine")

C_COLUMNS = (
    "id, source, external_id, practice_ods, nhs_number, given_name, family_name, date_of_birth, "
    "sex, received_at, request_type, template, answers, free_text, supplier_flags, priority, "
    "status, owner, epoch, lease_until, due_by, claimed_at, completed_at, ingested_at, updated_at, "
    "screened_at, sop_flags, first_claimed_at, cancelled_at"
)
O_COLUMNS = (
    "consultation_id, navigator, category, route, destination, urgency, snomed_code, sop_id, "
    "sop_version, sop_sha256, engine_version, detail, received_at, claimed_at, first_viewed_at, "
    "completed_at, handling_seconds, epoch, first_action_seconds, completion_seconds"
)
A_COLUMNS = "seq, at, actor, action, consultation_id, body, body_digest, prev_hash, hash"


def sv(dt: datetime | None) -> str | None:
    """A datetime as the store keeps it in SQLite ('YYYY-MM-DD HH:MM:SS.ffffff', naive UTC)."""
    return None if dt is None else bulk.storage_value(dt, True)


def local_midnight_utc(day_offset: int) -> datetime:
    """00:00 UK time on FIRST + day_offset, in UTC."""
    return datetime.combine(FIRST + timedelta(days=day_offset), time_of_day(0), LONDON).astimezone(
        UTC
    )


def weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Callable[[], Any]:
    values, weights = [v for v, _ in pairs], [w for _, w in pairs]
    cum = list(itertools.accumulate(weights))
    return lambda: rng.choices(values, cum_weights=cum)[0]


# -- the hub --------------------------------------------------------------------------------------


class Truth:
    """What was generated, counted as it was generated (checked against both sides)."""

    def __init__(self) -> None:
        self.received = 0  # received in the month
        self.processed = 0
        self.cancelled = 0
        self.reassigned = 0  # reassign events in the month
        self.open_at_start = 0
        self.consultations = 0
        self.audit_events = 0


def hub_settings(folder: Path) -> Settings:
    return Settings(data_dir=folder / "data", hub_url=f"sqlite:///{folder / 'hub.sqlite3'}")


def build_hub(workdir: Path, n_outcomes: int, seed: int) -> tuple[Settings, Truth]:
    db = workdir / "hub.sqlite3"
    settings = hub_settings(workdir)
    system = HubService.open(settings, clock=lambda: START - timedelta(days=40))
    system.import_practices(load_practices(ROOT / "fixtures" / "practices.yaml"))
    system.add_user(MANAGER, "manager", "Bench Manager")
    practices = [(p.ods_code, p.list_size) for p in system.list_practices()]
    system.close()

    rng = random.Random(seed)
    practice = weighted(rng, practices)
    supplier = weighted(rng, SUPPLIERS)
    rtype = weighted(rng, REQUEST_TYPES)
    outcome = weighted(rng, OUTCOMES)
    navigators = [f"nav{k:02d}" for k in range(1, 21)]
    truth = Truth()
    items: list[dict[str, Any]] = []  # consultations, before ids are given

    def in_month_time(day_offset: int | None = None) -> datetime:
        """A moment in the month: 95% in core hours (08:00-18:30 UK time), the rest at any hour
        of the UK day (23, 24 or 25 hours long)."""
        k = rng.randrange(DAYS) if day_offset is None else day_offset
        day, next_day = local_midnight_utc(k), local_midnight_utc(k + 1)
        if rng.random() < 0.95:
            eight = datetime.combine(FIRST + timedelta(days=k), time_of_day(8), LONDON)
            return eight.astimezone(UTC) + timedelta(seconds=rng.uniform(0, 10.5 * 3600))
        return day + (next_day - day) * rng.random()

    def new_item(received: datetime) -> dict[str, Any]:
        rt = rtype()
        priority = 2 if rng.random() < 0.01 else 1 if rng.random() < 0.1 else 0
        return {
            "received": received,
            "practice": practice(),
            "source": supplier(),
            "rtype": rt,
            "template": rng.choice(TEMPLATES[rt]),
            "priority": priority,
            "due": received + timedelta(hours=2 if priority else 10),
            "first_claimed": None,
            "claimed": None,
            "completed": None,
            "cancelled": None,
            "owner": None,
            "status": "queued",
            "outcome": None,
            "reassign_at": None,
        }

    # completed items, each with its outcome
    for _ in range(n_outcomes):
        completed = in_month_time()
        handling = rng.uniform(120, 1200)
        claimed = completed - timedelta(seconds=handling)
        reassigned = rng.random() < 0.02
        first_claimed = claimed - timedelta(minutes=rng.uniform(5, 120) if reassigned else 0)
        wait = (
            timedelta(days=rng.uniform(1, 4))
            if rng.random() < 0.015
            else timedelta(minutes=min(rng.expovariate(1 / 120), 2000))
        )
        item = new_item(first_claimed - wait)
        item.update(
            status="completed",
            owner=rng.choice(navigators),
            claimed=claimed,
            completed=completed,
            first_claimed=None if (rng.random() < 0.03 and not reassigned) else first_claimed,
            reassign_at=claimed if reassigned else None,
        )
        pf_template = item["template"] in M.PHARMACY_FIRST_CONDITIONS
        if (pf_template and rng.random() < 0.55) or (
            item["rtype"] == "clinical" and rng.random() < 0.01
        ):
            snomed = PF_SERVICE_SNOMED if rng.random() < 0.05 else PF_SNOMED
            item["outcome"] = (*PF_OUTCOME, snomed, "pharmacy-first")
        else:
            item["outcome"] = outcome()
        items.append(item)
    # cancelled items
    for _ in range(round(n_outcomes * 0.02)):
        cancelled = in_month_time()
        wait = (
            timedelta(days=rng.uniform(1, 3))
            if rng.random() < 0.05
            else timedelta(minutes=rng.expovariate(1 / 180))
        )
        item = new_item(cancelled - wait)
        item.update(status="cancelled", cancelled=cancelled)
        items.append(item)
    # still open at the end of the month, some since October
    for _ in range(round(n_outcomes * 0.047)):
        if rng.random() < 0.05:
            received = START - timedelta(days=rng.uniform(0.01, 12))
        else:
            received = in_month_time(DAYS - 1 - min(int(rng.expovariate(1 / 4)), DAYS - 1))
        item = new_item(received)
        if rng.random() < 0.1:
            at = NOW - timedelta(minutes=rng.uniform(1, 9))
            item.update(
                status="claimed", owner=rng.choice(navigators), claimed=at, first_claimed=at
            )
        items.append(item)

    items.sort(key=lambda it: it["received"])  # ids in arrival order, as the ingester gives them
    c_rows, o_rows, events = [], [], []
    for cid, it in enumerate(items, start=1):
        received, done = it["received"], it["completed"] or it["cancelled"]
        truth.received += START <= received < END
        truth.open_at_start += received < START and (done is None or done >= START)
        c_rows.append(
            (
                cid,
                it["source"],
                f"{it['source']}-{cid:08d}",
                it["practice"],
                make_test_nhs_number(cid),
                "Alex",
                f"Tester{cid}",
                (date(1940, 1, 1) + timedelta(days=cid % 25_000)).isoformat(),
                "female" if cid % 2 else "male",
                sv(received),
                it["rtype"],
                it["template"],
                '{"duration_days":3,"tried_pharmacy":"no"}',
                TEXTS[cid % len(TEXTS)],
                '["urgent"]'
                if it["priority"] == 1
                else '["emergency"]'
                if it["priority"]
                else "[]",
                it["priority"],
                it["status"],
                it["owner"],
                1 if it["claimed"] else 0,
                sv(it["claimed"] + timedelta(minutes=10)) if it["status"] == "claimed" else None,
                sv(it["due"]),
                sv(it["claimed"]),
                sv(it["completed"]),
                sv(received + timedelta(seconds=rng.uniform(5, 60))),
                sv(done or it["claimed"] or received),
                sv(received + timedelta(seconds=61)),
                "[]",
                sv(it["first_claimed"]),
                sv(it["cancelled"]),
            )
        )
        if it["first_claimed"] is not None:
            events.append((it["first_claimed"], it["owner"], "claim", cid))
        if it["reassign_at"] is not None:
            events.append((it["reassign_at"], "bench.sup", "reassign", cid))
            truth.reassigned += START <= it["reassign_at"] < END
        if it["cancelled"] is not None:
            events.append((it["cancelled"], "bench.sup", "cancel", cid))
            truth.cancelled += 1
        if it["outcome"] is not None:
            truth.processed += 1
            category, route, dest, urgency, snomed, sop = it["outcome"]
            events.append((it["completed"], it["owner"], "complete", cid))
            o_rows.append(
                (
                    cid,
                    it["owner"],
                    category,
                    route,
                    dest,
                    urgency,
                    snomed,
                    sop,
                    "1.2.0" if sop else None,
                    "ab" * 32 if sop else None,
                    "0.9.0",
                    '{"answers_seen":true}',
                    sv(received),
                    sv(it["claimed"]),
                    sv(it["claimed"] + timedelta(seconds=20)),
                    sv(it["completed"]),
                    (it["completed"] - it["claimed"]).total_seconds(),
                    1,
                    # the waits the store fixes at completion (queue.complete)
                    whole_seconds(it["first_claimed"] or it["claimed"]) - whole_seconds(received),
                    whole_seconds(it["completed"]) - whole_seconds(received),
                )
            )
    o_rows.sort(key=lambda r: r[15] or "")  # outcome ids in completion order
    events.sort(key=lambda e: e[0])

    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")  # the build is not timed
    conn.execute("BEGIN IMMEDIATE")
    seq = conn.execute("SELECT seq FROM audit_head WHERE id = 1").fetchone()[0]
    conn.executemany(
        f"INSERT INTO consultation ({C_COLUMNS}) VALUES ({','.join('?' * 29)})", c_rows
    )
    conn.executemany(f"INSERT INTO outcome ({O_COLUMNS}) VALUES ({','.join('?' * 20)})", o_rows)
    # The audit chain's hashes are NOT valid here (fake digests): the return only counts
    # 'reassign' events, and only the head's seq must be right for the export's own event.
    fake = "0" * 64
    a_rows = [
        (seq + k, sv(at), actor, action, cid, "{}", fake, fake, fake)
        for k, (at, actor, action, cid) in enumerate(events, start=1)
    ]
    conn.executemany(f"INSERT INTO audit_event ({A_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", a_rows)
    conn.execute("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", (seq + len(a_rows), fake))
    conn.execute("COMMIT")
    conn.close()
    truth.consultations, truth.audit_events = len(c_rows), len(a_rows)
    return settings, truth


# -- the two sides --------------------------------------------------------------------------------


def run_ours(svc: HubService, out: Path) -> tuple[DailyReturn, int, float, float]:
    """The export: daily_return, then the CSV written to a file. Returns (return, rows, build s,
    write s)."""
    t0 = time.perf_counter()
    ret = svc.daily_return(FIRST, LAST)
    t1 = time.perf_counter()
    with open(out, "w", encoding="utf-8", newline="") as fh:
        rows = write_csv(ret, fh)
    t2 = time.perf_counter()
    return ret, rows, t1 - t0, t2 - t1


def uk_day(col: str) -> str:
    """``col`` (naive UTC) as its UK-local date, written by hand for this month: BST (+1 hour)
    before the clocks go back, GMT after."""
    return f"CASE WHEN {col} < '{sv(CHANGE)}' THEN date({col}, '+1 hours') ELSE date({col}) END"


def baseline_queries() -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, SQL, parameters): the same counts, grouped by UK-local day (BST, then GMT)."""
    s, e = sv(START), sv(END)
    assert s is not None and e is not None
    return [
        (
            "received",
            f"SELECT {uk_day('received_at')}, practice_ods, source, request_type, COUNT(*) "
            "FROM consultation WHERE received_at >= ? AND received_at < ? GROUP BY 1, 2, 3, 4",
            (s, e),
        ),
        (
            "outcomes",
            f"SELECT {uk_day('o.completed_at')}, c.practice_ods, o.category, o.destination, "
            "o.snomed_code, c.template, COUNT(*), "
            "SUM(CASE WHEN o.completed_at <= c.due_by THEN 1 ELSE 0 END) "
            "FROM outcome o JOIN consultation c ON c.id = o.consultation_id "
            "WHERE o.completed_at >= ? AND o.completed_at < ? GROUP BY 1, 2, 3, 4, 5, 6",
            (s, e),
        ),
        (
            "cancelled",
            f"SELECT {uk_day('cancelled_at')}, practice_ods, COUNT(*) FROM consultation "
            "WHERE cancelled_at >= ? AND cancelled_at < ? GROUP BY 1, 2",
            (s, e),
        ),
        (
            "reassigned",
            f"SELECT {uk_day('a.at')}, c.practice_ods, COUNT(*) FROM audit_event a "
            "JOIN consultation c ON c.id = a.consultation_id "
            "WHERE a.action = 'reassign' AND a.at >= ? AND a.at < ? GROUP BY 1, 2",
            (s, e),
        ),
        (
            # the backlog at the start, in one statement: received before it, and neither
            # completed nor cancelled before it (the store's open_at adds up three counts).
            # INDEXED BY: without statistics SQLite otherwise scans the whole table through
            # ix_consultation_practice to skip the GROUP BY sort (the claim path does the same)
            "open_at_start",
            "SELECT practice_ods, COUNT(*) FROM consultation "
            "INDEXED BY ix_consultation_received_practice WHERE received_at < ? "
            "AND (completed_at IS NULL OR completed_at >= ?) "
            "AND (cancelled_at IS NULL OR cancelled_at >= ?) GROUP BY 1",
            (s, s, s),
        ),
    ]


def run_baseline(conn: sqlite3.Connection) -> tuple[dict[str, list[tuple]], float]:
    """The raw GROUP BY counts in one read transaction. Returns ({name: rows}, seconds)."""
    queries = baseline_queries()
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    out = {name: conn.execute(sql, params).fetchall() for name, sql, params in queries}
    conn.execute("COMMIT")
    return out, time.perf_counter() - t0


# -- correctness ----------------------------------------------------------------------------------


def expected_cells(base: dict[str, list[tuple]], codes: list[str]) -> dict[tuple, int]:
    """{(day, practice, supplier, metric): n} from the baseline's rows (untimed)."""
    want: dict[tuple, int] = defaultdict(int)
    all_ = M.ALL_SUPPLIERS
    for d, pr, src, rt, n in base["received"]:
        metric = M.REQUEST_TYPE_METRIC.get(rt, M.OTHER_TYPE_METRIC)
        for key in ((all_, "OC_TOTAL_SUBMISSIONS"), (all_, metric)):
            want[(d, pr, *key)] += n
        sup = supplier_code(src, KNOWN_SUPPLIERS)
        for key in ((sup, "OC_TOTAL_SUBMISSIONS"), (sup, metric)):
            want[(d, pr, *key)] += n
    for d, pr, cat, dest, snomed, template, n, within in base["outcomes"]:
        want[(d, pr, all_, "PROCESSED")] += n
        want[(d, pr, all_, "COMPLETED_WITHIN_STANDARD")] += within
        cmetric = f"OUTCOME_CATEGORY_{cat.upper()}"
        if cmetric not in M.CATEGORY_METRICS:
            cmetric = M.OTHER_CATEGORY_METRIC
        want[(d, pr, all_, cmetric)] += n
        if cat == "escalate":
            want[(d, pr, all_, M.ESCALATIONS)] += n
        want[(d, pr, all_, M.destination_metric(reported_code(None, dest)))] += n
        if snomed in (PF_SNOMED, PF_SERVICE_SNOMED):
            want[(d, pr, all_, M.PHARMACY_FIRST_TOTAL)] += n
            cond = (
                f"PHARMACY_FIRST_{template.upper()}"
                if template in M.PHARMACY_FIRST_CONDITIONS
                else M.PHARMACY_FIRST_OTHER
            )
            want[(d, pr, all_, cond)] += n
    for d, pr, n in base["cancelled"]:
        want[(d, pr, all_, "CANCELLED")] += n
    for d, pr, n in base["reassigned"]:
        want[(d, pr, all_, M.REASSIGNMENTS)] += n
    backlog = dict.fromkeys(codes, 0)
    for pr, n in base["open_at_start"]:
        backlog[pr] += n
    day = FIRST
    while day <= LAST:
        d = day.isoformat()
        for pr in codes:
            want[(d, pr, all_, "BACKLOG_START")] = backlog[pr]
            backlog[pr] += (
                want[(d, pr, all_, "OC_TOTAL_SUBMISSIONS")]
                - want[(d, pr, all_, "PROCESSED")]
                - want[(d, pr, all_, "CANCELLED")]
            )
            want[(d, pr, all_, "BACKLOG_END")] = backlog[pr]
        day += timedelta(days=1)
    return {k: v for k, v in want.items() if v or k[3].startswith("BACKLOG")}


def count_metrics(ret: DailyReturn) -> list[tuple[str, str]]:
    """Every (supplier, metric) of the return that is a count."""
    counts = set(
        M.SUBMISSIONS
        + M.FLOW
        + M.CATEGORY_METRICS
        + (M.OTHER_CATEGORY_METRIC, M.PHARMACY_FIRST_TOTAL, M.PHARMACY_FIRST_OTHER, M.ESCALATIONS)
        + M.PHARMACY_FIRST_METRICS
        + ("COMPLETED_WITHIN_STANDARD", M.REASSIGNMENTS)
        + tuple(ret.destinations)
    )
    return [(s, m) for s, m in ret.metric_order() if m in counts]


def check(
    ret: DailyReturn, csv_path: Path, csv_rows: int, base: dict[str, list[tuple]], truth: Truth
) -> list[str]:
    """Every disagreement between ours, the baseline, what was generated and the file."""
    problems: list[str] = []
    codes = [p.ods_code for p in ret.practices]
    want = expected_cells(base, codes)
    suppliers = {supplier_code(src, KNOWN_SUPPLIERS) for _d, _p, src, _r, _n in base["received"]}
    dests = sorted({M.destination_metric(reported_code(None, r[3])) for r in base["outcomes"]})
    if set(ret.suppliers) != suppliers or len(ret.suppliers) != len(suppliers):
        problems.append(f"suppliers: ours {ret.suppliers}, baseline {sorted(suppliers)}")
    if ret.destinations != dests:
        problems.append(f"destinations: ours {ret.destinations}, baseline {dests}")
    checked = set()
    for day in ret.days:
        d = day.isoformat()
        for pr in codes:
            for supplier, metric in count_metrics(ret):
                key = (d, pr, supplier, metric)
                checked.add(key)
                ours = ret.value(day, pr, metric, supplier)
                if ours != want.get(key, 0):
                    problems.append(f"{key}: ours {ours}, baseline {want.get(key, 0)}")
    missing = [k for k in want if k not in checked]
    if missing:
        problems.append(f"{len(missing)} baseline counts have no cell in ours, e.g. {missing[:3]}")
    # the totals against what was generated
    hub = ret.totals[M.ALL_SUPPLIERS]
    for metric, generated in (
        ("OC_TOTAL_SUBMISSIONS", truth.received),
        ("PROCESSED", truth.processed),
        ("CANCELLED", truth.cancelled),
        (M.REASSIGNMENTS, truth.reassigned),
        ("BACKLOG_START", truth.open_at_start),
    ):
        if hub[metric] != generated:
            problems.append(f"hub {metric}: ours {hub[metric]}, generated {generated}")
    # the file: every row, with the same figures
    per_day = len(ret.metric_order())
    if csv_rows != len(ret.days) * len(codes) * per_day:
        problems.append(f"CSV rows {csv_rows}, expected {len(ret.days)}x{len(codes)}x{per_day}")
    with open(csv_path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if tuple(header) != M.COLUMNS:
            problems.append(f"CSV header {header}")
        in_file: dict[tuple, str] = {
            (r[0], r[3], r[5], r[6]): r[7] for r in reader if r[5] == M.ALL_SUPPLIERS
        }
    for key, n in want.items():
        if key[2] == M.ALL_SUPPLIERS and in_file.get(key) != str(n):
            problems.append(f"CSV {key}: {in_file.get(key)!r}, baseline {n}")
            break
    return problems


# -- diagnosis ------------------------------------------------------------------------------------


def profile(svc: HubService, out: Path, top: int = 25) -> str:
    """cProfile of one run of ours, and the time of each SQL statement it runs (the store's
    `_rows` wrapped with a timer for this run only)."""
    timed: list[tuple[str, float, int]] = []
    original = store_returns._rows

    def timed_rows(conn: Connection, sql: str, params: tuple[object, ...]) -> Iterator[tuple]:
        t0 = time.perf_counter()
        rows = list(original(conn, sql, params))
        timed.append((" ".join(sql.split()), time.perf_counter() - t0, len(rows)))
        yield from rows

    store_returns._rows = timed_rows
    try:
        t0 = time.perf_counter()
        run_ours(svc, out)
        unprofiled = time.perf_counter() - t0
    finally:
        store_returns._rows = original
    buf = io.StringIO()
    buf.write(f"one run of ours, statements timed (execute + fetchall), {unprofiled:.3f} s:\n")
    for sql, secs, rows in timed:
        buf.write(f"  {secs * 1000:8.1f} ms  {rows:7,} rows  {sql[:140]}\n")
    buf.write(f"  {sum(t for _, t, _ in timed) * 1000:8.1f} ms  in all SQL\n\n")
    prof = cProfile.Profile()
    prof.enable()
    run_ours(svc, out)
    prof.disable()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def explain(svc: HubService, conn: sqlite3.Connection, out: Path, reps: int = 5) -> str:
    """Every statement of ours (caught from one run) and of the baseline, replayed on the bare
    driver: median execute + fetchall of `reps`, rows, and SQLite's query plan."""
    caught: list[tuple[str, tuple]] = []
    original = store_returns._rows

    def catch(conn: Connection, sql: str, params: tuple[object, ...]) -> Iterator[tuple]:
        caught.append((sql, tuple(params)))
        yield from original(conn, sql, params)

    store_returns._rows = catch
    try:
        run_ours(svc, out)
    finally:
        store_returns._rows = original
    buf = io.StringIO()
    sides = (
        ("ours", [(f"ours[{k}]", sql, params) for k, (sql, params) in enumerate(caught)]),
        ("baseline", baseline_queries()),
    )
    for side, statements in sides:
        buf.write(f"{side}: statements on the bare driver, median of {reps} execute + fetchall\n")
        total = 0.0
        for name, sql, params in statements:
            times, rows = [], 0
            for _ in range(reps):
                t0 = time.perf_counter()
                rows = len(conn.execute(sql, params).fetchall())
                times.append(time.perf_counter() - t0)
            total += statistics.median(times)
            plan = [r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
            buf.write(
                f"  {statistics.median(times) * 1000:8.1f} ms {rows:8,} rows  {name}: "
                f"{' '.join(sql.split())[:110]}\n      plan: {'; '.join(plan)}\n"
            )
        buf.write(f"  {total * 1000:8.1f} ms  in all\n\n")
    return buf.getvalue()


# -- report ---------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--outcomes", type=int, default=150_000, help="outcomes in the month")
    ap.add_argument("--reps", type=int, default=7, help="timed pairs (one run of each side)")
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--profile", action="store_true", help="cProfile one run of ours")
    ap.add_argument("--explain", action="store_true", help="time and plan every SQL statement")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="ehub-bench-") as tmp:
        work = Path(tmp)
        template = work / "template"
        template.mkdir()
        t0 = time.perf_counter()
        _settings, truth = build_hub(template, args.outcomes, args.seed)
        print(
            f"built a hub in {time.perf_counter() - t0:.1f} s: {truth.consultations:,} "
            f"consultations, {truth.processed:,} outcomes, {truth.cancelled:,} cancelled, "
            f"{truth.reassigned:,} reassignments in the month, {truth.open_at_start:,} open at "
            f"the start, {truth.audit_events:,} audit events",
            flush=True,
        )
        out = work / f"ehub-return-{FIRST}_{LAST}.csv"

        def fresh(name: str) -> Path:
            folder = work / name
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(template, folder)
            return folder

        # the check that both sides did the same counting (on copies of their own)
        check_dir = fresh("check")
        svc = HubService.open(hub_settings(check_dir), MANAGER, clock=lambda: NOW)
        ret, csv_rows, _, _ = run_ours(svc, out)
        svc.close()
        conn = sqlite3.connect(fresh("check-base") / "hub.sqlite3", isolation_level=None)
        base, _ = run_baseline(conn)
        conn.close()
        problems = check(ret, out, csv_rows, base, truth)
        if problems:
            print(f"ours and the baseline disagree ({len(problems)}):", file=sys.stderr)
            for p in problems[:20]:
                print(f"  {p}", file=sys.stderr)
            raise SystemExit(1)
        processed = ret.totals[M.ALL_SUPPLIERS]["PROCESSED"]
        print(
            f"checked: {len(ret.days)} days x {len(ret.practices)} practices, every count equal "
            f"(ours, baseline, generated); CSV {csv_rows:,} rows, {out.stat().st_size:,} bytes",
            flush=True,
        )

        build_t: list[float] = []
        write_t: list[float] = []

        def ours(i: int) -> float:
            folder = fresh(f"ours-{i + 100}")
            svc = HubService.open(hub_settings(folder), MANAGER, clock=lambda: NOW)
            ret, rows, b, w = run_ours(svc, out)
            svc.close()
            if rows != csv_rows or ret.totals[M.ALL_SUPPLIERS]["PROCESSED"] != processed:
                raise SystemExit("a timed run of ours gave a different return")
            shutil.rmtree(folder)
            if i >= 1:
                build_t.append(b)
                write_t.append(w)
            return b + w

        def baseline(i: int) -> float:
            folder = fresh(f"base-{i + 100}")
            conn = sqlite3.connect(folder / "hub.sqlite3", isolation_level=None)
            _, t = run_baseline(conn)
            conn.close()
            shutil.rmtree(folder)
            return t

        samples = interleave(args.reps, ours, baseline, warmup=1, progress=print)
        report = ""
        if args.explain or args.profile:
            svc = HubService.open(hub_settings(check_dir), MANAGER, clock=lambda: NOW)
            conn = sqlite3.connect(check_dir / "hub.sqlite3", isolation_level=None)
            report = explain(svc, conn, out) if args.explain else ""
            report += profile(svc, out) if args.profile else ""
            conn.close()
            svc.close()

    print(
        f"ours: daily_return median {statistics.median(build_t):.3f} s, write_csv "
        f"{statistics.median(write_t):.3f} s; the baseline computes counts only (no waiting "
        "times, percentiles, cells or file)"
    )
    result = comparison(
        "export_month",
        "s",
        samples,
        target=TARGET,
        month=f"{FIRST} to {LAST} (BST to GMT on 2026-10-25)",
        outcomes=truth.processed,
        ours_daily_return=round(statistics.median(build_t), 4),
        ours_write_csv=round(statistics.median(write_t), 4),
    )
    if report:
        print("\n" + report)
    emit(
        "export",
        [result],
        outcomes=truth.processed,
        consultations=truth.consultations,
        received=truth.received,
        cancelled=truth.cancelled,
        reassignments=truth.reassigned,
        open_at_start=truth.open_at_start,
        audit_events=truth.audit_events,
        rows=csv_rows,
        reps=args.reps,
        checked=True,
    )


if __name__ == "__main__":
    main()
