"""HubService: the one facade the UI and the CLI use for every read and write of the hub.

It opens the store (running migrations), checks roles before every privileged action (a refusal
says which role may do it, and is itself audited), stamps times from an injectable clock, and
returns plain dataclasses, never ORM objects.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError

from ehub_tui.config import Settings
from ehub_tui.domain import destinations
from ehub_tui.domain.clock import LONDON, CoreHours, local_midnight
from ehub_tui.domain.models import Consultation as ConsultationModel
from ehub_tui.domain.models import Outcome
from ehub_tui.domain.types import Role, Status
from ehub_tui.store import audit, checkpoints, intake, queue, views
from ehub_tui.store import verify as hub_verify
from ehub_tui.store.engine import StoreError, Timeouts, create_hub_engine, read_tx, write_tx
from ehub_tui.store.migrate import upgrade
from ehub_tui.store.models import Consultation, HubUser, Practice, Quarantine
from ehub_tui.store.queue import Claim, LostClaim, NotAvailable, NotFound, QueueError

__all__ = [
    "Claim",
    "HubService",
    "LostClaim",
    "NotAvailable",
    "NotFound",
    "PermissionDenied",
    "QueueError",
    "StoreError",
]

C = Consultation.__table__  # type: ignore[attr-defined]
U = HubUser.__table__  # type: ignore[attr-defined]
P = Practice.__table__  # type: ignore[attr-defined]
Q = Quarantine.__table__  # type: ignore[attr-defined]

SYSTEM = "system"
_SOPS_LOCK = threading.Lock()
# how often every long-running process (a claiming client, the app, the inbox watcher) returns
# expired leases to the queue (claiming by id also rescues the item asked for, and an empty
# queue is rescued from at once)
RESCUE_EVERY = timedelta(seconds=30)
RELEASE_ON_QUIT = "returned to the queue when the app was closed"
BOARD_AGGREGATES_SECONDS = 5.0  # how stale the board's whole-hub counts may be
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# Which roles may do what. The service checks these; the UI only hides what it cannot do.
PERMISSIONS: dict[str, frozenset[str]] = {
    "work_items": frozenset({Role.NAVIGATOR, Role.SUPERVISOR}),
    "reassign": frozenset({Role.SUPERVISOR}),
    "force_release": frozenset({Role.SUPERVISOR}),
    "cancel": frozenset({Role.SUPERVISOR}),
    "set_priority": frozenset({Role.SUPERVISOR}),
    "manage_users": frozenset({Role.ADMIN}),
    "manage_practices": frozenset({Role.ADMIN, Role.SUPERVISOR}),
    "ingest": frozenset({Role.ADMIN, Role.SUPERVISOR}),
    "see_board": frozenset({Role.SUPERVISOR}),
    # SOPs: authors write, check and submit them; a clinical approver (a clinician) reviews the
    # same overview and publishes a new version, which is then all that guides anyone
    "author_sops": frozenset({Role.SOP_AUTHOR, Role.CLINICAL_APPROVER}),
    "submit_sops": frozenset({Role.SOP_AUTHOR}),
    "publish_sops": frozenset({Role.CLINICAL_APPROVER}),
    "export_returns": frozenset({Role.MANAGER, Role.SUPERVISOR, Role.ADMIN}),
    "see_reports": frozenset({Role.MANAGER, Role.SUPERVISOR}),
}


class HubMissing(StoreError):
    """The hub asked for does not exist (and was not to be created)."""


class PermissionDenied(StoreError):
    """The signed-in user's role does not allow the action."""


class RecordRejected(StoreError):
    """The database refused a record that passed validation (e.g. a value too long)."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A hub user as the apps see them."""

    username: str
    role: str
    display_name: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class SopPublished:
    """A SOP version the hub has published."""

    sop_id: str
    version: str
    sha256: str
    old_version: str | None  # the newest version published before it (None: a new SOP)
    old_sha256: str | None
    approved_by: str  # the clinical approver's username
    file: Path
    note: str | None = None  # why the author's file was not rewritten to the published text


@dataclass(frozen=True, slots=True)
class PracticeInfo:
    """A member practice."""

    ods_code: str
    name: str
    pcn_code: str
    pcn_name: str
    list_size: int


@dataclass(slots=True)
class QueueSummary:
    """Counts of the queue for a quick look (CLI, board headline)."""

    by_status: dict[str, int] = field(default_factory=dict)
    queued_by_practice: dict[str, int] = field(default_factory=dict)
    queued_by_priority: dict[int, int] = field(default_factory=dict)
    queued_by_type: dict[str, int] = field(default_factory=dict)
    oldest_queued: datetime | None = None
    quarantined_open: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "by_status": self.by_status,
            "queued_by_practice": self.queued_by_practice,
            "queued_by_priority": {str(k): v for k, v in self.queued_by_priority.items()},
            "queued_by_type": self.queued_by_type,
            "oldest_queued": self.oldest_queued.isoformat() if self.oldest_queued else None,
            "quarantined_open": self.quarantined_open,
        }


def utcnow() -> datetime:
    """Aware UTC now (the default clock)."""
    return datetime.now(UTC)


