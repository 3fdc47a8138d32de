"""Tampering with a hub behind the app's back is found by `audit verify`, on both engines.

Each case builds a hub with real work on it (ingest, claims, a completion, releases, user and
practice changes, SOP versions), has the hub sign its chain (as the daily checkpoint does), then
changes the database directly as someone with write access to it could, and checks that verify
fails and names the row or event. An untouched hub verifies clean.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, text
from typer.testing import CliRunner

from ehub_tui.cli import app
from ehub_tui.domain.models import Outcome
from ehub_tui.service import HubService
from ehub_tui.store import audit
from ehub_tui.store.engine import write_tx
from ehub_tui.store.models import Consultation
from ehub_tui.store.verify import HubVerifyResult
from tests.support.factories import oc_row


@pytest.fixture
def hub(seeded: HubService, make_service: Callable[..., HubService]) -> HubService:
    """A signed hub with ingest, claims, a completion, releases, a role change and SOPs."""
    seeded.audit_key(create=True)  # a shared hub's key is made on the hub machine; SQLite's is
    seeded.store_intake([oc_row(i) for i in range(6)])
    nav = make_service("nav1")
    seeded.parts.guidance.seed()  # the shipped SOP versions, as the first app to need them does
    done = nav.claim_next()
    assert done is not None
    nav.complete(
        done,
        Outcome(
            category="signpost",
            route="pharmacy_first",
            destination="Community pharmacy",
            urgency="today",
        ),
    )
    for _ in range(2):
        c = nav.claim_next()
        assert c is not None
        nav.release(c, "waiting for a call back")
    admin = make_service("admin1")
    admin.set_role("nav2", "supervisor")
    seeded.audit_checkpoint()
    assert seeded.verify_audit().ok, seeded.verify_audit().problems
    return seeded


def sql(hub: HubService, statement: str, **params: Any) -> None:
    with write_tx(hub.engine) as conn:
        conn.execute(text(statement), params)


def scalar(hub: HubService, statement: str, **params: Any) -> Any:
    with hub.engine.connect() as conn:
        return conn.execute(text(statement), params).scalar_one()


def completed_item(hub: HubService) -> int:
    return int(scalar(hub, "SELECT consultation_id FROM outcome"))


def outcome_id(hub: HubService) -> int:
    return int(scalar(hub, "SELECT id FROM outcome"))


def head(hub: HubService) -> int:
    return int(scalar(hub, "SELECT seq FROM audit_head WHERE id = 1"))


def found(hub: HubService) -> HubVerifyResult:
    result = hub.verify_audit()
    assert not result.ok, "verify missed the tampering"
    return result


def names(result: HubVerifyResult) -> list[str]:
    return [p.where for p in result.problems]


def recompute_from(conn: Connection, first: int) -> None:
    """Re-hash every event from ``first`` on and fix up the head: a careful forger."""
    rows = conn.execute(
        text(
            "SELECT seq, at, actor, action, consultation_id, body FROM audit_event "
            "WHERE seq >= :s ORDER BY seq"
        ),
        {"s": first},
    ).all()
    prev = conn.execute(
        text("SELECT hash FROM audit_event WHERE seq = :s"), {"s": first - 1}
    ).scalar_one()
    for r in rows:
        body = r.body if isinstance(r.body, dict) else json.loads(r.body)
        bd = audit.digest(audit.canonical(body))
        at = r.at if isinstance(r.at, datetime) else datetime.fromisoformat(r.at)
        h = audit.event_hash(prev, r.seq, at, r.actor, r.action, r.consultation_id, bd)
        conn.execute(
            text(
                "UPDATE audit_event SET body_digest = :bd, prev_hash = :p, hash = :h WHERE seq = :s"
            ),
            {"bd": bd, "p": prev, "h": h, "s": r.seq},
        )
        prev = h
    conn.execute(
        text("UPDATE audit_head SET seq = (SELECT max(seq) FROM audit_event), hash = :h"),
        {"h": prev},
    )


def test_untouched_hub_verifies_clean(hub: HubService) -> None:
    result = hub.verify_audit()
    assert result.ok and result.problems == [] and result.warnings == []
    assert result.checkpoints >= 1 and result.rows > 10 and result.events == head(hub)


# -- the chain itself (found before checkpoints and replay) -------------------------------------


def test_event_body_edited(hub: HubService) -> None:
    sql(hub, "UPDATE audit_event SET body = :b WHERE seq = 5", b=json.dumps({"x": 1}))
    assert "event 5" in names(found(hub))


def test_event_actor_edited(hub: HubService) -> None:
    sql(hub, "UPDATE audit_event SET actor = 'nav2' WHERE seq = 6")
    assert found(hub).first_bad_seq == 6


def test_event_action_edited(hub: HubService) -> None:
    sql(hub, "UPDATE audit_event SET action = 'cancel' WHERE seq = 7")
    assert found(hub).first_bad_seq == 7


def test_event_item_edited(hub: HubService) -> None:
    item = completed_item(hub)
    seq = scalar(hub, "SELECT min(seq) FROM audit_event WHERE consultation_id = :c", c=item)
    sql(hub, "UPDATE audit_event SET consultation_id = :o WHERE seq = :s", o=item + 1, s=seq)
    assert found(hub).first_bad_seq == seq


def test_event_time_edited(hub: HubService) -> None:
    sql(hub, "UPDATE audit_event SET at = :t WHERE seq = 8", t=datetime(2020, 1, 1))
    assert found(hub).first_bad_seq == 8


def test_event_deleted(hub: HubService) -> None:
    sql(hub, "DELETE FROM audit_event WHERE seq = 9")
    result = found(hub)
    assert result.first_bad_seq == 9 and "missing" in result.reason


def test_last_event_deleted(hub: HubService) -> None:
    last = head(hub)
    sql(hub, "DELETE FROM audit_event WHERE seq = :s", s=last)
    assert found(hub).first_bad_seq == last


def test_events_reordered(hub: HubService) -> None:
    sql(hub, "UPDATE audit_event SET seq = -1 WHERE seq = 10")
    sql(hub, "UPDATE audit_event SET seq = 10 WHERE seq = 11")
    sql(hub, "UPDATE audit_event SET seq = 11 WHERE seq = -1")
    assert found(hub).first_bad_seq == 10


def test_event_hash_edited(hub: HubService) -> None:
    sql(hub, "UPDATE audit_event SET hash = :h WHERE seq = 4", h="f" * 64)
    assert found(hub).first_bad_seq == 4


def test_head_changed(hub: HubService) -> None:
    sql(hub, "UPDATE audit_head SET hash = :h", h="e" * 64)
    assert "the audit head" in names(found(hub))


# -- rows changed behind the app's back (replay) ------------------------------------------------


def test_outcome_category_changed(hub: HubService) -> None:
    sql(hub, "UPDATE outcome SET category = 'admin'")
    result = found(hub)
    assert f"outcome {outcome_id(hub)}" in names(result) and "category" in result.reason


def test_outcome_destination_changed(hub: HubService) -> None:
    sql(hub, "UPDATE outcome SET destination = 'GP practice'")
    assert "destination" in found(hub).reason


def test_outcome_navigator_changed(hub: HubService) -> None:
    sql(hub, "UPDATE outcome SET navigator = 'nav2'")
    assert "navigator" in found(hub).reason


def test_outcome_message_changed(hub: HubService) -> None:
    sql(hub, "UPDATE outcome SET message = 'Please call 111'")
    assert f"outcome {outcome_id(hub)}" in names(found(hub))


def test_outcome_deleted(hub: HubService) -> None:
    oid = outcome_id(hub)
    sql(hub, "DELETE FROM outcome")
    result = found(hub)
    assert f"outcome {oid}" in names(result) and "deleted" in result.reason


def test_completed_item_set_back_to_queued(hub: HubService) -> None:
    item = completed_item(hub)
    sql(hub, "UPDATE consultation SET status = 'queued', owner = NULL WHERE id = :i", i=item)
    result = found(hub)
    assert f"consultation {item}" in names(result) and "status, owner" in result.reason


def test_nhs_number_changed(hub: HubService) -> None:
    sql(hub, "UPDATE consultation SET nhs_number = '9434765919' WHERE id = 3")
    assert "consultation 3" in names(found(hub))


def test_priority_lowered(hub: HubService) -> None:
    sql(hub, "UPDATE consultation SET priority = 0, sop_flags = NULL WHERE id = 4")
    sql(hub, "UPDATE consultation SET priority = 2 WHERE id = 5")
    assert {"consultation 5"} <= set(names(found(hub)))


def test_user_promoted_to_admin(hub: HubService) -> None:
    sql(hub, "UPDATE hub_user SET role = 'admin' WHERE username = 'nav1'")
    result = found(hub)
    assert any(w.startswith("hub_user ") for w in names(result)) and "role" in result.reason


def test_user_inserted(hub: HubService) -> None:
    sql(
        hub,
        "INSERT INTO hub_user (username, display_name, role, active, created_at) "
        "VALUES ('mallory', 'M', 'admin', true, :t)",
        t=datetime(2026, 11, 23, 10, 0),
    )
    assert "inserted" in found(hub).reason


def test_practice_list_size_changed(hub: HubService) -> None:
    ods = scalar(hub, "SELECT min(ods_code) FROM practice")
    sql(hub, "UPDATE practice SET list_size = 1 WHERE ods_code = :o", o=ods)
    assert f"practice {ods}" in names(found(hub))


def test_sop_version_text_changed(hub: HubService) -> None:
    sql(hub, "UPDATE sop_version SET sop_text = sop_text || ' ' WHERE id = 1")
    assert "sop_version 1" in names(found(hub))


def test_consultation_inserted_without_ingest_event(hub: HubService) -> None:
    with write_tx(hub.engine) as conn:
        cols = [c.name for c in Consultation.__table__.columns if c.name != "id"]
        picked = ["'SNUCK-IN'" if c == "external_id" else c for c in cols]
        conn.execute(
            text(
                f"INSERT INTO consultation ({', '.join(cols)}) "
                f"SELECT {', '.join(picked)} FROM consultation WHERE id = 1"
            )
        )
    result = found(hub)
    assert any(p.check == "replay" and "inserted" in p.what for p in result.problems)


# -- rewriting the chain: checkpoints and the anchor find it ------------------------------------


def test_truncation_with_head_fixed_up(hub: HubService) -> None:
    last = head(hub)
    with write_tx(hub.engine) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq > :s"), {"s": last - 3})
        conn.execute(
            text(
                "UPDATE audit_head SET seq = :s, hash = "
                "(SELECT hash FROM audit_event WHERE seq = :s)"
            ),
            {"s": last - 3},
        )
    result = found(hub)
    assert any(p.check == "checkpoint" and "cut off" in p.what for p in result.problems)


def test_whole_chain_wiped(hub: HubService) -> None:
    with write_tx(hub.engine) as conn:
        conn.execute(text("DELETE FROM audit_event"))
        conn.execute(text("UPDATE audit_head SET seq = 0, hash = :g"), {"g": audit.GENESIS})
    result = found(hub)
    assert result.events == 0 and any(p.check == "checkpoint" for p in result.problems)


def test_chain_and_checkpoints_wiped(hub: HubService) -> None:
    """The anchor file beside the key still remembers what the hub signed."""
    hub.store_intake([oc_row(100)])
    hub.audit_checkpoint()  # the anchor now records a checkpoint that is in the database
    with write_tx(hub.engine) as conn:
        conn.execute(text("DELETE FROM audit_event"))
        conn.execute(text("DELETE FROM audit_checkpoint"))
        conn.execute(text("UPDATE audit_head SET seq = 0, hash = :g"), {"g": audit.GENESIS})
    result = found(hub)
    assert any("recorded outside the database" in p.what for p in result.problems)


def test_edit_with_every_later_hash_recomputed(hub: HubService) -> None:
    with write_tx(hub.engine) as conn:
        body = conn.execute(text("SELECT body FROM audit_event WHERE seq = 3")).scalar_one()
        body = body if isinstance(body, dict) else json.loads(body)
        body["forged"] = True
        conn.execute(
            text("UPDATE audit_event SET body = :b WHERE seq = 3"), {"b": json.dumps(body)}
        )
        recompute_from(conn, 3)
    result = found(hub)
    assert any(p.check == "checkpoint" and "rewritten" in p.what for p in result.problems)


def test_forged_event_appended(hub: HubService) -> None:
    """A validly chained event claiming nav2 completed item 2 differently: replay finds it."""
    item = 2
    with write_tx(hub.engine) as conn:
        audit.append(
            conn,
            [audit.Event("nav2", "complete", item, {"outcome_id": 99})],
            datetime.now(UTC),
        )
        # the forger writes the digest they want the row to have, not the row's
        seq = conn.execute(text("SELECT seq FROM audit_head")).scalar_one()
        body = conn.execute(
            text("SELECT body FROM audit_event WHERE seq = :s"), {"s": seq}
        ).scalar_one()
        body = body if isinstance(body, dict) else json.loads(body)
        body["covers"][0][2] = "0" * 64
        conn.execute(
            text("UPDATE audit_event SET body = :b WHERE seq = :s"),
            {"b": json.dumps(body), "s": seq},
        )
        recompute_from(conn, seq)
    result = found(hub)
    assert f"consultation {item}" in names(result)


def test_forged_checkpoint_signature(hub: HubService) -> None:
    sql(
        hub,
        "UPDATE audit_checkpoint SET signature = :s WHERE seq = (SELECT max(seq) FROM "
        "audit_checkpoint)",
        s="A" * 88,
    )
    assert any("forged" in p.what for p in found(hub).problems)


def test_checkpoint_signed_by_another_key(hub: HubService, tmp_path: Path) -> None:
    from ehub_tui.store import checkpoints

    other = checkpoints.create_key(tmp_path / "other" / "key.pem")
    with write_tx(hub.engine) as conn:
        row = checkpoints.latest(conn)
        conn.execute(text("DELETE FROM audit_checkpoint WHERE seq = :s"), {"s": row.seq})
        checkpoints.sign_head(conn, other, row.seq, row.hash, row.at)
    assert any("does not trust" in p.what for p in found(hub).problems)


# -- the command line ---------------------------------------------------------------------------


def test_cli_names_the_problem_and_exits_1(
    hub: HubService, hub_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ehub_tui.store import checkpoints

    monkeypatch.setenv("EHUB_TUI_HUB_URL", hub_url)
    key = tmp_path / "hub.pub"  # what `audit key` exports on the hub machine
    key.write_text(checkpoints.public_pem(hub.audit_key().public))
    ok = CliRunner().invoke(app, ["audit", "verify", "--public-key", str(key), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] is True
    sql(hub, "UPDATE outcome SET category = 'admin'")
    bad = CliRunner().invoke(app, ["audit", "verify", "--public-key", str(key)])
    assert bad.exit_code == 1
    assert f"outcome {outcome_id(hub)}" in bad.stderr and "category" in bad.stderr


def test_cli_verify_of_a_missing_hub_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "backups" / "hub-typo.sqlite3"
    result = CliRunner().invoke(app, ["audit", "verify", "--hub", str(missing)])
    assert result.exit_code == 2 and "no hub at" in result.stderr
    assert not missing.exists() and not missing.parent.exists()
