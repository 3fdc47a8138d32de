"""`hub serve` as a client meets it: a real uvicorn over TLS on 127.0.0.1 (a trustme CA).

Plain HTTP and a certificate from another CA are refused; the OpenAPI document lists every
route; health answers without a token, everything else (but sign-in and readiness) is 401.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from ehub_tui.config import Settings
from ehub_tui.errors import ConfigError
from ehub_tui.hub.app import route_table
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.serve import ServedHub, tls_files
from ehub_tui.hub.wire import HUB_TIME_HEADER, MAX_BODY_BYTES, ROLE_HEADER
from tests.conftest import FrozenClock
from tests.support.hubserver import TestTls, fast_core, served

PUBLIC = {"/v1/health", "/v1/ready", "/v1/auth/sign-in"}

# The section-3 table of the plan: every one must be served (and so in the OpenAPI document).
EXPECTED = {
    ("POST", "/v1/auth/sign-in"),
    ("POST", "/v1/auth/sign-out"),
    ("GET", "/v1/me"),
    ("POST", "/v1/me/password"),
    ("GET", "/v1/users"),
    ("GET", "/v1/users/{username}"),
    ("POST", "/v1/users"),
    ("PATCH", "/v1/users/{username}"),
    ("POST", "/v1/users/{username}/password"),
    ("POST", "/v1/users/{username}/sessions/revoke"),
    ("GET", "/v1/practices"),
    ("PUT", "/v1/practices"),
    ("POST", "/v1/intake"),
    ("GET", "/v1/consultations/by-key"),
    ("GET", "/v1/quarantine"),
    ("GET", "/v1/quarantine/{qid}"),
    ("POST", "/v1/quarantine/{qid}/release"),
    ("POST", "/v1/quarantine/{qid}/discard"),
    ("POST", "/v1/queue/claim-next"),
    ("GET", "/v1/queue"),
    ("GET", "/v1/queue/counts"),
    ("GET", "/v1/queue/summary"),
    ("GET", "/v1/claims"),
    ("POST", "/v1/claims/heartbeat"),
    ("POST", "/v1/claims/release"),
    ("POST", "/v1/items/{item_id}/claim"),
    ("POST", "/v1/items/{item_id}/heartbeat"),
    ("POST", "/v1/items/{item_id}/release"),
    ("POST", "/v1/items/{item_id}/complete"),
    ("POST", "/v1/items/{item_id}/reassign"),
    ("POST", "/v1/items/{item_id}/force-release"),
    ("POST", "/v1/items/{item_id}/cancel"),
    ("POST", "/v1/items/{item_id}/priority"),
    ("GET", "/v1/items/{item_id}/state"),
    ("GET", "/v1/items/{item_id}"),
    ("GET", "/v1/items/{item_id}/why-lost"),
    ("GET", "/v1/board"),
    ("GET", "/v1/returns/daily"),
    ("GET", "/v1/returns/hourly"),  # issue 16: the xlsx/html chart
    ("GET", "/v1/reports/{period}"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/changes/cursor"),
    ("GET", "/v1/sops/stamp"),
    ("GET", "/v1/sops/published"),
    ("GET", "/v1/sops/approvers"),
    ("POST", "/v1/sops/submit"),
    ("POST", "/v1/sops/publish"),
    ("GET", "/v1/time"),
    # issue 14: a workstation's outbox pushed, changes pulled, refused events
    ("POST", "/v1/sync/push"),
    ("GET", "/v1/sync/pull"),
    ("POST", "/v1/sync/results"),
    ("GET", "/v1/sync/rejected"),
    ("POST", "/v1/sync/rejected/{event_id}/resolve"),
    ("GET", "/v1/health"),
    ("GET", "/v1/ready"),
}


@pytest.fixture
def tls(tmp_path: Path) -> TestTls:
    return TestTls.make(tmp_path / "tls")


@pytest.fixture
def core(sqlite_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[HubCore]:
    c = fast_core(Settings(data_dir=tmp_path / "data", hub_url=sqlite_url), clock)
    yield c
    c.close()


@pytest.fixture
def hub(core: HubCore, tls: TestTls) -> Iterator[ServedHub]:
    with served(core, tls) as h:
        yield h


def _routes(hub: ServedHub) -> set[tuple[str, str]]:
    return set(route_table())


def test_health_answers_over_tls_without_a_token(
    hub: ServedHub, tls: TestTls, clock: FrozenClock
) -> None:
    reply = httpx.get(f"{hub.url}/v1/health", verify=tls.client_context())
    assert reply.status_code == 200
    assert reply.json()["status"] == "ok"
    # the hub's clock (a test's frozen one), and no role: nobody signed in
    assert datetime.fromisoformat(reply.headers[HUB_TIME_HEADER]) == clock.now
    assert reply.headers[ROLE_HEADER] == ""
    assert "server" not in reply.headers


def test_ready_when_the_database_answers_at_head(hub: ServedHub, tls: TestTls) -> None:
    reply = httpx.get(f"{hub.url}/v1/ready", verify=tls.client_context())
    assert reply.status_code == 200, reply.text


def test_plain_http_is_refused(hub: ServedHub) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{hub.port}/v1/health", timeout=5)


def test_a_certificate_from_another_ca_is_refused(hub: ServedHub, tmp_path: Path) -> None:
    stranger = TestTls.make(tmp_path / "other")
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{hub.url}/v1/health", verify=stranger.client_context())


def test_openapi_lists_every_route(hub: ServedHub, tls: TestTls) -> None:
    reply = httpx.get(f"{hub.url}/v1/openapi.json", verify=tls.client_context())
    assert reply.status_code == 200
    documented = {
        (method.upper(), path) for path, ops in reply.json()["paths"].items() for method in ops
    }
    assert _routes(hub) >= EXPECTED
    assert documented == _routes(hub)
    # no docs pages
    assert httpx.get(f"{hub.url}/docs", verify=tls.client_context()).status_code == 404


def test_everything_but_health_needs_a_token(hub: ServedHub, tls: TestTls) -> None:
    with httpx.Client(base_url=hub.url, verify=tls.client_context()) as client:
        for method, path in sorted(_routes(hub)):
            if path in PUBLIC:
                continue
            url = path.replace("{item_id}", "1").replace("{qid}", "1")
            url = url.replace("{username}", "nav1").replace("{period}", "today")
            reply = client.request(method, url, json={} if method != "GET" else None)
            assert reply.status_code == 401, (method, path, reply.text)
            assert reply.headers["www-authenticate"].startswith("Bearer")
            assert reply.json()["error"] == "NotSignedIn"
            # a bad token is refused the same way, with the reason's code
            reply = client.request(
                method,
                url,
                headers={"Authorization": "Bearer ehub1_guessed", "X-Ehub-Device": "dev-x"},
            )
            assert reply.status_code == 401, (method, path, reply.text)
            assert reply.json()["code"] == "invalid_token"


def test_a_body_over_the_limit_is_refused_before_it_is_read(hub: ServedHub, tls: TestTls) -> None:
    big = b"x" * (MAX_BODY_BYTES + 1)
    reply = httpx.post(
        f"{hub.url}/v1/auth/sign-in",
        content=big,
        headers={"content-type": "application/json"},
        verify=tls.client_context(),
    )
    assert reply.status_code == 413
    assert reply.json()["error"] == "RequestInvalid"


def test_serving_without_a_certificate_is_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="tls_cert_file and tls_key_file"):
        tls_files(Settings(data_dir=tmp_path))
    with pytest.raises(ConfigError, match="tls_cert_file: there is no file"):
        tls_files(
            Settings(
                data_dir=tmp_path,
                tls_cert_file=tmp_path / "none.pem",
                tls_key_file=tmp_path / "none-key.pem",
            )
        )


def test_a_key_that_does_not_match_the_certificate_is_refused(tmp_path: Path) -> None:
    one, two = TestTls.make(tmp_path / "one"), TestTls.make(tmp_path / "two")
    settings = Settings(data_dir=tmp_path, tls_cert_file=one.cert_file, tls_key_file=two.key_file)
    with pytest.raises(ConfigError, match="cannot be used together"):
        tls_files(settings)


def test_stopping_frees_the_port(core: HubCore, tls: TestTls) -> None:
    with served(core, tls) as hub:
        port = hub.port
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"https://127.0.0.1:{port}/v1/health", verify=tls.client_context(), timeout=2)


# -- the hub commands (ehub_tui.cli.hub; registered as `ehub-tui hub`) --------------------------


def _hub_config(tmp_path: Path, url: str, **extra: str) -> Path:
    lines = [f"hub_url: {url}", f"data_dir: {tmp_path / 'data'}"]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    path = tmp_path / "hub-config.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_init_admin_creates_the_first_admin_once(sqlite_url: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ehub_tui.cli.hub import hub_app

    config = _hub_config(tmp_path, sqlite_url)
    runner = CliRunner()
    args = ["init-admin", "boss", "--password-stdin", "--config", str(config)]
    weak = runner.invoke(hub_app, args, input="short\n")
    assert weak.exit_code == 2 and "too short" in weak.output
    assert "Traceback" not in weak.output
    made = runner.invoke(hub_app, args, input="a heron on the towpath 8\n")
    assert made.exit_code == 0, made.output
    core = HubCore.open(Settings(data_dir=tmp_path / "data", hub_url=sqlite_url))
    try:
        signed = core.sign_in("boss", "a heron on the towpath 8", "dev-1")
        assert signed.user.role == "admin"
    finally:
        core.close()
    again = runner.invoke(hub_app, [*args[:1], "other", *args[2:]], input="another long one 77\n")
    assert again.exit_code == 2 and "has an admin already (boss)" in again.output


def test_hub_serve_without_a_certificate_says_which_setting(
    sqlite_url: str, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from ehub_tui.cli.hub import hub_app

    config = _hub_config(tmp_path, sqlite_url)
    result = CliRunner().invoke(hub_app, ["serve", "--config", str(config)])
    assert result.exit_code == 2
    assert "tls_cert_file and tls_key_file" in result.output
    assert "Traceback" not in result.output


def test_an_unexpected_failure_is_a_500_envelope_and_logs_no_message(
    hub: ServedHub, tls: TestTls, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise RuntimeError("Jane Doe 943 476 5919 could not be stored")

    # a route that fails as a bug would, with a patient's details in its message
    hub.app.add_api_route("/v1/explode", explode, methods=["GET"])
    with caplog.at_level("DEBUG"):
        reply = httpx.get(f"{hub.url}/v1/explode", verify=tls.client_context())
    assert reply.status_code == 500
    assert reply.json() == {
        "error": "StoreError",
        "message": "the hub could not do that (an internal error)",
    }
    assert reply.headers[HUB_TIME_HEADER]
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "RuntimeError" in logged and "/v1/explode" in logged
    assert "Jane" not in logged and "943" not in logged and "Traceback" not in logged


def test_a_port_in_use_is_one_plain_sentence(hub: ServedHub, core: HubCore, tls: TestTls) -> None:
    """`hub serve` on a port another server holds: no uvicorn traceback, a sentence naming the
    address and what to do."""
    from ehub_tui.hub.serve import serve

    settings = core.settings.model_copy(
        update={"tls_cert_file": tls.cert_file, "tls_key_file": tls.key_file}
    )
    busy = HubCore(core.engine, settings, clock=core.clock)
    with pytest.raises(ConfigError, match=r"cannot listen on 127\.0\.0\.1:\d+: .*hub_listen_port"):
        serve(busy, host="127.0.0.1", port=hub.port)
