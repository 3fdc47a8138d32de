"""HttpClient's request policy: what is retried and what is sent once, what a lost connection, a
timeout or an untrusted certificate becomes, how refusals come back as ``ehub_tui.errors``
classes, the headers every call carries, the hub's clock and role from each reply.

The policy tests talk to a scripted hub behind ``httpx.MockTransport`` (``ScriptedHub``, ours),
wrapped in the fault-injecting transport of tests/support/faults.py; the timeout and certificate
tests talk TLS to a real socket that never answers; the last part puts the same faults in front of
a real hub served over TLS by uvicorn (tests/support/hubserver.py) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from sqlalchemy import text

from ehub_tui import errors
from ehub_tui.client.device import device_id
from ehub_tui.client.http import HttpClient
from ehub_tui.client.protocol import HubClient
from ehub_tui.config import Settings
from ehub_tui.domain.models import Outcome, UserInfo
from ehub_tui.domain.queue import Claim
from ehub_tui.hub import wire
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.principal import SignedIn
from ehub_tui.hub.serve import ServedHub
from ehub_tui.service import HubService
from tests.conftest import FrozenClock
from tests.support.factories import oc_row
from tests.support.faults import FaultTransport, SilentServer
from tests.support.hubserver import TestTls, fast_core, set_password
from tests.support.hubserver import served as serve_hub

URL = "https://hub.test:8443"
DEVICE = "2b1e1bd4-2f7e-4a55-9d0b-6f1c0e3f9a11"
TOKEN = "ehub1_" + "t" * 43
PASSWORD = "correct horse battery staple"
LEASE = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)
CLAIM = Claim(item_id=7, epoch=3, lease_until=LEASE, owner="nav1")

Handler = Callable[[httpx.Request], httpx.Response]


class ScriptedHub:
    """Answers each (method, path) with a scripted reply, stamped like the hub's (time, role);
    records every request it answered."""

    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], Handler] = {}
        self.requests: list[httpx.Request] = []
        self.role = "navigator"
        self.offset = timedelta(0)

    def on(self, method: str, path: str, status: int = 200, body: bytes = b"") -> None:
        """Answer ``method /v1{path}`` with ``status`` and ``body`` (JSON)."""
        self.replies[(method, wire.API + path)] = lambda _r: httpx.Response(status, content=body)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        make = self.replies.get((request.method, request.url.path))
        reply = make(request) if make else httpx.Response(404, content=_envelope("NotFound"))
        reply.headers[wire.HUB_TIME_HEADER] = (datetime.now(UTC) + self.offset).isoformat()
        reply.headers[wire.ROLE_HEADER] = self.role
        reply.headers.setdefault("content-type", "application/json")
        return reply


def _envelope(error: str, message: str = "refused", **fields: Any) -> bytes:
    return wire.ERROR.dump_json(wire.ErrorBody(error=error, message=message, **fields))


@pytest.fixture
def hub() -> ScriptedHub:
    hub = ScriptedHub()
    hub.on("GET", "/queue/counts", body=b'{"queue": 4, "mine": 1, "done": 0}')
    hub.on("POST", f"/items/{CLAIM.item_id}/heartbeat", body=wire.CLAIM.dump_json(CLAIM))
    hub.on("POST", f"/items/{CLAIM.item_id}/complete", body=b'{"outcome_id": 41}')
    hub.on("POST", f"/items/{CLAIM.item_id}/claim", body=wire.CLAIM.dump_json(CLAIM))
    hub.on("POST", "/auth/sign-out", 204)
    signed = SignedIn(
        token=TOKEN,
        user=UserInfo("nav1", "navigator"),
        device_id=DEVICE,
        expires_at=LEASE + timedelta(hours=12),
        idle_minutes=60,
        hub_time=datetime.now(UTC),
    )
    hub.on("POST", "/auth/sign-in", body=wire.SIGNED_IN.dump_json(signed))
    return hub


@pytest.fixture
def faults(hub: ScriptedHub) -> FaultTransport:
    return FaultTransport(httpx.MockTransport(hub))


@pytest.fixture
def client(faults: FaultTransport) -> Iterator[HttpClient]:
    c = HttpClient(
        URL, ca_file=None, device_id=DEVICE, transport=faults, token=TOKEN, backoff=0.001
    )
    yield c
    c.close()


def _outcome() -> Outcome:
    return Outcome(category="signpost", route="pharmacy")


# -- retried: calls safe to repeat -------------------------------------------------------------


def test_a_get_is_retried_after_a_dropped_connection_and_succeeds(
    client: HttpClient, faults: FaultTransport
) -> None:
    faults.drop_before("GET", "/queue/counts", times=2)
    assert client.view_counts() == {"queue": 4, "mine": 1, "done": 0}
    assert faults.count("GET", "/queue/counts") == 3
    assert faults.count("GET", "/queue/counts", handled=True) == 1


def test_a_get_behind_a_restarting_proxy_is_retried(
    client: HttpClient, faults: FaultTransport
) -> None:
    faults.fail_with("GET", "/queue/counts", 503, times=1)
    faults.fail_with("GET", "/queue/counts", 502, times=1)
    assert client.view_counts()["queue"] == 4
    assert faults.count("GET", "/queue/counts") == 3


def test_a_get_gives_up_after_two_retries_naming_the_hub(
    client: HttpClient, faults: FaultTransport
) -> None:
    faults.drop_before("GET", "/queue/counts", times=10)
    with pytest.raises(errors.HubUnreachable, match=r"https://hub\.test:8443"):
        client.view_counts()
    assert faults.count("GET", "/queue/counts") == 3


def test_a_proxy_503_that_persists_is_hub_unreachable(
    client: HttpClient, faults: FaultTransport
) -> None:
    faults.fail_with("GET", "/queue/counts", 503, times=10)
    with pytest.raises(errors.HubUnreachable, match="HTTP 503"):
        client.view_counts()


def test_heartbeat_is_retried_when_its_reply_is_lost(
    client: HttpClient, faults: FaultTransport
) -> None:
    faults.drop_after("POST", "/heartbeat")
    assert client.heartbeat(CLAIM) == CLAIM
    assert faults.count("POST", "/heartbeat", handled=True) == 2


def test_sign_out_is_retried(client: HttpClient, faults: FaultTransport) -> None:
    faults.drop_before("POST", "/auth/sign-out")
    client.sign_out()
    assert faults.count("POST", "/auth/sign-out", handled=True) == 1
    assert client.token is None


# -- sent once: calls that must not act twice ----------------------------------------------------


def test_complete_whose_reply_is_lost_is_not_sent_again(
    client: HttpClient, faults: FaultTransport
) -> None:
    faults.drop_after("POST", "/complete")
    with pytest.raises(errors.HubUnreachable, match="may or may not have been done"):
        client.complete(CLAIM, _outcome())
    assert faults.count("POST", "/complete") == 1
    assert faults.count("POST", "/complete", handled=True) == 1


@pytest.mark.parametrize(
    ("name", "call"),
    [
        ("claim", lambda c: c.claim(7)),
        ("complete", lambda c: c.complete(CLAIM, _outcome())),
        ("release", lambda c: c.release(CLAIM, "break")),
        ("reassign", lambda c: c.reassign(7, "nav2", "cover")),
        ("intake", lambda c: c.store_intake([])),
        ("sign-in", lambda c: c.sign_in("nav1", PASSWORD)),
        ("claim-next", lambda c: c.claim_next()),
    ],
)
def test_calls_that_act_are_never_retried(
    client: HttpClient, faults: FaultTransport, name: str, call: Callable[[HttpClient], Any]
) -> None:
    faults.drop_before(None, None, times=10)
    with pytest.raises(errors.HubUnreachable, match=r"Cannot reach the hub at https://hub\.test"):
        call(client)
    assert len(faults.seen) == 1, f"{name} was sent {len(faults.seen)} times"
    faults.faults.clear()
    faults.fail_with(None, None, 503, times=10)
    with pytest.raises(errors.HubUnreachable):
        call(client)
    assert len(faults.seen) == 2, f"{name} was retried after a 503"


# -- refusals come back as the class the hub raised ---------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            403,
            _envelope("PermissionDenied", "navigators may not reassign"),
            errors.PermissionDenied,
        ),
        (404, _envelope("NotFound", "no consultation 7"), errors.NotFound),
        (409, _envelope("NotAvailable", "held by nav2"), errors.NotAvailable),
        (422, _envelope("RecordRejected", "too long"), errors.RecordRejected),
        (422, _envelope("PublishRefused", "tests fail"), errors.PublishRefused),
        (503, _envelope("StoreError", "database down"), errors.StoreError),
        (403, b"<html>Forbidden by proxy</html>", errors.PermissionDenied),
    ],
)
def test_error_envelopes_map_to_their_classes(
    client: HttpClient, hub: ScriptedHub, status: int, body: bytes, expected: type[Exception]
) -> None:
    hub.on("POST", "/items/7/claim", status, body)
    with pytest.raises(expected) as caught:
        client.claim(7)
    assert type(caught.value) is expected
    assert "Traceback" not in str(caught.value)


def test_lost_claim_carries_owner_status_and_epoch(client: HttpClient, hub: ScriptedHub) -> None:
    body = _envelope(
        "LostClaim", "You no longer hold 7", item_id=7, owner="nav2", status="claimed", epoch=4
    )
    hub.on("POST", "/items/7/complete", 409, body)
    with pytest.raises(errors.LostClaim) as caught:
        client.complete(CLAIM, _outcome())
    lost = caught.value
    assert (lost.item_id, lost.owner, lost.status, lost.epoch) == (7, "nav2", "claimed", 4)
    assert str(lost) == "You no longer hold 7"


def test_a_refused_token_raises_session_ended_and_tells_the_app(
    client: HttpClient, hub: ScriptedHub
) -> None:
    ended: list[errors.SessionEnded] = []
    client.on_session_ended(ended.append)
    hub.on("GET", "/queue/counts", 401, _envelope("SessionEnded", "signed out", code="revoked"))
    with pytest.raises(errors.SessionEnded) as caught:
        client.view_counts()
    assert caught.value.code == "revoked"
    assert ended == [caught.value]
    assert client.token is None


def test_a_wrong_password_is_not_a_session_ended(client: HttpClient, hub: ScriptedHub) -> None:
    ended: list[errors.SessionEnded] = []
    client.on_session_ended(ended.append)
    hub.on("POST", "/auth/sign-in", 401, _envelope("NotSignedIn", "wrong username or password"))
    with pytest.raises(errors.NotSignedIn) as caught:
        client.sign_in("nav1", "wrong")
    assert type(caught.value) is errors.NotSignedIn
    assert ended == []


def test_a_locked_account_says_when_to_try_again(client: HttpClient, hub: ScriptedHub) -> None:
    hub.on("POST", "/auth/sign-in", 429, _envelope("AccountLocked", "locked", retry_after=64))
    with pytest.raises(errors.AccountLocked) as caught:
        client.sign_in("nav1", PASSWORD)
    assert caught.value.retry_after == 64


def test_a_bare_429_takes_retry_after_from_the_header(client: HttpClient, hub: ScriptedHub) -> None:
    hub.replies[("POST", "/v1/auth/sign-in")] = lambda _r: httpx.Response(
        429, headers={"Retry-After": "30"}, text="slow down"
    )
    with pytest.raises(errors.AccountLocked) as caught:
        client.sign_in("nav1", PASSWORD)
    assert caught.value.retry_after == 30


# -- what every call carries, and what each reply tells the client -------------------------------


def test_every_call_carries_the_token_and_device(hub: ScriptedHub, faults: FaultTransport) -> None:
    client = HttpClient(URL, ca_file=None, device_id=DEVICE, transport=faults)
    client.sign_in("nav1", PASSWORD)
    client.view_counts()
    client.heartbeat(CLAIM)
    sign_in, *signed = hub.requests
    assert "authorization" not in sign_in.headers
    assert wire.SignInIn.model_validate_json(sign_in.content).device_id == DEVICE
    assert client.token == TOKEN
    for request in signed:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers[wire.DEVICE_HEADER] == DEVICE


def test_role_change_in_a_reply_is_reported_once(client: HttpClient, hub: ScriptedHub) -> None:
    roles: list[str] = []
    client.on_role(roles.append)
    client.view_counts()
    client.view_counts()
    assert roles == []
    hub.role = "supervisor"
    client.view_counts()
    client.view_counts()
    assert roles == ["supervisor"]
    assert client.last_role == "supervisor"


def test_hub_time_follows_the_hubs_clock(client: HttpClient, hub: ScriptedHub) -> None:
    hub.offset = timedelta(hours=1, minutes=3)
    before = datetime.now(UTC)
    client.view_counts()
    assert client.clock_offset is not None
    assert abs(client.clock_offset - hub.offset) < timedelta(seconds=2)
    now = client.hub_time()
    slack = timedelta(seconds=2)
    assert before + hub.offset - slack < now < datetime.now(UTC) + hub.offset + slack


def test_hub_time_before_any_reply_asks_the_hub(hub: ScriptedHub, faults: FaultTransport) -> None:
    hub.offset = timedelta(days=-1)
    hub.on("GET", "/time", body=b'{"hub_time": "2026-12-04T12:00:00+00:00", "today": "2026-12-04"}')
    client = HttpClient(URL, ca_file=None, device_id=DEVICE, transport=faults, token=TOKEN)
    assert client.hub_time().date() == (datetime.now(UTC) - timedelta(days=1)).date()
    assert faults.count("GET", "/time") == 1


def test_plain_http_is_refused() -> None:
    with pytest.raises(errors.ConfigError, match="https://"):
        HttpClient("http://hub.test:8443", ca_file=None, device_id=DEVICE)


def test_it_is_a_hub_client(client: HttpClient) -> None:
    typed: HubClient = client  # mypy checks the methods and their types against the protocol
    assert typed is client


def test_the_token_and_password_are_never_logged(
    hub: ScriptedHub, faults: FaultTransport, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore too
    client = HttpClient(URL, ca_file=None, device_id=DEVICE, transport=faults, backoff=0.001)
    client.sign_in("nav1", PASSWORD)
    faults.drop_before(None, None, times=2)
    client.view_counts()
    faults.drop_after("POST", "/complete")
    with pytest.raises(errors.HubUnreachable):
        client.complete(CLAIM, _outcome())
    hub.on("GET", "/queue/counts", 401, _envelope("SessionEnded", "expired", code="expired"))
    with pytest.raises(errors.SessionEnded):
        client.view_counts()
    text = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    assert "trying again" in text  # the retries were logged...
    assert "ehub1_" not in text  # ...and nothing of the token
    assert PASSWORD not in text


# -- real TLS: a hub that never answers, a certificate from another CA --------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "hub-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def test_a_hub_that_does_not_answer_times_out(ca: trustme.CA, ca_file: Path) -> None:
    with SilentServer(ca.issue_cert("127.0.0.1")) as silent:
        client = HttpClient(silent.url, ca_file=ca_file, device_id=DEVICE, timeout=0.3)
        with pytest.raises(errors.HubUnreachable, match=r"did not answer within 0\.3 s") as e:
            client.claim(7)
        assert silent.url in str(e.value)
        assert silent.connections == 1  # a claim is sent once


def test_a_get_that_times_out_is_tried_three_times(ca: trustme.CA, ca_file: Path) -> None:
    with SilentServer(ca.issue_cert("127.0.0.1")) as silent:
        client = HttpClient(
            silent.url, ca_file=ca_file, device_id=DEVICE, timeout=0.2, backoff=0.001
        )
        with pytest.raises(errors.HubUnreachable, match="did not answer"):
            client.view_counts()
        # a timed-out connection is not reused: each try opened its own
        assert silent.connections == 3


def test_a_certificate_from_another_ca_is_refused(ca: trustme.CA, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with SilentServer(ca.issue_cert("127.0.0.1")) as silent:
        client = HttpClient(silent.url, ca_file=other, device_id=DEVICE)
        with pytest.raises(errors.HubUnreachable, match="certificate") as caught:
            client.view_counts()
        assert silent.url in str(caught.value)
        assert "hub_ca_file" in str(caught.value)
        assert silent.connections == 1  # not retried: it would fail the same way


def test_the_system_trust_does_not_trust_a_private_ca(ca: trustme.CA) -> None:
    with SilentServer(ca.issue_cert("127.0.0.1")) as silent:
        client = HttpClient(silent.url, ca_file=None, device_id=DEVICE)
        with pytest.raises(errors.HubUnreachable, match="certificate"):
            client.view_counts()


def test_an_unreadable_ca_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(errors.ConfigError, match="hub_ca_file"):
        HttpClient(URL, ca_file=tmp_path / "missing.pem", device_id=DEVICE)


# -- the device id ---------------------------------------------------------------------------


def test_the_device_id_is_made_once_and_kept_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = device_id(data)
    assert device_id(data) == first
    mode = stat.S_IMODE(os.stat(data / "device-id").st_mode)
    assert mode == 0o600
    assert len(first) == 36


def test_a_damaged_device_id_file_is_a_plain_error(tmp_path: Path) -> None:
    (tmp_path / "device-id").write_text("not a uuid\n")
    with pytest.raises(errors.ConfigError, match=r"device-id: .* does not hold a UUID"):
        device_id(tmp_path)


# -- against a real hub served over TLS (uvicorn on 127.0.0.1), SQLite and PostgreSQL -----------

NAV_PASSWORD = "a long navigator passphrase"
SUP_PASSWORD = "a long supervisor passphrase"


@dataclass
class Served:
    """A served hub, its core, the TLS files and the test's system service to peek with."""

    hub: ServedHub
    core: HubCore
    tls: TestTls
    system: HubService
    made: list[HttpClient] = field(default_factory=list)

    def client(
        self,
        *,
        faults: FaultTransport | None = None,
        device: str = DEVICE,
        token: str | None = None,
    ) -> HttpClient:
        """A client for this hub (through ``faults`` when given), closed after the test."""
        made = HttpClient(
            self.hub.url,
            ca_file=self.tls.ca_file,
            device_id=device,
            transport=faults,
            token=token,
            backoff=0.001,
        )
        self.made.append(made)
        return made

    def faults(self) -> FaultTransport:
        """A fault transport in front of a real TLS connection to this hub."""
        return FaultTransport(httpx.HTTPTransport(verify=self.tls.client_context()))


