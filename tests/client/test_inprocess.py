"""The in-process client on SQLite and PostgreSQL: a real hub core, real passwords (argon2id with
the cheapest parameters), real tokens — the same sign-in, per-call role checks, audit and hub clock
as a served hub, without a socket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, profiles

from ehub_tui.cli.demo import DEMO_USERS
from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.open import open_client
from ehub_tui.config import Settings
from ehub_tui.domain.models import Outcome
from ehub_tui.errors import NotSignedIn, PermissionDenied, SessionEnded
from ehub_tui.hub.core import HubCore
from ehub_tui.practices import load_practices
from ehub_tui.service.opening import open_engine
from tests.conftest import FIXTURES, FrozenClock
from tests.support.factories import many_rows

PASSWORD = "a long enough pass phrase"
DEVICE = "0d9f5a8e-3c1b-4a57-9e3e-6f1f0c2b7a11"
OTHER_DEVICE = "5b0f7f0e-9a43-4c4e-8f83-2f5e1d7c9b20"
OUTCOME = Outcome(
    category="clinical", route="manual", destination="GP routine", destination_code="GP_ROUTINE"
)


def cheap_hasher() -> PasswordHasher:
    """argon2id with the cheapest parameters (the real ones take ~64 MiB and tens of ms)."""
    return PasswordHasher.from_parameters(profiles.CHEAPEST)


def seeded_core(settings: Settings, clock: FrozenClock) -> HubCore:
    """A hub with the fixture practices, the demo users (each with PASSWORD) and ten items."""
    core = HubCore.open(settings, clock=clock, hasher=cheap_hasher())
    system = core.system()
    system.import_practices(load_practices(FIXTURES / "practices.yaml"))
    for username, role, name in DEMO_USERS:
        system.add_user(username, role, name)
        core.auth.set_password(username, PASSWORD, by="system")
    system.store_intake(many_rows(10))
    return core


@pytest.fixture
def core(hub_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[HubCore]:
    hub = seeded_core(Settings(data_dir=tmp_path / "data", hub_url=hub_url), clock)
    yield hub
    hub.close()


def signed_in(core: HubCore, username: str, device: str = DEVICE) -> InProcessClient:
    client = InProcessClient(core, device)
    client.sign_in(username, PASSWORD)
    return client


def test_a_navigator_signs_in_claims_and_completes(core: HubCore, clock: FrozenClock) -> None:
    client = InProcessClient(core, DEVICE)
    with pytest.raises(NotSignedIn):
        client.claim_next()  # nothing before sign-in
    signed = client.sign_in("nav1", PASSWORD)
    assert signed.user.username == "nav1" and signed.device_id == DEVICE
    assert client.token == signed.token and signed.token.startswith("ehub1_")

    me = client.me()
    assert (me.user.role, me.device_id, me.hub_time) == ("navigator", DEVICE, clock.now)
    assert "work_items" in me.permissions and "see_board" not in me.permissions

    claim = client.claim_next()
    assert claim is not None and claim.owner == "nav1"
    clock.advance(minutes=3)
    outcome_id = client.complete(claim, OUTCOME)
    assert outcome_id > 0
    assert client.item_state(claim.item_id).status == "completed"
    done = [e for e in core.system().audit_log(claim.item_id) if e.action == "complete"]
    assert [(e.actor, e.at) for e in done] == [("nav1", clock.now)]


def test_a_navigator_asking_for_the_board_is_refused_and_audited_with_the_device(
    core: HubCore,
) -> None:
    client = signed_in(core, "nav1")
    with pytest.raises(PermissionDenied, match=r"nav1 \(navigator\) may not see board"):
        client.board()
    denied = core.system().audit_log(limit=5)[0]
    assert (denied.action, denied.actor) == ("denied", "nav1")
    assert denied.body == {"permission": "see_board", "device": DEVICE}


def test_a_demotion_takes_effect_on_the_next_call(core: HubCore) -> None:
    client = signed_in(core, "sup1")
    assert client.board().items is not None  # a supervisor sees the board
    core.system().set_role("sup1", "navigator")  # an admin demotes them meanwhile
    with pytest.raises(PermissionDenied, match=r"sup1 \(navigator\) may not see board"):
        client.board()
    assert client.last_role == "navigator"
    assert client.me().user.role == "navigator"
    assert client.claim_next() is not None  # what a navigator may do still works


def test_a_disabled_user_is_refused_on_the_next_call(core: HubCore) -> None:
    client = signed_in(core, "nav1")
    core.system().set_active("nav1", False)
    with pytest.raises(SessionEnded) as ended:
        client.view_counts()
    assert ended.value.code == "disabled"


def test_a_signed_out_token_is_refused(core: HubCore) -> None:
    client = signed_in(core, "nav1")
    token = client.token
    assert token is not None
    client.sign_out()
    assert client.token is None
    with pytest.raises(NotSignedIn):
        client.view_counts()
    client.sign_out()  # safe to repeat
    # the same token presented again (a copy kept somewhere) is refused by the hub
    again = InProcessClient(core, DEVICE, token=token)
    with pytest.raises(SessionEnded) as ended:
        again.view_counts()
    assert ended.value.code == "revoked"


def test_a_token_from_another_device_is_refused_and_ends_the_session(core: HubCore) -> None:
    client = signed_in(core, "nav1")
    assert client.token is not None
    thief = InProcessClient(core, OTHER_DEVICE, token=client.token)
    with pytest.raises(SessionEnded) as ended:
        thief.view_counts()
    assert ended.value.code == "wrong_device"
    with pytest.raises(SessionEnded):  # the session is presumed stolen: ended for its owner too
        client.view_counts()


def test_a_wrong_password_signs_nobody_in(core: HubCore) -> None:
    client = InProcessClient(core, DEVICE)
    with pytest.raises(NotSignedIn):
        client.sign_in("nav1", "not the password at all")
    assert client.token is None


def test_sign_out_everywhere_and_password_reset_are_admin_only(core: HubCore) -> None:
    nav = signed_in(core, "nav1")
    other = signed_in(core, "nav1", OTHER_DEVICE)
    with pytest.raises(PermissionDenied):
        nav.sign_out_everywhere("nav2")
    admin = signed_in(core, "admin1")
    assert admin.sign_out_everywhere("nav1") == 2
    for client in (nav, other):
        with pytest.raises(SessionEnded):
            client.view_counts()
    admin.reset_password("nav1", "another long pass phrase", must_change=False)
    with pytest.raises(NotSignedIn):
        InProcessClient(core, DEVICE).sign_in("nav1", PASSWORD)
    InProcessClient(core, DEVICE).sign_in("nav1", "another long pass phrase")


def test_the_hub_time_is_the_hub_clock(core: HubCore, clock: FrozenClock) -> None:
    client = InProcessClient(core, DEVICE)
    assert client.hub_time() == clock.now
    clock.advance(hours=5)
    assert client.hub_time() == clock.now


def test_open_client_embedded_is_in_process(tmp_path: Path, clock: FrozenClock) -> None:
    settings = Settings(data_dir=tmp_path / "data")  # no hub_server_url, no hub_url: embedded
    seeded_core(settings, clock).close()
    client = open_client(settings, clock=clock, hasher=cheap_hasher())
    try:
        assert isinstance(client, InProcessClient)
        # this workstation's device id, kept beside its data
        assert client.device_id == (tmp_path / "data" / "device-id").read_text().strip()
        client.sign_in("nav1", PASSWORD)
        assert client.view_counts()["queue"] == 10
    finally:
        client.close()


class HubClock:
    """A hub clock a test moves by hand: wall time and the monotonic count together."""

    def __init__(self, start: FrozenClock) -> None:
        self.wall = start.now
        self.seconds = 0.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.seconds

    def advance(self, minutes: float) -> None:
        self.wall += timedelta(minutes=minutes)
        self.seconds += minutes * 60


def test_an_embedded_hubs_calls_return_expired_leases_to_the_queue(
    sqlite_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    """No server runs the rescue timer of an embedded hub: its clients' calls do, at most every
    RESCUE_EVERY (as the app's keep-alive did)."""
    hub_clock = HubClock(clock)
    settings = Settings(data_dir=tmp_path / "data", hub_url=sqlite_url)
    seeded_core(settings, clock).close()
    # the SQLite hub judges leases by the clock it is given (as the hub machine would)
    engine = open_engine(settings, hub_clock=hub_clock.now)
    core = HubCore(engine, settings, clock=hub_clock, hasher=cheap_hasher())
    try:
        nav1, nav2 = signed_in(core, "nav1"), signed_in(core, "nav2", OTHER_DEVICE)
        claim = nav1.claim_next()
        assert claim is not None
        nav2.view_counts()  # the first call looks at once: nothing has expired yet
        assert nav2.item_state(claim.item_id).status == "claimed"
        hub_clock.advance(minutes=settings.lease_minutes + 1)  # nav1's app died: no heartbeat
        nav2.view_counts()  # any call, not a claim
        assert nav2.item_state(claim.item_id) == ("queued", None, claim.epoch + 1)
        rescued = [e for e in core.system().audit_log(claim.item_id) if e.action == "lease_expired"]
        assert [e.actor for e in rescued] == ["system"]
    finally:
        core.close()
