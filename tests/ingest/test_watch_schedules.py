"""Acceptance: 100 randomised writer schedules through the inbox watcher lose nothing.

Each schedule has one to three senders writing a CSV, NDJSON or FHIR Bundle file into the inbox
in chunks, pausing at random byte offsets (in the middle of "urgent", inside a multi-byte
character, just after a line ending, anywhere) for random times, some longer than the settle
period. Most senders keep their file open the whole time (so what they write after the watcher
moved the file lands in processed/); some write ``NAME.part`` and rename it when done. Some
chunks are written while the watcher is storing that very file. The watcher is polled every
second of a clock the test moves, on a real SQLite hub. After every schedule:

- every record written is in the hub exactly once, every field as it was written (no "urg" for
  "urgent"), and nothing was quarantined;
- every file is in processed/ with every byte its sender wrote, none in failed/, none left in the
  inbox, and none changed since the watcher last read it.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ehub_tui.ingest.generate import CSV_FIELDS, FHIR_BASE, generate_records, to_fhir
from ehub_tui.ingest.records import RawRecord
from ehub_tui.ingest.runner import FileReport, Ingester
from ehub_tui.ingest.watch import InboxWatcher
from ehub_tui.service import HubService
from tests.ingest.conftest import Ticker

SCHEDULES = 100
SETTLE = 5.0
INTERVAL = 1.0

# Free text that tests a writer's cuts: commas, quotes, line endings inside a CSV value,
# characters of two, three and four bytes.
TEXTS = [
    "Sore throat for 3 days, worse at night",
    'He said "it burns", then "it stings"',
    "Rash on arm\nspreading since Monday\nno fever",
    "Cough, café visit, naïve question — is it ✓ contagious? 😷",
    'Line one\r\nline two, "quoted", end',
    "Zoë's ear hurts; ألم في الأذن; 耳痛",
    "Blood in urine, urgent please",
]
FLAGS: list[list[str]] = [[], ["urgent"], ["emergency"], ["urgent", "emergency"]]
FIELDS = (
    "given_name",
    "family_name",
    "nhs_number",
    "practice_ods",
    "sex",
    "request_type",
    "template",
    "free_text",
    "supplier_flags",
    "answers",
)


def expected_answers(fmt: str, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers as stored: FHIR has no lists, so a one-item list comes back as its item."""
    if fmt == "csv":
        return answers
    return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in answers.items()}


def make_records(rng: random.Random, seed: int) -> list[dict[str, Any]]:
    records = list(generate_records(rng.randint(2, 8), seed))
    for r in records:
        r["free_text"] = rng.choice(TEXTS)
        r["supplier_flags"] = list(rng.choice(FLAGS))
    return records


