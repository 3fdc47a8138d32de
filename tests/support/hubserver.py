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
