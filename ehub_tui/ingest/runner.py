"""Ingest files of online consultations into the hub: parse, validate, store or quarantine.

Good records of a file are stored even when others in it are bad; each bad record is quarantined
with its file, location and a plain-English reason. A file that cannot be read at all (empty,
binary, not UTF-8, truncated JSON) is reported and nothing of it is stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ehub_tui.ingest.parsers import (
    FileError,
    detect_format,
    gc_paused,
    iter_paths,
    parse_text,
    read_text,
)
from ehub_tui.ingest.records import OCRecord, RawRecord
from ehub_tui.ingest.validate import validate
from ehub_tui.service import HubService, NotAvailable, RecordRejected

BATCH = 2000

# progress(event, path, done, total): event is "file" (a new file; total = its records) or
# "records" (done of total records of the current file are handled).
ProgressFn = Callable[[str, Path, int, int], None]


@dataclass(slots=True)
class FileReport:
    """What happened to one file."""

    path: str
    fmt: str = ""
    records: int = 0
    new: int = 0
    duplicate: int = 0
    quarantined: int = 0
    error: str | None = None


@dataclass(slots=True)
class IngestReport:
    """What happened to every file of one run."""

    files: list[FileReport] = field(default_factory=list)
    new_ids: list[int] = field(default_factory=list)

    @property
    def new(self) -> int:
        """New consultations stored."""
        return sum(f.new for f in self.files)

    @property
    def duplicate(self) -> int:
        """Records already stored (or repeated within the run)."""
        return sum(f.duplicate for f in self.files)

    @property
    def quarantined(self) -> int:
        """Records kept aside with a reason."""
        return sum(f.quarantined for f in self.files)

    @property
    def failed_files(self) -> list[FileReport]:
        """Files that could not be read at all."""
        return [f for f in self.files if f.error]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "files": [asdict(f) for f in self.files],
            "totals": {
                "files": len(self.files),
                "records": sum(f.records for f in self.files),
                "new": self.new,
                "duplicate": self.duplicate,
                "quarantined": self.quarantined,
                "failed_files": len(self.failed_files),
            },
        }


def record_to_row(rec: OCRecord) -> dict[str, Any]:
    """The consultation row for a validated record."""
    return {
        "source": rec.source,
        "external_id": rec.external_id,
        "practice_ods": rec.practice_ods,
        "nhs_number": rec.nhs_number,
        "given_name": rec.given_name,
        "family_name": rec.family_name,
        "date_of_birth": rec.date_of_birth,
        "sex": rec.sex,
        "received_at": rec.received_at,
        "request_type": rec.request_type,
        "template": rec.template,
        "answers": rec.answers,
        "free_text": rec.free_text,
        "supplier_flags": list(rec.supplier_flags),
        "priority": rec.priority,
    }


class Ingester:
    """Ingests files through a HubService (which checks the role and writes the audit)."""

    def __init__(self, service: HubService, *, batch: int = BATCH) -> None:
        self.service = service
        self.batch = batch
        self._practices: set[str] | None = None

    def _known(self) -> set[str]:
        if self._practices is None:
            self._practices = self.service.practice_codes()
        return self._practices

    def _today(self) -> Any:
        return self.service.today()

    def ingest_paths(
        self, paths: Iterable[Path], progress: ProgressFn | None = None
    ) -> IngestReport:
        """Ingest files and folders; a path that does not exist is reported as a failed file."""
        report = IngestReport()
        for p in paths:
            try:
                files = list(iter_paths([p]))
            except FileError as exc:
                report.files.append(FileReport(str(p), error=str(exc)))
                continue
            for f in files:
                report.files.append(self.ingest_file(f, report.new_ids, progress))
        return report

    def ingest_file(
        self, path: Path, new_ids: list[int] | None = None, progress: ProgressFn | None = None
    ) -> FileReport:
        """Ingest one file; file-level problems go in the report's ``error``."""
        fr = FileReport(str(path))
        self._practices = None  # re-read per file: practices may be added while watching
        try:
            text = read_text(path)
            fr.fmt = detect_format(path, text)
            records = list(parse_text(text, fr.fmt, str(path)))
        except FileError as exc:
            fr.error = str(exc)
            return fr
        except OSError as exc:
            fr.error = f"{path}: cannot be read ({exc.strerror or exc})"
            return fr
        fr.records = len(records)
        if progress:
            progress("file", path, 0, len(records))
        with gc_paused():  # no cycles are made here; see parsers.gc_paused
            self.store_records(records, str(path), fr, new_ids, progress, path)
        return fr

    def store_records(
        self,
        records: Sequence[RawRecord],
        source_file: str,
        fr: FileReport,
        new_ids: list[int] | None = None,
        progress: ProgressFn | None = None,
        path: Path | None = None,
    ) -> None:
        """Validate records and store them in batches, quarantining the bad ones."""
        known = self._known()
        today = self._today()
        for start in range(0, len(records), self.batch):
            chunk = records[start : start + self.batch]
            rows: list[dict[str, Any]] = []
            bad: list[dict[str, Any]] = []
            for raw in chunk:
                problems: list[str]
                if raw.data is None:
                    problems = [raw.error or "the record could not be read"]
                    rec = None
                else:
                    rec, problems = validate(raw.data, known, today)
                if rec is None:
                    data = raw.data or {}
                    bad.append(
                        {
                            "source_file": source_file,
                            "location": raw.location,
                            "reason": "; ".join(problems),
                            "raw": raw.raw,
                            "fmt": fr.fmt,
                            "source": _str_or_none(data.get("source")),
                            "external_id": _str_or_none(data.get("external_id")),
                        }
                    )
                else:
                    rows.append(record_to_row(rec))
            created = self._store_batch(rows, bad, source_file, fr.fmt)
            fr.new += len(created)
            fr.duplicate += len(rows) - len(created)
            fr.quarantined += len(bad)
            if new_ids is not None:
                new_ids.extend(i for _, i in created)
            if progress and path is not None:
                progress("records", path, min(start + self.batch, len(records)), len(records))

    def _store_batch(
        self, rows: list[dict[str, Any]], bad: list[dict[str, Any]], source_file: str, fmt: str
    ) -> list[tuple[int, int]]:
        """Store a batch; if the database refuses it, store row by row so one record that the
        database cannot take is quarantined and every other one is still stored."""
        try:
            created, _ = self.service.store_intake(rows, bad)
            return created
        except RecordRejected:
            pass
        created = []
        for i, row in enumerate(rows):
            try:
                got, _ = self.service.store_intake([row])
                created.extend((i, cid) for _, cid in got)
            except RecordRejected as exc:
                bad.append(
                    {
                        "source_file": source_file,
                        "location": f"record {row['source']} {row['external_id']}"[:200],
                        "reason": str(exc),
                        "raw": json.dumps(row, default=str, ensure_ascii=False),
                        "fmt": "row",
                        "source": _str_or_none(row.get("source")),
                        "external_id": _str_or_none(row.get("external_id")),
                    }
                )
        self.service.store_intake([], bad)
        return created

    def retry_quarantined(self, qid: int) -> tuple[str, list[str]]:
        """Try a quarantined record again (e.g. after its practice was added).

        Returns ("stored" | "duplicate" | "still_bad" | "closed", problems).
        """
        entry = self.service.get_quarantine(qid)
        if entry["status"] != "open":
            return "closed", [f"quarantined record {qid} is already {entry['status']}"]
        try:
            records = list(parse_text(entry["raw"], entry["fmt"], entry["source_file"]))
        except FileError as exc:
            return "still_bad", [str(exc)]
        if len(records) != 1 or records[0].data is None:
            problems = [records[0].error or "unreadable"] if records else ["no record found"]
            return "still_bad", [p for p in problems if p]
        self._practices = None  # practices may have been added since
        rec, problems = validate(records[0].data, self._known(), self._today())
        if rec is None:
            return "still_bad", problems
        try:
            _, new = self.service.release_quarantined(qid, record_to_row(rec))
        except NotAvailable as exc:
            return "closed", [str(exc)]
        except RecordRejected as exc:
            return "still_bad", [str(exc)]
        return ("stored" if new else "duplicate"), []


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:255]