@pytest.fixture
def served(
    hub_url: str, seeded: HubService, clock: FrozenClock, tmp_path: Path
) -> Iterator[Served]:
    core = fast_core(Settings(data_dir=tmp_path / "data", hub_url=hub_url), clock)
    set_password(core, "nav1", NAV_PASSWORD)
    set_password(core, "sup1", SUP_PASSWORD)
    tls = TestTls.make(tmp_path / "tls")
    with serve_hub(core, tls) as hub:
        made = Served(hub, core, tls, seeded)
        yield made
        for client in made.made:
            client.close()
    core.engine.dispose()


def _queued(system: HubService, n: int = 1) -> list[int]:
    created, _ = system.store_intake([oc_row(i) for i in range(1, n + 1)])
    return [item_id for _, item_id in created]


def test_served_get_is_retried_and_succeeds(served: Served) -> None:
    faults = served.faults()
    client = served.client(faults=faults)
    client.sign_in("nav1", NAV_PASSWORD)
    faults.drop_before("GET", "/queue/counts", times=2)
    assert client.view_counts()["queue"] == 0
    assert faults.count("GET", "/queue/counts", handled=True) == 1


def test_served_complete_lost_after_the_hub_did_it_is_done_once(served: Served) -> None:
    (item,) = _queued(served.system)
    faults = served.faults()
    client = served.client(faults=faults)
    client.sign_in("nav1", NAV_PASSWORD)
    claim = client.claim(item)
    faults.drop_after("POST", "/complete")
    with pytest.raises(errors.HubUnreachable, match="may or may not have been done"):
        client.complete(claim, _outcome())
    assert faults.count("POST", "/complete") == 1
    with served.system.engine.connect() as conn:
        outcomes = conn.execute(
            text("select count(*) from outcome where consultation_id = :i"), {"i": item}
        ).scalar_one()
    assert outcomes == 1
    assert served.system.item_state(item).status == "completed"
    # and sent again by hand, the hub says it is done already rather than doing it twice
    with pytest.raises(errors.LostClaim) as caught:
        client.complete(claim, _outcome())
    assert caught.value.status == "completed"


