"""What an ingest run reports: per file (format, records, new, duplicate, quarantined, a file
error, sources that are not known suppliers, what the responses' statuses did) and for the whole
run, as text counts or JSON.

Response statuses (issue 16, store/response_status.py): every record of a file is counted once,
as new, duplicate, quarantined, waiting (in progress), stopped, withdrawn (an unworked item
cancelled), withdrawn_unknown (a withdrawal of a response the hub never had) or amended (an
unworked item updated). ``flagged`` (a worked item withdrawn: shown to the supervisor) is a
quarantine entry, so counted in ``quarantined`` too, as ``conflicting`` is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class FileReport:
    """What happened to one file."""

    path: str
    fmt: str = ""
    records: int = 0
    new: int = 0
    duplicate: int = 0
    quarantined: int = 0  # conflicting duplicates included
    conflicting: int = 0  # quarantined as conflicting duplicates
    error: str | None = None
    # Sources of this file's valid records that are not known suppliers (settings.suppliers),
    # with how many records each: returns count them as OTHER, so the summary names them.
    unknown_suppliers: dict[str, int] = field(default_factory=dict)
    # issue 16: what the responses' statuses did (see the module's docstring)
    waiting: int = 0
    stopped: int = 0
    withdrawn: int = 0
    withdrawn_unknown: int = 0
    amended: int = 0
    flagged: int = 0  # in quarantined too

    def status_counts(self) -> dict[str, int]:
        """The status outcomes of this file, by name (zeros included)."""
        return {name: getattr(self, name) for name in STATUS_COUNTS}


# FileReport's counts of what response statuses did, in the order reports list them
STATUS_COUNTS = ("waiting", "stopped", "withdrawn", "withdrawn_unknown", "amended", "flagged")

# how a report says each, in words
STATUS_WORDS = {
    "waiting": "waiting (in progress)",
    "stopped": "stopped by the patient (not work)",
    "withdrawn": "withdrawn by the supplier (cancelled)",
    "withdrawn_unknown": "withdrawn before the hub had them (nothing stored)",
    "amended": "amended (item updated)",
    "flagged": "withdrawn after work began (flagged to the supervisor)",
}


def count_handled(fr: FileReport, handled: list[str]) -> int:
    """Add what the store did with status records (IntakeResult.handled's words) to ``fr``;
    returns how many of them were quarantine entries (flagged), for ``quarantined``."""
    flagged = 0
    for word in handled:
        if word in STATUS_COUNTS:
            setattr(fr, word, getattr(fr, word) + 1)
        flagged += word == "flagged"
    return flagged


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
    def conflicting(self) -> int:
        """Records quarantined as conflicting duplicates (counted in ``quarantined`` too)."""
        return sum(f.conflicting for f in self.files)

    @property
    def unknown_suppliers(self) -> dict[str, int]:
        """Sources that are not known suppliers, with their record counts, most first."""
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.unknown_suppliers)
        return dict(sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))

    def status_counts(self) -> dict[str, int]:
        """What the responses' statuses did over the whole run, by name (zeros included)."""
        return {name: sum(getattr(f, name) for f in self.files) for name in STATUS_COUNTS}

    @property
    def failed_files(self) -> list[FileReport]:
        """Files that could not be read at all."""
        return [f for f in self.files if f.error]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary.

        ``conflicting`` and ``unknown_suppliers`` sit beside ``totals`` (whose keys are as
        they were): conflicting duplicates are already in ``totals.quarantined``. So does
        ``statuses`` (issue 16): waiting, stopped, withdrawn, withdrawn_unknown, amended and
        flagged (flagged ones are in ``totals.quarantined`` too).
        """
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
            "conflicting": self.conflicting,
            "unknown_suppliers": self.unknown_suppliers,
            "statuses": self.status_counts(),
        }
