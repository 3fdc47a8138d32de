"""``ehub-tui sync``: this workstation's local store and its hub — what is waiting to be sent,
what the hub refused, when it last synced (``status``), and whether every event the workstation
holds as answered is on the hub with the same answer (``verify``).

``status`` reads only the local file (no hub, no sign-in). ``verify`` asks the hub: through its
server as the signed-in user (only that user's events can be asked about), or, on an embedded
hub, the hub's ledger itself. See docs/operations.md, "The workstation's local store".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ehub_tui.cli import connect
from ehub_tui.cli.output import CliError, JsonOpt, emit, friendly_errors, local_time, say

if TYPE_CHECKING:
    from ehub_tui.client.local import LocalStore
    from ehub_tui.client.verify import VerifyReport
    from ehub_tui.config import Settings

sync_app = typer.Typer(help="This workstation's local store and its sync with the hub.")


def _local_path(current: Settings) -> Path:
    from ehub_tui.client.local import path_for
    from ehub_tui.client.syncing import hub_of

    return path_for(current.data_dir, hub_of(current))


def _open(current: Settings, path: Path) -> LocalStore:
    from ehub_tui.client.device import device_id
    from ehub_tui.client.local import LocalStore

    return LocalStore(path, device_id=device_id(current.data_dir))


@sync_app.command("status")
def status_cmd(as_json: JsonOpt = False) -> None:
    """What is waiting to be sent, what the hub refused, when this workstation last synced."""
    with friendly_errors():
        current = connect.settings()
        path = _local_path(current)
        if not path.exists():
            data: dict[str, Any] = {
                "file": str(path),
                "exists": False,
                "pending": 0,
                "rejected": 0,
                "last_synced": None,
                "offset_seconds": None,
                "rtt_seconds": None,
                "cursor": 0,
                "by_user": {},
            }
        else:
            store = _open(current, path)
            try:
                data = _status(store)
            finally:
                store.close()
        emit(data, _show_status, as_json)


def _status(store: LocalStore) -> dict[str, Any]:
    device = store.device()
    pending, rejected = store.counts()
    users = sorted({row.username for row in store.rows(("pending", "rejected"))})
    # (a refusal a supervisor has resolved is no longer counted as refused)
    by_user = {u: dict(zip(("pending", "rejected"), store.counts(u), strict=True)) for u in users}
    return {
        "file": str(store.path),
        "exists": True,
        "device_id": device.device_id,
        "pending": pending,
        "rejected": rejected,
        "last_synced": device.last_synced,
        "offset_seconds": device.offset_seconds,
        "rtt_seconds": device.rtt_seconds,
        "cursor": device.cursor,
        "by_user": by_user,
        "integrity": store.integrity_check(),
    }


def _show_status(data: dict[str, Any]) -> None:
    if not data["exists"]:
        say(f"No local store for this hub yet ({data['file']}): nothing recorded here.")
        return
    say(("Local store: ", "bold"), data["file"])
    who = ", ".join(f"{u} {c['pending']}" for u, c in data["by_user"].items() if c["pending"])
    say(f"Waiting to send: {data['pending']}" + (f" ({who})" if who else ""))
    say(f"Not applied (refused by the hub, not yet resolved): {data['rejected']}")
    synced = data["last_synced"]
    say(f"Last synced: {local_time(synced) if synced else 'never'}")
    offset = data["offset_seconds"]
    if offset is not None:
        rtt = data["rtt_seconds"]
        trip = f" (round trip {rtt * 1000:.0f} ms)" if rtt is not None else ""
        note = " — more than 2 s: check this computer's clock" if abs(offset) > 2 else ""
        say(f"Hub clock: {offset:+.2f} s from this workstation's{trip}{note}")
    say(f"Cursor: {data['cursor']}")
    if data["integrity"] != "ok":
        say(("The local file is damaged: ", "bold red"), data["integrity"])
    else:
        say("Local file: integrity check ok")


@sync_app.command("verify")
def verify_cmd(as_json: JsonOpt = False) -> None:
    """Check that every event this workstation holds as answered is on the hub with the same
    answer; exits 1 naming each difference."""
    with friendly_errors():
        current = connect.settings()
        path = _local_path(current)
        if not path.exists():
            from ehub_tui.client.verify import VerifyReport

            report = VerifyReport()
        else:
            report = _verify(current, path)
        data = {"file": str(path), **report.as_dict()}
        emit(data, _show_verify, as_json)
        if not report.ok:
            raise typer.Exit(1)


def _needs_hub(why: object) -> CliError:
    return CliError(
        f"sync verify compares this workstation's records with the hub's, and needs the hub, "
        f"which is not answering ({why}). Try again when it is back; `ehub-tui sync status` "
        "shows what this workstation holds meanwhile."
    )


def _verify(current: Settings, path: Path) -> VerifyReport:
    from ehub_tui.client.verify import verify
    from ehub_tui.errors import EhubError, HubUnreachable

    if current.uses_server:
        # the hub first: with it away there is nothing to compare with, and asking for a
        # password would only sign in offline (or refuse a password it cannot check)
        probe = connect.open_hub(current)
        try:
            probe.client.hub_time()
        except HubUnreachable as exc:
            raise _needs_hub(exc) from None
        except EhubError:
            pass  # it answered (a refusal: no sign-in yet): the hub is there
        finally:
            probe.close()
        try:
            svc = connect.signed_in(current)
            try:
                if svc.offline_session:  # (the hub went away since the probe)
                    raise _needs_hub("signed in offline")
                return svc.sync_verify()
            finally:
                svc.close()
        except HubUnreachable as exc:
            raise _needs_hub(exc) from None
    if not current.is_embedded:
        raise CliError(connect.NEEDS_SERVER)
    # an embedded hub: its own ledger, for every user who worked on this workstation
    from ehub_tui.service import HubService
    from ehub_tui.store import sync as ledger
    from ehub_tui.store.engine import read_tx

    hub = HubService.open(current)
    store = _open(current, path)
    try:

        def results_for(username: str, ids: Any) -> Any:
            with read_tx(hub.engine) as conn:
                return ledger.results(conn, username, ids)

        return verify(store, results_for)
    finally:
        store.close()
        hub.close()


def _show_verify(data: dict[str, Any]) -> None:
    checked = f"{data['checked']} event(s) checked against the hub"
    more = []
    if data["pending"]:
        more.append(f"{data['pending']} waiting to be sent (not checked)")
    if data["not_checked"]:
        more.append(f"{data['not_checked']} of other users (sign in as them to check)")
    tail = f"; {', '.join(more)}" if more else ""
    if data["ok"]:
        say(f"The hub agrees: {checked}{tail}.")
        return
    say((f"{len(data['differences'])} difference(s) with the hub", "bold red"), f" ({checked}):")
    for line in data["differences"]:
        say(f"  - {line}")