def test_served_heartbeat_is_retried(served: Served) -> None:
    (item,) = _queued(served.system)
    faults = served.faults()
    client = served.client(faults=faults)
    client.sign_in("nav1", NAV_PASSWORD)
    claim = client.claim(item)
    faults.drop_after("POST", "/heartbeat")
    assert client.heartbeat(claim).epoch == claim.epoch
    assert faults.count("POST", "/heartbeat", handled=True) == 2


def test_served_refusals_come_back_as_their_classes(served: Served) -> None:
    (item,) = _queued(served.system)
    nav, sup = served.client(), served.client(device="sup-device")
    nav.sign_in("nav1", NAV_PASSWORD)
    sup.sign_in("sup1", SUP_PASSWORD)
    with pytest.raises(errors.PermissionDenied):
        nav.set_role("nav2", "admin")
    with pytest.raises(errors.NotFound):
        nav.consultation(999_999)
    claim = nav.claim(item)
    with pytest.raises(errors.NotAvailable):
        sup.claim(item)
    sup.reassign(item, "nav2", "covering a break")
    with pytest.raises(errors.LostClaim) as caught:
        nav.complete(claim, _outcome())
    lost = caught.value
    assert (lost.item_id, lost.owner, lost.status) == (item, "nav2", "claimed")
    assert lost.epoch > claim.epoch


