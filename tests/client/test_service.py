"""ClientService over the in-process client and over HTTPS to a served hub (uvicorn, TLS from a
test CA, on loopback), on SQLite and PostgreSQL: who is signed in without
asking the hub, the hub's clock for today and due times, SOP guidance decided on the workstation
from what the hub has published (and a newly published version reaching it), authoring by upload,
the notice when the hub changes the user's role or ends the sign-in, and where tokens are kept."""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from ehub_tui.client.http.client import HttpClient
from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.protocol import HubClient, Submitted
from ehub_tui.client.service import ClientService, PrincipalChange
from ehub_tui.client.tokens import SERVICE, TokenStore
from ehub_tui.config import Settings
from ehub_tui.errors import NotSignedIn, PermissionDenied, SessionEnded
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.principal import Principal
from ehub_tui.secrets import MemoryKeyring
from ehub_tui.sop.authoring import AWAITING
from ehub_tui.sop.library import RED_FLAGS, shipped_sops_dir
from tests.client.test_inprocess import DEVICE, PASSWORD, seeded_core
from tests.conftest import FrozenClock
from tests.support.factories import as_consultation
from tests.support.faults import FaultTransport
from tests.support.hubserver import TestTls, served

CHEST_PAIN = {
    "date_of_birth": date(1962, 4, 2),
    "sex": "male",
    "request_type": "clinical",
    "template": "general",
    "answers": {},
    "supplier_flags": [],
    "free_text": "Crushing chest pain since breakfast, it goes down my left arm.",
}
NEW_SAY = "EDITED - possible heart attack."
# this workstation's own clock: years away from the hub's, so a time taken from it would show
FAR_AWAY = FrozenClock(datetime(2031, 6, 1, 12, 0, tzinfo=UTC))


class CountingClient(InProcessClient):
    """The in-process client, counting the calls that reach the hub (each authenticates)."""

    calls = 0

    def _principal(self) -> Principal:
        self.calls += 1
        return super()._principal()


