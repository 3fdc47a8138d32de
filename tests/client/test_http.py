"""HttpClient's request policy: what is retried and what is sent once, what a lost connection, a
timeout or an untrusted certificate becomes, how refusals come back as ``ehub_tui.errors``
classes, the headers every call carries, the hub's clock and role from each reply.

The policy tests talk to a scripted hub behind ``httpx.MockTransport`` (``ScriptedHub``, ours),
wrapped in the fault-injecting transport of tests/support/faults.py; the timeout and certificate
tests talk TLS to a real socket that never answers. The same faults against a real served hub are
in tests/client/test_http_served.py.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme

from ehub_tui import errors
from ehub_tui.client.device import device_id
from ehub_tui.client.http import HttpClient
from ehub_tui.client.protocol import HubClient
from ehub_tui.domain.models import Outcome, UserInfo
from ehub_tui.domain.queue import Claim
from ehub_tui.hub import wire
from ehub_tui.hub.principal import SignedIn
from tests.support.faults import FaultTransport, SilentServer

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