def render(rng: random.Random, fmt: str, records: list[dict[str, Any]]) -> bytes:
    """The file a sender writes: supplier CSV (LF or CRLF, perhaps a BOM), NDJSON, or a Bundle
    (one entry a line, or pretty-printed)."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator=rng.choice(["\n", "\r\n"]))
        writer.writerow(CSV_FIELDS)
        for r in records:
            row = []
            for name in CSV_FIELDS:
                if name == "answers":
                    row.append(json.dumps(r["answers"], ensure_ascii=False) if r["answers"] else "")
                elif name == "supplier_flags":
                    row.append(";".join(r["supplier_flags"]))
                else:
                    row.append(str(r[name]))
            writer.writerow(row)
        bom = "\ufeff" if rng.random() < 0.2 else ""
        return (bom + out.getvalue()).encode("utf-8")
    if fmt == "ndjson":
        lines = [json.dumps(to_fhir(r), ensure_ascii=False) + "\n" for r in records]
        return "".join(lines).encode("utf-8")
    entries = [
        {"fullUrl": f"{FHIR_BASE}/QuestionnaireResponse/{qr['id']}", "resource": qr}
        for qr in map(to_fhir, records)
    ]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    if rng.random() < 0.5:
        return (json.dumps(bundle, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    head = '{"resourceType":"Bundle","type":"collection","entry":[\n'
    body = ",\n".join(json.dumps(e, ensure_ascii=False) for e in entries)
    return (head + body + "\n]}\n").encode("utf-8")


def pick_cuts(rng: random.Random, data: bytes) -> list[int]:
    """Byte offsets where the sender pauses: random ones, and the awkward places on purpose."""
    cuts = {rng.randrange(1, len(data)) for _ in range(rng.randint(1, 6))}
    if b"urgent" in data and rng.random() < 0.6:
        cuts.add(data.index(b"urgent") + 3)  # "urg"
    if rng.random() < 0.6:
        ends = [i + 1 for i, b in enumerate(data[:-1]) if b == 0x0A]
        cuts.update(rng.sample(ends, min(len(ends), rng.randint(1, 3))))  # whole lines only
    if rng.random() < 0.4:
        wide = [i + 1 for i, b in enumerate(data) if b >= 0xC0]
        if wide:
            cuts.add(rng.choice(wide))  # inside a multi-byte character
    return sorted(c for c in cuts if 0 < c < len(data))


@dataclass
class Sender:
    """Writes ``data`` into the inbox chunk by chunk."""

    inbox: Path
    name: str
    data: bytes
    cuts: list[int]
    rename: bool  # write NAME.part, rename when done; else keep NAME open throughout
    pos: int = 0
    handle: BinaryIO | None = None

    def step(self) -> bool:
        """Write the next chunk; True when the whole file is written."""
        if self.handle is None:
            target = self.inbox / (self.name + ".part" if self.rename else self.name)
            self.handle = open(target, "wb", buffering=0)  # noqa: SIM115 (kept open on purpose)
        end = next((c for c in self.cuts if c > self.pos), len(self.data))
        self.handle.write(self.data[self.pos : end])
        self.pos = end
        if end < len(self.data):
            return False
        self.handle.close()
        if self.rename:
            os.rename(self.inbox / (self.name + ".part"), self.inbox / self.name)
        return True


@dataclass
class Schedule:
    rng: random.Random
    senders: list[Sender] = field(default_factory=list)
    active: list[Sender] = field(default_factory=list)

    def write_some(self) -> None:
        sender = self.rng.choice(self.active)
        if sender.step():
            self.active.remove(sender)


class WritesWhileStoring(Ingester):
    """A real Ingester; now and then a sender writes its next chunk while a file is stored."""

    def __init__(self, service: HubService, schedule: Schedule) -> None:
        super().__init__(service)
        self.schedule = schedule

    def store_records(
        self, records: Sequence[RawRecord], source_file: str, fr: FileReport, *args: Any
    ) -> None:
        if self.schedule.active and self.schedule.rng.random() < 0.3:
            self.schedule.write_some()
        super().store_records(records, source_file, fr, *args)


def run_schedule(number: int, hub: HubService, root: Path) -> tuple[list[str], int]:
    """Play one schedule; return what went wrong (nothing, when the watcher is right) and how
    many records were written."""
    rng = random.Random(number)
    inbox = root / f"schedule-{number:03d}"
    inbox.mkdir()
    schedule = Schedule(rng)
    written: dict[str, tuple[str, list[dict[str, Any]]]] = {}
    for j in range(rng.randint(1, 3)):
        fmt = rng.choice(["csv", "ndjson", "bundle"])
        records = make_records(rng, seed=number * 10 + j)
        data = render(rng, fmt, records)
        name = f"export-{j}.{ {'csv': 'csv', 'ndjson': 'ndjson', 'bundle': 'json'}[fmt] }"
        written[name] = fmt, records
        sender = Sender(inbox, name, data, pick_cuts(rng, data), rename=rng.random() < 0.2)
        schedule.senders.append(sender)
    schedule.active = list(schedule.senders)
    ticker = Ticker()
    watcher = InboxWatcher(
        WritesWhileStoring(hub, schedule), inbox, settle_seconds=SETTLE, clock=ticker
    )

    def wait(seconds: float) -> None:
        for _ in range(math.ceil(seconds / INTERVAL)):
            ticker.advance(INTERVAL)
            watcher.poll_once()

    while schedule.active:
        schedule.write_some()
        wait(rng.choice([0.0, rng.uniform(0, SETTLE), rng.uniform(SETTLE, 3 * SETTLE)]))
    wait(3 * SETTLE)

    problems: list[str] = []
    where = f"schedule {number}"
    if watcher.pending():
        problems.append(f"{where}: not completely read: {watcher.pending()}")
    left = sorted(p.name for p in inbox.iterdir())
    if left != ["failed", "processed"]:
        problems.append(f"{where}: left in the inbox: {left}")
    if any((inbox / "failed").iterdir()):
        problems.append(f"{where}: failed: {sorted(os.listdir(inbox / 'failed'))}")
    kept = sorted(p.read_bytes() for p in (inbox / "processed").rglob("*") if p.is_file())
    if kept != sorted(s.data for s in schedule.senders):
        problems.append(f"{where}: processed/ does not hold every file as written")
    for name, (fmt, records) in written.items():
        for r in records:
            cid = hub.find_consultation_id(r["source"], r["external_id"])
            if cid is None:
                problems.append(f"{where}: {name}: {r['external_id']} lost")
                continue
            got = hub.consultation(cid)
            for f in FIELDS:
                want = expected_answers(fmt, r[f]) if f == "answers" else r[f]
                if getattr(got, f) != want:
                    problems.append(
                        f"{where}: {name}: {r['external_id']} {f} stored as {getattr(got, f)!r}, "
                        f"written as {r[f]!r}"
                    )
            if got.date_of_birth.isoformat() != r["date_of_birth"]:
                problems.append(f"{where}: {name}: {r['external_id']} date_of_birth differs")
    return problems, sum(len(r) for _, r in written.values())


def test_100_randomised_writer_schedules_lose_nothing(hub: HubService, tmp_path: Path) -> None:
    problems: list[str] = []
    records = 0
    for number in range(SCHEDULES):
        found, n = run_schedule(number, hub, tmp_path)
        problems += found
        records += n
    assert problems == [], "\n".join(problems)
    quarantined = hub.quarantined()
    assert quarantined == [], [q.reason for q in quarantined]
    # each record exactly once: as many consultations as records written, every one found above
    assert sum(hub.queue_summary().by_status.values()) == records > 500
