"""A real hub server for tests: uvicorn over TLS on 127.0.0.1, a certificate from a test CA.

``TestTls`` makes a throw-away CA (trustme) and a server certificate for 127.0.0.1 and localhost,
written as PEM files; ``served(core, tls)`` runs ``hub.serve.ServedHub`` on a free port. A client
trusts ``tls.ca_file`` only (httpx ``verify=``, or ``HttpClient(ca_file=...)``).

Tests use a CHEAPEST argon2 hasher (``fast_core``): the real parameters cost 64 MiB and ~0.1 s a
hash, which a suite of sign-ins cannot afford; one test of hub/passwords checks the defaults.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import trustme
from argon2 import PasswordHasher, profiles

from ehub_tui.config import Settings
from ehub_tui.hub.core import HubCore
from ehub_tui.hub.serve import ServedHub


@dataclass(frozen=True)
class TestTls:
    """A test CA's certificate and a server certificate and key it signed (PEM files)."""

    __test__ = False  # not a test class, whatever its name

    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def make(cls, folder: Path, *names: str) -> TestTls:
        """A new CA, and a certificate for ``names`` (default 127.0.0.1 and localhost)."""
        folder.mkdir(parents=True, exist_ok=True)
        ca = trustme.CA()
        cert = ca.issue_cert(*(names or ("127.0.0.1", "localhost")))
        out = cls(folder / "ca.pem", folder / "hub-cert.pem", folder / "hub-key.pem")
        ca.cert_pem.write_to_path(str(out.ca_file))
        cert.cert_chain_pems[0].write_to_path(str(out.cert_file))
        for more in cert.cert_chain_pems[1:]:
            more.write_to_path(str(out.cert_file), append=True)
        cert.private_key_pem.write_to_path(str(out.key_file))
        out.key_file.chmod(0o600)
        return out

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this CA only."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def fast_hasher() -> PasswordHasher:
    """argon2id at its cheapest: for tests only."""
    return PasswordHasher.from_parameters(profiles.CHEAPEST)


def fast_core(settings: Settings, clock: Callable[[], datetime] | Any) -> HubCore:
    """A hub core on ``settings``' hub with the test clock and a cheap hasher."""
    return HubCore.open(settings, clock=clock, hasher=fast_hasher())


@contextmanager
def served(core: HubCore, tls: TestTls, *, upkeep: bool = False) -> Iterator[ServedHub]:
    """The hub API for ``core`` on 127.0.0.1:<free port> over TLS, stopped afterwards.
    ``upkeep`` off by default: a test with a frozen clock drives lease rescue itself."""
    with ServedHub(core, tls.cert_file, tls.key_file, upkeep=upkeep) as hub:
        yield hub


def set_password(core: HubCore, username: str, password: str) -> None:
    """Give a hub user a password (as `hub init-admin` or an admin's reset would)."""
    core.auth.set_password(username, password, by="system")


PASSWORD = "grey heron by the canal 42"  # passes the policy; every seeded user's in these tests


def seed_hub(core: HubCore, practices_file: Path, users: list[tuple[str, str, str]]) -> None:
    """The fixture practices and ``users`` (username, role, name), each with PASSWORD."""
    from ehub_tui.practices import load_practices

    system = core.system()
    system.import_practices(load_practices(practices_file))
    for username, role, name in users:
        system.add_user(username, role, name)
        set_password(core, username, PASSWORD)


@contextmanager
def cli_hub(
    seeded: Any, hub_url: str, monkeypatch: Any, tmp_path: Path, password: str = PASSWORD
) -> Iterator[Any]:
    """The seeded hub as the CLI reaches it (yields ``seeded``, the system service, for the
    test's own checks). SQLite: an embedded hub named through EHUB_TUI_HUB_URL (commands act as
    the system principal). PostgreSQL: a shared hub, which a workstation reaches only through its
    server: served on 127.0.0.1 over TLS; ``ingest`` acts as the ``service`` account whose token
    EHUB_TUI_SERVICE_TOKEN_FILE names (as the watcher's systemd unit does) and the other commands
    as the admin signed in once with ``signin``."""
    import os

    from typer.testing import CliRunner

    from ehub_tui.cli import app
    from ehub_tui.client.device import device_id
    from ehub_tui.domain.clock import utcnow
    from ehub_tui.secrets import MemoryKeyring
    from ehub_tui.service import HubService

    if hub_url.startswith("sqlite"):
        monkeypatch.setenv("EHUB_TUI_HUB_URL", hub_url)
        yield seeded
        return
    monkeypatch.setattr(MemoryKeyring, "_store", {})
    core = fast_core(seeded.settings, utcnow)
    admin = HubService.os_username()  # the seeded hub's admin
    seeded.add_user("ingest-watch", "service", "the inbox watcher")
    set_password(core, admin, password)
    tls = TestTls.make(tmp_path / "tls")
    try:
        with served(core, tls) as server:
            monkeypatch.setenv("EHUB_TUI_HUB_SERVER_URL", server.url)
            monkeypatch.setenv("EHUB_TUI_HUB_CA_FILE", str(tls.ca_file))
            device = device_id(Path(os.environ["EHUB_TUI_HOME"]))
            token_file = tmp_path / "credentials" / "service-token"
            token_file.parent.mkdir(mode=0o700)
            # as `hub create-service-account` makes it: the token, then its device
            issued = core.auth.issue_service_token("ingest-watch", device, days=90, by="system")
            token_file.write_text(f"{issued.token}\n{issued.device_id}\n")
            monkeypatch.setenv("EHUB_TUI_SERVICE_TOKEN_FILE", str(token_file))
            signed = CliRunner().invoke(
                app, ["signin", "-U", admin, "--password-stdin"], input=password + "\n"
            )
            assert signed.exit_code == 0, signed.output
            yield seeded
    finally:
        core.close()