class HubService:
    """Every operation on the hub, for one signed-in user (or the system principal)."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        user: str | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.clock = clock
        self.core_hours = CoreHours(start=settings.core_hours_start, end=settings.core_hours_end)
        self.lease = timedelta(minutes=settings.lease_minutes)
        self._user: UserInfo | None = None
        self._next_rescue: float | None = None  # time.monotonic(): no wall clock decides this
        if user is not None:
            self._user = self.get_user(user)
            if self._user is None:
                if not self.has_users():
                    raise PermissionDenied(
                        f"this hub has no users yet: create the first admin with "
                        f"`ehub-tui users add {user} --role admin`"
                    )
                raise PermissionDenied(
                    f"{user!r} is not a hub user: ask an admin to run `ehub-tui users add {user}`"
                )
            if not self._user.active:
                raise PermissionDenied(f"hub user {user!r} is disabled")

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        settings: Settings,
        user: str | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        hub_clock: Callable[[], datetime] | None = None,
        migrate: bool = True,
        create: bool = True,
    ) -> HubService:
        """Connect to the hub named by the settings, bring its schema up to date, sign in.

        ``create=False`` opens only a hub that exists (``audit verify`` of a mistyped backup path
        must fail, not verify a new empty hub) and never changes its schema.
        """
        if not create:
            _must_exist(settings)
            migrate = False
        # ``clock`` is this workstation's (it stamps records); ``hub_clock`` is a SQLite hub's
        # own clock, which judges leases (tests inject one; PostgreSQL always uses its own)
        engine = create_hub_engine(
            settings.database_url, timeouts=Timeouts.from_settings(settings), hub_clock=hub_clock
        )
        try:
            if migrate:
                _upgrade(engine)
            if create:
                _attach_signer(engine, settings)
            else:
                _must_be_hub(engine, settings)
        except HubMissing:
            engine.dispose()
            raise
        except Exception as exc:  # connection refused, bad password, unreadable file…
            engine.dispose()
            why = str(exc) if isinstance(exc, StoreError) else _first_line(exc)
            hint = ""
            if "password" in why.lower() and not settings.is_embedded:
                hint = " — store the hub password with `ehub-tui login`"
            raise StoreError(
                f"cannot open the hub at {_safe_url(settings.database_url)}: {why}{hint}"
            ) from exc
        return cls(engine, settings, user, clock=clock)

    def close(self) -> None:
        """Release the engine's connections."""
        self.engine.dispose()

    # -- identity and roles --------------------------------------------------------------------

    @property
    def actor(self) -> str:
        """Who is acting: the signed-in user, or the system principal for CLI housekeeping."""
        return self._user.username if self._user else SYSTEM

    @property
    def user(self) -> UserInfo | None:
        """The signed-in user, if any."""
        return self._user

    def may(self, permission: str) -> bool:
        """Does the signed-in user's role hold ``permission`` (the system principal holds all)?
        For showing only what a user may do; the service still checks every call."""
        return self._user is None or self._user.role in PERMISSIONS[permission]

    def _require(self, permission: str) -> None:
        if self.may(permission):  # (the system principal: local CLI housekeeping)
            return
        assert self._user is not None
        allowed = PERMISSIONS[permission]
        roles = " or ".join(f"{'an' if r[0] in 'aeiou' else 'a'} {r}" for r in sorted(allowed))
        message = (
            f"{self._user.username} ({self._user.role}) may not {permission.replace('_', ' ')}: "
            f"only {roles} may"
        )
        self._deny(permission)
        raise PermissionDenied(message)

    def _deny(self, permission: str) -> None:
        """Audit a refusal (in its own transaction, before PermissionDenied is raised)."""
        with write_tx(self.engine) as conn:
            audit.append(
                conn,
                [audit.Event(self.actor, "denied", None, {"permission": permission})],
                self.clock(),
            )

    def get_user(self, username: str) -> UserInfo | None:
        """Look a hub user up by name."""
        with read_tx(self.engine) as conn:
            row = conn.execute(select(U).where(U.c.username == username)).first()
        if row is None:
            return None
        return UserInfo(row.username, row.role, row.display_name, row.active)

    def set_role(self, username: str, role: str) -> UserInfo:
        """Change a hub user's role (admin only)."""
        self._require("manage_users")
        if role not in {r.value for r in Role}:
            raise StoreError(
                f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}"
            )
        return self._update_user(username, "user_set_role", role=role)

    def set_active(self, username: str, active: bool) -> UserInfo:
        """Disable (or enable again) a hub user (admin only); a disabled user cannot sign in."""
        self._require("manage_users")
        if not active and self._user is not None and username == self._user.username:
            raise StoreError("you cannot disable yourself")
        return self._update_user(
            username, "user_enable" if active else "user_disable", active=active
        )

    def _update_user(self, username: str, action: str, **values: Any) -> UserInfo:
        now = self.clock()
        with write_tx(self.engine) as conn:
            row = conn.execute(
                update(U)
                .where(U.c.username == username)
                .values(**values)
                .returning(U.c.username, U.c.role, U.c.display_name, U.c.active)
            ).first()
            if row is None:
                raise NotFound(f"{username!r} is not a hub user")
            event = audit.Event(
                self.actor,
                action,
                None,
                {"username": username, **values},
                rows=(("hub_user", "username", [username]),),
            )
            audit.append(conn, [event], now)
        return UserInfo(row.username, row.role, row.display_name, row.active)

    def touch(self) -> None:
        """Say this user is online (the apps call it every little while)."""
        if self._user is None:
            return
        with write_tx(self.engine) as conn:
            conn.execute(
                update(U)
                .where(U.c.username == self._user.username)
                .values(last_seen_at=self.clock())
            )

    def board(self, items_limit: int = 200) -> Any:
        """Everything the supervisor board shows (supervisors only).

        Items, navigators, completions and events are read on every call. The counts over the
        whole hub (queued, breaching, due soon, median wait, waiting per practice, arrivals)
        grow with its size, so they are recomputed at most every BOARD_AGGREGATES_SECONDS.
        """
        self._require("see_board")
        from ehub_tui.store.board import read_aggregates, read_board

        since = self.start_of_today()
        now = self.clock()

        def local_hour(dt: datetime) -> int:
            return dt.astimezone(LONDON).hour

        with read_tx(self.engine) as conn:
            cached = getattr(self, "_board_agg", None)
            if cached is None or time.monotonic() - cached[0] > BOARD_AGGREGATES_SECONDS:
                cached = (time.monotonic(), read_aggregates(conn, now, since, local_hour))
                self._board_agg = cached
            b = read_board(conn, now, since, local_hour, items_limit, aggregates=cached[1])
            b.cursor = int(conn.execute(select(audit.HEAD.c.seq)).scalar_one())
            from ehub_tui.store.engine import hub_now

            b.hub_now = hub_now(conn)
        b.events = self.audit_events(limit=30)
        return b

    def has_users(self) -> bool:
        """True once any hub user exists (before that, the first admin may be created)."""
        with read_tx(self.engine) as conn:
            return conn.execute(select(U.c.id).limit(1)).first() is not None

    def list_users(self) -> list[UserInfo]:
        """Every hub user."""
        with read_tx(self.engine) as conn:
            rows = conn.execute(select(U).order_by(U.c.username)).all()
        return [UserInfo(r.username, r.role, r.display_name, r.active) for r in rows]

    def add_user(self, username: str, role: str, display_name: str = "") -> UserInfo:
        """Create a hub user (admin only)."""
        self._require("manage_users")
        if not USERNAME.match(username or ""):
            raise StoreError(
                f"{username!r} is not a usable user name: 1 to 64 letters, digits, '.', '_' or '-'"
            )
        if role not in {r.value for r in Role}:
            raise StoreError(
                f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}"
            )
        now = self.clock()
        with write_tx(self.engine) as conn:
            if conn.execute(select(U.c.id).where(U.c.username == username)).first():
                raise StoreError(f"hub user {username!r} already exists")
            conn.execute(
                U.insert().values(
                    username=username,
                    role=role,
                    display_name=display_name or username,
                    active=True,
                    created_at=now,
                )
            )
            audit.append(
                conn,
                [
                    audit.Event(
                        self.actor,
                        "user_add",
                        None,
                        {"username": username, "role": role},
                        rows=(("hub_user", "username", [username]),),
                    )
                ],
                now,
            )
        return UserInfo(username, role, display_name or username, True)

    @staticmethod
    def os_username() -> str:
        """The OS login name (mapped to a hub user of the same name)."""
        return getpass.getuser()

    # -- practices -----------------------------------------------------------------------------

    def import_practices(self, practices: Sequence[dict[str, Any]]) -> int:
        """Add or update member practices."""
        self._require("manage_practices")
        with write_tx(self.engine) as conn:
            return intake.upsert_practices(conn, practices, self.actor, self.clock())

    def list_practices(self) -> list[PracticeInfo]:
        """Every member practice, by ODS code."""
        with read_tx(self.engine) as conn:
            rows = conn.execute(select(P).order_by(P.c.ods_code)).all()
        return [PracticeInfo(r.ods_code, r.name, r.pcn_code, r.pcn_name, r.list_size) for r in rows]

    def practice_codes(self) -> set[str]:
        """ODS codes of the member practices."""
        with read_tx(self.engine) as conn:
            return intake.practice_codes(conn)

    # -- ingestion -----------------------------------------------------------------------------

    def due_by(self, received_at: datetime, priority: int) -> datetime:
        """When a response is due, by the response standard (urgent: same day)."""
        return self.core_hours.due_by(received_at, urgent=priority > 0)

    def store_intake(
        self,
        rows: Sequence[dict[str, Any]],
        quarantined: Sequence[dict[str, Any]] = (),
    ) -> tuple[list[tuple[int, int]], list[int]]:
        """Store new consultations and quarantine bad records in one transaction.

        Returns (row index, new id) for every new consultation, and the quarantine ids.
        """
        self._require("ingest")
        now = self.clock()
        self._prepare_rows(rows, now)
        try:
            with write_tx(self.engine) as conn:
                created = intake.insert_new(conn, rows, self.actor, now)
                qids = intake.quarantine(conn, quarantined, self.actor, now)
        except (DataError, IntegrityError, StatementError) as exc:
            if isinstance(exc, OperationalError):
                raise
            raise RecordRejected(f"the hub could not store a record: {_first_line(exc)}") from exc
        return created, qids

    def _prepare_rows(self, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        for row in rows:
            row.setdefault("status", Status.QUEUED.value)
            row.setdefault("epoch", 0)
            row.setdefault("ingested_at", now)
            # a supplier clock or time zone ahead of ours: never received later than it arrived
            # here (so never due later than it should be, nor counted before it came)
            received = row.get("received_at")
            if isinstance(received, datetime) and received > now:
                row["received_at"] = now
            row.setdefault("updated_at", now)
            if "due_by" not in row:
                row["due_by"] = self.due_by(row["received_at"], row.get("priority", 0))

    def list_quarantine(self, status: str | None = "open") -> list[dict[str, Any]]:
        """Quarantined records (open ones by default), newest first, without their raw text."""
        cols = [
            Q.c.id,
            Q.c.source_file,
            Q.c.location,
            Q.c.reason,
            Q.c.status,
            Q.c.created_at,
            Q.c.source,
            Q.c.external_id,
        ]
        q = select(*cols).order_by(Q.c.id.desc())
        if status:
            q = q.where(Q.c.status == status)
        with read_tx(self.engine) as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def get_quarantine(self, qid: int) -> dict[str, Any]:
        """One quarantined record with its raw text."""
        with read_tx(self.engine) as conn:
            row = conn.execute(select(Q).where(Q.c.id == qid)).first()
        if row is None:
            raise NotFound(f"quarantined record {qid} does not exist")
        return dict(row._mapping)

    def release_quarantined(self, qid: int, row: dict[str, Any]) -> tuple[int, bool]:
        """Store a quarantined record that now validates and close its entry, in one transaction.

        Returns (consultation id, True if it was new rather than already stored).
        """
        self._require("ingest")
        now = self.clock()
        self._prepare_rows([row], now)
        try:
            with write_tx(self.engine) as conn:
                created = intake.insert_new(conn, [row], self.actor, now)
                cid = (
                    created[0][1]
                    if created
                    else conn.execute(
                        select(C.c.id).where(
                            C.c.source == row["source"], C.c.external_id == row["external_id"]
                        )
                    ).scalar_one()
                )
                intake.resolve_quarantine(conn, qid, "released", cid, self.actor, now)
        except intake.AlreadyResolved:
            raise NotAvailable(f"quarantined record {qid} is no longer open") from None
        return cid, bool(created)

    def discard_quarantined(self, qid: int, reason: str) -> None:
        """Close a quarantined record without storing it (e.g. a test message), with a reason."""
        self._require("ingest")
        if not reason.strip():
            raise StoreError("a reason is needed to discard a quarantined record")
        try:
            with write_tx(self.engine) as conn:
                intake.resolve_quarantine(conn, qid, "discarded", None, self.actor, self.clock())
                audit.append(
                    conn,
                    [
                        audit.Event(
                            self.actor, "note", None, {"quarantine_id": qid, "reason": reason[:500]}
                        )
                    ],
                    self.clock(),
                )
        except intake.AlreadyResolved:
            raise NotAvailable(
                f"quarantined record {qid} is not open (or does not exist)"
            ) from None

    def find_consultation_id(self, source: str, external_id: str) -> int | None:
        """The id of a stored consultation by its supplier key."""
        with read_tx(self.engine) as conn:
            return conn.execute(
                select(C.c.id).where(C.c.source == source, C.c.external_id == external_id)
            ).scalar()

    # -- the queue -----------------------------------------------------------------------------

    def claim_next(self) -> Claim | None:
        """Claim the best queued item for the signed-in user; None when the queue is empty.

        Expired leases (by the hub's clock) are returned to the queue every RESCUE_EVERY, and
        at once when the queue looks empty."""
        self._require("work_items")
        self.rescue_if_due()
        with write_tx(self.engine) as conn:
            got = queue.claim_next(conn, self.actor, self.lease, self.clock())
        if got is None and self.rescue_expired():
            with write_tx(self.engine) as conn:
                got = queue.claim_next(conn, self.actor, self.lease, self.clock())
        return got

    def claim(self, item_id: int) -> Claim:
        """Claim a given queued item (or one whose holder's lease ran out, by the hub's clock)."""
        self._require("work_items")
        self.rescue_if_due()
        with write_tx(self.engine) as conn:
            return queue.claim_item(conn, item_id, self.actor, self.lease, self.clock())

    def heartbeat(self, claim: Claim) -> Claim:
        """Renew the lease of an open item; raises LostClaim when it is no longer ours."""
        now = self.clock()
        with write_tx(self.engine) as conn:
            lease = queue.heartbeat(conn, claim.item_id, self.actor, claim.epoch, self.lease, now)
            if self._user is not None:
                conn.execute(update(U).where(U.c.username == self.actor).values(last_seen_at=now))
        return Claim(claim.item_id, claim.epoch, lease, claim.owner)

    def heartbeat_held(self) -> list[Claim]:
        """Renew the lease of every item the signed-in user holds (the app calls this while it
        is open, so items left in Mine are kept as well as the one on screen)."""
        if self._user is None or not self.may("work_items"):
            return []
        with write_tx(self.engine) as conn:
            renewed = queue.heartbeat_held(conn, self.actor, self.lease)
            conn.execute(
                update(U).where(U.c.username == self.actor).values(last_seen_at=self.clock())
            )
        return renewed

    def held_claims(self) -> list[Claim]:
        """Every item the signed-in user holds now (asked when the app closes)."""
        if self._user is None:
            return []
        with read_tx(self.engine) as conn:
            return queue.held(conn, self.actor)

    def release_held(self, reason: str = RELEASE_ON_QUIT) -> list[int]:
        """Return every item the signed-in user holds to the queue (an audited release each,
        with ``reason``); returns their ids. One taken meanwhile by someone else is skipped."""
        done = []
        for claim in self.held_claims():
            try:
                self.release(claim, reason)
            except LostClaim:
                continue
            done.append(claim.item_id)
        return done

    def rescue_if_due(self) -> list[int]:
        """Return expired leases to the queue if RESCUE_EVERY has passed since this process
        last did (by the monotonic clock). Every long-running process calls this periodically:
        the app on a timer, ``ingest --watch`` between scans."""
        due = time.monotonic()
        if self._next_rescue is not None and due < self._next_rescue:
            return []
        self._next_rescue = due + RESCUE_EVERY.total_seconds()
        return self.rescue_expired()

    def hub_now(self) -> datetime:
        """The hub's time now (the clock leases are judged by), for display and checks."""
        from ehub_tui.store.engine import hub_now

        with read_tx(self.engine) as conn:
            return hub_now(conn)

    def release(self, claim: Claim, reason: str) -> None:
        """Return an item we hold to the queue, with a reason."""
        if not reason.strip():
            raise StoreError("a reason is needed to return an item to the queue")
        with write_tx(self.engine) as conn:
            queue.release(conn, claim.item_id, self.actor, claim.epoch, reason, self.clock())

    def complete(self, claim: Claim, outcome: Outcome | dict[str, Any]) -> int:
        """Record the outcome of an item we hold; raises LostClaim if it is no longer ours."""
        self._require("work_items")
        if not isinstance(outcome, Outcome):
            # a plain mapping (older callers, tests) is validated into the model once, here
            for key in ("category", "route"):
                if not outcome.get(key):
                    raise StoreError(f"an outcome needs a {key}")
            try:
                outcome = Outcome.model_validate(outcome)
            except ValidationError as exc:
                raise StoreError(f"an outcome is not well formed: {_first_line(exc)}") from exc
        code = outcome.destination_code
        if code is not None and not destinations.is_code(code):
            raise StoreError(
                f"an outcome's destination_code must be one of the vocabulary (got {code!r})"
            )
        try:
            with write_tx(self.engine) as conn:
                return queue.complete(
                    conn, claim.item_id, self.actor, claim.epoch, outcome.record(), self.clock()
                )
        except LostClaim as exc:
            # the refused submit is itself on the record (who tried, on which epoch)
            with write_tx(self.engine) as conn:
                audit.append(
                    conn,
                    [
                        audit.Event(
                            self.actor,
                            "complete_refused",
                            claim.item_id,
                            {"epoch": claim.epoch, "held_by": exc.owner, "status": exc.status},
                        )
                    ],
                    self.clock(),
                )
            raise

    def reassign(self, item_id: int, to_user: str, reason: str) -> Claim:
        """Give an item to another navigator (supervisor)."""
        self._require("reassign")
        _need_reason(reason, "reassign an item")
        target = self.get_user(to_user)
        if target is None or not target.active:
            raise StoreError(f"{to_user!r} is not an active hub user")
        if target.role not in PERMISSIONS["work_items"]:
            raise StoreError(f"{to_user} is a {target.role} and cannot work items")
        with write_tx(self.engine) as conn:
            return queue.reassign(
                conn, item_id, to_user, self.actor, reason, self.lease, self.clock()
            )

    def force_release(self, item_id: int, reason: str) -> None:
        """Return a claimed item to the queue whoever holds it (supervisor)."""
        self._require("force_release")
        _need_reason(reason, "release someone's item")
        with write_tx(self.engine) as conn:
            queue.force_release(conn, item_id, self.actor, reason, self.clock())

    def cancel(self, item_id: int, reason: str) -> None:
        """Close an item without an outcome, e.g. a duplicate (supervisor)."""
        self._require("cancel")
        if not reason.strip():
            raise StoreError("a reason is needed to cancel an item")
        with write_tx(self.engine) as conn:
            queue.cancel(conn, item_id, self.actor, reason, self.clock())

    def set_priority(self, item_id: int, priority: int, reason: str) -> None:
        """Change an item's priority (supervisor)."""
        self._require("set_priority")
        _need_reason(reason, "change a priority")
        if priority not in (0, 1, 2):
            raise StoreError("priority must be 0 (normal), 1 (urgent) or 2 (emergency)")
        with write_tx(self.engine) as conn:
            queue.set_priority(
                conn, item_id, priority, self.actor, reason, self.clock(), self.due_by
            )

    def rescue_expired(self) -> list[int]:
        """Return items whose lease ran out, by the hub's clock, to the queue (any client may
        run this: it is a compare-and-set, audited as the system)."""
        with write_tx(self.engine) as conn:
            return queue.rescue_expired(conn, self.clock())

    # -- reads ---------------------------------------------------------------------------------

    def start_of_today(self) -> datetime:
        """Midnight UK time today, in UTC (for "done today")."""
        return local_midnight(self.today())

    def queue_page(
        self, view: str, filters: views.QueueFilter, offset: int, limit: int
    ) -> tuple[list[views.QueueRow], int]:
        """One window of a queue view (queue | mine | done) and the view's total size."""
        if view not in views.VIEWS:
            raise StoreError(f"unknown view {view!r}")
        since = self.start_of_today()
        with read_tx(self.engine) as conn:
            total = views.count_rows(conn, view, self.actor, filters, since)
            rows = views.list_rows(conn, view, self.actor, filters, since, offset, limit)
        return rows, total

    def item_state(self, item_id: int) -> tuple[str, str | None, int]:
        """(status, owner, epoch) of one item: a cheap check for an open screen."""
        with read_tx(self.engine) as conn:
            row = conn.execute(
                select(C.c.status, C.c.owner, C.c.epoch).where(C.c.id == item_id)
            ).first()
        if row is None:
            raise NotFound(f"consultation {item_id} does not exist")
        return row.status, row.owner, int(row.epoch)

    def practice_name(self, ods: str) -> str:
        """A practice's name (the ODS code when unknown)."""
        names = getattr(self, "_practice_names", None)
        if names is None or ods not in names:  # read again when a practice is new to us
            names = {p.ods_code: p.name for p in self.list_practices()}
            self._practice_names = names
        return names.get(ods, ods)

    @property
    def sops(self) -> Any:
        """The SOP library guiding this hub's navigators: the newest published version of each
        SOP that loads, read from the hub (never from a folder); seeded from the SOPs shipped
        inside the package when the hub has none. Loaded once; safe to ask from several
        threads (the first asker loads, the others wait). ``check_for_changes()`` takes a newly
        published version."""
        lib = getattr(self, "_sops", None)
        if lib is not None:
            return lib
        with _SOPS_LOCK:
            lib = getattr(self, "_sops", None)
            if lib is None:
                from ehub_tui.sop.library import SopLibrary

                lib = SopLibrary(_StoreSops(self), today=self.today, last_resort=_shipped_red_flags)
                lib.reload()
                self._sops = lib
        return lib

    def decide(
        self,
        item: dict[str, Any],
        answers: dict[str, Any],
        *,
        dismissed: Sequence[str] = (),
        pathway: str | None = None,
    ) -> Any:
        """The SOP decision for an item with the navigator's answers so far (None: no SOPs);
        ``dismissed``: flags dismissed with a reason, ``pathway``: an accepted proposal."""
        engine = self.sops.engine
        if engine is None:
            return None
        return engine.evaluate(item, answers, self.today(), dismissed=dismissed, pathway=pathway)

    def prescreen(self, limit: int = 500) -> int:
        """Screen up to ``limit`` new consultations for SOP red flags; returns how many.

        A red flag raises the item's priority (emergency → 2, urgent → 1; never lowered) and,
        with it, its due time. Any signed-in client may run this; it is idempotent.
        """
        from ehub_tui.store import screening

        engine = self.sops.engine
        if engine is None:
            return 0
        with read_tx(self.engine) as conn:
            items = screening.unscreened(conn, limit)
        if not items:
            return 0
        today = self.today()
        results = []
        for item in items:
            d = engine.evaluate(item, {}, today, trace=False)
            results.append((item, [{"id": f.id, "level": f.level} for f in d.red_flags]))
        sops = [{"id": s.id, "version": s.meta.version, "sha256": s.sha256} for s in engine.sops]
        with write_tx(self.engine) as conn:
            screening.record(conn, results, self.actor, self.clock(), self.due_by, sops)
        return len(items)

    # -- SOPs: published versions ---------------------------------------------------------------

    def published_sops(self) -> list[Any]:
        """Every published SOP version (``sop.library.PublishedText``), in publishing order.
        A hub with none is first seeded from the SOPs shipped inside the package."""
        from ehub_tui.store import sops as store_sops

        with read_tx(self.engine) as conn:
            rows = store_sops.all_versions(conn)
        if not rows:
            self._seed_sops()
            with read_tx(self.engine) as conn:
                rows = store_sops.all_versions(conn)
        return [_published_text(r) for r in rows]

    def _seed_sops(self) -> None:
        """Record the shipped SOPs (each active file and its tests) as published by the system,
        approved by whoever each file names, audited; only when the hub has no published
        version yet and the whole shipped set loads without errors."""
        from ehub_tui.sop.library import shipped_sops_dir
        from ehub_tui.sop.loader import SOP_SUFFIX, load_texts
        from ehub_tui.sop.testing import tests_file_for
        from ehub_tui.store import sops as store_sops

        files = []
        for path in sorted(shipped_sops_dir().glob(f"*{SOP_SUFFIX}")):
            tests_path = tests_file_for(path)
            tests_data = tests_path.read_bytes() if tests_path.is_file() else None
            files.append((path.name, path.read_bytes(), tests_data))
        loaded = load_texts([(Path(name), data) for name, data, _ in files], self.today())
        if not files or loaded.errors:
            return  # the library says "no SOPs are published" and keeps the red flags
        by_name = {s.path.name: s for s in loaded.sops}
        now = self.clock()
        with write_tx(self.engine) as conn:
            store_sops.lock(conn)
            if store_sops.stamp(conn)[1]:
                return  # another app seeded first
            events = []
            for name, data, tests in files:
                sop = by_name[name]
                if not sop.active:
                    continue
                approver = sop.meta.approved_by or ""
                sop_row = store_sops.insert(
                    conn,
                    sop_id=sop.id,
                    version=sop.meta.version,
                    sha256=sop.sha256,
                    file_name=name,
                    sop_text=data.decode("utf-8"),
                    tests_text=tests.decode("utf-8") if tests is not None else None,
                    approved_by=approver,
                    submitted_by=None,
                    published_by=SYSTEM,
                    published_at=now,
                )
                events.append(
                    audit.Event(
                        SYSTEM,
                        "sop_publish",
                        None,
                        {
                            "sop": sop.id,
                            "version": sop.meta.version,
                            "sha256": sop.sha256,
                            "old_version": None,
                            "old_sha256": None,
                            "file": name,
                            "approved_by": approver,
                            "submitted_by": None,
                            "seeded": True,
                        },
                        rows=(("sop_version", "id", [sop_row]),),
                    )
                )
            audit.append(conn, events, now)

    def sops_folder(self) -> Path:
        """The authoring folder: ``sops_dir`` in the settings, else the SOPs shipped with
        ehub-tui (never a folder in the current directory). Apps are not guided by it."""
        from ehub_tui.sop.library import default_sops_dir

        return default_sops_dir(self.settings.sops_dir)

    def sop_approvers(self) -> list[UserInfo]:
        """The active clinical approvers (who may publish a SOP)."""
        return [u for u in self.list_users() if u.role == Role.CLINICAL_APPROVER and u.active]

    def _submissions(self) -> dict[str, str]:
        """sha256 of a submitted file → who submitted it (the latest submission)."""
        E = audit.EVENT
        with read_tx(self.engine) as conn:
            rows = conn.execute(
                select(E.c.actor, E.c.body).where(E.c.action == "sop_submit").order_by(E.c.seq)
            ).all()
        return {str(r.body.get("sha256")): r.actor for r in rows if isinstance(r.body, dict)}

    def sop_overview(self) -> Any:
        """Every SOP file of the authoring folder with its validation and test results, and
        where it stands against what the hub has published (authors and clinical approvers)."""
        self._require("author_sops")
        from ehub_tui.sop.authoring import overview

        rows = overview(self.sops_folder(), self.today(), self.published_sops())
        submitted = self._submissions()
        for row in rows:
            row.submitted_by = submitted.get(row.sha256)
        return rows

    def submit_sop(self, path: Any) -> Any:
        """Ask for a new SOP version to be approved (SOP authors): checked as publishing would
        check it, then recorded (audited) so the approver sees who submitted it."""
        self._require("submit_sops")
        from ehub_tui.sop.authoring import PLACEHOLDER_APPROVER, prepare

        prepared = prepare(Path(path), PLACEHOLDER_APPROVER, self.published_sops(), self.today())
        with write_tx(self.engine) as conn:
            audit.append(
                conn,
                [
                    audit.Event(
                        self.actor,
                        "sop_submit",
                        None,
                        {
                            "sop": prepared.sop_id,
                            "version": prepared.version,
                            "sha256": prepared.original_sha256,
                            "file": Path(path).name,
                        },
                    )
                ],
                self.clock(),
            )
        return prepared

    def publish_sop(self, path: Any) -> SopPublished:
        """Publish a new version of a SOP from the authoring folder (clinical approvers only):
        its version must be higher than every published version of that SOP, and the set as it
        would be once published must validate and pass its tests. Stored with the signed-in
        approver, audited (old and new version and sha256) in the same transaction; the file is
        then rewritten to the published text. Every app takes it at its next check.

        A refusal (PublishRefused: the message says why) is audited too."""
        self._require("publish_sops")
        from ehub_tui.sop.authoring import PublishRefused, prepare, write_back
        from ehub_tui.sop.library import version_key
        from ehub_tui.store import sops as store_sops

        path = Path(path)
        user = self._user
        if user is None:  # the system principal approves nothing
            self._deny("publish_sops")
            raise PermissionDenied(
                "publishing a SOP needs a signed-in clinical approver (the system principal "
                "approves nothing)"
            )
        try:
            prepared = prepare(
                path, user.display_name or user.username, self.published_sops(), self.today()
            )
        except PublishRefused as exc:
            self._audit_refused(path, str(exc))
            raise
        submitted_by = self._submissions().get(prepared.original_sha256)
        previous = prepared.previous
        now = self.clock()
        raced: str | None = None
        with write_tx(self.engine) as conn:
            store_sops.lock(conn)
            newest = max(
                (r["version"] for r in store_sops.versions_of(conn, prepared.sop_id)),
                key=lambda v: version_key(v) or (-1, 0, 0, 0, ()),
                default=None,
            )
            if newest is not None and (previous is None or newest != previous.version):
                raced = newest  # published by someone else while this was being checked
            else:
                sop_row = store_sops.insert(
                    conn,
                    sop_id=prepared.sop_id,
                    version=prepared.version,
                    sha256=prepared.sha256,
                    file_name=path.name,
                    sop_text=prepared.data.decode("utf-8"),
                    tests_text=prepared.tests.decode("utf-8") if prepared.tests else None,
                    approved_by=user.username,
                    submitted_by=submitted_by,
                    published_by=user.username,
                    published_at=now,
                )
                body = {
                    "sop": prepared.sop_id,
                    "version": prepared.version,
                    "sha256": prepared.sha256,
                    "old_version": previous.version if previous else None,
                    "old_sha256": previous.sha256 if previous else None,
                    "file": path.name,
                    "approved_by": user.username,
                    "submitted_by": submitted_by,
                }
                event = audit.Event(
                    self.actor,
                    "sop_publish",
                    None,
                    body,
                    rows=(("sop_version", "id", [sop_row]),),
                )
                audit.append(conn, [event], now)
        if raced is not None:
            message = (
                f"{path.name} was not published: {prepared.sop_id} {raced} was published "
                "meanwhile; check it again."
            )
            self._audit_refused(path, message)
            raise PublishRefused(message)
        return SopPublished(
            prepared.sop_id,
            prepared.version,
            prepared.sha256,
            previous.version if previous else None,
            previous.sha256 if previous else None,
            user.username,
            path,
            write_back(prepared),
        )

    def _audit_refused(self, path: Path, reason: str) -> None:
        with write_tx(self.engine) as conn:
            audit.append(
                conn,
                [
                    audit.Event(
                        self.actor,
                        "sop_publish_refused",
                        None,
                        {"file": path.name, "reason": reason[:1000]},
                    )
                ],
                self.clock(),
            )

    def view_counts(self) -> dict[str, int]:
        """Sizes of the queue, mine and done-today views (for the tab labels)."""
        since = self.start_of_today()
        empty = views.QueueFilter()
        with read_tx(self.engine) as conn:
            return {v: views.count_rows(conn, v, self.actor, empty, since) for v in views.VIEWS}

    def consultation(self, item_id: int) -> ConsultationModel:
        """One consultation, typed (domain.models.Consultation)."""
        with read_tx(self.engine) as conn:
            row = conn.execute(select(C).where(C.c.id == item_id)).first()
        if row is None:
            raise NotFound(f"consultation {item_id} does not exist")
        return ConsultationModel.from_row(row)

    def get_consultation(self, item_id: int) -> dict[str, Any]:
        """One consultation, every column."""
        with read_tx(self.engine) as conn:
            row = conn.execute(select(C).where(C.c.id == item_id)).first()
        if row is None:
            raise NotFound(f"consultation {item_id} does not exist")
        return dict(row._mapping)

    def queue_summary(self) -> QueueSummary:
        """Counts by status, and of the queued items by practice, priority and type."""
        s = QueueSummary()
        queued = C.c.status == Status.QUEUED
        with read_tx(self.engine) as conn:
            for st, n in conn.execute(select(C.c.status, func.count()).group_by(C.c.status)):
                s.by_status[st] = n
            for ods, n in conn.execute(
                select(C.c.practice_ods, func.count()).where(queued).group_by(C.c.practice_ods)
            ):
                s.queued_by_practice[ods] = n
            for pr, n in conn.execute(
                select(C.c.priority, func.count()).where(queued).group_by(C.c.priority)
            ):
                s.queued_by_priority[pr] = n
            for rt, n in conn.execute(
                select(C.c.request_type, func.count()).where(queued).group_by(C.c.request_type)
            ):
                s.queued_by_type[rt] = n
            oldest = conn.execute(select(func.min(C.c.received_at)).where(queued)).scalar()
            s.oldest_queued = _aware(oldest)
            s.quarantined_open = conn.execute(
                select(func.count()).select_from(Q).where(Q.c.status == "open")
            ).scalar_one()
        for st in Status:
            s.by_status.setdefault(st.value, 0)
        return s

    def change_cursor(self) -> int:
        """A number that grows whenever anything changes (the audit chain's head)."""
        with read_tx(self.engine) as conn:
            return int(
                conn.execute(select(audit.HEAD.c.seq).where(audit.HEAD.c.id == 1)).scalar_one()
            )

    # -- returns and reports -------------------------------------------------------------------

    def today(self) -> date:
        """Today's date in the UK."""
        return self.clock().astimezone(LONDON).date()

    @staticmethod
    def _practice_refs(conn: Any) -> list[Any]:
        from ehub_tui.export.returns import PracticeRef

        rows = conn.execute(select(P)).all()
        refs = [
            PracticeRef(r.ods_code, r.name, r.pcn_code, r.pcn_name, int(r.list_size or 0))
            for r in rows
        ]
        return sorted(refs, key=lambda p: p.ods_code)  # the same order on every engine

    def _build_return(
        self,
        first: date,
        last: date,
        practice: str | None,
        progress: Any,
        also: Callable[[Any], Any] | None = None,
    ) -> Any:
        """The return, read from one snapshot; ``also(conn)`` reads more from that snapshot."""
        from ehub_tui.export.returns import build_return
        from ehub_tui.store import returns as store_returns

        if last < first:
            raise StoreError(f"the range ends ({last}) before it starts ({first})")
        if first > self.today():
            raise StoreError(f"{first} is in the future: there is nothing to report yet")
        if first.year < 2000:
            raise StoreError(f"{first} is before 2000: online consultations had not started")

        class _Reader:
            def __init__(self, conn: Any) -> None:
                self.conn = conn

            def counts(self, a: date, b: date) -> Any:
                return store_returns.range_counts(self.conn, a, b)

            def open_at(self, day: date) -> dict[str, int]:
                return store_returns.open_at(self.conn, day)

        with read_tx(self.engine, snapshot=True) as conn:
            refs = self._practice_refs(conn)
            if not refs:
                raise StoreError(
                    "this hub has no practices yet: import them first "
                    "(ehub-tui practices import FILE)"
                )
            if practice is not None and practice not in {p.ods_code for p in refs}:
                known = ", ".join(p.ods_code for p in refs)
                raise StoreError(f"no practice {practice!r} in this hub (practices: {known})")
            ret = build_return(
                _Reader(conn),
                refs,
                first,
                last,
                practice,
                progress,
                suppliers=self.settings.suppliers,
            )
            extra = also(conn) if also is not None else None
        return ret, extra

    def daily_return(
        self,
        first: date,
        last: date,
        practice: str | None = None,
        progress: Callable[[int, int], None] | None = None,
        purpose: str = "export",
    ) -> Any:
        """The daily return for UK-local days ``first``..``last`` (managers, supervisors, admins).

        Reads one consistent snapshot of the hub; the export itself is audited (who, which days).
        """
        self._require("export_returns")
        ret, _ = self._build_return(first, last, practice, progress)
        with write_tx(self.engine) as conn:
            audit.append(
                conn,
                [
                    audit.Event(
                        self.actor,
                        "export",
                        None,
                        {
                            "what": purpose,
                            "from": first.isoformat(),
                            "to": last.isoformat(),
                            "practice": practice,
                        },
                    )
                ],
                self.clock(),
            )
        return ret

    def report(self, period: str) -> Any:
        """The reports screen's figures for "today", "yesterday", "week" (Monday to today) or
        "last_week" (supervisors and managers)."""
        from ehub_tui.export.report import build_report, period_days
        from ehub_tui.store import returns as store_returns

        self._require("see_reports")
        try:
            first, last = period_days(period, self.today())
        except ValueError as exc:
            raise StoreError(str(exc)) from None
        ret, hours = self._build_return(
            first, last, None, None, lambda conn: store_returns.arrivals_by_hour(conn, first, last)
        )
        return build_report(period, ret, hours, self.clock())

    def verify_audit(
        self, public_keys: Sequence[Path] = (), *, use_anchor: bool = True
    ) -> hub_verify.HubVerifyResult:
        """Check the chain, the signed checkpoints and every covered row against the chain.

        Trust comes from outside the database only: ``public_keys`` (exported by ``audit key``)
        or the hub's own key file, and this hub's anchor file beside it (``use_anchor=False`` for
        a copy: a backup rightly ends before the live hub's newest checkpoint).
        """
        anchor = _anchor(self.settings) if use_anchor else None
        trust = hub_verify.trust_from(self.settings.audit_key_path, public_keys, anchor)
        with read_tx(self.engine, snapshot=True) as conn:
            return hub_verify.verify_hub(conn, trust.keys, trust.anchor, trust.anchor_problem)

    def audit_key(self, create: bool = False) -> checkpoints.Signer:
        """The hub's audit signing key (made when ``create`` and there is none yet)."""
        path = self.settings.audit_key_path
        every = self.settings.audit_checkpoint_every
        signer = checkpoints.load_signer(path, every, _anchor(self.settings))
        if signer is None:
            if not create:
                raise StoreError(
                    f"there is no audit signing key at {path}: create it on the hub machine "
                    "with `ehub-tui audit key --create`"
                )
            signer = checkpoints.create_key(path, every, _anchor(self.settings))
            audit.attach_signer(self.engine, signer)
        return signer

    def audit_checkpoint(self) -> Any:
        """Sign the chain head now (for a daily timer on the hub machine); returns the row."""
        signer = self.audit_key()
        with write_tx(self.engine) as conn:
            head = conn.execute(select(audit.HEAD.c.seq, audit.HEAD.c.hash)).one()
            last = checkpoints.latest(conn)
            if last is not None and last.seq >= head.seq:
                return last
            if last is not None:
                checkpoints.write_anchor(signer, last)
            at = (
                conn.execute(
                    select(audit.EVENT.c.at).where(audit.EVENT.c.seq == head.seq)
                ).scalar_one_or_none()
                or self.clock()
            )
            checkpoints.sign_head(conn, signer, int(head.seq), str(head.hash), at)
        with read_tx(self.engine) as conn:
            row = checkpoints.latest(conn)
        checkpoints.write_anchor(signer, row)
        return row

    def audit_events(self, consultation_id: int | None = None, limit: int = 100) -> list[dict]:
        """Recent audit events, newest first (optionally for one item)."""
        E = audit.EVENT
        q = select(E.c.seq, E.c.at, E.c.actor, E.c.action, E.c.consultation_id, E.c.body)
        if consultation_id is not None:
            q = q.where(E.c.consultation_id == consultation_id)
        with read_tx(self.engine) as conn:
            rows = conn.execute(q.order_by(E.c.seq.desc()).limit(limit)).all()
        out = []
        for r in rows:
            event = dict(r._mapping)
            # the digests of the rows it wrote are for `audit verify`; the story is the rest
            body = dict(event["body"] or {})
            event["covers"] = body.pop("covers", [])
            event["shows"] = body.pop("shows", [])
            event["body"] = body
            out.append(event)
        return out


class _StoreSops:
    """The SOP library's source: the hub's published versions."""

    def __init__(self, service: HubService) -> None:
        self.service = service

    def stamp(self) -> tuple[int, int]:
        """(highest sop_version id, rows): a cheap look for a newly published version."""
        from ehub_tui.store import sops as store_sops

        with read_tx(self.service.engine) as conn:
            return store_sops.stamp(conn)

    def versions(self) -> list[Any]:
        """Every published version."""
        return self.service.published_sops()


def _published_text(row: dict[str, Any]) -> Any:
    from ehub_tui.sop.library import PublishedText

    tests = row["tests_text"]
    return PublishedText(
        sop_id=row["sop_id"],
        version=row["version"],
        name=row["file_name"],
        text=row["sop_text"].encode("utf-8"),
        tests=tests.encode("utf-8") if tests is not None else None,
        sha256=row["sha256"],
        approved_by=row["approved_by"],
        published_at=_aware(row["published_at"]),
        row_id=int(row["id"]),
        published_by=row["published_by"],
        submitted_by=row["submitted_by"],
    )


def _shipped_red_flags() -> list[Any]:
    """The red-flag SOP shipped inside the package: used only when no published version of it
    loads (the red flags are never absent)."""
    from ehub_tui.sop.library import RED_FLAGS, PublishedText, shipped_sops_dir

    path = shipped_sops_dir() / f"{RED_FLAGS}.sop.yaml"
    try:
        data = path.read_bytes()
    except OSError:
        return []
    sha = hashlib.sha256(data).hexdigest()
    return [PublishedText(RED_FLAGS, "shipped", path.name, data, sha256=sha)]


def _must_exist(settings: Settings) -> None:
    """A SQLite hub named by the settings must already be a file (nothing is created)."""
    if not settings.is_embedded:
        return
    from sqlalchemy.engine import make_url

    name = make_url(settings.database_url).database or ""
    if not Path(name).is_file():
        raise HubMissing(f"there is no hub at {name}: check the path (nothing was created)")


def _must_be_hub(engine: Engine, settings: Settings) -> None:
    from ehub_tui.store.migrate import HEAD, current_revision

    with read_tx(engine) as conn:
        rev = current_revision(conn)
    if rev is None:
        raise HubMissing(f"{_safe_url(settings.database_url)} is not an ehub-tui hub (no schema)")
    if rev != HEAD:
        raise StoreError(
            f"the hub at {_safe_url(settings.database_url)} is at schema {rev}; this ehub-tui "
            f"reads {HEAD}: open it once with this version (that upgrades it), then verify"
        )


def _attach_signer(engine: Engine, settings: Settings) -> None:
    """Sign audit checkpoints from this process when it holds the hub's private key.

    A one-host (SQLite) hub makes its key the first time, while it has no checkpoints yet; a
    shared hub's key is made on the hub machine with ``audit key --create``.
    """
    path = settings.audit_key_path
    anchor = _anchor(settings)
    signer = checkpoints.load_signer(path, settings.audit_checkpoint_every, anchor)
    if signer is None and settings.is_embedded:
        with read_tx(engine) as conn:
            fresh = checkpoints.latest(conn) is None
        if fresh:
            signer = checkpoints.create_key(path, settings.audit_checkpoint_every, anchor)
    audit.attach_signer(engine, signer)


def _anchor(settings: Settings) -> Path:
    return checkpoints.anchor_for(settings.audit_key_path, settings.database_url)


def _need_reason(reason: str, what: str) -> None:
    if not (reason or "").strip():
        raise StoreError(f"a reason is needed to {what}")


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<hub url>"


def _upgrade(engine: Engine) -> None:
    """Bring the schema up to date. On PostgreSQL through an engine of its own without the
    server's statement timeout: a migration may rightly run for minutes on a large hub (the
    client still notices a server that stops answering)."""
    if engine.dialect.name == "sqlite":
        upgrade(engine)
        return
    url = engine.url.render_as_string(hide_password=False)
    migrator = create_hub_engine(url, timeouts=Timeouts(statement_seconds=None))
    try:
        upgrade(migrator)
    finally:
        migrator.dispose()


def age_on(dob: date, today: date) -> int:
    """Whole years of age on a day."""
    return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