def test_served_revoked_token_ends_the_session(served: Served) -> None:
    client = served.client()
    token = client.sign_in("nav1", NAV_PASSWORD).token
    client.sign_out()
    client.sign_out()  # safe to repeat
    again = served.client(token=token)
    ended: list[errors.SessionEnded] = []
    again.on_session_ended(ended.append)
    with pytest.raises(errors.SessionEnded) as caught:
        again.view_counts()
    assert caught.value.code == "revoked"
    assert ended == [caught.value]
    assert again.token is None


def test_served_lockout_says_when_to_try_again(served: Served) -> None:
    client = served.client()
    refusals: list[errors.NotSignedIn] = []
    for _ in range(20):
        with pytest.raises(errors.NotSignedIn) as caught:
            client.sign_in("nav1", "not the password at all")
        refusals.append(caught.value)
        if isinstance(caught.value, errors.AccountLocked):
            break
    locked = refusals[-1]
    assert isinstance(locked, errors.AccountLocked), [type(r).__name__ for r in refusals]
    assert locked.retry_after >= 1
    assert len(refusals) > 1  # the first wrong passwords were plain refusals


def test_served_role_change_and_hub_time_reach_the_client(
    served: Served, clock: FrozenClock
) -> None:
    client = served.client()
    client.sign_in("nav1", NAV_PASSWORD)
    roles: list[str] = []
    client.on_role(roles.append)
    client.view_counts()
    served.system.set_role("nav1", "supervisor")
    client.view_counts()
    assert roles == ["supervisor"]
    # the hub's clock is frozen at the test's time: the client's hub time follows it, not ours
    assert abs(client.hub_time() - clock.now) < timedelta(seconds=5)