@pytest.fixture
def core(hub_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[HubCore]:
    hub = seeded_core(Settings(data_dir=tmp_path / "data", hub_url=hub_url), clock)
    yield hub
    hub.close()


MakeService = Callable[..., ClientService]
_COUNTERS: dict[int, Callable[[], int]] = {}  # id(client) -> how many calls reached the hub


@pytest.fixture(params=["inprocess", "http"])
def transport(request: pytest.FixtureRequest) -> str:
    """How the workstation reaches the hub: in-process, or HTTPS to a served hub on loopback."""
    return str(request.param)


@pytest.fixture
def make_service(core: HubCore, tmp_path: Path, transport: str) -> Iterator[MakeService]:
    with contextlib.ExitStack() as stack:
        tls = TestTls.make(tmp_path / "tls") if transport == "http" else None
        hub = stack.enter_context(served(core, tls)) if tls is not None else None

        def factory(username: str | None, **settings: Any) -> ClientService:
            s = Settings(data_dir=tmp_path / "workstation", **settings)
            client: HubClient
            if hub is None or tls is None:
                counting = CountingClient(core, DEVICE)
                _COUNTERS[id(counting)] = lambda: counting.calls
                client = counting
            else:
                # every request passes this transport on its way to the real TLS server
                faults = FaultTransport(httpx.HTTPTransport(verify=tls.client_context()))
                client = HttpClient(
                    hub.url, ca_file=tls.ca_file, device_id=DEVICE, transport=faults
                )
                _COUNTERS[id(client)] = lambda: len(faults.seen)
            svc = ClientService(client, s, clock=FAR_AWAY)
            stack.callback(svc.close)
            if username is not None:
                svc.sign_in(username, PASSWORD)
            return svc

        yield factory


def calls(svc: ClientService) -> int:
    """How many calls of this service's client reached the hub so far."""
    return _COUNTERS[id(svc.client)]()


def test_who_is_signed_in_is_known_without_asking_the_hub(make_service: MakeService) -> None:
    nobody = make_service(None)
    assert (nobody.user, nobody.actor, nobody.may("work_items")) == (None, "", False)

    svc = make_service("nav1")
    before = calls(svc)
    assert svc.user is not None and (svc.user.username, svc.user.role) == ("nav1", "navigator")
    assert svc.actor == "nav1"
    assert svc.may("work_items") and not svc.may("see_board") and not svc.may("manage_users")
    assert calls(svc) == before  # none of that asked the hub
    svc.sign_out()
    assert svc.me is None and svc.actor == "" and not svc.may("work_items")


def test_today_and_due_times_follow_the_hub_clock(
    make_service: MakeService, core: HubCore, clock: FrozenClock
) -> None:
    svc = make_service("nav1")
    # Monday 23 November 2026, 10:00 UTC (over HTTP: the last reply's time plus the time since)
    assert clock.now <= svc.hub_now() < clock.now + timedelta(seconds=5)
    assert clock.now <= svc.clock.now() < clock.now + timedelta(seconds=5)  # the screens' too
    assert svc.today() == date(2026, 11, 23)
    assert svc.start_of_today() == datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # GMT in November
    assert svc.due_by(clock.now, 1) == datetime(2026, 11, 23, 18, 30, tzinfo=UTC)
    assert svc.due_by(clock.now, 0) == datetime(2026, 11, 24, 18, 30, tzinfo=UTC)
    hub = core.system()
    assert (svc.due_by(clock.now, 0), svc.today()) == (hub.due_by(clock.now, 0), hub.today())
    clock.advance(days=4, hours=9)  # Friday 19:00: after core hours
    svc.sign_in("nav1", PASSWORD)  # (four days on, the sign-in has expired; each reply says
    # the hub's time)
    assert svc.today() == date(2026, 11, 27)
    assert svc.due_by(clock.now, 1) == datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
    assert svc.rescue_if_due() == []  # the hub's own business


def test_a_demotion_reaches_the_service_and_its_hook(
    make_service: MakeService, core: HubCore
) -> None:
    changes: list[PrincipalChange] = []
    svc = make_service("sup1")
    svc.on_principal_changed = changes.append
    svc.board()
    core.system().set_role("sup1", "navigator")
    assert svc.may("see_board")  # nothing asked yet: still what the last me() said
    svc.view_counts()  # any call: the hub read the new role for it
    assert [(c.before.role if c.before else None, c.after) for c in changes] == [
        ("supervisor", svc.user)
    ]
    assert changes[0].message == "Your role is now navigator." and not changes[0].signed_out
    assert not svc.may("see_board") and svc.may("work_items")

    core.system().set_role("sup1", "supervisor")  # promoted again; a refusal also looks
    svc2 = make_service("nav2")
    svc2.on_principal_changed = changes.append
    core.system().set_role("nav2", "manager")
    with pytest.raises(PermissionDenied):
        svc2.claim_next()
    assert changes[-1].after is not None and changes[-1].after.role == "manager"
    assert svc2.may("see_reports")


def test_an_ended_sign_in_reaches_the_hook_once(make_service: MakeService) -> None:
    changes: list[PrincipalChange] = []
    svc = make_service("nav1")
    svc.on_principal_changed = changes.append
    admin = make_service("admin1")
    assert admin.sign_out_everywhere("nav1") >= 1
    with pytest.raises(SessionEnded):
        svc.view_counts()
    with pytest.raises(NotSignedIn):  # (the HTTP client has dropped the refused token)
        svc.view_counts()
    assert len(changes) == 1
    change = changes[0]
    assert change.signed_out and change.ended is not None and change.ended.code == "revoked"
    assert change.message == "Signed out: you were signed out (here, or by an admin)."
    assert svc.user is None and not svc.may("work_items")


def authoring_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "authoring"
    shutil.copytree(shipped_sops_dir(), folder)
    return folder


def new_version(path: Path) -> str:
    """Give the red-flags file a higher version and another chest pain wording; the version."""
    body = path.read_text(encoding="utf-8")
    version = re.search(r"(?m)^  version: (\S+)", body)
    assert version is not None
    major, minor = version.group(1).split("-")[0].split(".")[:2]
    new = f"{major}.{int(minor) + 1}.0"
    body = re.sub(r"(?m)^(  version: )\S+", rf"\g<1>{new}", body, count=1)
    body, n = re.subn(r"(- id: rf_chest_pain\n(?:.*\n)*?    say: )(.*)", rf"\g<1>{NEW_SAY}", body)
    assert n == 1
    path.write_text(body, encoding="utf-8")
    return new


def chest_pain_say(svc: ClientService) -> str:
    decision = svc.decide(as_consultation(CHEST_PAIN), {})
    assert decision is not None, svc.sops.last_problem
    flags = {f.id: f for f in decision.red_flags}
    assert flags["rf_chest_pain"].level == "emergency"
    return str(flags["rf_chest_pain"].say)


def test_guidance_is_decided_here_from_what_the_hub_published(
    make_service: MakeService, core: HubCore, tmp_path: Path
) -> None:
    nav = make_service("nav1")
    state = nav.guidance_state()
    assert state.available, state.problem
    asked = calls(nav)
    old_say = chest_pain_say(nav)
    assert nav.routes() and nav.message_template("no-such-template") is None
    assert calls(nav) == asked  # deciding, routes and templates never ask the hub
    assert nav.guidance_changes() is None  # one cheap look: nothing new

    folder = authoring_copy(tmp_path)
    path = folder / f"{RED_FLAGS}.sop.yaml"
    version = new_version(path)
    author = make_service("author1", sops_dir=folder)
    assert author.sops_folder() == folder
    row = next(r for r in author.sop_overview() if r.name == path.name)
    assert (row.publication, row.why_not_publishable()) == (AWAITING, None)
    submitted = author.submit_sop(path)
    assert isinstance(submitted, Submitted) and (submitted.sop_id, submitted.version) == (
        RED_FLAGS,
        version,
    )
    with pytest.raises(PermissionDenied):
        nav.sop_overview()
    with pytest.raises(PermissionDenied):
        author.publish_sop(path)  # an author submits; only a clinical approver publishes

    clin = make_service("clin1", sops_dir=folder)
    published = clin.publish_sop(path)
    assert (published.sop_id, published.version, published.approved_by) == (
        RED_FLAGS,
        version,
        "clin1",
    )
    assert published.file == path and published.note is None
    text = path.read_text(encoding="utf-8")  # the author's file is now the published text
    assert re.search(r"(?m)^  status: active$", text) and "approved_by: Dr Nadia Rahman" in text

    taken = nav.guidance_changes()  # the navigator's app takes it at its next look
    assert taken is not None and taken.taken, taken
    assert chest_pain_say(nav) == NEW_SAY != old_say
    assert nav.guidance_changes() is None


def test_tokens_are_kept_in_an_acceptable_keyring_or_only_in_memory(tmp_path: Path) -> None:
    keyring.set_keyring(MemoryKeyring())  # type: ignore[no-untyped-call]
    kept = TokenStore()
    assert kept.persistent and kept.why_memory is None
    kept.put("nav1", "https://hub.example:8443", DEVICE, "ehub1_secret")
    in_keyring = MemoryKeyring()  # type: ignore[no-untyped-call]
    assert in_keyring.get_password(SERVICE, f"nav1@https://hub.example:8443#{DEVICE}")
    assert TokenStore().get("nav1", "https://hub.example:8443", DEVICE) == "ehub1_secret"
    kept.forget("nav1", "https://hub.example:8443", DEVICE)
    assert TokenStore().get("nav1", "https://hub.example:8443", DEVICE) is None
    kept.forget("nav1", "https://hub.example:8443", DEVICE)  # safe to repeat

    # no OS keyring: memory only, never a file
    keyring.set_keyring(NoKeyring())  # type: ignore[no-untyped-call]
    memory = TokenStore()
    assert not memory.persistent and memory.why_memory
    memory.put("nav1", "hub", DEVICE, "ehub1_other")
    assert memory.get("nav1", "hub", DEVICE) == "ehub1_other"
    assert TokenStore().get("nav1", "hub", DEVICE) is None  # gone with the process's store
    assert not any(b"ehub1_other" in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
