"""With the hub known away the workstation does not wait for it: once the sender's status is
offline, the views come from the local store, claims and supervisor actions are refused,
completions and returns are pending and heartbeats fail — each at once, not after a timeout —
and nothing is logged per call; the sender's own rounds notice the hub coming back, and the
outbox drains.

The hub is served over HTTPS (uvicorn, TLS from a test CA, SQLite). "Hung" is real: the client's
requests are sent to a TLS server that accepts, reads and never answers (SilentServer), so each
request the app made would cost a real read timeout; "stopped" is FaultTransport.go_down()
(connect errors before the server). Times are measured with time.monotonic against a generous
bound: a behaviour (no wait for the hub), not a benchmark."""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import trustme

from ehub_tui.client.http.client import HttpClient
from ehub_tui.client.service import ClientService
from ehub_tui.config import Settings
from ehub_tui.domain.models import Outcome
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.domain.sync import OFFLINE_ACTION, OFFLINE_CLAIM
from ehub_tui.errors import HubUnreachable
from ehub_tui.hub.core import HubCore
from tests.client.local_support import wait_until
from tests.client.test_inprocess import PASSWORD, cheap_hasher, seeded_core
from tests.conftest import FrozenClock
from tests.support.faults import FaultTransport, SilentServer
from tests.support.hubserver import TestTls, served

OUTCOME = Outcome(
    category="clinical", route="manual", destination="GP routine", destination_code="GP_ROUTINE"
)
AT_ONCE = 2.0  # seconds: far below one request to a hung hub (READ_TIMEOUT, and its retries)
READ_TIMEOUT = 2.5  # the client's read timeout here (the app's default is 15 s)


class HangingTransport(httpx.BaseTransport):
    """Sends requests to the served hub, or — while ``hung`` — to a server that never answers
    (the same port swapped for the silent server's: the same certificate authority)."""

    def __init__(self, inner: httpx.BaseTransport, silent_port: int) -> None:
        self.inner = inner
        self.silent_port = silent_port
        self.hung = False
        self.sent: list[str] = []  # paths of the requests sent while hung
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.hung:
            with self._lock:
                self.sent.append(request.url.path)
            request.url = request.url.copy_with(port=self.silent_port)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class _ServerCert:
    """What SilentServer needs of a trustme certificate: the served hub's certificate."""

    def __init__(self, tls: TestTls) -> None:
        self.tls = tls

    def configure_cert(self, context: ssl.SSLContext) -> None:
        context.load_cert_chain(str(self.tls.cert_file), str(self.tls.key_file))


class Served:
    def __init__(self, core: HubCore, tls: TestTls, url: str, tmp_path: Path) -> None:
        self.core, self.tls, self.url, self.tmp_path = core, tls, url, tmp_path

    def station(self, transport: httpx.BaseTransport, **settings: Any) -> ClientService:
        s = Settings(
            data_dir=self.tmp_path / "ws",
            sync_pull_seconds=0.5,
            sync_backoff_max_seconds=1.0,
            **settings,
        )
        client = HttpClient(
            self.url,
            ca_file=self.tls.ca_file,
            device_id=str(uuid.uuid4()),
            transport=transport,
            timeout=READ_TIMEOUT,
            backoff=0.01,
        )
        svc = ClientService(client, s, hasher=cheap_hasher())
        svc.sign_in("nav1", PASSWORD)
        return svc

    def item(self, item_id: int) -> tuple[str, str | None]:
        c = self.core.system().consultation(item_id)
        return str(c.status), c.owner


@pytest.fixture
def hub(tmp_path: Path, clock: FrozenClock) -> Iterator[Served]:
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    core = seeded_core(Settings(data_dir=tmp_path / "hub-data", hub_url=url), clock)
    tls = TestTls.make(tmp_path / "tls")
    try:
        with served(core, tls) as server:
            yield Served(core, tls, server.url, tmp_path)
    finally:
        core.close()


def quick(fn: Callable[[], Any]) -> Any:
    """Call ``fn``; it must return (or raise) within AT_ONCE seconds."""
    started = time.monotonic()
    try:
        return fn()
    finally:
        took = time.monotonic() - started
        assert took < AT_ONCE, f"{fn} took {took:.2f} s with the hub known away"


def refused(fn: Callable[[], Any]) -> str:
    """Call ``fn`` (quickly); it must raise HubUnreachable; its message."""
    with pytest.raises(HubUnreachable) as exc:
        quick(fn)
    return str(exc.value)


