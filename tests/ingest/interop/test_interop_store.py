"""A Bulk export folder ingested into a real SQLite hub: the folder's files are read as one
export (Patient.ndjson and Organization.ndjson hold no records and are not failures), and a
partial birth date is stored with its precision and read back as an approximate age."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.domain.patient import age_label
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.ingest.runner import Ingester
from ehub_tui.service import HubService
from ehub_tui.ui.format import age_sex
from tests.ingest.interop.corpus import bulk_export, patient, write_ndjson


def test_bulk_export_folder_into_the_hub(hub: HubService, tmp_path: Path) -> None:
    folder = bulk_export(tmp_path / "export", count=2)
    # a partial birth date on the first patient (1950-01 -> month precision)
    pats = [
        patient(f"pat-{i}", nhs=make_test_nhs_number(7000 + i), birth=b)
        for i, b in enumerate(("1950-01", "1951"))
    ]
    write_ndjson(folder / "Patient.ndjson", pats)
    report = Ingester(hub).ingest_paths([folder])
    by_name = {Path(f.path).name: f for f in report.files}
    assert not report.failed_files
    assert (by_name["Patient.ndjson"].records, by_name["Organization.ndjson"].records) == (0, 0)
    assert by_name["QuestionnaireResponse.ndjson"].new == 2, report.as_dict()
    items = [hub.consultation(i) for i in report.new_ids]
    got = {(c.external_id, c.date_of_birth, c.dob_precision, c.practice_ods) for c in items}
    assert got == {
        ("ACX-BULK-0", date(1950, 1, 1), "month", "Z99002"),
        ("ACX-BULK-1", date(1951, 1, 1), "year", "Z99002"),
    }
    first = next(c for c in items if c.external_id == "ACX-BULK-0")
    assert age_label(first.date_of_birth, date(2026, 11, 23), first.dob_precision) == "≈76"
    # the queue's rows carry it too, and the queue and triage screens show the age as ≈
    rows, _ = hub.queue_page("queue", QueueFilter(), 0, 50)
    row = next(r for r in rows if r.id == first.id)
    assert row.dob_precision == "month"
    assert age_sex(row.date_of_birth, row.sex, date(2026, 11, 23), row.dob_precision)[0] == "≈"
    assert hub.verify_audit().ok
