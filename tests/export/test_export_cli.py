"""``ehub-tui export`` on an embedded hub: files, standard output, summaries, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from ehub_tui.cli.demo import DEMO_USERS
from ehub_tui.config import load_settings
from ehub_tui.domain.clock import LONDON
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService
from tests.conftest import FIXTURES, FrozenClock
from tests.support.history import work_week

pytestmark = pytest.mark.db  # every test here runs the CLI on a demo hub

GOLDEN = Path(__file__).parent / "golden"
EXPORT_DAY = ("export", "--date", "2026-11-18", "--out", "-")


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def embedded_week(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedded hub the CLI uses, holding the worked fixture week."""
    clock = FrozenClock(datetime(2026, 11, 16, 6, 0, tzinfo=UTC))
    settings = load_settings()
    made: list[HubService] = []

    def make(user: str | None = None) -> HubService:
        made.append(HubService.open(settings, user, clock=clock))
        return made[-1]

    system = make()
    system.import_practices(load_practices(FIXTURES / "practices.yaml"))
    for username, role, name in DEMO_USERS:
        system.add_user(username, role, name)
    work_week(system, make, clock)
    for svc in made:
        svc.close()
    monkeypatch.chdir(tmp_path)


def test_stdout_csv_is_the_golden_return(embedded_week: None) -> None:
    result = cli("export", "--from", "2026-11-16", "--to", "2026-11-22", "--out", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / "week.csv").read_text(encoding="utf-8")


def test_default_is_yesterday_written_to_a_named_file(embedded_week: None, tmp_path: Path) -> None:
    result = cli("export")
    assert result.exit_code == 0, result.output
    yesterday = datetime.now(LONDON).date() - timedelta(days=1)
    path = tmp_path / f"ehub-return-{yesterday}.csv"
    assert path.exists()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "DATE,PCN_CODE,PCN_NAME,GP_CODE,GP_NAME,SUPPLIER,METRIC,VALUE"
    assert {line.split(",")[0] for line in lines[1:]} == {yesterday.isoformat()}
    assert f"to {path.name}" in result.stdout and "7 practice(s)" in result.stdout


def test_json_file_and_json_summary_of_it(embedded_week: None, tmp_path: Path) -> None:
    out = tmp_path / "returns" / "week.json"
    out.parent.mkdir()
    result = cli(
        "export", "--from", "2026-11-16", "--to", "2026-11-17", "--format", "JSON",
        "--out", str(out), "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert info["rows"] == len(doc["rows"]) > 0 and info["practices"] == 7
    assert out.read_text(encoding="utf-8") == (GOLDEN / "mon-tue.json").read_text(encoding="utf-8")
    assert [p.name for p in out.parent.iterdir()] == ["week.json"]  # no temporary file left


def test_one_practice(embedded_week: None, tmp_path: Path) -> None:
    result = cli("export", "--date", "2026-11-18", "--practice", "z99003")
    assert result.exit_code == 0, result.output
    written = (tmp_path / "ehub-return-Z99003-2026-11-18.csv").read_text(encoding="utf-8")
    assert written == (GOLDEN / "Z99003-2026-11-18.csv").read_text(encoding="utf-8")


def test_summary_table_and_summary_json(embedded_week: None, tmp_path: Path) -> None:
    result = cli("export", "--from", "2026-11-16", "--to", "2026-11-22", "--summary")
    assert result.exit_code == 0, result.output
    assert "Daily return summary, Mon 16 Nov – Sun 22 Nov 2026" in result.stdout
    for text in ("Z99001", "Z99007", "Received", "Backlog end", "Within standard %", "All"):
        assert text in result.stdout
    assert not list(tmp_path.glob("ehub-return-*"))  # a summary writes no file
    data = json.loads(
        cli("export", "--from", "2026-11-16", "--to", "2026-11-22", "--summary", "--json").stdout
    )
    assert sum(p["OC_TOTAL_SUBMISSIONS"] for p in data["practices"]) == 179
    assert data["hub"]["OC_TOTAL_SUBMISSIONS"] == 179
    hub = data["hub"]
    assert hub["BACKLOG_END"] == 179 - hub["PROCESSED"] - hub["CANCELLED"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--date", "2026-13-01"), "--date '2026-13-01' is not a date: use YYYY-MM-DD"),
        (("--from", "22/11/2026"), "--from '22/11/2026' is not a date"),
        (("--from", "2026-11-20", "--to", "2026-11-19"), "--to 2026-11-19 is before --from"),
        (("--to", "2026-11-19"), "--to needs --from"),
        (("--date", "2026-11-19", "--from", "2026-11-18"), "give either --date, or --from"),
        (("--date", "2999-01-01"), "2999-01-01 is in the future"),
        (("--format", "ods"), "--format 'ods' is not known: use csv, json, xlsx or html"),
        (("--date", "2026-11-19", "--practice", "Z00000"), "no practice 'Z00000' in this hub"),
        (("--date", "2026-11-19", "--out", "/nonexistent/dir/x.csv"), "no such folder"),
        (("--summary", "--out", "x.csv"), "--summary prints a table instead"),
        (("--out", "-", "--json"), "--out - writes the return itself"),
    ],
)
def test_bad_arguments_get_a_plain_message(
    embedded_week: None, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = cli("export", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not list(tmp_path.glob("ehub-return-*")) and not list(tmp_path.glob(".*.csv.*"))


def test_today_is_flagged_as_partial(embedded_week: None) -> None:
    result = cli("export", "--date", "today", "--out", "-")
    assert result.exit_code == 0, result.output
    assert "today is not over" in result.stderr
    today = datetime.now(LONDON).date()
    assert result.stdout.splitlines()[1].startswith(today.isoformat())


def test_exports_are_audited(embedded_week: None) -> None:
    cli("export", "--date", "2026-11-18", "--out", "-")
    events = json.loads(cli("audit", "log", "--json").stdout)
    exports = [e for e in events if e["action"] == "export"]
    assert exports and exports[0]["body"]["from"] == "2026-11-18"
    assert date.fromisoformat(exports[0]["body"]["to"]) == date(2026, 11, 18)


def test_brackets_in_input_are_shown_not_parsed(embedded_week: None) -> None:
    result = cli("export", "--date", "[/x]")
    assert result.exit_code == 2 and "--date '[/x]' is not a date" in result.stderr
    result = cli("export", "--date", "2026-11-18", "--practice", "Z[/]")
    assert result.exit_code == 2 and "no practice 'Z[/]'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--practice", " "), "--practice needs an ODS code"),
        (("--summary", "--format", "json"), "use --summary --json for data"),
        (("--date", "1999-12-31"), "1999-12-31 is before 2000"),
        (("--out", "r.json", "--format", "csv"), "--format csv does not match the file name"),
        # issue 16 trial: a CSV was written under the name r.ods, which opens as garbage
        (("--out", "r.ods"), "r.ods: ehub-tui writes csv, json, xlsx or html, not ods"),
    ],
)
def test_more_bad_arguments(embedded_week: None, args: tuple[str, ...], message: str) -> None:
    result = cli("export", *args)
    assert result.exit_code == 2 and message in result.stderr, result.output


