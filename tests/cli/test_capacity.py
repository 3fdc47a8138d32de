"""``ehub-tui capacity`` on a served hub (loopback TLS, SQLite) whose clock stands at Monday
23 November 2026 and whose history is four weeks of a synthetic 4,500-a-month hub's arrivals
and no handling times: little history, so the plan says what it assumed. A manager gets the plan
as text (the need grid and its legend, the back-test, the notes) and as one JSON object (a
CapacityPlan of 168 hours); the example rota is checked (from --rota, or setting
capacity_rota_file in the settings folder) and "two off on Monday" leaves more Monday hours
under-staffed; the workbook is written atomically and reads back typed, without a formula; a
navigator is refused in a sentence; a bad rota file, --off, --week-of, --share, --weeks or
--out is a sentence naming what is wrong, never a traceback.

The hub is made once for the module (the command only reads it); each test signs in afresh.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner, Result

from ehub_tui.capacity.synth import generate_history
from ehub_tui.capacity.workbook import SHEETS
from ehub_tui.cli import app
from ehub_tui.config import Settings
from ehub_tui.domain.capacity import CapacityPlan
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService
from tests.conftest import FIXTURES, FrozenClock
from tests.export import xlsxread
from tests.support.factories import PRACTICES, oc_row
from tests.support.hubserver import PASSWORD, TestTls, fast_core, served, set_password

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday: the plan is for the week of 30 Nov
WEEK_OF = date(2026, 11, 30)
ROTA = FIXTURES / "rota.yaml"
ROTA_NAME = "Harbourside & Downs PCN eHub, standard week"
NO_FORMULA = re.compile(r"<(?:\w+:)?f[ >/]")  # a cell formula element, in any namespace prefix

SignIn = Callable[[str], None]


def cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


def plan_of(result: Result) -> CapacityPlan:
    assert result.exit_code == 0, result.output
    return CapacityPlan.model_validate(json.loads(result.stdout))


def refused(result: Result, *words: str) -> str:
    """A plain refusal: exit 2, nothing on standard output, no traceback; its message."""
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    message = " ".join(result.stderr.split())  # Rich wraps long messages
    for word in words:
        assert word in message, (word, message)
    return message


def monday_short(plan: CapacityPlan) -> int:
    return sum(1 for h in plan.hours if h.day == WEEK_OF and h.short > 0)


@pytest.fixture(scope="module")
def hub_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A served hub with a manager, a supervisor and a navigator, and four weeks of arrivals
    (a synthetic 4,500-a-month hub's, spread over the fixture practices); yields its URL and
    CA file."""
    folder = tmp_path_factory.mktemp("capacity-hub")
    with pytest.MonkeyPatch.context() as mp:  # no developer's settings while it is made
        for name in [n for n in os.environ if n.startswith("EHUB_TUI_")]:
            mp.delenv(name)
        mp.setenv("EHUB_TUI_HOME", str(folder / "home"))
        settings = Settings(data_dir=folder / "data", hub_url=f"sqlite:///{folder / 'hub.db'}")
        clock = FrozenClock(NOW)
        system = HubService.open(settings, clock=clock)
        system.import_practices(load_practices(FIXTURES / "practices.yaml"))
        for user, role in (("mgr1", "manager"), ("sup1", "supervisor"), ("nav1", "navigator")):
            system.add_user(user, role)
        history = generate_history(as_of=NOW, weeks=8, per_month=4500, seed=7)
        codes = sorted({a.practice_ods for a in history.arrivals})
        system.store_intake(
            [
                oc_row(
                    i,
                    received_at=a.at,
                    request_type=a.request_type,
                    practice_ods=PRACTICES[codes.index(a.practice_ods)],
                    priority=a.priority,
                )
                for i, a in enumerate(history.arrivals)
            ]
        )
        system.close()
        core = fast_core(settings, clock)
    for user in ("mgr1", "sup1", "nav1"):
        set_password(core, user, PASSWORD)
    tls = TestTls.make(folder / "tls")
    try:
        with served(core, tls) as server:
            yield server.url, tls.ca_file
    finally:
        core.close()


