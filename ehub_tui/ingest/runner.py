"""Ingest files of online consultations into the hub: parse, validate, store or quarantine.

Good records of a file are stored even when others in it are bad; each bad record is quarantined
with its file, location and a plain-English reason (naming fields, never quoting a patient's
details). A bad byte or a NUL costs only its record. A record re-sent with the same supplier id
but a different patient or request is quarantined as a conflicting duplicate (see
``ehub_tui.store.intake``). A file that cannot be read at all (empty, binary, UTF-16, too big,
truncated JSON, a CSV without a header) is reported and nothing of it is stored.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ehub_tui.domain.models import NewConsultation, RecordOrigin
from ehub_tui.domain.suppliers import OTHER, supplier_code
from ehub_tui.errors import FileError, NotAvailable, RecordRejected, StoreError
from ehub_tui.ingest.bundle_stream import open_any
from ehub_tui.ingest.decode import read_text
from ehub_tui.ingest.gcpause import gc_paused
from ehub_tui.ingest.parsers import FORMATS, detect_format, iter_paths, parse_text
from ehub_tui.ingest.records import DEFAULT_LIMITS, IngestLimits, RawRecord
from ehub_tui.ingest.reports import FileReport as FileReport  # (re-exported: CLI, tests)
from ehub_tui.ingest.reports import IngestReport as IngestReport  # (re-exported: CLI)
from ehub_tui.ingest.reports import count_handled
from ehub_tui.ingest.runner_util import (
    _LOST_TEXT,
    _default_suppliers,
    _record_bytes,
    _str_or_none,
    bad_record,
    freeze_old,
    judge,
    old_objects_frozen,
)
from ehub_tui.ingest.runner_util import log_file_report as log_file_report  # (re-exported)
from ehub_tui.ingest.runner_util import new_consultation as new_consultation  # (re-exported)
from ehub_tui.ingest.stream import Streamed
from ehub_tui.ingest.validate import validate
from ehub_tui.service import HubService

if TYPE_CHECKING:
    from ehub_tui.client.service import ClientService
from ehub_tui.store.intake import ConflictingDuplicate, row_json

BATCH = 2000

# Files this big are read a line at a time (NDJSON, CSV: ingest.stream); smaller ones whole.
STREAM_MIN_BYTES = 4 * 1_048_576

# Lines say which file and how many records, never what a record holds (see ehub_tui.logs).
log = logging.getLogger(__name__)

# progress(event, path, done, total): "file" (a new file; total = its records), "records" (done
# of total records handled); a streamed file: "file-bytes" (total = bytes), "bytes" (done).
ProgressFn = Callable[[str, Path, int, int], None]


class Ingester:
    """Ingests files through a HubService (which checks the role and writes the audit).

    ``settings`` (an :class:`ehub_tui.config.Settings`) gives the size limits, the oldest
    plausible received time and the known suppliers; without it the settings' defaults apply.
    """

    def __init__(
        self,
        service: HubService | ClientService,
        *,
        batch: int = BATCH,
        settings: Any = None,
        screen_batches: bool = False,
        stream_min_bytes: int = STREAM_MIN_BYTES,
    ) -> None:
        self.service = service
        self.batch = batch
        # screen each stored batch for red flags at once (the CLI): ``screened`` counts them
        self.screen_batches = screen_batches
        self.screened = 0
        self._can_screen: bool | None = None  # asked once per Ingester (loads the SOPs once)
        self.stream_min_bytes = stream_min_bytes
        self.limits: IngestLimits = (
            IngestLimits.from_settings(settings) if settings is not None else DEFAULT_LIMITS
        )
        self.suppliers: tuple[str, ...] = tuple(
            settings.suppliers if settings is not None else _default_suppliers()
        )
        self._practices: set[str] | None = None
        # what the store did with the current batch's status records (see _store_batch)
        self._handled: list[str] = []
        self._frozen = False  # inside ingest_paths: long-lived objects out of the gc's passes

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
        was, self._frozen = self._frozen, True
        try:
            with old_objects_frozen():
                return self._ingest_paths(paths, progress)
        finally:
            self._frozen = was

    def _ingest_paths(self, paths: Iterable[Path], progress: ProgressFn | None) -> IngestReport:
        report = IngestReport()
        for p in paths:
            try:
                files = list(iter_paths([p]))
            except FileError as exc:
                log.info("not read: %s", exc)
                report.files.append(FileReport(str(p), error=str(exc)))
                continue
            for f in files:
                report.files.append(self.ingest_file(f, report.new_ids, progress))
        log.info(
            "ingest finished: %d file(s), %d not read; %d new, %d duplicate, %d quarantined",
            len(report.files),
            len(report.failed_files),
            report.new,
            report.duplicate,
            report.quarantined,
        )
        return report

    def ingest_file(
        self, path: Path, new_ids: list[int] | None = None, progress: ProgressFn | None = None
    ) -> FileReport:
        """Ingest one file; file-level problems go in the report's ``error``."""
        fr = FileReport(str(path))
        self._practices = None  # re-read per file: practices may be added while watching
        log.debug("reading %s", path)
        try:
            streamed = self._open_stream(path)
        except FileError as exc:
            fr.error = str(exc)
            log.info("not read: %s", fr.error)
            return fr
        if streamed is not None:
            return self._ingest_stream(path, streamed, fr, new_ids, progress)
        try:
            text = read_text(path, max_bytes=self.limits.max_file_bytes)
            fr.fmt = detect_format(path, text)
            records = list(parse_text(text, fr.fmt, str(path)))
        except FileError as exc:
            fr.error = str(exc)  # names the file and the problem, never a record's contents
            log.info("not read: %s", fr.error)
            return fr
        except OSError as exc:
            fr.error = f"{path}: cannot be read ({exc.strerror or exc})"
            log.info("not read: %s", fr.error)
            return fr
        fr.records = len(records)
        if progress:
            progress("file", path, 0, len(records))
        with gc_paused():  # no cycles are made here; see ingest.gcpause
            self.store_records(records, str(path), fr, new_ids, progress, path)
        log_file_report(fr)
        return fr

    def _open_stream(self, path: Path) -> Streamed | None:
        """The file opened as a stream when it is big enough and NDJSON, CSV or a FHIR Bundle,
        else None (read whole); see :func:`ehub_tui.ingest.bundle_stream.open_any`."""
        return open_any(path, self.limits, self.stream_min_bytes)

    def _ingest_stream(
        self,
        path: Path,
        streamed: Streamed,
        fr: FileReport,
        new_ids: list[int] | None,
        progress: ProgressFn | None,
    ) -> FileReport:
        """Ingest a file as it is read, a batch at a time: memory stays flat in its size."""
        fr.fmt = streamed.fmt
        try:
            records = streamed.records
            try:
                first = next(records)  # a CSV header's problem is the file's: nothing stored
            except StopIteration:
                first = None
            if progress:
                progress("file-bytes", path, 0, streamed.size)
            head = [] if first is None else [first]
            self.store_records(
                chain(head, records), str(path), fr, new_ids, progress, path, streamed
            )
        except FileError as exc:
            fr.error = str(exc)
            log.info("not read: %s", fr.error)
            return fr
        except OSError as exc:
            fr.error = f"{path}: cannot be read ({exc.strerror or exc})"
            log.info("not read: %s", fr.error)
            return fr
        finally:
            streamed.close()
        log_file_report(fr)
        return fr

    def store_records(
        self,
        records: Iterable[RawRecord],
        source_file: str,
        fr: FileReport,
        new_ids: list[int] | None = None,
        progress: ProgressFn | None = None,
        path: Path | None = None,
        streamed: Streamed | None = None,
    ) -> None:
        """Validate records and store them in batches, quarantining the bad ones.

        ``records`` is a list (whole-file path) or, with ``streamed``, read as batches are
        stored: then ``fr.records`` is counted here and progress is in bytes.
        """
        known = self._known()
        today = self._today()
        limits = self.limits
        sources: Counter[str] = Counter()
        total = len(records) if isinstance(records, Sequence) else 0
        it = iter(records)
        start = 0
        while chunk := list(islice(it, self.batch)):
            if streamed is not None:
                fr.records += len(chunk)
            items: list[NewConsultation] = []
            bad: list[dict[str, Any]] = []
            for raw in chunk:
                rec, problems = judge(raw, fr.fmt, known, today, limits)
                if rec is None:
                    bad.append(bad_record(raw, source_file, fr.fmt, problems))
                else:
                    sources[rec.source] += 1
                    # where it came from, should it be a conflicting duplicate (store.intake)
                    origin = RecordOrigin(source_file, raw.location, raw.raw, fr.fmt)
                    items.append(new_consultation(rec, origin))
            self._handled = []
            created, conflicting = self._store_batch(items, bad, source_file)
            handled = self._handled
            fr.new += len(created)
            fr.duplicate += len(items) - len(created) - conflicting - len(handled)
            fr.conflicting += conflicting
            fr.quarantined += len(bad) + conflicting + count_handled(fr, handled)
            if new_ids is not None:
                new_ids.extend(i for _, i in created)
            if created and self.screen_batches:
                self._screen(len(created))
            start += len(chunk)
            if progress and path is not None:
                if streamed is not None:
                    progress("bytes", path, streamed.position(), streamed.size)
                else:
                    progress("records", path, start, total)
        for source, n in sources.items():
            if supplier_code(source, self.suppliers) == OTHER:
                fr.unknown_suppliers[source] = fr.unknown_suppliers.get(source, 0) + n

    def _screen(self, new: int) -> None:
        """Screen a stored batch's new consultations for red flags (written in bulk, one audit
        event a batch). The SOPs are loaded and checked once per Ingester, not per batch."""
        if self._can_screen is None:
            self._can_screen = self.service.guidance_state().available
            if self._frozen:
                freeze_old()  # the SOP engine just loaded lives as long as the hub's service
        if self._can_screen:
            # the unscreened, oldest first: this batch's new ones (and any left from before)
            self.screened += self.service.prescreen(new)

    def _store_batch(
        self, items: list[NewConsultation], bad: list[dict[str, Any]], source_file: str
    ) -> tuple[list[tuple[int, int]], int]:
        """Store a batch; if the database refuses it, store item by item so one record that the
        database cannot take is quarantined and every other one is still stored. Returns
        (item index, new id) of the new ones and how many were quarantined as conflicts; what
        was done with those whose response status is not plain completed (waiting, ...) is
        added to ``self._handled`` (the return stays a pair: cli/demotime.py overrides this)."""
        try:
            result = self.service.store_intake(items, bad)
            self._handled.extend(w for _, w in result.handled)
            return result.created, len(result.conflicting)
        except RecordRejected:
            log.info(
                "the hub refused a batch of %d record(s) from %s; storing them one by one",
                len(items),
                source_file,
            )
        created: list[tuple[int, int]] = []
        conflicting = 0
        for i, item in enumerate(items):
            try:
                one = self.service.store_intake([item])
                created.extend((i, cid) for _, cid in one.created)
                conflicting += len(one.conflicting)
                self._handled.extend(w for _, w in one.handled)
            except RecordRejected as exc:
                bad.append(
                    {
                        "source_file": source_file,
                        "location": f"record {item.source} {item.external_id}"[:200],
                        "reason": str(exc),
                        "raw": row_json(item.columns()),
                        "fmt": "row",
                        "source": _str_or_none(item.source),
                        "external_id": _str_or_none(item.external_id),
                    }
                )
        self.service.store_intake([], bad)
        return created, conflicting

    def retry_quarantined(self, qid: int) -> tuple[str, list[str]]:
        """Try a quarantined record again (e.g. after its practice was added).

        Returns ("stored" | "duplicate" | "still_bad" | "closed", problems).
        """
        result, problems = self._retry(qid)
        # the problems name fields and may quote a practice code: the log keeps only the count
        log.info(
            "quarantined record %d tried again: %s (%d problem(s))", qid, result, len(problems)
        )
        return result, problems

    def _retry(self, qid: int) -> tuple[str, list[str]]:
        entry = self.service.quarantine_entry(qid)
        if entry.status != "open":
            return "closed", [f"quarantined record {qid} is already {entry.status}"]
        raw = entry.raw or ""  # read for one entry, and stored as "" at the least
        if entry.fmt not in FORMATS:
            return "still_bad", [
                "this record was not read from a file, so it cannot be read again: discard it "
                "once it has been dealt with"
            ]
        if "\ufffd" in raw and _LOST_TEXT in entry.reason:
            # NULs and bytes that were not UTF-8 could not be kept in the raw text (they show as
            # U+FFFD there); reading it again would store the replacement characters.
            return "still_bad", [
                "the record held characters that could not be kept (shown as \ufffd): fix the "
                "file it came from and ingest that again, then discard this entry"
            ]
        try:
            records = list(parse_text(raw, entry.fmt, entry.source_file))
        except FileError as exc:
            return "still_bad", [str(exc)]
        if len(records) != 1 or records[0].data is None:
            problems = [records[0].error or "unreadable"] if records else ["no record found"]
            return "still_bad", [p for p in problems if p]
        limit = self.limits.max_record_bytes
        size = _record_bytes(records[0].raw, entry.fmt)
        if size > limit:
            return "still_bad", [
                f"the record is {size:,} bytes long; at most {limit:,} are allowed "
                "(setting max_record_bytes)"
            ]
        self._practices = None  # practices may have been added since
        rec, problems = validate(records[0].data, self._known(), self._today(), limits=self.limits)
        if rec is None:
            return "still_bad", problems
        if rec.status not in ("completed", "amended"):
            # a withdrawal, or a response that is not work (in progress, stopped): never
            # stored as work from here (a flag of a worked item withdrawn is one of these)
            return "still_bad", [
                f"this response's status is {rec.status}, so it is not stored as work from the "
                "quarantine: read its reason, act on it, then discard this entry saying what "
                "was done"
            ]
        # a conflicting duplicate stays here, never "released"
        item = new_consultation(rec, refuse_conflict=True)
        try:
            _, new = self.service.release_quarantined(qid, item)
        except NotAvailable as exc:
            return "closed", [str(exc)]
        except (RecordRejected, ConflictingDuplicate, StoreError) as exc:
            return "still_bad", [str(exc)]
        return ("stored" if new else "duplicate"), []
