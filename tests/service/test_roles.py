"""Roles on SQLite and PostgreSQL (issue 5).

Every privileged HubService method, called by a navigator, is refused with a PermissionDenied
that names the role(s) allowed to do it; nothing in the store changes except one "denied"
audit event naming the permission. The same call by a role allowed to make it goes through.
A disabled user cannot sign in, a new role changes what a user may do, and the CLI's
``users set-role`` / ``users disable`` work on the hub machine (an embedded SQLite hub: the
system principal; a workstation naming a shared hub's database is sent to its server, and
tests/cli/test_cli_roles.py covers the CLI over the served hub).

Every test but the CLI's runs over each ``transport`` (tests/conftest.py): the hub service
itself, the in-process client and HTTPS to a served hub. Over a client each refusal is the
same PermissionDenied, audited ``denied`` naming the user and the device they signed in on.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel
from typer.testing import CliRunner

from ehub_tui.cli import app as cli_app
from ehub_tui.client.protocol import SopUpload
from ehub_tui.config import Settings
from ehub_tui.service import PERMISSIONS, HubService, PermissionDenied, StoreError
from ehub_tui.service.parts import Parts
from ehub_tui.store.engine import read_tx
from tests.support.factories import oc_row

# the same behaviour through the hub service, the in-process client and HTTPS (tests/conftest.py)
pytestmark = pytest.mark.usefixtures("transport")

SUNDAY = date(2026, 11, 22)
NO_FILE = Path("/nonexistent/ehub-tui/draft.sop.yaml")
STORE_TABLES = ("consultation", "hub_user", "outcome", "practice", "quarantine")
NEW_PRACTICE = {
    "ods_code": "Z99901",
    "name": "Test Lane Surgery",
    "pcn_code": "U99001",
    "pcn_name": "Harbourside & Downs PCN",
    "list_size": 4000,
}


@dataclass
class Ctx:
    """The hub every call below acts on: a queued item, an item nav2 holds, an open quarantine
    entry, and the signed-in service making the call."""

    queued: int
    held: int
    quarantined: int
    svc: Any  # a HubService, or over a client a ClientService
    draft: Path = NO_FILE


def _quarantine_entry(n: int) -> dict[str, Any]:
    return {
        "source_file": f"inbox/bad-{n}.csv",
        "location": "row 2",
        "reason": "NHS number fails its check digit",
        "raw": f"raw record {n}",
        "fmt": "csv",
        "source": "TEST",
        "external_id": f"T-Q{n}",
    }


def _upload(svc: Any, method: str) -> Any:
    """A SOP file sent to the hub (``submit_upload`` / ``publish_upload``): the hub service's
    own method, or over a client the HubClient call a workstation's submit/publish makes."""
    text = b"sop: {id: never-read}\n"  # refused by role before anything is read
    if isinstance(svc, HubService):
        return getattr(svc, method)("draft.sop.yaml", text)
    call = {"submit_upload": svc.client.submit_sop, "publish_upload": svc.client.publish_sop}
    return svc._call(call[method], SopUpload("draft.sop.yaml", text, None))


