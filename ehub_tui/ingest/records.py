"""Record types passed between the parsers, the validator and the store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ehub_tui.domain.types import Priority


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """How much a supplier file may hold (settings ``max_field_chars``, ``max_record_bytes``,
    ``max_file_bytes``, ``oldest_received``; the defaults are the settings' defaults).

    A record over a limit is quarantined with a reason naming the limit and its setting, so
    raising the setting and retrying stores it; a file over ``max_file_bytes`` is not read.

    Also how a supplier's FHIR is read (issue 16): ``supplier_systems`` (an identifier system ->
    the supplier it names; setting ``supplier_systems``) and ``mappings`` (the per-supplier
    Questionnaire mappings of setting ``questionnaire_mapping_file``; see ingest.qmap).
    """

    max_field_chars: int = 20_000
    max_record_bytes: int = 1_048_576
    max_file_bytes: int = 512 * 1_048_576
    max_streamed_file_bytes: int = 64 * 1_073_741_824  # a file read a record at a time
    oldest_received: date = date(2020, 1, 1)
    supplier_systems: Mapping[str, str] = field(default_factory=dict)
    mappings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Any) -> IngestLimits:
        """The limits of an :class:`ehub_tui.config.Settings` (or anything with those names).

        Reads the Questionnaire mapping file the settings name; a bad one raises ConfigError
        naming the file, line and key.
        """
        from ehub_tui.ingest.qmap import load_mappings, mapping_path

        mapping_file: Path | None = getattr(settings, "questionnaire_mapping_file", None)
        return cls(
            max_field_chars=settings.max_field_chars,
            max_record_bytes=settings.max_record_bytes,
            max_file_bytes=settings.max_file_bytes,
            max_streamed_file_bytes=getattr(
                settings, "max_streamed_file_bytes", DEFAULT_LIMITS.max_streamed_file_bytes
            ),
            oldest_received=settings.oldest_received,
            supplier_systems=dict(getattr(settings, "supplier_systems", None) or {}),
            mappings=load_mappings(mapping_path(mapping_file)) if mapping_file else {},
        )


DEFAULT_LIMITS = IngestLimits()


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as read from a file, before validation.

    ``location`` is ``"line N"`` (CSV and NDJSON: the physical line where the record starts; a CSV
    header is line 1), ``"entry N"`` (a Bundle, 1-based), ``"line N, entry M"`` (a Bundle on an
    NDJSON line) or ``"resource"`` (a file holding one resource).
    ``data`` holds the OC fields of docs/formats.md as extracted, or None when the record could not
    be read, in which case ``error`` says why in plain English.
    ``raw`` is the record's own text, itself a valid input file of the same kind, for quarantine
    and retry.
    """

    location: str
    data: dict[str, Any] | None
    raw: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class OCRecord:
    """A validated online consultation."""

    source: str
    external_id: str
    practice_ods: str
    nhs_number: str  # ten digits, no spaces
    given_name: str
    family_name: str
    date_of_birth: date
    sex: str  # male | female | other | unknown
    received_at: datetime  # timezone-aware, UTC
    request_type: str  # clinical | admin | other
    template: str | None
    answers: dict[str, Any]
    free_text: str
    supplier_flags: tuple[str, ...]
    # issue 16 contract: the QuestionnaireResponse.status (FHIR: in-progress, completed, amended,
    # entered-in-error, stopped); CSV and records without one are "completed". What each does at
    # intake is ehub_tui/store/intake.py's (in-progress waits, entered-in-error withdraws...).
    status: str = "completed"
    # how much of the date of birth the supplier gave: "day", or "month"/"year" for a partial
    # FHIR birthDate (1970-09, 1970), whose date_of_birth is then the first day of that part
    dob_precision: str = "day"

    @property
    def priority(self) -> int:
        """Queue priority from the supplier flags: 2 emergency, 1 urgent, 0 normal."""
        # a plain int for the store (a database driver may write an enum by its name)
        return int(Priority.from_flags(self.supplier_flags))
