"""What an ingest run reports: per file (format, records, new, duplicate, quarantined, a file
error, sources that are not known suppliers) and for the whole run, as text counts or JSON.
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

    @property
    def failed_files(self) -> list[FileReport]:
        """Files that could not be read at all."""
        return [f for f in self.files if f.error]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary.

        ``conflicting`` and ``unknown_suppliers`` sit beside ``totals`` (whose keys are as
        they were): conflicting duplicates are already in ``totals.quarantined``.
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
        }