# (method, permission, the call) — every privileged method but the work-item ones, which
# navigators may call (sop authors may not: see test_sop_author_cannot_work_items).
CALLS: list[tuple[str, str, Callable[[Ctx], Any]]] = [
    ("reassign", "reassign", lambda c: c.svc.reassign(c.queued, "nav2", "covering")),
    ("force_release", "force_release", lambda c: c.svc.force_release(c.held, "stale claim")),
    ("cancel", "cancel", lambda c: c.svc.cancel(c.queued, "duplicate")),
    ("set_priority", "set_priority", lambda c: c.svc.set_priority(c.queued, 1, "chest pain")),
    ("add_user", "manage_users", lambda c: c.svc.add_user("mallory", "admin")),
    ("set_role", "manage_users", lambda c: c.svc.set_role("nav2", "admin")),
    ("set_active", "manage_users", lambda c: c.svc.set_active("nav2", False)),
    ("import_practices", "manage_practices", lambda c: c.svc.import_practices([NEW_PRACTICE])),
    ("store_intake", "ingest", lambda c: c.svc.store_intake([oc_row(50)])),
    (
        "release_quarantined",
        "ingest",
        lambda c: c.svc.release_quarantined(c.quarantined, oc_row(60)),
    ),
    (
        "discard_quarantined",
        "ingest",
        lambda c: c.svc.discard_quarantined(c.quarantined, "a test message"),
    ),
    # a quarantined record's reason, location and raw text can quote patient details
    ("quarantined", "ingest", lambda c: c.svc.quarantined()),
    ("quarantine_entry", "ingest", lambda c: c.svc.quarantine_entry(c.quarantined)),
    ("board", "see_board", lambda c: c.svc.board()),
    ("holder_draft", "see_board", lambda c: c.svc.holder_draft(c.held)),
    ("sop_overview", "author_sops", lambda c: c.svc.sop_overview()),
    ("sop_submissions", "author_sops", lambda c: c.svc.sop_submissions()),
    # a path that does not exist: were the check missing, nothing shipped could be touched
    ("submit_sop", "submit_sops", lambda c: c.svc.submit_sop(c.draft)),
    ("publish_sop", "publish_sops", lambda c: c.svc.publish_sop(c.draft)),
    ("submit_upload", "submit_sops", lambda c: _upload(c.svc, "submit_upload")),
    ("publish_upload", "publish_sops", lambda c: _upload(c.svc, "publish_upload")),
    ("daily_return", "export_returns", lambda c: c.svc.daily_return(SUNDAY, SUNDAY)),
    ("report", "see_reports", lambda c: c.svc.report("today")),
    # issue 16: completed outcomes with their patients, for the FHIR outbox
    ("outbox_outcomes", "write_outbox", lambda c: c.svc.outbox_outcomes()),
]
# What only a sign-in can be refused (the hub core checks them: HubService has no sign-ins):
# asked over a client only.
SIGN_IN_CALLS: list[tuple[str, str, Callable[[Ctx], Any]]] = [
    (
        "reset_password",
        "manage_sessions",
        lambda c: c.svc.reset_password("nav2", "a new password for nav2 9"),
    ),
    ("sign_out_everywhere", "manage_sessions", lambda c: c.svc.sign_out_everywhere("nav2")),
]
WORK_METHODS = {"claim_next", "claim", "complete"}  # the "work_items" permission
# the "see_patients" permission (navigators hold it; SOP authors and managers do not: see
# tests/hub/test_patient_access.py)
PATIENT_METHODS = {"queue_page", "consultation"}

# Who may make each call (a user of the seeded hub with an allowed role).
ALLOWED_USER = {
    "reassign": "sup1",
    "force_release": "sup1",
    "cancel": "sup1",
    "set_priority": "sup1",
    "manage_users": "admin1",
    "manage_practices": "sup1",
    "ingest": "sup1",
    "see_board": "sup1",
    "export_returns": "mgr1",
    "see_reports": "sup1",
    "write_outbox": "admin1",
}


def draft_for(transport: str, tmp_path: Path) -> Path:
    """The SOP file a submit or publish names. The hub service: one that does not exist (were
    the role check missing, nothing shipped could be touched). A client reads the file before
    the hub is asked (a file it cannot read never reaches the hub, whose role check is under
    test), so over a client a real one, which the hub checks in a throw-away copy."""
    if transport == "direct":
        return NO_FILE
    path = tmp_path / "workstation" / "draft.sop.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text("sop: {id: never-read}\n", encoding="utf-8")
    return path


def _prepare(seeded: HubService, make_service: Callable[..., HubService]) -> tuple[int, int, int]:
    created, qids = seeded.store_intake([oc_row(1), oc_row(2)], [_quarantine_entry(1)])
    queued, held = (cid for _, cid in created)
    make_service("nav2").claim(held)
    return queued, held, qids[0]


