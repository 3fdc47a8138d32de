"""ClientService stands in for HubService: every public method or property of HubService that the
UI, triage, ingest or the CLI use exists on ClientService with compatible parameters (same names,
kinds, order and defaults; extra ones only with a default), except a short list that stays on the
hub machine. And the in-process client implements every call of the HubClient protocol with the
protocol's parameters. Both lists are read from the code, so a new call on HubService from a
screen fails here until ClientService has it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from ehub_tui.client.inprocess import InProcessClient
from ehub_tui.client.protocol import HubClient
from ehub_tui.client.service import ClientService
from ehub_tui.config import Settings
from ehub_tui.domain.clock import SystemClock
from ehub_tui.service.hub import HubService

PACKAGE = Path(__file__).resolve().parents[2] / "ehub_tui"
CALLERS = ("ui", "triage", "ingest", "cli")

# HubService's public names that are not ClientService's, and why.
HUB_ONLY = {
    # the audit chain is verified, keyed and checkpointed on the hub machine as the system
    # principal (`ehub-tui audit verify|key|checkpoint`), never over the client
    "verify_audit": "hub machine",
    "audit_key": "hub machine",
    "audit_checkpoint": "hub machine",
    # the hub returns expired leases on its own timer and on every claim
    "rescue_expired": "hub timer",
    # identity is the sign-in's token, never the OS login name
    "os_username": "identity is the token",
    # creating the first admin is `hub init-admin` on the hub machine
    "has_users": "hub machine bootstrap",
    # opens a hub database; a workstation's service is made by client.open.open_client
    "open": "opens a database",
    # the hub's own database engine and service parts
    "engine": "hub internals",
    "parts": "hub internals",
}
# set in HubService.__init__ (not class attributes): checked on an instance
INSTANCE_ATTRIBUTES = ("settings", "clock")


def hub_public_names() -> set[str]:
    # (engine and parts too are set in __init__)
    instance = {*INSTANCE_ATTRIBUTES, "engine", "parts"}
    return {n for n in dir(HubService) if not n.startswith("_")} | instance


def used_by_callers() -> set[str]:
    """HubService's public names that appear as ``.name`` in the callers' code."""
    text = "\n".join(
        p.read_text(encoding="utf-8") for d in CALLERS for p in (PACKAGE / d).rglob("*.py")
    )
    return {n for n in hub_public_names() if re.search(rf"\.{n}\b", text)}


USED = sorted(used_by_callers() - set(HUB_ONLY))


def test_the_scan_finds_what_the_app_calls() -> None:
    # a sanity check of the scan itself: calls the app and CLI are known to make
    assert {"claim_next", "complete", "board", "decide", "user", "may", "today"} <= set(USED)
    assert set(HUB_ONLY) <= hub_public_names()  # no stale entry in the hub-only list


def compatible(hub: inspect.Signature, client: inspect.Signature) -> list[str]:
    """Why ``client`` cannot be called as ``hub`` is ([] when it can)."""
    problems = []
    hub_params = [p for p in hub.parameters.values() if p.name != "self"]
    client_params = [p for p in client.parameters.values() if p.name != "self"]
    for i, hp in enumerate(hub_params):
        cp = client.parameters.get(hp.name)
        if cp is None:
            problems.append(f"no parameter {hp.name}")
            continue
        if cp.kind != hp.kind:
            problems.append(f"{hp.name} is {cp.kind.description}, not {hp.kind.description}")
        if hp.kind is not inspect.Parameter.KEYWORD_ONLY and client_params.index(cp) != i:
            problems.append(f"{hp.name} is not parameter {i + 1}")
        if hp.default is not inspect.Parameter.empty and cp.default != hp.default:
            problems.append(f"{hp.name} defaults to {cp.default!r}, not {hp.default!r}")
    problems += [
        f"extra parameter {cp.name} has no default"
        for cp in client_params
        if cp.name not in hub.parameters
        and cp.default is inspect.Parameter.empty
        and cp.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    return problems


@pytest.mark.parametrize("name", USED)
def test_client_service_offers_what_the_callers_use(name: str) -> None:
    if name in INSTANCE_ATTRIBUTES:
        svc = ClientService(_NoClient(), Settings())  # (no I/O at construction)
        assert hasattr(svc, name)
        if name == "clock":
            assert isinstance(svc.clock, SystemClock)
        return
    hub_attr = inspect.getattr_static(HubService, name)
    client_attr = inspect.getattr_static(ClientService, name, None)
    assert client_attr is not None, f"ClientService has no {name}"
    if isinstance(hub_attr, property):
        assert isinstance(client_attr, property), f"ClientService.{name} is not a property"
        return
    assert callable(client_attr), f"ClientService.{name} is not a method"
    hub_sig = inspect.signature(getattr(HubService, name))
    client_sig = inspect.signature(getattr(ClientService, name))
    assert compatible(hub_sig, client_sig) == [], f"{name}{client_sig} vs {name}{hub_sig}"


PROTOCOL = sorted(
    n for n, v in vars(HubClient).items() if not n.startswith("_") and inspect.isfunction(v)
)


@pytest.mark.parametrize("name", PROTOCOL)
def test_the_in_process_client_implements_the_protocol(name: str) -> None:
    want = inspect.signature(getattr(HubClient, name))
    have = inspect.signature(getattr(InProcessClient, name))
    assert compatible(want, have) == [], f"{name}{have} vs {name}{want}"


class _NoClient:
    """Stands where a client would be: ClientService asks nothing of it when it is made."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)
