"""Editing, deleting or reordering an audit row is detected by `ehub-tui audit verify`."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.domain.models import Outcome
from ehub_tui.service import HubService
from ehub_tui.store.engine import write_tx
from tests.support.factories import oc_row


@pytest.fixture
def chain(
    seeded: HubService, make_service: Callable, hub_url: str, monkeypatch: pytest.MonkeyPatch
) -> HubService:
    """A hub with a chain of events: ingest, claims, a completion, a release."""
    monkeypatch.setenv("EHUB_TUI_HUB_URL", hub_url)
    seeded.store_intake([oc_row(i) for i in range(5)])
    nav = make_service("nav1")
    c = nav.claim_next()
    nav.complete(c, Outcome(category="signpost", route="self_care"))
    for _ in range(4):
        c2 = nav.claim_next()
        nav.release(c2, "waiting for a call back")
    assert seeded.change_cursor() >= 16
    return seeded


def verify_cli() -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["audit", "verify", "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_intact_chain_verifies(chain: HubService) -> None:
    code, data = verify_cli()
    assert code == 0 and data["ok"] and data["checked"] > 10


def test_edited_body_is_detected(chain: HubService) -> None:
    with write_tx(chain.engine) as conn:
        conn.execute(
            text("UPDATE audit_event SET body = :b WHERE seq = 12"),
            {"b": json.dumps({"epoch": 99})},
        )
    code, data = verify_cli()
    assert code == 1 and data["first_bad_seq"] == 12 and "body" in data["reason"]


def test_edited_actor_is_detected(chain: HubService) -> None:
    with write_tx(chain.engine) as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'nav2' WHERE seq = 13"))
    code, data = verify_cli()
    assert code == 1 and data["first_bad_seq"] == 13


def test_deleted_row_is_detected(chain: HubService) -> None:
    with write_tx(chain.engine) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 11"))
    code, data = verify_cli()
    assert code == 1 and data["first_bad_seq"] == 11 and "missing" in data["reason"]


def test_deleted_tail_is_detected(chain: HubService) -> None:
    last = chain.change_cursor()
    with write_tx(chain.engine) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": last})
    code, data = verify_cli()
    assert code == 1 and data["first_bad_seq"] == last and "removed" in data["reason"]


def test_reordered_rows_are_detected(chain: HubService) -> None:
    with write_tx(chain.engine) as conn:
        conn.execute(text("UPDATE audit_event SET seq = -1 WHERE seq = 12"))
        conn.execute(text("UPDATE audit_event SET seq = 12 WHERE seq = 13"))
        conn.execute(text("UPDATE audit_event SET seq = 13 WHERE seq = -1"))
    code, data = verify_cli()
    assert code == 1 and data["first_bad_seq"] == 12


def test_human_output_names_the_event(chain: HubService) -> None:
    with write_tx(chain.engine) as conn:
        conn.execute(text("UPDATE audit_event SET action = 'complete' WHERE seq = 9"))
    result = CliRunner().invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "broken at event 9" in result.stderr
