"""The offline sign-in's verifier follows the password the hub accepts: none is kept for an
admin-issued password that must be changed (and an older one is forgotten), and a password
change keeps the new one — so with the hub away the new password opens the workstation and the
old (admin's) one does not. An offline sign-in whose password the hub then refuses ends with a
sentence saying so. In-process client on a SQLite hub; the network cut with FaultyClient."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.service import ClientService, PrincipalChange
from ehub_tui.config import Settings
from ehub_tui.errors import HubUnreachable, NotSignedIn
from ehub_tui.hub.core import HubCore
from tests.client.local_support import wait_until
from tests.client.test_inprocess import PASSWORD, cheap_hasher, seeded_core
from tests.conftest import FrozenClock
from tests.support.sync_faults import FaultyClient

ADMIN_ISSUED = "issued by the admin 1"
CHOSEN = "my own new pass phrase"
FAST: dict[str, Any] = {"sync_pull_seconds": 0.5, "sync_backoff_max_seconds": 1.0}


class Hub:
    """A seeded SQLite hub and workstations of it (one data folder: one local file)."""

    def __init__(self, core: HubCore, tmp_path: Path, stack: contextlib.ExitStack) -> None:
        self.core, self.tmp_path, self.stack = core, tmp_path, stack
        self.device = str(uuid.uuid4())

    def station(self, **hooks: Any) -> tuple[ClientService, FaultyClient]:
        settings = Settings(data_dir=self.tmp_path / "ws", **FAST)
        net = FaultyClient(InProcessClient(self.core, self.device))
        svc = ClientService(net.client, settings, hasher=cheap_hasher(), **hooks)
        self.stack.callback(svc.close)
        return svc, net


@pytest.fixture
def hub(tmp_path: Path, clock: FrozenClock) -> Iterator[Hub]:
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    core = seeded_core(Settings(data_dir=tmp_path / "hub-data", hub_url=url), clock)
    with contextlib.ExitStack() as stack:
        yield Hub(core, tmp_path, stack)
    core.close()


def test_a_must_change_password_opens_nothing_offline_and_the_new_one_does(hub: Hub) -> None:
    # nav1 signed in here before with PASSWORD: a verifier of it is kept
    svc, _ = hub.station()
    svc.sign_in("nav1", PASSWORD)
    svc.close()
    # the admin resets nav1's password to one that must be changed
    hub.core.auth.set_password("nav1", ADMIN_ISSUED, by="admin1", must_change=True)

    svc, net = hub.station()
    signed = svc.sign_in("nav1", ADMIN_ISSUED)
    assert signed.must_change_password
    kept = svc.local.user("nav1")
    assert kept is not None and kept.verifier is None  # neither the admin's nor the old one
    svc.close()

    svc, net = hub.station()
    net.go_down()
    for password in (ADMIN_ISSUED, PASSWORD):
        with pytest.raises(HubUnreachable):  # no verifier: as any stranger to this workstation
            svc.sign_in("nav1", password)
    svc.close()

    svc, net = hub.station()
    svc.sign_in("nav1", ADMIN_ISSUED)
    svc.change_password(ADMIN_ISSUED, CHOSEN)
    svc.close()

    svc, net = hub.station()
    net.go_down()
    with pytest.raises(NotSignedIn, match="wrong username or password"):
        svc.sign_in("nav1", ADMIN_ISSUED)
    signed = svc.sign_in("nav1", CHOSEN)
    assert signed.token == "" and svc.offline_session and svc.actor == "nav1"
    net.heal()
    svc.sync_drain(10)
    wait_until(lambda: not svc.offline_session, "signed in on the hub with the new password")


def test_a_change_of_password_replaces_the_verifier(hub: Hub) -> None:
    svc, net = hub.station()
    svc.sign_in("nav1", PASSWORD)
    svc.change_password(PASSWORD, CHOSEN)
    svc.sign_out()
    net.go_down()
    with pytest.raises(NotSignedIn, match="wrong username or password"):
        svc.sign_in("nav1", PASSWORD)
    assert svc.sign_in("nav1", CHOSEN).token == "" and svc.offline_session


def test_a_refused_offline_password_ends_the_sign_in_saying_so(hub: Hub) -> None:
    svc, _ = hub.station()
    svc.sign_in("nav1", PASSWORD)
    svc.close()
    changes: list[PrincipalChange] = []
    svc, net = hub.station(on_principal_changed=changes.append)
    net.go_down()
    svc.sign_in("nav1", PASSWORD)
    assert svc.offline_session
    # meanwhile the password was changed elsewhere: the hub will not take the offline one
    hub.core.auth.set_password("nav1", CHOSEN, by="admin1")
    net.heal()
    svc.sync_drain(10)
    wait_until(lambda: bool(changes), "the app is told the sign-in ended")
    (change,) = changes
    assert change.signed_out
    assert change.message == (
        "The hub did not accept the password you signed in with offline: sign in again."
    )
    assert not svc.offline_session and svc.user is None
    kept = svc.local.user("nav1")
    assert kept is not None and kept.verifier is None  # that password opens nothing now
