"""Response statuses in files (issue 16), on a real SQLite hub: records are handled in the order a
file gives them (a response and its withdrawal in one file: withdrawn, never left as work), and
the inbox watcher treats a file of only waiting, stopped or withdrawn records as read (moved to
processed/, its statuses counted in its JSON line), like any other."""

from __future__ import annotations

from pathlib import Path

from ehub_tui.ingest.runner import Ingester
from ehub_tui.ingest.watch import FileDone
from ehub_tui.service import HubService
from tests.ingest.conftest import Ticker
from tests.ingest.test_watch_rules import make_watcher, of, settle
from tests.support.fhir_status import SOURCE, response, write_ndjson


def test_a_response_and_its_withdrawal_in_one_file_leave_no_work(
    hub: HubService, tmp_path: Path
) -> None:
    path = write_ndjson(
        tmp_path / "a.ndjson",
        response(1),
        response(1, "entered-in-error"),
        response(2, "in-progress"),
        response(2),
    )
    report = Ingester(hub).ingest_paths([path])
    fr = report.files[0]
    assert (fr.new, fr.withdrawn, fr.waiting, fr.duplicate, fr.quarantined) == (2, 1, 1, 0, 0)
    one = hub.find_consultation_id(SOURCE, "ACX-S-1")
    two = hub.find_consultation_id(SOURCE, "ACX-S-2")
    assert one is not None and hub.consultation(one).status == "cancelled"
    assert two is not None and hub.consultation(two).status == "queued"
    assert report.as_dict()["statuses"] == {
        "waiting": 1,
        "stopped": 0,
        "withdrawn": 1,
        "withdrawn_unknown": 0,
        "amended": 0,
        "flagged": 0,
    }
    assert hub.verify_audit().ok


def test_the_watcher_moves_a_file_of_only_waiting_and_withdrawn_records_to_processed(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    write_ndjson(
        inbox / "held.ndjson",
        response(1, "in-progress"),
        response(2, "stopped"),
        response(3, "entered-in-error"),
    )
    watcher, _ = make_watcher(hub, inbox, ticker)
    (done,) = of(settle(watcher, ticker), FileDone)
    assert done.error is None and Path(done.moved_to).parent.name == "processed"
    assert (done.new, done.duplicate, done.quarantined) == (0, 0, 0)
    assert done.statuses == {"waiting": 1, "stopped": 1, "withdrawn_unknown": 1}
    assert "1 waiting (in progress)" in done.message()
    assert done.as_dict()["statuses"]["waiting"] == 1


def test_the_watcher_keeps_a_bulk_exports_patients_until_its_responses_are_read(
    hub: HubService, inbox: Path, ticker: Ticker
) -> None:
    # a Bulk Data export dropped into the inbox: by name, Organization.ndjson and Patient.ndjson
    # come before QuestionnaireResponse.ndjson, and moved on first they would take the
    # responses' patients with them
    from tests.ingest.interop.corpus import bulk_export

    bulk_export(inbox, count=2)
    watcher, _ = make_watcher(hub, inbox, ticker)
    done = {Path(d.file).name: d for d in of(settle(watcher, ticker, polls=3), FileDone)}
    assert set(done) == {"QuestionnaireResponse.ndjson", "Patient.ndjson", "Organization.ndjson"}
    responses = done["QuestionnaireResponse.ndjson"]
    assert (responses.new, responses.quarantined) == (2, 0), responses.message()
    assert all(Path(d.moved_to).parent.name == "processed" for d in done.values())
    assert not list(inbox.glob("*.ndjson"))
