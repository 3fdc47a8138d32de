"""The ingest runner's helpers: the consultation to store for a record, the log line of a file,
a record's size (kept beside :mod:`ehub_tui.ingest.runner` so that module stays small)."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ehub_tui.domain.models import NewConsultation, RecordOrigin
from ehub_tui.ingest.records import IngestLimits, OCRecord, RawRecord
from ehub_tui.ingest.reports import FileReport
from ehub_tui.ingest.validate import validate

# the runner's logger: lines say which file and how many records, never what a record holds
log = logging.getLogger("ehub_tui.ingest.runner")


def new_consultation(
    rec: OCRecord, origin: RecordOrigin | None = None, *, refuse_conflict: bool = False
) -> NewConsultation:
    """The consultation to store for a validated record (``origin``: where it was read from)."""
    return NewConsultation(
        source=rec.source,
        external_id=rec.external_id,
        practice_ods=rec.practice_ods,
        nhs_number=rec.nhs_number,
        given_name=rec.given_name,
        family_name=rec.family_name,
        date_of_birth=rec.date_of_birth,
        sex=rec.sex,
        received_at=rec.received_at,
        request_type=rec.request_type,
        template=rec.template,
        answers=rec.answers,
        free_text=rec.free_text,
        supplier_flags=list(rec.supplier_flags),
        priority=rec.priority,
        dob_precision=rec.dob_precision,  # issue 16: a partial FHIR birthDate
        origin=origin,
        refuse_conflict=refuse_conflict,
        response_status=rec.status,
    )


def judge(
    raw: RawRecord, fmt: str, known: set[str], today: Any, limits: IngestLimits
) -> tuple[OCRecord | None, list[str]]:
    """A read record validated (the record, no problems) or why it cannot be stored."""
    if raw.data is None:
        return None, [raw.error or "the record could not be read"]
    # A record's text can be up to 4 bytes a character: shorter ones need not be measured.
    if len(raw.raw) > limits.max_record_bytes // 4:
        size = _record_bytes(raw.raw, fmt)
        if size > limits.max_record_bytes:
            return None, [
                f"the record is {size:,} bytes long; at most "
                f"{limits.max_record_bytes:,} are allowed (setting max_record_bytes)"
            ]
    return validate(raw.data, known, today, limits=limits)


def bad_record(raw: RawRecord, source_file: str, fmt: str, problems: list[str]) -> dict[str, Any]:
    """The quarantine entry of a record that cannot be stored (the store writes it as it is)."""
    data = raw.data or {}
    return {
        "source_file": source_file,
        "location": raw.location,
        "reason": "; ".join(problems),
        "raw": raw.raw,
        "fmt": fmt,
        "source": _str_or_none(data.get("source")),
        "external_id": _str_or_none(data.get("external_id")),
    }


def log_file_report(fr: FileReport) -> None:
    """One log line for a file that was read: its counts (never its records' contents)."""
    others = sum(fr.unknown_suppliers.values())
    # response statuses (issue 16): counts only, and only those that happened
    statuses = ", ".join(f"{n} {k}" for k, n in fr.status_counts().items() if n)
    log.info(
        "read %s (%s): %d record(s): %d new, %d duplicate, %d quarantined (%d conflicting)%s%s",
        fr.path,
        fr.fmt or "?",
        fr.records,
        fr.new,
        fr.duplicate,
        fr.quarantined,
        fr.conflicting,
        f"; {others} from sources that are not known suppliers" if others else "",
        f"; statuses: {statuses}" if statuses else "",
    )


# In every reason validate gives for a NUL or a byte that was not UTF-8.
_LOST_TEXT = "cannot be stored"


def _record_bytes(raw: str, fmt: str) -> int:
    """The size of a record's own text in UTF-8 (a CSV record's raw text starts with the
    header, which is not counted)."""
    if fmt == "csv":
        raw = raw.split("\n", 1)[-1]
    return len(raw.encode("utf-8", "surrogatepass"))


@contextmanager
def old_objects_frozen() -> Iterator[None]:
    """Keep the objects that exist now (modules, the hub's engine and, once loaded, the SOP
    engine: see :func:`freeze_old`) out of the cyclic collector's passes while files are
    ingested, then hand them back to it.

    A streamed ingest allocates steadily, so the collector runs all through it, and each full
    pass walked every long-lived object again: ~10% of a 20k-item ingest's time (issue 18).
    Nothing is lost: the frozen objects are collected as before after ``unfreeze``.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def freeze_old() -> None:
    """Add what exists now (a just-loaded SOP engine) to the objects kept out of the
    collector's passes (inside :func:`old_objects_frozen` only)."""
    gc.freeze()


def _default_suppliers() -> list[str]:
    from ehub_tui.config import Settings

    factory = Settings.model_fields["suppliers"].default_factory
    return list(factory()) if factory is not None else []  # type: ignore[call-arg]


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:255]
