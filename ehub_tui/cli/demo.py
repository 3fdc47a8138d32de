"""``ehub-tui demo``: the embedded demo hub (practices, demo users with one published demo
password, fixture consultations); ``--serve`` runs the same hub behind ``hub serve`` on loopback.

The demo mark: ``ehub-tui demo`` writes a file named ``demo-hub`` beside the hub's SQLite file
(in the data dir). Only a hub with that mark, reached in-process (no ``hub_server_url``), gets
the sign-in screen's "demo hub: password …" line and ``ehub-tui --user NAME`` signing in without
asking. A file and not a hub row on purpose: the mark belongs to the folder the demo was built in
(``make run``'s .demo/), never to a hub database that could be copied elsewhere; and whoever can
write that folder can write the hub's file itself, so the mark gives nobody anything new. It
holds no password: the demo password is the constant below, printed by the demo command and in
the README.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ehub_tui.cli import connect
from ehub_tui.cli.ingest import prescreen
from ehub_tui.cli.output import CliError, JsonOpt, err, friendly_errors, print_json, say

if TYPE_CHECKING:
    from ehub_tui.config import Settings
    from ehub_tui.domain.clock import CoreHours
    from ehub_tui.service import HubService

from ehub_tui.cli.demohub import (  # re-exported: tests and docs name them from here
    DEMO_PASSWORD as DEMO_PASSWORD,
)
from ehub_tui.cli.demohub import DEMO_USERS as DEMO_USERS
from ehub_tui.cli.demohub import HINT as HINT
from ehub_tui.cli.demohub import MARK as MARK
from ehub_tui.cli.demohub import demo_hint as demo_hint
from ehub_tui.cli.demohub import mark_demo as mark_demo


def demo_cmd(
    ctx: typer.Context,
    reset: Annotated[bool, typer.Option("--reset", help="Start the demo hub afresh.")] = False,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve",
            help="Then run the demo hub behind `hub serve` on 127.0.0.1 (HTTPS, a throwaway "
            "certificate) and open the app over it.",
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build the embedded demo hub: practices, demo users (one password) and consultations."""
    with friendly_errors():
        settings = connect.settings()
        if not settings.is_embedded:
            raise CliError(
                "the demo hub is embedded (SQLite): unset hub_url / EHUB_TUI_HUB_URL and "
                "hub_server_url / EHUB_TUI_HUB_SERVER_URL"
            )
        if not os.environ.get("EHUB_TUI_HOME"):
            raise CliError(
                "the demo hub is built in a folder of its own, never in your real hub: set "
                "EHUB_TUI_HOME=DIR first (make run uses .demo/)"
            )
        db = Path(settings.database_url.removeprefix("sqlite:///"))
        if reset:
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
        service = connect.service()
        try:
            result = build_demo(service)
            result["passwords_set"] = set_demo_passwords(service, result.pop("usernames"))
        finally:
            service.close()
        mark_demo(settings)
        result["password"] = DEMO_PASSWORD
        if as_json:
            print_json(result)
        else:
            say(
                f"Demo hub at {db}: {result['practices']} practices, {result['users']} users, "
                f"{result['new']} new consultations ({result['duplicate']} already there, "
                f"{result['quarantined']} quarantined); {result['completed']} of them completed "
                "over the last two weeks, the rest open as of now."
            )
            closed = hours_line(result)
            if closed:
                say(closed)
            say(
                f"Demo users: {', '.join(u for u, _, _ in DEMO_USERS)}; "
                f"every demo user's password is {DEMO_PASSWORD}"
            )
        if serve:
            user = (ctx.find_root().obj or {}).get("user")
            serve_demo(settings, user)


def build_demo(service: HubService, now: datetime | None = None) -> dict[str, Any]:
    """Load practices, users and fixtures into a hub (idempotent), the fixtures' times moved so
    the hub reads as today by its clock (``now``: that clock's time unless a test freezes it),
    each screened as it arrived, and the older items completed as two weeks of the demo
    navigators' work (cli/demotime.py).
    A rerun adds nothing already there (nor completes anything again)."""
    from ehub_tui.cli.demotime import ShiftingIngester, complete_history
    from ehub_tui.practices import load_practices
    from ehub_tui.resources import ResourceMissing, demo_fixtures_dir

    try:
        # shipped inside the package (an installed wheel has them), not the repository's folder
        fixtures = demo_fixtures_dir()
    except ResourceMissing as exc:
        raise CliError(str(exc)) from None
    n_practices = service.import_practices(load_practices(fixtures / "practices.yaml"))
    existing = {u.username for u in service.list_users()}
    users = list(DEMO_USERS)
    # this computer's login becomes a demo navigator too (a name to sign in with, nothing more:
    # the CLI and app never take identity from it)
    me = service.os_username()
    if me not in {u for u, _, _ in users}:
        users.append((me, "navigator", f"{me} (this computer's user)"))
    for username, role, name in users:
        if username not in existing:
            service.add_user(username, role, name)
    now = now or service.clock.now()
    ingester = ShiftingIngester(service, now, settings=service.settings)
    report = ingester.ingest_paths([fixtures / "oc"])
    # each new item is screened a minute after it arrived, before anyone completes it (the
    # history reads received, screened, completed); the prescreen after screens anything left
    done = complete_history(service, report.new_ids, now)
    prescreen(service, show=False)
    hours = service._ctx.core_hours
    return {
        **hub_hours(hours, now),
        "practices": n_practices,
        "users": len(users),
        "usernames": [u for u, _, _ in users],
        "new": report.new,
        "duplicate": report.duplicate,
        "quarantined": report.quarantined,
        "completed": done,
    }


