"""`ehub-tui ingest` and `quarantine` end to end, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from ehub_tui.service import HubService
from tests.conftest import FIXTURES, REPO
from tests.support.hubserver import cli_hub

BAD = FIXTURES / "bad"
FIXTURE_OCS = 179


PASSWORD = "blue-kettle-orchard-7"


@pytest.fixture
def hub(
    seeded: HubService, hub_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[HubService]:
    """The seeded hub as the CLI reaches it. SQLite: an embedded hub named through
    EHUB_TUI_HUB_URL (commands act as the system principal). PostgreSQL: a shared hub, which a
    workstation reaches only through its server: served on 127.0.0.1 over TLS; `ingest` acts as
    the `service` account whose token EHUB_TUI_SERVICE_TOKEN_FILE names (as the watcher's
    systemd unit does) and the other commands as the admin signed in once with `signin`."""
    with cli_hub(seeded, hub_url, monkeypatch, tmp_path, PASSWORD) as service:
        yield service


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_ingesting_the_fixtures_twice_adds_nothing_the_second_time(hub: HubService) -> None:
    first = cli("ingest", str(FIXTURES / "oc"), "--json")
    assert first.exit_code == 0, first.output
    totals = json.loads(first.stdout)["totals"]
    assert totals == {
        "files": 15,
        "records": FIXTURE_OCS,
        "new": FIXTURE_OCS,
        "duplicate": 0,
        "quarantined": 0,
        "failed_files": 0,
    }
    second = cli("ingest", str(FIXTURES / "oc"), "--json")
    assert second.exit_code == 0
    again = json.loads(second.stdout)["totals"]
    assert again["new"] == 0 and again["duplicate"] == FIXTURE_OCS
    assert hub.queue_summary().by_status["queued"] == FIXTURE_OCS
    assert hub.verify_audit().ok


def test_mixed_file_keeps_good_and_quarantines_each_bad(hub: HubService) -> None:
    result = cli("ingest", str(BAD / "mixed_records.csv"), "--json")
    assert result.exit_code == 1  # some records were quarantined
    f = json.loads(result.stdout)["files"][0]
    assert (f["new"], f["quarantined"], f["error"]) == (4, 11, None)
    for ext in ("EC-BAD-0001", "EC-BAD-0002", "EC-BAD-0007", "EC-BAD-0015"):
        assert hub.find_consultation_id("eConsult", ext) is not None
    q = {r.location: r for r in hub.quarantined()}
    assert set(q) == {f"line {n}" for n in (6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17)}
    assert "check digit" in q["line 6"].reason
    assert "future" in q["line 7"].reason
    assert "Z99999" in q["line 8"].reason
    assert all(r.source_file.endswith("mixed_records.csv") for r in q.values())


def test_human_summary_and_quarantine_commands(hub: HubService) -> None:
    result = cli("ingest", str(BAD / "broken_line.ndjson"), str(BAD / "bundle_bad_entry.json"))
    assert result.exit_code == 1
    assert "total" in result.stdout and "quarantined" in result.stdout
    assert "quarantine list" in result.stderr
    listing = cli("quarantine", "list")
    assert listing.exit_code == 0
    assert "line 3" in listing.stdout and "entry 3" in listing.stdout
    qid = json.loads(cli("quarantine", "list", "--json").stdout)[0]["id"]
    shown = cli("quarantine", "show", str(qid))
    assert shown.exit_code == 0 and "raw:" in shown.stdout
    missing = cli("quarantine", "show", "99999")
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("truncated.json", "not valid JSON"),
        ("empty.csv", "empty"),
        ("binary.csv", "binary"),
    ],
)
def test_unreadable_files_get_a_clear_message(hub: HubService, name: str, words: str) -> None:
    result = cli("ingest", str(BAD / name))
    assert result.exit_code == 2
    assert name in result.stderr and words in result.stderr
    assert "Traceback" not in result.output
    assert hub.queue_summary().by_status["queued"] == 0


def test_latin1_file_costs_only_its_records_with_bad_bytes(hub: HubService) -> None:
    # Records, not files: every record of this Latin-1 export holds an accented name, so each is
    # quarantined naming its field and byte; none is stored with a wrong character.
    result = cli("ingest", str(BAD / "latin1_export.csv"), "--json")
    assert result.exit_code == 1, result.output
    f = json.loads(result.stdout)["files"][0]
    assert f["error"] is None and f["new"] == 0 and f["quarantined"] == f["records"] > 0
    reasons = [q.reason for q in hub.quarantined()]
    assert all("which is not UTF-8 text" in r and "Latin-1" in r for r in reasons)
    assert "Traceback" not in result.output


def test_unreadable_file_does_not_stop_the_others(hub: HubService) -> None:
    result = cli("ingest", str(BAD / "empty.csv"), str(FIXTURES / "oc"), "--json")
    assert result.exit_code == 2
    totals = json.loads(result.stdout)["totals"]
    assert totals["failed_files"] == 1 and totals["new"] == FIXTURE_OCS


def test_missing_path_and_no_arguments(hub: HubService) -> None:
    result = cli("ingest", "/no/such/folder")
    assert result.exit_code == 2 and "/no/such/folder" in result.stderr
    assert "Traceback" not in result.output
    result = cli("ingest")
    assert result.exit_code == 2 and "name at least one file" in result.stderr


def test_retry_after_adding_the_missing_practice(hub: HubService, tmp_path: Path) -> None:
    cli("ingest", str(BAD / "mixed_records.csv"))
    still = json.loads(cli("quarantine", "retry", "--json").stdout)
    assert all(r["result"] == "still_bad" for r in still) and len(still) == 11
    practices = tmp_path / "extra.yaml"
    practices.write_text(
        "pcn: {code: U99001, name: Test PCN}\n"
        "practices:\n  - {ods_code: Z99999, name: New Practice, list_size: 10}\n"
    )
    assert cli("practices", "import", str(practices)).exit_code == 0
    result = cli("quarantine", "retry", "--json")
    stored = [r for r in json.loads(result.stdout) if r["result"] == "stored"]
    assert len(stored) == 1
    assert hub.find_consultation_id("eConsult", "EC-BAD-0005") is not None
    assert len(hub.quarantined()) == 10
    assert hub.verify_audit().ok


def _ctrl_c_as_in_a_shell() -> None:
    """The watcher gets Ctrl-C as a person's shell gives it. A child inherits an ignored SIGINT
    (Python then never turns it into KeyboardInterrupt), and a test worker of the full suite
    was found ignoring it: the watcher then ran on after the test's Ctrl-C (session 27)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_watch_moves_files_to_processed_and_failed(
    hub: HubService, hub_url: str, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = dict(os.environ)  # the hub fixture's: the hub's file, or its server and a token
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ehub_tui.cli",
            "ingest",
            "--watch",
            str(inbox),
            "--interval",
            "0.2",
            "--json",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_as_in_a_shell,
    )
    try:
        (inbox / "good.ndjson").write_bytes((BAD / "broken_line.ndjson").read_bytes())
        (inbox / "empty.csv").write_bytes(b"")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if (inbox / "processed" / "good.ndjson").exists() and (
                inbox / "failed" / "empty.csv"
            ).exists():
                break
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert (inbox / "processed" / "good.ndjson").exists(), err
    assert (inbox / "failed" / "empty.csv").exists(), err
    assert not (inbox / "good.ndjson").exists()
    lines = [json.loads(line) for line in out.splitlines()]
    by_file = {line["file"]: line for line in lines}
    assert by_file["good.ndjson"]["new"] == 4 and by_file["good.ndjson"]["quarantined"] == 1
    assert "empty" in by_file["empty.csv"]["error"]
    assert "Traceback" not in err
    assert hub.find_consultation_id("PATCHS", "PCH-BAD-0040") is not None


