"""The ingest runner's helpers: the consultation to store for a record, the log line of a file,
a record's size (kept beside :mod:`ehub_tui.ingest.runner` so that module stays small)."""

from __future__ import annotations

import logging
from typing import Any

from ehub_tui.domain.models import NewConsultation, RecordOrigin
from ehub_tui.ingest.records import OCRecord
from ehub_tui.ingest.reports import FileReport

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


def _default_suppliers() -> list[str]:
    from ehub_tui.config import Settings

    factory = Settings.model_fields["suppliers"].default_factory
    return list(factory()) if factory is not None else []  # type: ignore[call-arg]


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)[:255]
