"""Schema versions: Alembic's head is the one the code expects; upgrades keep data."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from ehub_tui.store.engine import StoreError, create_hub_engine, read_tx, write_tx
from ehub_tui.store.migrate import HEAD, MIGRATIONS, current_revision, upgrade
from tests.conftest import REPO


def test_head_constant_matches_alembic() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD


def test_upgrade_is_idempotent_and_keeps_data(hub_url: str) -> None:
    engine = create_hub_engine(hub_url)
    assert upgrade(engine) is True
    with write_tx(engine) as conn:
        conn.execute(
            text(
                "INSERT INTO practice (ods_code, name, pcn_code, pcn_name, list_size, "
                "active) VALUES ('Z1', 'P', '', '', 1, true)"
            )
        )
    assert upgrade(engine) is False
    with read_tx(engine) as conn:
        assert current_revision(conn) == HEAD
        assert conn.execute(text("SELECT count(*) FROM practice")).scalar() == 1
    engine.dispose()


def test_newer_schema_is_refused(hub_url: str) -> None:
    engine = create_hub_engine(hub_url)
    upgrade(engine)
    with write_tx(engine) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        upgrade(engine)
    except StoreError as exc:
        assert "newer than this ehub-tui knows" in str(exc)
    else:
        raise AssertionError("a newer schema must be refused")
    finally:
        engine.dispose()


def test_concurrent_start_ups_migrate_once(hub_url: str, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from ehub_tui.store.engine import create_hub_engine\n"
        "from ehub_tui.store.migrate import upgrade\n"
        "print(upgrade(create_hub_engine(sys.argv[1])))\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, hub_url],
            cwd=REPO,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert sorted(o.strip() for o, _ in outputs) == ["False", "False", "False", "True"]
