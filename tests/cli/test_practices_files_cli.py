"""`ehub-tui practices import-ods` and `practices list-sizes` end to end, on SQLite (an embedded
hub) and PostgreSQL (a served hub, the admin signed in): summaries with --json, bad rows named
and the rest kept (exit 1, as ingest), a file of the wrong kind refused saying where and what."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from ehub_tui.service import HubService
from tests.support.hubserver import cli_hub
from tests.support.practice_files import epraccur, list_sizes

PASSWORD = "violet-harbour-lantern-4"


@pytest.fixture
def hub(
    seeded: HubService, hub_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[HubService]:
    """The seeded hub as the CLI reaches it (tests/support/hubserver.py ``cli_hub``)."""
    with cli_hub(seeded, hub_url, monkeypatch, tmp_path, PASSWORD) as service:
        yield service


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_import_ods_then_list_sizes(hub: HubService, tmp_path: Path) -> None:
    ods = epraccur(tmp_path / "epraccur.csv")
    dry = cli("practices", "import-ods", str(ods), "--pcn", "99Q", "--dry-run", "--json")
    assert dry.exit_code == 1, dry.output  # three rows could not be read
    assert json.loads(dry.stdout)["dry_run"] and "Z99008" not in hub.practice_codes()

    done = cli("practices", "import-ods", str(ods), "--pcn", "99Q", "--json")
    assert done.exit_code == 1, done.output
    got = json.loads(done.stdout)
    assert (got["added"], got["deactivated"], got["closed_not_added"]) == (
        ["Z99008"],
        ["Z99003"],
        ["Z99009"],
    )
    assert got["not_gp_practice"] == ["Z99010"]
    assert [p.split(": ", 1)[1][:26] for p in got["problems"]] == [
        "line 4, column 13 (status ",
        "line 5, 12 columns where a",
        "line 10, column 12 (close ",
    ]
    assert "Z99008" in hub.practice_codes()

    sizes = {"Z99001": 11500, "Z99002": 9300, "Z99008": 2100}
    oct_ = list_sizes(tmp_path / "oct.csv", "01OCT2026", sizes)
    people = cli("practices", "list-sizes", str(oct_))
    assert people.exit_code == 0, people.output
    assert "list sizes for 2026-10 kept for 3 practice(s); 1 practice(s) not in this hub" in (
        " ".join(people.stdout.split())
    )
    nov = list_sizes(tmp_path / "nov.csv", "01NOV2026", {"Z99001": 11600})
    kept = json.loads(cli("practices", "list-sizes", str(nov), "--json").stdout)
    assert (kept["month"], kept["stored"], kept["current"]) == ("2026-11", ["Z99001"], ["Z99001"])
    assert {p.ods_code: p.list_size for p in hub.list_practices()}["Z99001"] == 11600
    assert hub.verify_audit().ok


def test_bad_files_are_refused_saying_where_and_what(hub: HubService, tmp_path: Path) -> None:
    ods = epraccur(tmp_path / "epraccur.csv")
    wrong = cli("practices", "list-sizes", str(ods))
    assert wrong.exit_code == 2
    said = " ".join(wrong.output.split())
    assert "line 1 (the header) has no CODE, NUMBER_OF_PATIENTS" in said
    assert "Traceback" not in wrong.output
    sizes = list_sizes(tmp_path / "sizes.csv", "01OCT2026", {"Z99001": 1})
    other = cli("practices", "import-ods", str(sizes), "--only", "Z99001")
    assert other.exit_code == 2
    assert "sizes.csv: line 1, 8 columns where an epraccur row has 27" in " ".join(
        other.output.split()
    )
    month = cli("practices", "list-sizes", str(sizes), "--month", "October")
    assert month.exit_code == 2 and "give it as YYYY-MM" in month.output
    nothing = cli("practices", "import-ods", str(ods), "--only", "Z12345")
    assert nothing.exit_code == 2 and "no practice in the file matches --only Z12345" in (
        " ".join(nothing.output.split())
    )