def hub_hours(hours: CoreHours, now: datetime) -> dict[str, Any]:
    """Whether today is a working day at the hub and whether it is open now; when it opens next
    (aware UTC, ISO) if it is closed."""
    from ehub_tui.cli.demohours import is_open, next_opening
    from ehub_tui.domain.clock import LONDON

    open_now = is_open(hours, now)
    return {
        "working_day": hours.is_working_day(now.astimezone(LONDON).date()),
        "open_now": open_now,
        "opens": None if open_now else next_opening(hours, now).isoformat(),
    }


def hours_line(result: dict[str, Any]) -> str | None:
    """The summary's word on today (None while the hub is open): not a working day, or outside
    core hours, and when the next working day starts."""
    from ehub_tui.domain.clock import LONDON

    if result["open_now"] or not result["opens"]:
        return None
    opens = datetime.fromisoformat(result["opens"]).astimezone(LONDON)
    when = f"{opens:%A} {opens.day} {opens:%B} at {opens:%H:%M}"
    if not result["working_day"]:
        return (
            f"Today is not a working day at this hub: the open items wait for the next one, "
            f"which starts {when}."
        )
    return f"The hub is outside its core hours: it opens {when}."


def set_demo_passwords(service: HubService, usernames: list[str]) -> int:
    """Give each demo user who has no password yet the demo password; how many were set.

    Users who already have one keep it (a rerun does not hash nine passwords again, nor undo a
    password a tester changed with `ehub-tui passwd`).
    """
    from ehub_tui.hub.auth import Auth
    from ehub_tui.hub.passwords import PolicyError
    from ehub_tui.store import credentials
    from ehub_tui.store.engine import read_tx

    auth = Auth(service.engine, service.settings, service.clock)
    done = 0
    for username in usernames:
        with read_tx(service.engine) as conn:
            row = credentials.find_user(conn, username)
        if row is None or row.password_hash is not None:
            continue
        try:
            auth.set_password(username, DEMO_PASSWORD, by="system")
        except PolicyError as exc:
            say(("note:", "yellow"), f" {username} has no password ({exc})", console=err)
            continue
        done += 1
    return done


def serve_demo(settings: Settings, user: str | None) -> None:
    """Run the demo hub behind ``hub serve`` on 127.0.0.1 (a free port, a throwaway certificate)
    and open the app over HTTPS to it; the server stops when the app does."""
    import sys

    from ehub_tui.cli.start import open_app
    from ehub_tui.hub.core import HubCore
    from ehub_tui.hub.serve import ServedHub

    if not sys.stdout.isatty():
        raise CliError("the app needs a terminal (drop --serve to build the demo hub only)")
    ca, cert, key = throwaway_tls(settings.data_dir / "demo-tls")
    core = HubCore.open(settings)
    try:
        with ServedHub(core, cert, key, host="127.0.0.1", port=0) as served:
            # the app is a workstation of this server: the served URL and the throwaway CA,
            # no database URL (the same path as a real workstation, HttpClient over TLS)
            workstation = settings.model_copy(
                update={"hub_url": None, "hub_server_url": served.url, "hub_ca_file": ca}
            )
            say(f"Demo hub served at {served.url} (its CA certificate: {ca}).", console=err)
            open_app(connect.open_hub(workstation), user=user, demo=True, shared=True)
    finally:
        core.close()


def throwaway_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A fresh CA certificate, and a server certificate and key for 127.0.0.1 and localhost,
    written into ``folder`` (0700; the key 0600). The CA's private key is never written: it
    signs the one server certificate and is gone, so nothing else can ever be issued under it.
    Made with ``cryptography`` (a dependency already); trustme stays a test-only package."""
    import ipaddress
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ehub-tui demo CA")])
    ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())

    def usage(*, cert_sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=True,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=cert_sign,
            crl_sign=cert_sign,
            encipher_only=False,
            decipher_only=False,
        )

    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage(cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    ca_path, cert_path, key_path = (
        folder / "ca.pem",
        folder / "hub-cert.pem",
        folder / "hub-key.pem",
    )
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # created 0600 (never readable by others, not even for a moment), then replaced whole
    key_path.unlink(missing_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
    return ca_path, cert_path, key_path
