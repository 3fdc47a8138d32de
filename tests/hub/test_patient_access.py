"""SOP authors and managers never read patient-identifiable items (issue 15, part 8): the hub
refuses them queue pages and consultations on every request (403, audited with the principal
and device), a sync pull gives their workstation no queue, and the counts stay theirs
(a manager's reports). Over a real uvicorn with TLS on 127.0.0.1, as test_api's callers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ehub_tui.config import Settings
from ehub_tui.hub.core import HubCore
from tests.conftest import FIXTURES, FrozenClock
from tests.hub.test_api import hub, sign_in  # noqa: F401 (fixtures: the served hub, callers)
from tests.support.factories import oc_row
from tests.support.hubserver import fast_core, seed_hub

USERS = [
    ("nav1", "navigator", "Priya Shah"),
    ("author1", "sop_author", "Dr Ewan Price"),
    ("mgr1", "manager", "Sam Okoro"),
]
PATIENT_READS = [
    ("GET", "/queue?view=queue"),
    ("GET", "/queue?view=done"),
    ("GET", "/items/1"),
]


@pytest.fixture
def core(hub_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[HubCore]:
    c = fast_core(Settings(data_dir=tmp_path / "data", hub_url=hub_url), clock)
    seed_hub(c, FIXTURES / "practices.yaml", USERS)
    yield c
    c.close()


@pytest.mark.parametrize("username", ["author1", "mgr1"])
def test_patient_reads_are_refused_and_audited(
    core: HubCore,
    sign_in: Any,  # noqa: F811
    username: str,
) -> None:
    core.system().store_intake([oc_row(1)])
    caller = sign_in(username, f"dev-{username}")
    for method, path in PATIENT_READS:
        reply = caller.call(method, path)
        assert reply.status_code == 403, (path, reply.text)
        assert reply.json()["error"] == "PermissionDenied", path
        assert "may not see patients" in reply.json()["message"], path
    denied = [e for e in core.system().audit_log(limit=100) if e.action == "denied"]
    assert [(e.actor, e.body) for e in denied] == [
        (username, {"permission": "see_patients", "device": f"dev-{username}"})
    ] * len(PATIENT_READS)
    # the workstation's pull carries no patient queue (it is told the open queue is empty)
    pulled = caller.call("GET", "/sync/pull?cursor=0")
    assert pulled.status_code == 200, pulled.text
    body = pulled.json()
    assert body["rows"] == [] and body["held"] == [] and body["reset"] is True
    # counts without identifiers stay readable
    assert caller.call("GET", "/queue/counts").status_code == 200
    if username == "mgr1":
        assert caller.call("GET", "/reports/today").status_code == 200


def test_a_navigator_still_reads_the_queue(core: HubCore, sign_in: Any) -> None:  # noqa: F811
    core.system().store_intake([oc_row(1)])
    nav = sign_in("nav1")
    for method, path in PATIENT_READS:
        reply = nav.call(method, path)
        assert reply.status_code == 200, (path, reply.text)
    assert len(nav.call("GET", "/sync/pull?cursor=0").json()["rows"]) == 1
    assert not [e for e in core.system().audit_log(limit=100) if e.action == "denied"]