def store_state(svc: HubService) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every store table but the audit chain, in primary-key order."""
    state = {}
    with read_tx(svc.engine) as conn:
        for name in STORE_TABLES:
            table = SQLModel.metadata.tables[name]
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            state[name] = [tuple(r) for r in rows]
    return state


def test_every_privileged_method_is_covered() -> None:
    """The parametrised calls below cover every method that checks a permission, and every
    permission but work_items (which navigators hold)."""
    # each public method delegates to one part of the service (self.parts.<part>.<method>):
    # the permission it checks is in that part's method
    parts = typing.get_type_hints(Parts)
    checked: dict[str, set[str]] = {}
    # its own and its bases' (the SOP methods are in service/sop_methods.py)
    for name, member in inspect.getmembers(HubService, inspect.isfunction):
        for part, method in re.findall(r"self\.parts\.(\w+)\.(\w+)\(", inspect.getsource(member)):
            target = getattr(parts[part], method)
            for perm in re.findall(r'require\("(\w+)"\)', inspect.getsource(target)):
                checked.setdefault(name, set()).add(perm)
    covered = {method: {perm} for method, perm, _ in CALLS}
    assert {m: p for m, p in checked.items() if m not in WORK_METHODS | PATIENT_METHODS} == covered
    assert {m: p for m, p in checked.items() if m in PATIENT_METHODS} == {
        m: {"see_patients"} for m in PATIENT_METHODS
    }
    assert {m: p for m, p in checked.items() if m in WORK_METHODS} == {
        m: {"work_items"} for m in WORK_METHODS
    }
    # the hub core's own checks: the admin's actions on sign-ins
    from ehub_tui.hub.core import HubCore

    core_checks = {
        name: set(re.findall(r'require\("(\w+)"\)', inspect.getsource(member)))
        for name, member in inspect.getmembers(HubCore, inspect.isfunction)
    }
    assert {m: p for m, p in core_checks.items() if p} == {
        method: {perm} for method, perm, _ in SIGN_IN_CALLS
    }
    every = {p for _, p, _ in (*CALLS, *SIGN_IN_CALLS)}
    assert every | {"work_items", "see_patients"} == set(PERMISSIONS)


@pytest.mark.parametrize(
    ("method", "permission", "call"),
    [*CALLS, *SIGN_IN_CALLS],
    ids=[c[0] for c in (*CALLS, *SIGN_IN_CALLS)],
)
def test_navigator_is_refused_and_audited(
    seeded: HubService,
    make_service: Callable[..., HubService],
    transport: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    method: str,
    permission: str,
    call: Callable[[Ctx], Any],
) -> None:
    if transport == "direct" and permission == "manage_sessions":
        pytest.skip("the hub service has no sign-ins to manage: asked over a client only")
    queued, held, qid = _prepare(seeded, make_service)
    nav: Any = make_service("nav1")  # over a client: a ClientService
    before = store_state(seeded)
    events_before = seeded.audit_log(limit=1000)

    with pytest.raises(PermissionDenied) as err:
        call(Ctx(queued, held, qid, nav, draft_for(transport, tmp_path)))

    message = str(err.value)
    allowed = sorted(PERMISSIONS[permission])
    assert message.startswith(f"nav1 (navigator) may not {permission.replace('_', ' ')}: only ")
    assert message.endswith(" may")
    for role in allowed:
        assert re.search(rf"\ban? {role}\b", message), (role, message)
    assert "navigator" not in message.split("only", 1)[1]  # the navigator is not one of them
    # nothing changed in the store …
    assert store_state(seeded) == before
    # … but the refusal is on the audit chain, naming the permission
    events = seeded.audit_log(limit=1000)
    assert events[1:] == events_before
    denied = events[0]
    assert denied.action == "denied"
    assert denied.actor == "nav1"
    assert denied.consultation_id is None
    # over a client the refusal also names the device the navigator signed in on
    device = {} if transport == "direct" else {"device": nav.client.device_id}
    assert denied.body == {"permission": permission} | device
    assert seeded.verify_audit().ok


@pytest.mark.parametrize(
    ("method", "permission", "call"),
    [c for c in CALLS if c[1] in ALLOWED_USER],
    ids=[c[0] for c in CALLS if c[1] in ALLOWED_USER],
)
def test_allowed_role_succeeds(
    seeded: HubService,
    make_service: Callable[..., HubService],
    method: str,
    permission: str,
    call: Callable[[Ctx], Any],
    transport: str,
) -> None:
    queued, held, qid = _prepare(seeded, make_service)
    user = ALLOWED_USER[permission]
    call(Ctx(queued, held, qid, make_service(user)))
    events = seeded.audit_log(limit=1000)
    assert not [e for e in events if e.action == "denied"]
    reads = (
        "board",
        "holder_draft",
        "report",
        "quarantined",
        "quarantine_entry",
        "outbox_outcomes",  # audited only when it found someone (tests/service/test_outbox_read)
    )
    if method not in reads:  # a read: no event (an export is audited)
        made = events
        if method in ("store_intake", "release_quarantined") and transport == "http":
            # the served hub then screens new items for red flags as the system principal
            # (hub/routes/intake.py, quarantine.py): the user's events come before the hub's
            made = events[next(i for i, e in enumerate(events) if e.actor != "system") :]
            assert made != events and {e.actor for e in events[: -len(made)]} == {"system"}
        assert made[0].actor == user
    expected: dict[str, Callable[[], bool]] = {
        "reassign": lambda: seeded.consultation(queued).owner == "nav2",
        "force_release": lambda: seeded.consultation(held).status == "queued",
        "cancel": lambda: seeded.consultation(queued).status == "cancelled",
        "set_priority": lambda: seeded.consultation(queued).priority == 1,
        "add_user": lambda: seeded.get_user("mallory") is not None,
        "set_role": lambda: seeded.get_user("nav2").role == "admin",  # type: ignore[union-attr]
        "set_active": lambda: not seeded.get_user("nav2").active,  # type: ignore[union-attr]
        "import_practices": lambda: "Z99901" in seeded.practice_codes(),
        "store_intake": lambda: seeded.queue_summary().by_status["queued"] == 2,
        "release_quarantined": lambda: seeded.quarantined() == [],
        "discard_quarantined": lambda: seeded.quarantined() == [],
        "quarantined": lambda: [e.id for e in seeded.quarantined()] == [qid],
        "quarantine_entry": lambda: seeded.quarantine_entry(qid).raw == "raw record 1",
        "board": lambda: True,
        "holder_draft": lambda: True,  # a read: its answer is tests/service/test_board_trial15b
        "daily_return": lambda: (
            events[0].action == "export"
            and events[0].body
            == {
                "what": "export",
                "from": "2026-11-22",
                "to": "2026-11-22",
                "practice": None,
            }
        ),
        "report": lambda: True,
        "outbox_outcomes": lambda: True,  # its answer: tests/service/test_outbox_read.py
    }
    assert expected[method](), method


@pytest.mark.parametrize("permission", ["manage_practices", "ingest"])
def test_admin_may_also_manage_practices_and_ingest(
    seeded: HubService, make_service: Callable[..., HubService], permission: str
) -> None:
    admin = make_service("admin1")
    if permission == "ingest":
        created, _ = admin.store_intake([oc_row(1)])
        assert len(created) == 1
    else:
        assert admin.import_practices([NEW_PRACTICE]) == 1
    assert not [e for e in seeded.audit_log() if e.action == "denied"]


def test_sop_author_may_see_the_sop_overview(
    seeded: HubService, make_service: Callable[..., HubService]
) -> None:
    pytest.importorskip("ehub_tui.sop.authoring")
    make_service("author1").sop_overview()
    assert not [e for e in seeded.audit_log() if e.action == "denied"]


def test_supervisor_may_not_manage_users_nor_author_sops(
    seeded: HubService,
    make_service: Callable[..., HubService],
    transport: str,
    request: pytest.FixtureRequest,
) -> None:
    sup = make_service("sup1")
    with pytest.raises(PermissionDenied, match=r"may not manage users: only an admin may$"):
        sup.add_user("mallory", "admin")
    with pytest.raises(
        PermissionDenied,
        match=r"may not author sops: only a clinical_approver or a sop_author may$",
    ):
        sup.sop_overview()
    denied = [e for e in seeded.audit_log() if e.action == "denied"]
    assert [(e.actor, e.body["permission"]) for e in denied] == [
        ("sup1", "author_sops"),
        ("sup1", "manage_users"),
    ]


def test_clinical_approver_reviews_and_publishes_sops_only(
    seeded: HubService, make_service: Callable[..., HubService], transport: str, tmp_path: Path
) -> None:
    """A clinical approver sees the SOP overview and may publish (a missing file is refused for
    what it is, not for the role); they may not submit, work items or see the board."""
    from ehub_tui.sop.authoring import PublishRefused

    clin = make_service("clin1")
    assert clin.may("author_sops") and clin.may("publish_sops") and not clin.may("submit_sops")
    clin.sop_overview()
    with pytest.raises(PublishRefused, match=r"Cannot read draft\.sop\.yaml"):
        clin.publish_sop(NO_FILE)
    draft = draft_for(transport, tmp_path)
    for call in (clin.claim_next, clin.board, lambda: clin.submit_sop(draft)):
        with pytest.raises(PermissionDenied):
            call()
    denied = [e.body["permission"] for e in seeded.audit_log() if e.action == "denied"]
    assert denied == ["submit_sops", "see_board", "work_items"]
    refused = [e for e in seeded.audit_log() if e.action == "sop_publish_refused"]
    # a workstation cannot send a file it cannot read: the hub is never asked (nor audits it)
    unread = [("clin1", "draft.sop.yaml")] if transport == "direct" else []
    assert [(e.actor, e.body["file"]) for e in refused] == unread
    assert seeded.verify_audit().ok


def test_sop_author_cannot_work_items(
    seeded: HubService, make_service: Callable[..., HubService]
) -> None:
    (created,), _ = seeded.store_intake([oc_row(1)])
    author = make_service("author1")
    for call in (author.claim_next, lambda: author.claim(created[1])):
        with pytest.raises(PermissionDenied, match="only a navigator or a supervisor may"):
            call()
    assert seeded.consultation(created[1]).status == "queued"
    denied = [e for e in seeded.audit_log() if e.action == "denied"]
    assert [e.body["permission"] for e in denied] == ["work_items", "work_items"]


# -- disabling and roles ------------------------------------------------------------------------


def test_disabled_user_cannot_sign_in(
    seeded: HubService, make_service: Callable[..., HubService], transport: str
) -> None:
    admin = make_service("admin1")
    settings = seeded.settings
    disabled = admin.set_active("nav2", False)
    assert disabled.active is False
    # the hub service opened for them (the CLI on the hub machine) names the user; signing in
    # with the right password says the account is disabled
    with pytest.raises(PermissionDenied, match=r"hub user 'nav2' is disabled"):
        HubService.open(settings, "nav2")
    if transport != "direct":
        with pytest.raises(PermissionDenied, match=r"your hub account is disabled"):
            make_service("nav2")
    # a disabled user cannot be given work either
    (created,), _ = seeded.store_intake([oc_row(1)])
    with pytest.raises(StoreError, match="not an active hub user"):
        make_service("sup1").reassign(created[1], "nav2", "covering")
    # and an admin cannot lock themselves out
    with pytest.raises(StoreError, match="cannot disable yourself"):
        admin.set_active("admin1", False)
    # enabled again, they can
    assert admin.set_active("nav2", True).active is True
    again = HubService.open(settings, "nav2")
    assert again.user is not None and again.user.username == "nav2"
    again.close()
    if transport != "direct":
        back = make_service("nav2").user
        assert back is not None and back.username == "nav2"
    events = [
        (e.actor, e.action, e.body)
        for e in seeded.audit_log()
        if e.action in ("user_disable", "user_enable")
    ]
    assert events == [
        ("admin1", "user_enable", {"username": "nav2", "active": True}),
        ("admin1", "user_disable", {"username": "nav2", "active": False}),
    ]


def test_set_role_changes_what_a_user_may_do(
    seeded: HubService, make_service: Callable[..., HubService]
) -> None:
    (created,), _ = seeded.store_intake([oc_row(1)])
    item = created[1]
    with pytest.raises(PermissionDenied, match="only a supervisor may"):
        make_service("nav1").board()
    admin = make_service("admin1")
    assert admin.set_role("nav1", "supervisor").role == "supervisor"
    promoted = make_service("nav1")  # the role is read at sign-in
    assert promoted.user is not None and promoted.user.role == "supervisor"
    assert [i.id for i in promoted.board().items] == [item]
    promoted.set_priority(item, 2, "chest pain")
    assert seeded.consultation(item).priority == 2
    # demoted to sop_author, they may no longer work items (nor see the board)
    admin.set_role("nav1", "sop_author")
    author = make_service("nav1")
    with pytest.raises(PermissionDenied, match="only a navigator or a supervisor may"):
        author.claim_next()
    with pytest.raises(StoreError, match="unknown role 'boss'"):
        admin.set_role("nav1", "boss")
    with pytest.raises(StoreError, match="'ghost' is not a hub user"):
        admin.set_role("ghost", "navigator")
    roles = [(e.actor, e.body["role"]) for e in seeded.audit_log() if e.action == "user_set_role"]
    assert roles == [("admin1", "sop_author"), ("admin1", "supervisor")]


# -- the CLI -----------------------------------------------------------------------------------


def cli(*args: str) -> Any:
    return CliRunner().invoke(cli_app, list(args))


def test_cli_users_set_role_and_disable(
    seeded: HubService,
    make_service: Callable[..., HubService],
    hub_url: str,
    transport: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if transport != "direct":
        # the CLI picks its own way to the hub from its settings (not the transport under
        # test): one run is enough; the users it changes are checked through the hub service
        pytest.skip("the CLI reaches the hub by its own settings: run once")
    monkeypatch.setenv("EHUB_TUI_HUB_URL", hub_url)
    if not Settings(data_dir=Path("."), hub_url=hub_url).is_embedded:
        # a workstation naming a shared hub's database is sent to the hub's server (over which
        # roles apply to whoever signed in: tests/cli/test_cli_roles.py); nothing changes
        refused = cli("users", "set-role", "nav1", "supervisor")
        assert refused.exit_code == 2
        assert "set hub_server_url" in refused.stderr and "hub_url" in refused.stderr
        assert seeded.get_user("nav1").role == "navigator"  # type: ignore[union-attr]
        return
    actor = "system"  # the embedded hub's CLI acts as the system principal

    result = cli("users", "set-role", "nav1", "supervisor")
    assert result.exit_code == 0, result.output
    assert "nav1 is now a supervisor." in result.stdout
    assert seeded.get_user("nav1").role == "supervisor"  # type: ignore[union-attr]
    make_service("nav1").board()  # now allowed

    result = cli("users", "disable", "nav2", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "username": "nav2",
        "role": "navigator",
        "display_name": "Tom Fletcher",
        "active": False,
    }
    with pytest.raises(PermissionDenied, match="is disabled"):
        make_service("nav2")
    result = cli("users", "disable", "nav2", "--enable")
    assert result.exit_code == 0, result.output
    assert "nav2 is enabled." in result.stdout
    assert make_service("nav2").user is not None

    refused = cli("users", "set-role", "nav1", "boss")
    # refused before the hub is asked (issue 16: the role is a choice), naming the roles
    said = " ".join(refused.stderr.split())
    assert refused.exit_code == 2 and "'boss' is not one of" in said and "'navigator'" in said
    missing = cli("users", "disable", "ghost")
    assert missing.exit_code == 2 and "'ghost' is not a hub user" in missing.stderr

    changes = [
        (e.actor, e.action, e.body["username"])
        for e in seeded.audit_log()
        if e.action.startswith("user_") and e.action != "user_add"
    ]
    assert changes == [
        (actor, "user_enable", "nav2"),
        (actor, "user_disable", "nav2"),
        (actor, "user_set_role", "nav1"),
    ]


def test_manager_exports_and_reports_but_does_not_work_items(
    seeded: HubService, make_service: Callable[..., HubService]
) -> None:
    (created,), _ = seeded.store_intake([oc_row(1)])
    mgr = make_service("mgr1")
    ret = mgr.daily_return(SUNDAY, SUNDAY)
    assert [p.ods_code for p in ret.practices] == sorted(seeded.practice_codes())
    assert mgr.report("week").period == "week"
    make_service("sup1").daily_return(SUNDAY, SUNDAY)
    make_service("admin1").daily_return(SUNDAY, SUNDAY)
    for call in (mgr.claim_next, mgr.board):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(PermissionDenied, match="may not see reports: only a manager or a super"):
        make_service("admin1").report("today")
    assert seeded.consultation(created[1]).status == "queued"


def test_may_answers_as_the_service_checks(
    seeded: HubService, make_service: Callable[..., HubService]
) -> None:
    """``may`` (what the apps show) agrees with what the service allows, for every role."""
    users = {"nav1": "navigator", "sup1": "supervisor", "author1": "sop_author"}
    users |= {"admin1": "admin", "mgr1": "manager"}
    for username, role in users.items():
        svc = make_service(username)
        for permission, allowed in PERMISSIONS.items():
            assert svc.may(permission) == (role in allowed), (username, permission)
    assert all(seeded.may(p) for p in PERMISSIONS)  # the system principal
    assert not [e for e in seeded.audit_log() if e.action == "denied"]  # asking is free