def test_watch_waits_for_a_file_to_settle_and_skips_part_files(
    hub: HubService, hub_url: str, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = dict(os.environ)  # the hub fixture's: the hub's file, or its server and a token
    text = (BAD / "mixed_records.csv").read_text(encoding="utf-8")
    half = len(text) // 2
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ehub_tui.cli",
            "ingest",
            "--watch",
            str(inbox),
            "--interval",
            "0.2",
            "--json",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ctrl_c_as_in_a_shell,
    )
    try:
        part = inbox / "slow.csv.part"
        part.write_text(text[:half], encoding="utf-8")  # a sender writing under a .part name
        slow = inbox / "slow2.csv"
        with slow.open("w", encoding="utf-8") as f:  # a sender that pauses mid-file
            f.write(text[:half])
            f.flush()
            time.sleep(0.6)  # the pause IS the scenario: three scans see a half-written file
            f.write(text[half:])
        # the scenario again, not a wait for a result: five scans (every 0.2 s) of a real
        # process pass with the .part file in the inbox, and it must still be untouched
        time.sleep(1.0)
        assert part.exists()  # never touched
        part.write_text(text, encoding="utf-8")
        part.rename(inbox / "slow.csv")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
            (inbox / "processed" / "slow.csv").exists()
            and (inbox / "processed" / "slow2.csv").exists()
        ):
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    lines = {json.loads(x)["file"]: json.loads(x) for x in out.splitlines()}
    for name in ("slow.csv", "slow2.csv"):
        assert lines[name]["new"] + lines[name]["duplicate"] == 4, (name, lines, err)
        assert lines[name]["quarantined"] == 11
    assert "slow.csv.part" not in lines
