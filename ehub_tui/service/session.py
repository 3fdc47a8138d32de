"""Who is acting, and what their role lets them do: the principal, the permission table, ``may``
and the audited refusal."""

from __future__ import annotations

import getpass

from sqlalchemy import Engine, select

from ehub_tui.domain.clock import Clock
from ehub_tui.domain.models import UserInfo
from ehub_tui.domain.types import Role
from ehub_tui.errors import PermissionDenied
from ehub_tui.store import audit
from ehub_tui.store.engine import read_tx, write_tx
from ehub_tui.store.models import HubUser

U = HubUser.__table__  # type: ignore[attr-defined]

SYSTEM = "system"  # the principal of local CLI housekeeping: holds every permission

# Which roles may do what. The service checks these; the UI only hides what it cannot do.
PERMISSIONS: dict[str, frozenset[str]] = {
    "work_items": frozenset({Role.NAVIGATOR, Role.SUPERVISOR}),
    # read patient-identifiable items (queue pages, a consultation, an item's details): never
    # SOP authors (they test SOPs on their cases) nor managers (figures without identifiers),
    # nor the ingest machine account; checked by the hub on every request
    "see_patients": frozenset(
        {Role.NAVIGATOR, Role.SUPERVISOR, Role.ADMIN, Role.CLINICAL_APPROVER}
    ),
    "reassign": frozenset({Role.SUPERVISOR}),
    "force_release": frozenset({Role.SUPERVISOR}),
    "cancel": frozenset({Role.SUPERVISOR}),
    "set_priority": frozenset({Role.SUPERVISOR}),
    "manage_users": frozenset({Role.ADMIN}),
    "manage_practices": frozenset({Role.ADMIN, Role.SUPERVISOR}),
    "ingest": frozenset({Role.ADMIN, Role.SUPERVISOR, Role.SERVICE}),
    "see_board": frozenset({Role.SUPERVISOR}),
    # SOPs: authors write, check and submit them; a clinical approver (a clinician) reviews the
    # same overview and publishes a new version, which is then all that guides anyone
    "author_sops": frozenset({Role.SOP_AUTHOR, Role.CLINICAL_APPROVER}),
    "submit_sops": frozenset({Role.SOP_AUTHOR}),
    "publish_sops": frozenset({Role.CLINICAL_APPROVER}),
    "export_returns": frozenset({Role.MANAGER, Role.SUPERVISOR, Role.ADMIN}),
    "see_reports": frozenset({Role.MANAGER, Role.SUPERVISOR}),
    # reset another user's password, sign a user out on every device
    "manage_sessions": frozenset({Role.ADMIN}),
    # read completed outcomes with their patients to write the FHIR outbox (issue 16): an
    # admin, or the outbox's own machine account a timer runs it as (never the inbox watcher's)
    "write_outbox": frozenset({Role.ADMIN, Role.OUTBOX}),
}


def read_user(engine: Engine, username: str) -> UserInfo | None:
    """Look a hub user up by name."""
    with read_tx(engine) as conn:
        row = conn.execute(select(U).where(U.c.username == username)).first()
    if row is None:
        return None
    return UserInfo(row.username, row.role, row.display_name, row.active)


def has_users(engine: Engine) -> bool:
    """True once any hub user exists (before that, the first admin may be created)."""
    with read_tx(engine) as conn:
        return conn.execute(select(U.c.id).limit(1)).first() is not None


def os_username() -> str:
    """The OS login name (mapped to a hub user of the same name)."""
    return getpass.getuser()


class Session:
    """One signed-in hub user (or, with ``username=None``, the system principal)."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        username: str | None = None,
        *,
        user: UserInfo | None = None,
        device: str | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.user: UserInfo | None = user
        # the device a signed-in request came from (named in the audit of a refusal)
        self.device = device
        if user is not None or username is None:
            return
        self.user = read_user(engine, username)
        if self.user is None:
            if not has_users(engine):
                raise PermissionDenied(
                    f"this hub has no users yet: create the first admin with "
                    f"`ehub-tui users add {username} --role admin`"
                )
            raise PermissionDenied(
                f"{username!r} is not a hub user: ask an admin to run `ehub-tui users add "
                f"{username}`"
            )
        if not self.user.active:
            raise PermissionDenied(f"hub user {username!r} is disabled")

    @property
    def actor(self) -> str:
        """Who is acting: the signed-in user, or the system principal for CLI housekeeping."""
        return self.user.username if self.user else SYSTEM

    def may(self, permission: str) -> bool:
        """Does the signed-in user's role hold ``permission`` (the system principal holds all)?
        For showing only what a user may do; the service still checks every call."""
        return self.user is None or self.user.role in PERMISSIONS[permission]

    def require(self, permission: str) -> None:
        """Raise PermissionDenied (and audit the refusal) unless ``may(permission)``."""
        if self.may(permission):  # (the system principal: local CLI housekeeping)
            return
        assert self.user is not None
        allowed = PERMISSIONS[permission]
        roles = " or ".join(f"{'an' if r[0] in 'aeiou' else 'a'} {r}" for r in sorted(allowed))
        message = (
            f"{self.user.username} ({self.user.role}) may not {permission.replace('_', ' ')}: "
            f"only {roles} may"
        )
        self.deny(permission)
        raise PermissionDenied(message)

    def deny(self, permission: str) -> None:
        """Audit a refusal (in its own transaction, before PermissionDenied is raised)."""
        with write_tx(self._engine) as conn:
            audit.append(
                conn,
                [audit.Event(self.actor, "denied", None, self._denied_payload(permission))],
                self._clock.now(),
            )

    def _denied_payload(self, permission: str) -> dict[str, str]:
        payload = {"permission": permission}
        if self.device:
            payload["device"] = self.device
        return payload

    @classmethod
    def for_user(
        cls, engine: Engine, clock: Clock, user: UserInfo, device: str | None = None
    ) -> Session:
        """A session for a user the hub has just authenticated (no second read of hub_user)."""
        return cls(engine, clock, user=user, device=device)