def test_out_names_a_folder_or_a_file_whose_extension_gives_the_format(
    embedded_week: None, tmp_path: Path
) -> None:
    folder = tmp_path / "returns"
    folder.mkdir()
    assert cli("export", "--date", "2026-11-18", "--out", str(folder)).exit_code == 0
    assert [p.name for p in folder.iterdir()] == ["ehub-return-2026-11-18.csv"]
    assert cli("export", "--date", "2026-11-18", "--out", "day.JSON").exit_code == 0
    assert json.loads((tmp_path / "day.JSON").read_text())["from"] == "2026-11-18"
    # somewhere that cannot be written: the path given is named, not a temporary file
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    result = cli("export", "--date", "2026-11-18", "--out", str(blocker / "x.csv"))
    assert result.exit_code == 2 and f"{blocker}: no such folder" in result.stderr


def test_file_permissions_follow_the_umask_or_the_file_replaced(
    embedded_week: None, tmp_path: Path
) -> None:
    old = os.umask(0o022)
    try:
        assert cli("export", "--date", "2026-11-18", "--out", "a.csv").exit_code == 0
        assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o644
        (tmp_path / "b.csv").write_text("old")
        (tmp_path / "b.csv").chmod(0o640)
        assert cli("export", "--date", "2026-11-18", "--out", "b.csv").exit_code == 0
        assert (tmp_path / "b.csv").stat().st_mode & 0o777 == 0o640
        assert (tmp_path / "b.csv").read_text().startswith("DATE,")
    finally:
        os.umask(old)


def test_summary_fits_80_columns_without_cutting_figures(embedded_week: None) -> None:
    result = cli("export", "--from", "2026-11-16", "--to", "2026-11-22", "--summary")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout.replace("… continued", "")
    assert "(1 of 2)" in result.stdout and "… continued (2 of 2)" in result.stdout
    data = json.loads(
        cli("export", "--from", "2026-11-16", "--to", "2026-11-22", "--summary", "--json").stdout
    )
    for p in data["practices"]:  # every practice's figures are printed whole
        assert p["ods_code"] in result.stdout
        assert f"{p['MINUTES_TO_COMPLETION_MEDIAN']:,.1f}" in result.stdout


def test_stdout_is_utf8_whatever_the_terminal(embedded_week: None) -> None:
    from ehub_tui.service import HubService

    svc = HubService.open(load_settings())
    svc.import_practices(
        [
            {
                "ods_code": "Z99001",
                "name": "Harbour Street Surgery — Café",
                "pcn_code": "U99001",
                "pcn_name": "Harbourside & Downs PCN",
                "list_size": 11200,
            }
        ]
    )
    svc.close()
    # a real process whose standard output is cp1252 (e.g. a Windows console)
    done = subprocess.run(
        [sys.executable, "-c", "from ehub_tui.cli import main; main()", *EXPORT_DAY],
        env={**os.environ, "PYTHONIOENCODING": "cp1252"},
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert "Harbour Street Surgery — Café" in done.stdout.decode("utf-8")


def test_a_hub_without_practices_says_what_to_do(tmp_path: Path) -> None:
    result = cli("export", "--date", "2026-11-18", "--out", str(tmp_path / "x.csv"))
    assert result.exit_code == 2 and "no practices yet" in result.stderr
    assert "ehub-tui practices import" in result.stderr