@pytest.fixture
def sign_in(
    hub_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> SignIn:
    """Point the CLI at the served hub (working in this test's folder); sign a user in."""
    url, ca_file = hub_server
    monkeypatch.setenv("EHUB_TUI_HUB_SERVER_URL", url)
    monkeypatch.setenv("EHUB_TUI_HUB_CA_FILE", str(ca_file))
    monkeypatch.chdir(tmp_path)

    def signin(user: str) -> None:
        got = cli("signin", "-U", user, "--password-stdin", stdin=PASSWORD + "\n")
        assert got.exit_code == 0, got.output

    return signin


def test_a_manager_gets_the_plan_as_text_and_as_json(sign_in: SignIn) -> None:
    sign_in("mgr1")
    text = cli("capacity")
    assert text.exit_code == 0, text.output
    out = " ".join(text.stdout.split())  # the prose wraps at 100 columns
    assert "Capacity plan for the week of Mon 30 Nov 2026" in out
    assert "from 8 week(s) of the hub's history, Mon 28 Sep to Sun 22 Nov 2026" in out
    assert "Navigators needed each hour" in out and "No rota checked" in out
    grid = text.stdout[text.stdout.index("Navigators needed each hour") :]
    assert re.search(r"^Day\s+08\s+09\s.*\s18$", grid, re.MULTILINE), grid  # core 08:00-18:30
    for day in ("Mon 30 Nov", "Fri 04 Dec", "Sun 06 Dec"):
        assert re.search(rf"^{day}\s", grid, re.MULTILINE), day
    assert "Back-test on the hub's own history" in out and '"same hour last week"' in out
    assert "Notes" in out  # four weeks, no handling times: the plan says what it assumed
    assert all(cell_len(line) <= 100 for line in text.stdout.splitlines())
    assert "Tester" not in text.output  # no patient detail from the records

    plan = plan_of(cli("capacity", "--json"))
    assert len(plan.hours) == 168 and plan.week_of == WEEK_OF
    assert plan.history_weeks == 8 and plan.share == 0.95 and plan.seed == 0
    assert plan.rota_name is None and plan.notes
    assert plan.arrivals_per_week > 500 and set(plan.by_practice) <= set(PRACTICES)
    assert max(h.need for h in plan.hours if h.day == WEEK_OF) >= 1
    assert all(h.need == 0 for h in plan.hours if not h.open)

    chosen = plan_of(cli("capacity", "--weeks", "3", "--share", "0.9", "--seed", "4", "--json"))
    assert (chosen.history_weeks, chosen.share, chosen.seed) == (3, 0.9, 4)


def test_the_example_rota_and_two_off_on_monday(
    sign_in: SignIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sign_in("sup1")  # a supervisor may too
    with_rota = plan_of(cli("capacity", "--rota", str(ROTA), "--json"))
    assert with_rota.rota_name == ROTA_NAME and with_rota.rota_hours
    assert all(h.rota is not None for h in with_rota.hours)
    two_off = plan_of(cli("capacity", "--rota", str(ROTA), "--off", "mon=2", "--json"))
    assert monday_short(two_off) > monday_short(with_rota)
    assert two_off.under_hours > with_rota.under_hours

    text = cli("capacity", "--rota", str(ROTA), "--off", "mon=2")
    assert text.exit_code == 0, text.output
    out = " ".join(text.stdout.split())
    assert "Navigators needed each hour / on the rota" in out
    assert '"!" marks fewer on the rota than needed' in out
    assert f"Rota {ROTA_NAME}:" in out and f"Under-staffed: {two_off.under_hours} open" in out
    grid = text.stdout[text.stdout.index("on the rota") :]
    monday = next(line for line in grid.splitlines() if line.startswith("Mon 30 Nov"))
    assert monday.count("!") == monday_short(two_off)

    # the setting: a relative name is in the settings folder, whatever folder this is
    home = Path(os.environ["EHUB_TUI_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROTA, home / "our-rota.yaml")
    monkeypatch.setenv("EHUB_TUI_CAPACITY_ROTA_FILE", "our-rota.yaml")
    assert plan_of(cli("capacity", "--json")).rota_name == ROTA_NAME


def test_the_workbook_for_the_rota_planner(sign_in: SignIn, tmp_path: Path) -> None:
    sign_in("mgr1")
    out = tmp_path / "plans"
    out.mkdir()
    target = out / "week.xlsx"
    got = cli("capacity", "--rota", str(ROTA), "--off", "mon=2", "--out", str(target))
    assert got.exit_code == 0, got.output
    assert f"to {target}" in " ".join(got.stdout.split())
    assert [p.name for p in out.iterdir()] == ["week.xlsx"]  # no temporary file left
    book = xlsxread.read(target.read_bytes())
    assert book.names == list(SHEETS)
    assert not any(NO_FORMULA.search(book.sheet(name).xml) for name in SHEETS)
    hours = book.sheet("Hours")
    head, _ = hours.find("Status")
    statuses = [v for (r, c), v in hours.cells.items() if r > head and c == hours.find("Status")[1]]
    assert len(statuses) == 168 and "short" in statuses and "closed" in statuses
    need = book.sheet("Need")
    assert need.find("On the rota") < need.find("Short (needed minus on the rota)")
    r, c = need.find("Short at")
    monday = need.cells[(r + 1, c)]
    assert isinstance(monday, str) and monday.count(":00") == statuses[:24].count("short")
    assert "cfRule" in need.xml  # short cells filled red as well as named

    # --json with a workbook: the plan on standard output, the note on standard error
    again = cli("capacity", "--format", "XLSX", "--output", str(out), "--json")
    assert again.exit_code == 0, again.output
    assert plan_of(again).week_of == WEEK_OF
    assert (out / "capacity-plan-2026-11-30.xlsx").is_file()


def test_a_navigator_is_refused_in_a_sentence(sign_in: SignIn) -> None:
    sign_in("nav1")
    refused(cli("capacity"), "may not")
    refused(cli("capacity", "--json"), "may not")


def test_a_bad_rota_or_what_if_is_a_sentence(sign_in: SignIn, tmp_path: Path) -> None:
    # the rota is read before the hub is asked: no sign-in needed to hear what is wrong
    bad = tmp_path / "bad-rota.yaml"
    bad.write_text(
        'name: test\nnavigators:\n  - name: Asha\n    mon: "8 till 4"\n', encoding="utf-8"
    )
    message = refused(cli("capacity", "--rota", str(bad)), str(bad), "line 4")
    assert "error:" in message
    refused(cli("capacity", "--rota", str(tmp_path / "missing.yaml")), "missing.yaml")
    refused(cli("capacity", "--off", "mon=2"), "--off", "there is none", "--rota")
    refused(cli("capacity", "--rota", str(ROTA), "--off", "funday=2"), "funday")
    refused(cli("capacity", "--rota", str(ROTA), "--off", "mon=Nobody Here"), "Nobody Here")
    refused(cli("capacity", "--rota", ""), "--rota needs a file")


def test_bad_options_are_sentences(sign_in: SignIn) -> None:
    for args, words in [
        (("--week-of", "next week"), ("is not a date", "Monday")),
        (("--week-of", "2026-12-02"), ("is a Wednesday", "2026-11-30")),
        (("--share", "1.2"), ("between 0.5 and 1", "0.95")),
        (("--share", "95"), ("e.g. 0.95 for 95%",)),
        (("--share", "90"), ("e.g. 0.9 for 90%",)),
        (("--share", "0.5"), ("between 0.5 and 1",)),
        (("--weeks", "0"), ("between 1 and 104",)),
        (("--weeks", "105"), ("between 1 and 104",)),
        (("--seed", "-1"), ("negative",)),
        (("--format", "pdf"), ("use text or xlsx",)),
        (("--format", "xlsx"), ("--out FILE.xlsx",)),
        (("--out", "plan.ods"), ("not ods", ".xlsx")),
        (("--output", "plan.csv"), ("not csv", "name the file .xlsx")),
        (("--output", "plan"), ("name the file .xlsx",)),
        (("--out", "-"), ("writes a file", "--out FILE.xlsx")),
        (("--output", " "), ("--out needs a file name",)),
        (("--format", "text", "--output", "plan.txt"), ("standard output",)),
        # said before the hub is asked, and naming the folder asked for
        (("--out", "/nonexistent-folder/plan.xlsx"), ("/nonexistent-folder", "no such folder")),
    ]:
        refused(cli("capacity", *args), *words)
    # the planned week's range is the hub's: today there is Monday 23 November 2026
    sign_in("mgr1")
    refused(cli("capacity", "--week-of", "2026-11-16"), "in the past", "2026-11-23")
    refused(cli("capacity", "--week-of", "2027-02-01"), "more than 8 weeks ahead")
    this_week = plan_of(cli("capacity", "--week-of", "2026-11-23", "--json"))
    assert this_week.week_of == date(2026, 11, 23)


def test_an_empty_hub_still_gets_a_plan_that_says_so(tmp_path: Path) -> None:
    # an embedded hub with no history at all (the command acts as its system principal)
    plan = plan_of(cli("capacity", "--rota", str(ROTA), "--json"))
    assert len(plan.hours) == 168 and plan.arrivals_per_week == 0
    assert any("No requests" in note for note in plan.notes)
    assert plan.under_hours == 0 and plan.rota_name == ROTA_NAME
    text = cli("capacity")
    assert text.exit_code == 0, text.output
    out = " ".join(text.stdout.split())
    assert "About 0 requests in the week" in out and "no error to measure yet" in out
    assert "• No requests" in out


def test_a_rota_name_is_only_ever_text(sign_in: SignIn, tmp_path: Path) -> None:
    # a name from a file: never Rich markup on the screen, never a formula in the workbook
    name = '[bold red]=HYPERLINK("http://x")[/bold red]'
    rota = tmp_path / "rota.yaml"
    rota.write_text(
        f"name: '{name}'\nnavigators:\n  - name: Asha\n    mon-fri: \"08:00-16:00\"\n",
        encoding="utf-8",
    )
    sign_in("mgr1")
    text = cli("capacity", "--rota", str(rota))
    assert text.exit_code == 0, text.output
    assert f"Rota {name}:" in " ".join(text.stdout.split())
    target = tmp_path / "plan.xlsx"
    assert cli("capacity", "--rota", str(rota), "--output", str(target)).exit_code == 0
    book = xlsxread.read(target.read_bytes())
    need = book.sheet("Need")
    assert need.cells[(need.find("Rota")[0], 1)] == name
    assert not NO_FORMULA.search(need.xml)
