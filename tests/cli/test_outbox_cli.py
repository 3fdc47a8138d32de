"""``ehub-tui outbox write`` on a served hub (loopback TLS; SQLite and PostgreSQL hubs): an admin
signed in writes a Bundle and a summary per completed outcome, each with its .ctl, and prints the
summary (and --json); a re-run writes nothing new; a navigator is refused in a sentence (exit 2,
audited); no folder given or set is a sentence, never the current folder. No record's patient
details reach the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner, Result

from ehub_tui.cli import app
from ehub_tui.domain.models import Outcome
from ehub_tui.secrets import MemoryKeyring
from ehub_tui.service import HubService
from tests.conftest import FrozenClock
from tests.support.factories import oc_row
from tests.support.hubserver import PASSWORD, TestTls, fast_core, served, set_password

OUTCOME = Outcome(
    category="signpost",
    route="pf_sore_throat",
    destination="Community pharmacy (Pharmacy First)",
    destination_code="COMMUNITY_PHARMACY",
    urgency="same_day",
    snomed_code="1362511000000107",
    sop_id="pharmacy-first",
    sop_version="2.3.0",
    message="Please see a pharmacist today.",
)


def cli(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


def sign_in(user: str) -> None:
    got = cli("signin", "-U", user, "--password-stdin", stdin=PASSWORD + "\n")
    assert got.exit_code == 0, got.output


@pytest.fixture
def hub(
    seeded: HubService, clock: FrozenClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[int]]:
    """A served hub with two outcomes completed today by nav1; yields their item ids."""
    monkeypatch.setattr(MemoryKeyring, "_store", {})
    created, _ = seeded.store_intake([oc_row(1), oc_row(2), oc_row(3)])
    ids = [cid for _, cid in created][:2]
    nav = HubService(seeded.engine, seeded.settings, "nav1", clock=clock)
    for item in ids:
        nav.complete(nav.claim(item), OUTCOME)
    core = fast_core(seeded.settings, clock)
    for user in ("admin1", "nav1"):
        set_password(core, user, PASSWORD)
    tls = TestTls.make(tmp_path / "tls")
    with served(core, tls) as server:
        monkeypatch.setenv("EHUB_TUI_HUB_SERVER_URL", server.url)
        monkeypatch.setenv("EHUB_TUI_HUB_CA_FILE", str(tls.ca_file))
        yield ids
    core.close()


def test_an_admin_writes_the_outbox_once_and_a_navigator_is_refused(
    hub: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = tmp_path / "outbox"
    monkeypatch.chdir(tmp_path)
    here = set(tmp_path.iterdir())
    none = cli("outbox", "write")  # no --to, no outbox_dir: a sentence, nothing written here
    assert none.exit_code == 2 and "no outbox folder" in none.stderr
    assert set(tmp_path.iterdir()) == here

    sign_in("nav1")
    refused = cli("outbox", "write", "--to", str(box))
    assert refused.exit_code == 2 and "may not write outbox" in refused.stderr
    assert "Traceback" not in refused.output

    sign_in("admin1")
    got = cli("outbox", "write", "--to", str(box), "--since", "2026-11-20")
    assert got.exit_code == 0, got.output
    assert "2 written, 0 already there, 0 failed" in got.stdout
    assert oc_row(1).nhs_number not in got.output and "Tester1" not in got.output
    bundles = sorted((box / "fhir").glob("*.json"))
    assert len(bundles) == 2 and len(list((box / "fhir").glob("*.ctl"))) == 2
    assert len(list((box / "html").glob("*.html"))) == 2
    for path in bundles:
        Bundle.model_validate_json(path.read_bytes())
    assert bundles[0].name.endswith(f"-{hub[0]}-{bundles[0].stem.rsplit('-', 1)[1]}.json")

    # a re-run: nothing new (also from the setting instead of --to)
    monkeypatch.setenv("EHUB_TUI_OUTBOX_DIR", str(box))
    again = cli("outbox", "write", "--since", "2026-11-20", "--json")
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert (data["written"], data["already_there"], data["failed"]) == (0, 2, 0)
    assert data["outbox"] == str(box) and data["since"] == "2026-11-20"

    bad = cli("outbox", "write", "--since", "last week")
    assert bad.exit_code == 2 and "--since 'last week' is not a date" in bad.stderr
