"""``ehub-tui backup`` / ``restore``: a verified copy on both engines, restored into an empty hub
(a non-empty one refused without --force), and ``restore --verify`` that changes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from ehub_tui.domain.models import Outcome
from ehub_tui.service import HubService
from ehub_tui.store import backup
from tests.support.factories import oc_row
from tests.support.pgserver import PostgresServer, find_pg_bin


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def worked(
    seeded: HubService,
    make_service: object,
    hub_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> HubService:
    """The seeded hub with three items, one completed; the CLI names it as the hub machine."""
    seeded.store_intake([oc_row(1), oc_row(2), oc_row(3)])
    nav = make_service("nav1")  # type: ignore[operator]
    claim = nav.claim_next()
    nav.complete(claim, Outcome(category="signpost", route="pharmacy", destination="Pharmacy"))
    monkeypatch.setenv("EHUB_TUI_HUB_URL", hub_url)
    monkeypatch.setenv("EHUB_TUI_DATA_DIR", str(tmp_path / "data"))
    pg_bin = find_pg_bin()
    if pg_bin is not None:  # pg_dump / pg_restore of the test server's version
        monkeypatch.setenv("PATH", f"{pg_bin}{os.pathsep}{os.environ.get('PATH', '')}")
    return seeded


def _count(url: str, table: str) -> int:
    engine = create_engine(
        url.replace("postgresql://", "postgresql+psycopg://"), poolclass=NullPool
    )
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _target(hub_url: str, tmp_path: Path, request: pytest.FixtureRequest, name: str) -> str:
    if hub_url.startswith("sqlite"):
        return str(tmp_path / f"{name}.sqlite3")
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.create_database(f"{name}{os.getpid()}{abs(hash(tmp_path)) % 10**8}")


def test_backup_verify_and_restore_round_trip(
    worked: HubService, hub_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    folder = tmp_path / "backups"
    made = cli("backup", "--to", str(folder), "--json")
    assert made.exit_code == 0, made.output
    report = json.loads(made.stdout)
    copy = Path(report["file"])
    assert report["verified"] and report["audit"]["ok"]
    assert copy.parent == folder.resolve() and copy.name.startswith("hub-")
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert report["counts"]["consultations"] == 3 and report["counts"]["outcomes"] == 1
    assert report["revision"] and report["bytes"] == copy.stat().st_size
    events = report["audit"]["events"]
    assert events > 0 and report["counts"]["audit_events"] == events

    # --verify: checked, and not a byte of the backup changed
    before = _digest(copy)
    checked = cli("restore", str(copy), "--verify", "--json")
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["verified"]
    assert _digest(copy) == before

    if hub_url.startswith("postgresql"):
        # a named scratch database is overwritten by each verify (never the hub's own)
        scratch = _target(hub_url, tmp_path, request, "scratch")
        for _ in range(2):  # what a verify restores there is dropped again: reusable nightly
            again = cli("restore", str(copy), "--verify", "--scratch", scratch, "--json")
            assert again.exit_code == 0, again.output
        server: PostgresServer = request.getfixturevalue("pg_server")
        name = make_url(hub_url).database
        for spelling in (  # the hub's own database however its URL is written: refused
            hub_url,
            hub_url.replace("127.0.0.1", "localhost"),
            f"postgresql://postgres@/{name}?host={server.tmpdir}&port={server.port}",
        ):
            own = cli("restore", str(copy), "--verify", "--scratch", spelling)
            assert own.exit_code == 2 and "the hub's own database" in own.output, own.output
        assert _count(hub_url, "consultation") == 3

    # into an empty hub: verified, the same items and the same chain
    target = _target(hub_url, tmp_path, request, "restored")
    done = cli("restore", str(copy), "--to", target, "--json")
    assert done.exit_code == 0, done.output
    restored = json.loads(done.stdout)
    assert restored["verified"] and restored["counts"] == report["counts"]
    assert restored["audit"]["events"] == events

    # a hub that holds data is never overwritten without --force
    again = cli("restore", str(copy), "--to", target)
    assert again.exit_code != 0
    assert "already holds" in again.output and "Traceback" not in again.output
    forced = cli("restore", str(copy), "--to", target, "--force", "--json")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["counts"] == report["counts"]

    if hub_url.startswith("postgresql"):
        # a scratch that holds somebody's hub (the restored one) is refused before a byte moves
        held = cli("restore", str(copy), "--verify", "--scratch", target)
        assert held.exit_code == 2 and "holds a hub" in held.output, held.output
        # a dump that lists whole but holds no hub is verified first and replaces nothing
        server = request.getfixturevalue("pg_server")
        empty = _target(hub_url, tmp_path, request, "blank")
        dump = tmp_path / "blank.pgdump"
        subprocess.run(
            [
                "pg_dump",
                "--format=custom",
                f"--file={dump}",
                server.dsn_for(str(make_url(empty).database)),
            ],
            check=True,
        )
        bad = cli("restore", str(dump), "--to", target, "--force")
        assert bad.exit_code == 1 and "NOT verified" in bad.output, bad.output
        assert _count(target, "consultation") == 3


@pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)
def test_a_changed_backup_does_not_verify(worked: HubService, tmp_path: Path) -> None:
    made = cli("backup", "--to", str(tmp_path / "b"), "--json")
    copy = Path(json.loads(made.stdout)["file"])
    with sqlite3.connect(copy) as db:  # behind the app's back: a patient's name changed
        db.execute("UPDATE consultation SET family_name = 'Changed' WHERE id = 1")
    checked = cli("restore", str(copy), "--verify")
    assert checked.exit_code == 1
    assert "NOT verified" in checked.output and "consultation 1" in checked.output
    refused = cli("restore", str(copy), "--to", str(tmp_path / "new.sqlite3"))
    assert refused.exit_code == 1 and not (tmp_path / "new.sqlite3").exists()


@pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)
def test_restore_names_a_file_that_is_not_a_backup(worked: HubService, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    result = cli("restore", str(junk), "--verify")
    assert result.exit_code == 2
    assert "neither a SQLite hub file nor a PostgreSQL" in result.output
    assert "Traceback" not in result.output


def test_a_failed_sqlite_restore_keeps_the_old_hubs_wal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old hub's committed changes still in its -wal survive a rename that fails."""
    source = tmp_path / "backup.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    target = tmp_path / "hub.sqlite3"
    live = sqlite3.connect(target, isolation_level=None)
    live.execute("PRAGMA journal_mode=WAL")
    live.execute("PRAGMA wal_autocheckpoint=0")
    live.execute("CREATE TABLE kept (x)")
    live.execute("INSERT INTO kept VALUES (1)")
    assert Path(f"{target}-wal").stat().st_size > 0  # committed, only in the -wal

    def no_rename(a: object, b: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError):
        backup.restore_sqlite(source, target, force=True)
    monkeypatch.undo()
    live.close()
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT x FROM kept").fetchall() == [(1,)]
    db.close()
    backup.restore_sqlite(source, target, force=True)  # and a rename that works replaces it
    assert not Path(f"{target}-wal").exists()
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]
    db.close()
