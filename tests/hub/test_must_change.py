"""A password an admin reset with "must change" is enforced by the hub, not only by the app: until
its holder chooses their own they may see their account, change the password and sign out — every
other request is refused (PermissionDenied, 403 over HTTPS) and audited as denied
``must_change_password``. Over the in-process client and over HTTPS to a served hub."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from ehub_tui.client.http.client import HttpClient
from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.config import Settings
from ehub_tui.domain.models import AuditEvent
from ehub_tui.errors import PermissionDenied, SessionEnded
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.passwords import PolicyError
from ehub_tui.hub.serve import ServedHub
from tests.conftest import FIXTURES, FrozenClock
from tests.support.factories import oc_row
from tests.support.hubserver import PASSWORD, TestTls, fast_core, seed_hub, served

USERS = [
    ("nav1", "navigator", "Priya Shah"),
    ("admin1", "admin", "Hub Admin"),
    ("admin2", "admin", "Second Admin"),
]
TEMPORARY = "a temporary pass phrase 31"  # what the admin told them
THEIR_OWN = "a kingfisher on the weir 5"
FIRST = "change your password first"

Client = InProcessClient | HttpClient


@pytest.fixture
def core(hub_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[HubCore]:
    c = fast_core(Settings(data_dir=tmp_path / "data", hub_url=hub_url), clock)
    seed_hub(c, FIXTURES / "practices.yaml", USERS)
    c.system().store_intake([oc_row(1)])
    yield c
    c.close()


@pytest.fixture(params=["inprocess", "http"])
def connect(
    request: pytest.FixtureRequest, core: HubCore, tmp_path: Path
) -> Iterator[Callable[[str], Client]]:
    """A new client of the hub on a device, over the transport under test."""
    made: list[Client] = []
    with ExitStack() as stack:
        hub: ServedHub | None = None
        tls = TestTls.make(tmp_path / "tls")
        if request.param == "http":
            hub = stack.enter_context(served(core, tls))

        def make(device: str) -> Client:
            client: Client
            if hub is None:
                client = InProcessClient(core, device)
            else:
                client = HttpClient(hub.url, ca_file=tls.ca_file, device_id=device, timeout=20)
            made.append(client)
            return client

        yield make
        for client in made:
            client.close()


def _denials(core: HubCore) -> list[AuditEvent]:
    return [e for e in core.system().audit_log(limit=500) if e.action == "denied"]


def _reset(core: HubCore, username: str) -> None:
    """An admin's reset: a temporary password its holder must change."""
    admin = core.authenticate(core.sign_in("admin1", PASSWORD, "dev-admin").token, "dev-admin")
    core.reset_password(admin, username, TEMPORARY, must_change=True)


def test_until_the_change_only_me_change_password_and_sign_out(
    core: HubCore, connect: Callable[[str], Client]
) -> None:
    _reset(core, "nav1")
    nav = connect("dev-nav1")
    signed = nav.sign_in("nav1", TEMPORARY)
    assert signed.must_change_password

    me = nav.me()  # their account: allowed
    assert me.user.username == "nav1" and "work_items" in me.permissions
    refused: list[Callable[[], object]] = [
        nav.claim_next,
        nav.view_counts,
        nav.list_users,
        nav.touch,
        nav.published_sops,
    ]
    for call in refused:
        with pytest.raises(PermissionDenied, match=FIRST):
            call()
    denied = _denials(core)
    assert len(denied) == len(refused)
    assert {(e.actor, e.body["permission"], e.body["device"]) for e in denied} == {
        ("nav1", "must_change_password", "dev-nav1")
    }

    nav.change_password(TEMPORARY, THEIR_OWN)
    claim = nav.claim_next()  # the same sign-in goes on, now with everything their role allows
    assert claim is not None and claim.item_id == 1
    assert nav.view_counts()
    assert len(_denials(core)) == len(refused)


def test_signing_out_is_allowed_before_the_change(
    core: HubCore, connect: Callable[[str], Client]
) -> None:
    _reset(core, "nav1")
    nav = connect("dev-nav1")
    token = nav.sign_in("nav1", TEMPORARY).token
    nav.sign_out()
    with pytest.raises(SessionEnded):
        core.authenticate(token, "dev-nav1")
    assert not _denials(core)


def test_an_admin_who_must_change_cannot_act_as_admin_yet(
    core: HubCore, connect: Callable[[str], Client]
) -> None:
    _reset(core, "admin2")
    boss = connect("dev-admin2")
    boss.sign_in("admin2", TEMPORARY)
    with pytest.raises(PermissionDenied, match=FIRST):
        boss.reset_password("nav1", "a password of my choosing 9", False)
    with pytest.raises(PermissionDenied, match=FIRST):
        boss.sign_out_everywhere("nav1")
    with pytest.raises(PermissionDenied, match=FIRST):
        boss.set_role("nav1", "admin")
    assert core.system().get_user("nav1").role == "navigator"  # type: ignore[union-attr]
    assert [e.body["permission"] for e in _denials(core)] == ["must_change_password"] * 3


def test_a_weak_new_password_is_a_policy_error_and_the_old_one_still_must_change(
    core: HubCore, connect: Callable[[str], Client]
) -> None:
    _reset(core, "nav1")
    nav = connect("dev-nav1")
    nav.sign_in("nav1", TEMPORARY)
    with pytest.raises(PolicyError, match="too short"):  # the same class over HTTPS
        nav.change_password(TEMPORARY, "short")
    with pytest.raises(PermissionDenied, match=FIRST):
        nav.claim_next()