def test_served_sign_in_logs_neither_token_nor_password(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the client's, httpx's and httpcore's, and the hub's own
    client = served.client()
    token = client.sign_in("nav1", NAV_PASSWORD).token
    client.view_counts()
    with pytest.raises(errors.NotSignedIn):
        client.sign_in("nav1", "a wrong password given")
    text = caplog.text + "".join(repr(r.__dict__) for r in caplog.records)
    assert "ehub1_" not in text
    assert token[6:] not in text
    assert NAV_PASSWORD not in text
    assert "a wrong password given" not in text


def test_served_every_route_is_reached_by_a_client_method(served: Served) -> None:
    """Each HubClient method, called as a supervisor, reaches a route the hub has with a request
    it understands and a reply the client reads (a refusal on permission or state is fine); and
    every route but health and readiness is some method's."""
    from ehub_tui.client.protocol import SopUpload
    from ehub_tui.domain.queue import QueueFilter
    from ehub_tui.hub.app import route_table

    first, second, third, fourth, fifth = _queued(served.system, 5)
    faults = served.faults()
    client = served.client(faults=faults)
    client.sign_in("sup1", SUP_PASSWORD)
    served.system.add_user("nav9", "navigator", "")
    upload = SopUpload("tiny.yaml", b"sop: nothing\n", b"tests: []\n")
    today = clock_date = served.core.clock.now().date()
    later = served.core.clock.now() + timedelta(hours=2)
    calls: list[Callable[[], object]] = [
        lambda: served.client(faults=faults, token=client.token).hub_time(),
        client.me,
        client.list_users,
        lambda: client.get_user("nav1"),
        lambda: client.add_user("nav8", "navigator", "New Navigator"),
        lambda: client.set_role("nav9", "supervisor"),
        lambda: client.set_active("nav9", False),
        client.touch,
        lambda: client.reset_password("nav2", "a fresh long password 12"),
        lambda: client.sign_out_everywhere("nav2"),
        lambda: client.import_practices(served.system.list_practices()),
        client.list_practices,
        lambda: client.store_intake([oc_row(9)]),
        lambda: client.find_consultation_id("TEST", "T-0000009"),
        client.quarantined,
        lambda: client.quarantined(None),
        lambda: client.quarantine_entry(1),
        lambda: client.release_quarantined(1, oc_row(10)),
        lambda: client.discard_quarantined(1, "duplicate"),
        lambda: client.claim(first),
        client.claim_next,
        client.held_claims,
        client.heartbeat_held,
        lambda: [client.heartbeat(c) for c in client.held_claims()],
        lambda: [client.why_lost(c) for c in client.held_claims()],
        lambda: client.release(client.held_claims()[0], "a break"),
        lambda: client.complete(client.held_claims()[0], _outcome()),
        lambda: client.release_held("end of shift"),
        lambda: client.reassign(second, "nav1", "cover"),
        client.handovers,  # issue 15: the receiver's unseen handovers, and seeing one
        lambda: client.ack_handover(second),
        # issue 15: parking, the history, saved views and a user's default view
        lambda: client.park(client.claim(fifth), "Worse at night?", later),
        lambda: client.parking(fifth),
        lambda: client.item_history(first),
        lambda: client.holder_draft(first),  # trial 15b: the reassign's draft question
        client.saved_views,
        lambda: client.save_view("Clinical", QueueFilter(request_type="clinical")),
        lambda: client.set_default_view("nav1", "Clinical"),
        lambda: client.delete_view("Clinical"),
        lambda: client.force_release(second, "stuck"),
        lambda: client.cancel(third, "duplicate"),
        lambda: client.set_priority(fourth, 2, "red flag"),
        lambda: client.queue_page("queue", QueueFilter(practice="A81001"), 0, 10),
        client.view_counts,
        lambda: client.item_state(first),
        lambda: client.consultation(first),
        client.queue_summary,
        lambda: client.board(20),
        lambda: client.daily_return(today - timedelta(days=1), clock_date),
        lambda: client.report("today"),
        lambda: client.arrivals_by_hour(today - timedelta(days=1), clock_date),  # issue 16
        lambda: client.capacity_history(8),  # issue 17: the history capacity planning reads
        # issue 16: practices from the national files (an admin's: refused here)
        lambda: client.import_ods_practices([], None, True),
        lambda: client.import_list_sizes("2026-10", [], True),
        client.outbox_outcomes,  # issue 16: the FHIR outbox's read (an admin's: refused here)
        lambda: client.retention_purge(dry_run=True),  # issue 16: an admin's (refused here)
        lambda: client.audit_log(first, 10),
        client.change_cursor,
        client.sop_stamp,
        client.published_sops,
        client.sop_approvers,
        client.sop_submissions,
        lambda: client.submit_sop(upload),
        lambda: client.publish_sop(upload),
        lambda: client.sync_push([]),
        lambda: client.sync_pull(0),
        lambda: client.sync_results(["0" * 32]),
        lambda: client.sync_rejected(include_resolved=True),
        lambda: client.resolve_rejected("0" * 32, "phoned the practice"),
        lambda: client.change_password(SUP_PASSWORD, SUP_PASSWORD + " changed"),
        client.sign_out,
    ]
    for call in calls:
        try:
            call()
        except errors.EhubError as e:
            # refused for who or what: fine; refused for how it was asked: the client is wrong
            for wrong in ("not understood", "there is no", "cannot read", "not allowed on"):
                assert wrong not in str(e), str(e)
    templates = {
        (m, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"))
        for m, p in route_table()
        if not p.endswith(("/health", "/ready"))
    }
    unreached = sorted(
        f"{m} {rx.pattern}"
        for m, rx in templates
        if not any(m == hm and rx.match(hp) for hm, hp in faults.handled)
    )
    assert unreached == []