def test_with_a_hung_hub_the_app_does_not_wait_and_the_return_is_noticed(
    hub: Served,
) -> None:
    ssl_inner = httpx.HTTPTransport(verify=hub.tls.client_context())
    with SilentServer(cast(trustme.LeafCert, _ServerCert(hub.tls))) as silent:
        net = HangingTransport(ssl_inner, silent.port)
        svc = hub.station(net, sync_wait_seconds=3.0)
        try:
            first, second, _ = svc.claim(1), svc.claim(2), svc.claim(3)
            svc.sync_drain(10)
            net.hung = True
            # the first call to find it hung waits for its timeout, and tells the sender
            svc.view_counts()
            assert not svc.sync_status().online
            asked = len(net.sent)

            rows, total = quick(lambda: svc.queue_page("queue", QueueFilter(), 0, 50))
            assert total == 7 and {r.id for r in rows} == set(range(4, 11))
            assert quick(svc.view_counts)["mine"] == 3
            assert [c.item_id for c in quick(svc.held_claims)] == [1, 2, 3]
            assert quick(lambda: svc.consultation(2)).id == 2
            assert quick(lambda: svc.why_lost(second)) is None
            assert quick(lambda: svc.item_state(2)) == ("claimed", "nav1", second.epoch)
            assert refused(svc.claim_next) == OFFLINE_CLAIM
            assert refused(lambda: svc.claim(5)) == OFFLINE_CLAIM
            assert refused(lambda: svc.reassign(1, "nav2", "covering")) == OFFLINE_ACTION
            assert refused(svc.board) == OFFLINE_ACTION
            # what the hub holds of a holder's draft is not known here: said in a sentence
            assert refused(lambda: svc.holder_draft(1)) == OFFLINE_ACTION
            refused(lambda: svc.heartbeat(first))
            refused(svc.heartbeat_held)
            refused(svc.change_cursor)
            done = quick(lambda: svc.complete(first, OUTCOME))  # not sync_wait_seconds
            assert done.state == "pending"
            back = quick(lambda: svc.release(second, "the patient will ring back"))
            assert back.state == "pending"
            assert quick(svc.release_held) == [3]  # on quit: no wait per item
            # none of these went to the hub (only the sender's own probes did)
            app_paths = ("/queue", "/claims", "/board", "/changes", "/why-lost", "/heartbeat")
            assert not [p for p in net.sent[asked:] if p.endswith(app_paths)]
            assert hub.item(1) == ("claimed", "nav1")  # the hub has not heard

            net.hung = False
            wait_until(lambda: svc.sync_status().online, "the sender notices the hub", 60)
            wait_until(lambda: svc.sync_status().pending == 0, "the outbox drains", 30)
            assert hub.item(1) == ("completed", "nav1")
            assert hub.item(2) == ("queued", None) and hub.item(3) == ("queued", None)
            assert svc.claim(5).item_id == 5  # the hub again
        finally:
            svc.close()


def test_with_a_stopped_hub_offline_completions_are_saved_without_waiting(
    hub: Served,
) -> None:
    net = FaultTransport(httpx.HTTPTransport(verify=hub.tls.client_context()))
    svc = hub.station(net, sync_wait_seconds=3.0)
    try:
        claims = [svc.claim(i) for i in (1, 2, 3)]
        net.go_down()
        wait_until(lambda: not svc.sync_status().online, "the sender finds the hub away")
        for claim in claims:
            assert quick(partial(svc.complete, claim, OUTCOME)).state == "pending"
        assert svc.sync_status().pending == 3
        net.heal()
        wait_until(lambda: svc.sync_status().pending == 0, "sent when the hub is back", 30)
        assert [hub.item(i) for i in (1, 2, 3)] == [("completed", "nav1")] * 3
    finally:
        svc.close()


def test_offline_polling_logs_the_outage_not_every_call(
    hub: Served, caplog: pytest.LogCaptureFixture
) -> None:
    net = FaultTransport(httpx.HTTPTransport(verify=hub.tls.client_context()))
    svc = hub.station(net, sync_wait_seconds=3.0)
    try:
        claim = svc.claim(1)
        svc.sync_drain(10)
        caplog.set_level(logging.DEBUG, logger="ehub_tui")
        caplog.clear()
        net.go_down()
        wait_until(lambda: not svc.sync_status().online, "the sender finds the hub away")
        # a minute of the app's polling, compressed: the queue screen's change poll (0.3-1 s),
        # its view reloads, the triage screen's still-mine check and heartbeat, the board
        for _ in range(120):
            for call in (
                svc.change_cursor,
                lambda: svc.queue_page("queue", QueueFilter(), 0, 50),
                svc.view_counts,
                lambda: svc.why_lost(claim),
                lambda: svc.heartbeat(claim),
                svc.heartbeat_held,
                svc.board,
            ):
                with contextlib.suppress(HubUnreachable):
                    call()
        records = [r for r in caplog.records if r.name.startswith("ehub_tui")]
        # the outage once, and the sender's own probes (on their backoff): not ~840 calls
        went_away = [r for r in records if "not answering: working from" in r.getMessage()]
        assert len(went_away) == 1
        assert len(records) < 40, [r.getMessage() for r in records]
        polled = ("/changes/cursor", "/board", "/why-lost", "/heartbeat", "/queue")
        assert not [r for r in records if any(p in r.getMessage() for p in polled)]

        caplog.clear()
        net.heal()
        wait_until(lambda: svc.sync_status().online, "the sender notices the hub", 30)
        came_back = [r for r in caplog.records if "answering again" in r.getMessage()]
        assert len(came_back) == 1
    finally:
        svc.close()
