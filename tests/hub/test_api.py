"""The hub API as its clients use it, over a real uvicorn with TLS on 127.0.0.1: sign in, claim
and complete, refusals (403 audited with the principal and device; 401 with a reason; 409 with
who holds the item), a demotion on the next request, the hub's clock on every reply, intake by
the service role (prescreened on the hub), SOP upload checked on the hub."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from ehub_tui.config import Settings
from ehub_tui.domain.models import Outcome
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.serve import ServedHub
from ehub_tui.hub.wire import (
    CLAIM,
    CLAIM_OR_NONE,
    HUB_TIME_HEADER,
    PUBLISHED,
    ROLE_HEADER,
    CompleteIn,
    IntakeIn,
    SopUploadIn,
    WireConsultation,
)
from tests.conftest import FIXTURES, FrozenClock
from tests.support.factories import oc_row
from tests.support.hubserver import PASSWORD, TestTls, fast_core, seed_hub, served

USERS = [
    ("nav1", "navigator", "Priya Shah"),
    ("nav2", "navigator", "Tom Fletcher"),
    ("sup1", "supervisor", "Grace O'Neill"),
    ("admin1", "admin", "Hub Admin"),
    ("clin1", "clinical_approver", "Dr Nadia Rahman"),
    ("watcher", "service", "the ingest watcher"),
]
OUTCOME = Outcome(category="signpost", route="self_care", destination="Self care")


@pytest.fixture
def core(hub_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[HubCore]:
    c = fast_core(Settings(data_dir=tmp_path / "data", hub_url=hub_url), clock)
    seed_hub(c, FIXTURES / "practices.yaml", USERS)
    yield c
    c.close()


@pytest.fixture
def hub(core: HubCore, tmp_path: Path) -> Iterator[ServedHub]:
    with served(core, TestTls.make(tmp_path / "tls")) as h:
        yield h


class Api:
    """A signed-in caller (plain httpx: the server is what is under test here)."""

    def __init__(self, hub: ServedHub, tls_dir: Path, username: str, device: str) -> None:
        ca = str(tls_dir / "ca.pem")
        self.device = device
        self.http = httpx.Client(base_url=f"{hub.url}/v1", verify=_context(ca), timeout=20)
        reply = self.http.post(
            "/auth/sign-in",
            json={"username": username, "password": PASSWORD, "device_id": device},
        )
        assert reply.status_code == 200, reply.text
        self.signed_in = reply.json()
        self.token = self.signed_in["token"]
        self.http.headers.update({"Authorization": f"Bearer {self.token}", "X-Ehub-Device": device})

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        return self.http.request(method, path, **kw)


def _context(ca: str) -> Any:
    import ssl

    return ssl.create_default_context(cafile=ca)


@pytest.fixture
def sign_in(hub: ServedHub, tmp_path: Path) -> Iterator[Any]:
    made: list[Api] = []

    def make(username: str, device: str = "dev-1") -> Api:
        api = Api(hub, tmp_path / "tls", username, device)
        made.append(api)
        return api

    yield make
    for api in made:
        api.http.close()


def test_a_navigator_claims_and_completes_over_the_api(
    core: HubCore, sign_in: Any, clock: FrozenClock
) -> None:
    core.system().store_intake([oc_row(1)])
    nav = sign_in("nav1")
    reply = nav.call("POST", "/queue/claim-next")
    assert reply.status_code == 200, reply.text
    assert reply.headers[ROLE_HEADER] == "navigator"
    assert datetime.fromisoformat(reply.headers[HUB_TIME_HEADER]) == clock.now
    claim = CLAIM_OR_NONE.validate_json(reply.content)
    assert claim is not None and claim.owner == "nav1"

    page = nav.call("GET", "/queue", params={"view": "mine"}).json()
    assert [r["id"] for r in page["rows"]] == [claim.item_id] and page["total"] == 1

    body = CompleteIn(claim=claim, outcome=OUTCOME).model_dump_json()
    done = nav.call(
        "POST",
        f"/items/{claim.item_id}/complete",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["outcome_id"] > 0
    state = nav.call("GET", f"/items/{claim.item_id}/state").json()
    assert state == ["completed", "nav1", claim.epoch]

    # completing again: 409 LostClaim, saying who holds it and how
    again = nav.call(
        "POST",
        f"/items/{claim.item_id}/complete",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert again.status_code == 409
    env = again.json()
    assert env["error"] == "LostClaim"
    assert env["status"] == "completed" and env["item_id"] == claim.item_id
    assert "Traceback" not in again.text


def test_another_navigator_cannot_take_a_held_item(core: HubCore, sign_in: Any) -> None:
    core.system().store_intake([oc_row(1)])
    nav1, nav2 = sign_in("nav1"), sign_in("nav2", "dev-2")
    claim = CLAIM.validate_json(nav1.call("POST", "/items/1/claim").content)
    reply = nav2.call("POST", "/items/1/claim")
    assert reply.status_code == 409 and reply.json()["error"] == "NotAvailable"
    # the heartbeat of the real holder renews; a stale epoch is a LostClaim
    beat = nav1.call(
        "POST",
        "/items/1/heartbeat",
        content=CLAIM.dump_json(claim),
        headers={"content-type": "application/json"},
    )
    assert beat.status_code == 200, beat.text
    assert nav2.call("GET", "/items/404").status_code == 404


SUPERVISOR_AND_ADMIN = [
    ("POST", "/items/1/reassign", {"to_user": "nav2", "reason": "x"}, "reassign"),
    ("POST", "/items/1/force-release", {"reason": "x"}, "force_release"),
    ("POST", "/items/1/cancel", {"reason": "x"}, "cancel"),
    ("POST", "/items/1/priority", {"priority": 0, "reason": "x"}, "set_priority"),
    ("GET", "/board", None, "see_board"),
    ("POST", "/users", {"username": "eve", "role": "admin"}, "manage_users"),
    ("PATCH", "/users/nav1", {"role": "admin"}, "manage_users"),
    ("POST", "/users/nav2/password", {"new": "a much longer password 9"}, "manage_sessions"),
    ("POST", "/users/nav2/sessions/revoke", None, "manage_sessions"),
    ("GET", "/returns/daily?first=2026-11-23&last=2026-11-23", None, "export_returns"),
    ("GET", "/returns/hourly?first=2026-11-23&last=2026-11-23", None, "export_returns"),
    ("GET", "/reports/today", None, "see_reports"),
    ("PUT", "/practices", [], "manage_practices"),
    ("POST", "/intake", {"items": [], "quarantined": []}, "ingest"),
]


def test_a_navigator_is_refused_every_supervisor_and_admin_endpoint_and_audited(
    core: HubCore, sign_in: Any
) -> None:
    core.system().store_intake([oc_row(1)])
    nav = sign_in("nav1", "dev-nav1-laptop")
    for method, path, body, permission in SUPERVISOR_AND_ADMIN:
        reply = nav.call(method, path, json=body)
        assert reply.status_code == 403, (path, reply.text)
        assert reply.json()["error"] == "PermissionDenied", path
        assert permission.replace("_", " ") in reply.json()["message"]
    denied = [e for e in core.system().audit_log(limit=500) if e.action == "denied"]
    seen = {e.body["permission"] for e in denied}
    assert seen == {p for *_, p in SUPERVISOR_AND_ADMIN}
    assert {(e.actor, e.body.get("device")) for e in denied} == {("nav1", "dev-nav1-laptop")}


def test_a_demoted_supervisor_is_refused_on_the_next_request(core: HubCore, sign_in: Any) -> None:
    sup = sign_in("sup1")
    first = sup.call("GET", "/board")
    assert first.status_code == 200, first.text
    assert first.headers[ROLE_HEADER] == "supervisor"
    core.system().set_role("sup1", "navigator")
    after = sup.call("GET", "/board")
    assert after.status_code == 403
    assert after.headers[ROLE_HEADER] == "navigator"
    me = sup.call("GET", "/me").json()
    assert me["user"]["role"] == "navigator" and "see_board" not in me["permissions"]
    # disabled: the token ends
    core.system().set_active("sup1", False)
    gone = sup.call("GET", "/me")
    assert gone.status_code == 401 and gone.json()["code"] == "disabled"


def test_sign_in_refusals_say_nothing_about_the_user(hub: ServedHub, tmp_path: Path) -> None:
    with httpx.Client(base_url=f"{hub.url}/v1", verify=_context(str(tmp_path / "tls/ca.pem"))) as c:
        wrong = c.post(
            "/auth/sign-in",
            json={"username": "nav1", "password": "not it at all 1", "device_id": "d"},
        )
        nobody = c.post(
            "/auth/sign-in",
            json={"username": "nobody", "password": "not it at all 1", "device_id": "d"},
        )
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json()["message"] == nobody.json()["message"]
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    assert "not it at all" not in wrong.text


def test_a_token_from_another_device_is_refused_and_ended(sign_in: Any) -> None:
    nav = sign_in("nav1", "dev-a")
    stolen = nav.call("GET", "/me", headers={"X-Ehub-Device": "dev-b"})
    assert stolen.status_code == 401 and stolen.json()["code"] == "wrong_device"
    assert stolen.headers["www-authenticate"].startswith("Bearer")
    # the session is presumed stolen: ended for its own device too
    assert nav.call("GET", "/me").status_code == 401


def test_sign_out_ends_the_token(sign_in: Any) -> None:
    nav = sign_in("nav1")
    assert nav.call("POST", "/auth/sign-out").status_code == 204
    after = nav.call("GET", "/me")
    assert after.status_code == 401 and after.json()["code"] == "revoked"


def test_bad_input_is_named_never_echoed(sign_in: Any) -> None:
    nav = sign_in("nav1")
    reply = nav.call(
        "POST", "/items/1/release", json={"claim": {"item_id": "NHS 943 476 5919"}, "reason": "x"}
    )
    assert reply.status_code == 422
    env = reply.json()
    assert env["error"] == "RequestInvalid" and "claim" in env["message"]
    assert "943 476" not in reply.text


def test_the_service_role_stores_intake_and_the_hub_prescreens_it(
    core: HubCore, sign_in: Any
) -> None:
    watcher = sign_in("watcher", "dev-watch")
    body = IntakeIn(items=[WireConsultation.of(oc_row(i)) for i in range(3)])
    reply = watcher.call(
        "POST",
        "/intake",
        content=body.model_dump_json(),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["created"]) == 3
    item = core.system().consultation(reply.json()["created"][0][1])
    assert item.screened_at is not None  # the hub screened it before anyone saw it
    # and that is all the service role may do
    assert watcher.call("POST", "/queue/claim-next").status_code == 403
    assert watcher.call("GET", "/board").status_code == 403


def test_a_sop_is_published_from_an_upload_checked_on_the_hub(core: HubCore, sign_in: Any) -> None:
    clin = sign_in("clin1")
    published = PUBLISHED.validate_json(clin.call("GET", "/sops/published").content)
    signposting = next(p for p in published if p.sop_id == "signposting")
    text = signposting.text.decode()
    major, minor, patch = signposting.version.split(".")
    bumped = text.replace(
        f"version: {signposting.version}", f"version: {major}.{minor}.{int(patch) + 1}", 1
    )
    assert bumped != text
    upload = SopUploadIn(
        file_name="signposting.sop.yaml", text=bumped.encode(), tests=signposting.tests
    )
    reply = clin.call(
        "POST",
        "/sops/publish",
        content=upload.model_dump_json(),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["old_version"] == f"{major}.{minor}.{patch}"
    assert reply.json()["file"] == "signposting.sop.yaml"
    # the same again: refused by the hub's own check, 422 with why
    again = clin.call(
        "POST",
        "/sops/publish",
        content=upload.model_dump_json(),
        headers={"content-type": "application/json"},
    )
    assert again.status_code == 422 and again.json()["error"] == "PublishRefused"
    # a name with a folder is refused before anything is written
    bad = SopUploadIn(file_name="../x.sop.yaml", text=b"x")
    reply = clin.call(
        "POST",
        "/sops/publish",
        content=bad.model_dump_json(),
        headers={"content-type": "application/json"},
    )
    assert reply.status_code == 422 and "plain file name" in reply.json()["message"]


def test_admin_resets_a_password_and_the_user_is_signed_out(sign_in: Any) -> None:
    nav, admin = sign_in("nav1"), sign_in("admin1", "dev-admin")
    reply = admin.call(
        "POST",
        "/users/nav1/password",
        json={"new": "a new long pass phrase 7", "must_change": True},
    )
    assert reply.status_code == 204, reply.text
    assert nav.call("GET", "/me").status_code == 401
    revoked = admin.call("POST", "/users/nav2/sessions/revoke")
    assert revoked.status_code == 200 and revoked.json() == {"revoked": 0}


def test_the_upkeep_timer_returns_expired_leases_and_signs_the_head(
    core: HubCore, sign_in: Any, clock: FrozenClock
) -> None:
    import time

    from ehub_tui.hub.app import Upkeep

    core.system().store_intake([oc_row(1)])
    nav = sign_in("nav1")
    claim = CLAIM.validate_json(nav.call("POST", "/items/1/claim").content)
    clock.advance(minutes=core.settings.lease_minutes + 1)
    timer = Upkeep(core, rescue_every=0.02, checkpoint_every=3600)
    # SQLite's leases are judged by the hub core's clock (the test's); PostgreSQL's by its own,
    # which the test cannot move: there the lease is still good, and the timer must leave it
    expected = "queued" if core.engine.dialect.name == "sqlite" else "claimed"
    timer.start()
    try:
        deadline = time.monotonic() + 20
        # the timer thread's progress, polled (there is no event to wait on)
        while timer.rescues < 2 or core.system().item_state(claim.item_id).status != expected:
            assert time.monotonic() < deadline, f"the item is not {expected} after rescues"
            time.sleep(0.02)
    finally:
        timer.stop()
    assert timer.rescues >= 1
    # the hub holds its audit key (an embedded hub makes one; a shared hub's may be absent)
    if core.settings.audit_key_path.exists():
        assert timer.checkpoint_once()
        head = core.system().change_cursor()
        from ehub_tui.store import checkpoints
        from ehub_tui.store.engine import read_tx

        with read_tx(core.engine) as conn:
            latest = checkpoints.latest(conn)
        assert latest is not None and latest.seq == head


# What a navigator may call: every other route of the API must refuse them (403, audited), so a
# route added later without a role check fails this test. Bodies are minimal and valid enough
# to reach the role check; a path's {x} is filled with an id that exists where it matters.
NAVIGATOR_MAY = {
    ("GET", "/v1/health"),
    ("GET", "/v1/ready"),
    ("POST", "/v1/auth/sign-in"),
    ("POST", "/v1/auth/sign-out"),
    ("GET", "/v1/me"),
    ("POST", "/v1/me/password"),
    ("GET", "/v1/time"),
    ("GET", "/v1/changes/cursor"),
    ("GET", "/v1/claims"),
    ("POST", "/v1/claims/heartbeat"),
    ("POST", "/v1/claims/release"),
    ("POST", "/v1/queue/claim-next"),
    ("GET", "/v1/queue"),
    ("GET", "/v1/queue/counts"),
    ("GET", "/v1/queue/summary"),
    ("GET", "/v1/items/{item_id}"),
    ("GET", "/v1/items/{item_id}/state"),
    ("GET", "/v1/items/{item_id}/why-lost"),
    ("POST", "/v1/items/{item_id}/claim"),
    ("POST", "/v1/items/{item_id}/heartbeat"),
    ("POST", "/v1/items/{item_id}/release"),
    ("POST", "/v1/items/{item_id}/complete"),
    ("GET", "/v1/practices"),
    ("GET", "/v1/sops/published"),
    ("GET", "/v1/sops/stamp"),
    ("GET", "/v1/sops/approvers"),
    ("GET", "/v1/users"),
    ("GET", "/v1/users/{username}"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/consultations/by-key"),
    # sync (issue 14): a navigator pushes their own outbox and pulls; resolving is a supervisor's
    ("POST", "/v1/sync/push"),
    ("GET", "/v1/sync/pull"),
    ("POST", "/v1/sync/results"),
    ("GET", "/v1/sync/rejected"),
    # handovers (issue 15): a navigator reads and acknowledges what was handed to them
    ("GET", "/v1/handovers"),
    ("POST", "/v1/items/{item_id}/handover/seen"),
    # awaiting patient and history (issue 15): a navigator parks what they hold and reads the
    # history of items they may see (the service refuses others, tests/hub/test_awaiting.py)
    ("POST", "/v1/items/{item_id}/park"),
    ("GET", "/v1/items/{item_id}/parking"),
    ("GET", "/v1/items/{item_id}/history"),
    # saved views (issue 15): everyone reads them; saving and defaults are a supervisor's
    ("GET", "/v1/views"),
}
_QUERIES = {
    "/v1/returns/daily": "?first=2026-11-23&last=2026-11-23",
    "/v1/returns/hourly": "?first=2026-11-23&last=2026-11-23",
    "/v1/consultations/by-key": "?source=x&external_id=y",
}
_BODIES: dict[str, Any] = {
    "/v1/items/{item_id}/reassign": {"to_user": "nav2", "reason": "x"},
    "/v1/views/{name}": {"filters": {}},
    "/v1/users/{username}/default-view": {"view": None},
    "/v1/items/{item_id}/force-release": {"reason": "x"},
    "/v1/items/{item_id}/cancel": {"reason": "x"},
    "/v1/retention/purge": {"dry_run": True},
    "/v1/items/{item_id}/priority": {"priority": 0, "reason": "x"},
    "/v1/users": {"username": "eve", "role": "admin"},
    "/v1/users/{username}": {"role": "admin"},
    "/v1/users/{username}/password": {"new": "a much longer password 9"},
    "/v1/practices": [],
    "/v1/practices/ods": {"practices": []},
    "/v1/practices/list-sizes": {"month": "2026-10", "sizes": []},
    "/v1/intake": {"items": [], "quarantined": []},
    "/v1/quarantine/{qid}/discard": {"reason": "x"},
    "/v1/sops/submit": {"file_name": "x.sop.yaml", "text": "", "tests": None},
    "/v1/sops/publish": {"file_name": "x.sop.yaml", "text": "", "tests": None},
    "/v1/sync/rejected/{event_id}/resolve": {"resolution": "x"},
}


def test_every_route_a_navigator_may_not_call_refuses_them_and_is_audited(
    core: HubCore, sign_in: Any
) -> None:
    from ehub_tui.hub.app import route_table

    core.system().store_intake([oc_row(1)])
    nav = sign_in("nav1", "dev-walk")
    refused = []
    for method, route in route_table():
        if (method, route) in NAVIGATOR_MAY:
            continue
        path = (
            route.replace("{item_id}", "1")
            .replace("{username}", "nav2")
            .replace("{qid}", "1")
            .replace("{period}", "today")
            .replace("{event_id}", "0" * 32)
            .replace("{name}", "Clinical")
        )
        body = _BODIES.get(route)
        if route == "/v1/quarantine/{qid}/release":
            body = WireConsultation.of(oc_row(2)).model_dump(mode="json")
        reply = nav.call(method, path[len("/v1") :] + _QUERIES.get(route, ""), json=body)
        assert reply.status_code == 403, (method, route, reply.status_code, reply.text)
        refused.append(route)
    assert len(refused) >= 15  # the walk really covered the privileged routes
    denied = [e for e in core.system().audit_log(limit=500) if e.action == "denied"]
    assert len(denied) == len(refused)
    assert {(e.actor, e.body.get("device")) for e in denied} == {("nav1", "dev-walk")}
