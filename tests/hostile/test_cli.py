"""Every CLI command that prints hub text, on a hub full of naughty strings stored through the
real ingest path: the expected exit code (never 70, never a traceback) and not one escape,
control or bidi character in what reaches the terminal."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from tests.hostile.corpus import NAUGHTY, forbidden
from tests.hostile.hub import HOSTILE_FILE, write_inbox, write_practices

DAY = "2026-11-23"


@dataclass
class CliHub:
    """The hub the commands run against, and what building it printed."""

    env: dict[str, str]
    tmp: Path
    db: Path
    built: list[tuple[list[str], Result]] = field(default_factory=list)

    def run(self, *args: str | Path | int) -> Result:
        return CliRunner().invoke(app, [str(a) for a in args], env=self.env)

    def ids(self, table: str, where: str = "1=1") -> list[int]:
        with sqlite3.connect(self.db) as conn:
            return [r[0] for r in conn.execute(f"select id from {table} where {where} order by id")]


def shown(result: Result) -> str:
    """Everything the command wrote, standard output and error."""
    return result.stdout + (result.stderr or "")


def check(result: Result, code: int, what: object) -> None:
    """The exit code asked for, no traceback, and nothing a terminal would act on."""
    text = shown(result)
    assert result.exit_code == code, f"{what}: exit {result.exit_code}\n{text[-2000:]}"
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{what}: {result.exception!r}"
    )
    assert "Traceback" not in text and "unexpected" not in text, f"{what}: {text[-2000:]}"
    assert not forbidden(text), f"{what}: {forbidden(text)} in\n{text[-2000:]}"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliHub]:
    tmp = tmp_path_factory.mktemp("hostile-cli")
    db = tmp / "hub.sqlite3"
    env = {
        "EHUB_TUI_HOME": str(tmp / "home"),
        "EHUB_TUI_HUB_URL": f"sqlite:///{db}",
        "PYTHON_KEYRING_BACKEND": "ehub_tui.secrets.MemoryKeyring",
        "COLUMNS": "100",
    }
    h = CliHub(env, tmp, db)
    files = write_inbox(tmp / "inbox")
    steps: list[list[str | Path]] = [["practices", "import", write_practices(tmp)]]
    # display names: markup, an OSC 8 link, C1 controls (usernames are checked: plain ids)
    for user, role, name in (
        ("nav1", "navigator", NAUGHTY[0]),
        ("sup1", "supervisor", NAUGHTY[11]),
        ("clin1", "clinical_approver", NAUGHTY[16]),
    ):
        steps.append(["users", "add", user, "--role", role, "--name", name])
    steps.append(["ingest", *files])
    for step in steps:
        h.built.append(([str(s) for s in step], h.run(*step)))
    # a discarded record with a naughty reason
    first_q = h.ids("quarantine")[0]
    h.built.append((["discard"], h.run("quarantine", "discard", first_q, "--reason", NAUGHTY[2])))
    yield h


def test_building_the_hub_prints_only_safe_text(hub: CliHub) -> None:
    for args, result in hub.built:
        # ingest: records were quarantined (their practice codes are naughty strings): exit 1
        check(result, 1 if args[0] == "ingest" else 0, args)
    ingest = next(r for a, r in hub.built if a[0] == "ingest")
    # the ingest summary names each file: the hostile file name is shown, visibly
    assert "[red]x [b" in ingest.stdout and "␛[2J" in ingest.stdout  # (the cell may wrap)
    assert len(hub.ids("consultation")) >= len(NAUGHTY) // 2  # most of the corpus was stored


def test_ingest_json_is_the_same_data_and_terminal_safe(hub: CliHub) -> None:
    again = hub.run("ingest", hub.tmp / "inbox" / HOSTILE_FILE, "--json")
    check(again, 1, "ingest --json")  # a duplicate, and the naughty practice code again
    data = json.loads(again.stdout)
    assert data["files"][0]["path"].endswith(HOSTILE_FILE)  # the name round-trips exactly


COMMANDS: list[tuple[tuple[str, ...], int]] = [
    (("queue",), 0),
    (("queue", "--json"), 0),
    (("quarantine", "list"), 0),
    (("quarantine", "list", "--all"), 0),
    (("quarantine", "list", "--all", "--json"), 0),
    (("quarantine", "retry"), 1),  # still bad: the practices do not exist
    (("quarantine", "retry", "--json"), 1),
    (("users", "list"), 0),
    (("users", "list", "--json"), 0),
    (("practices", "list"), 0),
    (("practices", "list", "--json"), 0),
    (("export", "--from", DAY, "--to", DAY, "--summary"), 0),
    (("export", "--from", DAY, "--to", DAY, "--summary", "--json"), 0),
]


@pytest.mark.parametrize(("args", "code"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_command_shows_hub_text_safely(hub: CliHub, args: tuple[str, ...], code: int) -> None:
    result = hub.run(*args)
    check(result, code, args)
    if "--json" in args:
        json.loads(result.stdout)  # still exactly JSON
    elif args[0] == "users":
        assert "␛]8;;https://evil.example/␛" in result.stdout  # the link, as text


def test_every_quarantined_record_shows_safely(hub: CliHub) -> None:
    ids = hub.ids("quarantine")
    assert len(ids) >= len(NAUGHTY)
    clearing = []  # records whose raw text holds "clear the screen"
    for qid in ids:
        check(hub.run("quarantine", "show", qid), 0, f"quarantine show {qid}")
        as_json = hub.run("quarantine", "show", qid, "--json")
        check(as_json, 0, f"quarantine show {qid} --json")
        if "\x1b[2J" in json.loads(as_json.stdout)["raw"]:  # the JSON keeps the text exactly
            clearing.append(qid)
    assert clearing
    # on the terminal the raw text shows the escape as ␛, never sends it
    assert "␛[2J" in hub.run("quarantine", "show", clearing[0]).stdout


def test_export_writes_and_names_a_hostile_path_safely(hub: CliHub) -> None:
    folder = hub.tmp / "out [red]x \x1b[2J"
    folder.mkdir()
    for extra in ((), ("--json",)):
        result = hub.run("export", "--from", DAY, "--to", DAY, "--out", folder, *extra)
        check(result, 0, ("export", *extra))
    assert "out [red]x ␛[2J" in result.stdout or "out [red]x \\u001b[2J" in result.stdout


def test_sops_explain_shows_a_hostile_consultation_safely(hub: CliHub) -> None:
    ids = hub.ids("consultation")
    for cid in ids[:: max(1, len(ids) // 5)]:
        check(hub.run("sops", "explain", cid), 0, f"sops explain {cid}")
        result = hub.run("sops", "explain", cid, "--json")
        check(result, 0, f"sops explain {cid} --json")
        json.loads(result.stdout)


def test_sops_commands_show_hostile_sop_files_safely(hub: CliHub) -> None:
    folder = hub.tmp / "sops [red]x"
    folder.mkdir()
    (folder / "naughty [red]x \x1b[2J.sop.yaml").write_text(
        'id: "[/b]\\e[2J"\ntitle: "\\e]0;title\\a [red]x \\u202e"\n"[/b]\\e[2J": 1\n',
        encoding="utf-8",
    )
    (folder / "raw.sop.yaml").write_text("id: raw\ntitle: a\x1b[2J\x07 [/b]\n", encoding="utf-8")
    for args, code in (
        (("sops", "validate", folder), 2),
        (("sops", "validate", folder, "--json"), 2),
        (("sops", "test", folder), 2),
        (("sops", "test", folder, "--json"), 2),
    ):
        result = hub.run(*args)
        check(result, code, args)
    validate = hub.run("sops", "validate", folder)
    assert "␛[2J" in shown(validate)  # the file name, visibly


def test_audit_commands_show_hub_text_safely(hub: CliHub) -> None:
    # (the audit commands themselves are the audit work's; this holds them to the same rule)
    for args in (("audit", "log", "--limit", "500"), ("audit", "log", "--json")):
        check(hub.run(*args), 0, args)
    check(hub.run("audit", "verify"), 0, "audit verify")


def test_a_return_written_to_a_terminal_shows_hub_text_visibly(hub: CliHub) -> None:
    """``export --out -``: piped, the return is exact (a practice name's escape kept); on a
    terminal (a pty here) the same names show as ␛[…, never as escapes."""
    command = [sys.executable, "-m", "ehub_tui.cli", "export", "--from", DAY, "--to", DAY]
    env = {**os.environ, **hub.env}
    piped = subprocess.run(
        [*command, "--out", "-"], capture_output=True, env=env, timeout=120, check=False
    )
    assert piped.returncode == 0, piped.stderr.decode()
    assert b"\x1b[2J" in piped.stdout  # the data, exactly
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [*command, "--out", "-"], stdout=follower, stderr=subprocess.PIPE, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=120) == 0
    on_screen = b"".join(chunks).decode("utf-8").replace("\r\n", "\n")  # the pty's own CRs
    assert "␛[2J" in on_screen
    assert not forbidden(on_screen), forbidden(on_screen)
