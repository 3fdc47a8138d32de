"""The SQL of sign-in: hub users' password hashes (``hub_credential``) and their sessions
(``hub_session``, one row per bearer token, keyed by the token's SHA-256).

Every function runs inside the caller's transaction (``hub.auth`` opens it and appends the audit
event in the same one). Nothing here decides policy — lock-out lengths, expiry, which device —
and nothing here sees a password or a token: only argon2 hashes and token digests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, insert, select, update

from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import HubCredential, HubSession, HubUser

U = HubUser.__table__  # type: ignore[attr-defined]
K = HubCredential.__table__  # type: ignore[attr-defined]
S = HubSession.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class UserRow:
    """A hub user as sign-in needs them, with their password row if they have one."""

    id: int
    username: str
    role: str
    display_name: str
    active: bool
    password_hash: str | None
    must_change: bool
    failed_count: int
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A sign-in session with its user as ``hub_user`` holds them now."""

    id: int
    token_digest: str
    device_id: str
    created_at: datetime
    last_used_at: datetime
    absolute_expires_at: datetime
    revoked_at: datetime | None
    revoke_reason: str | None
    user_id: int
    username: str
    role: str
    display_name: str
    active: bool
    client: str = ""  # what started it (a service token's marker: hub.sessions.SERVICE_CLIENT)
    must_change: bool = False  # the user's password was reset to one they must change


def find_user(conn: Connection, username: str, *, lock: bool = False) -> UserRow | None:
    """The user named ``username`` and their credential (None if there is no such user).

    ``lock`` takes the credential's row lock on PostgreSQL (SQLite writers are serialised by
    BEGIN IMMEDIATE already), so a success and a concurrent failure cannot both decide.
    """
    if lock and not is_sqlite(conn):
        # first the lock (FOR UPDATE cannot take the nullable side of the outer join below);
        # the read after it sees the row as the lock holder before us left it
        conn.execute(
            select(K.c.user_id)
            .where(K.c.user_id == select(U.c.id).where(U.c.username == username).scalar_subquery())
            .with_for_update()
        )
    q = (
        select(
            U.c.id,
            U.c.username,
            U.c.role,
            U.c.display_name,
            U.c.active,
            K.c.password_hash,
            K.c.must_change,
            K.c.failed_count,
            K.c.locked_until,
        )
        .select_from(U.outerjoin(K, K.c.user_id == U.c.id))
        .where(U.c.username == username)
    )
    r = conn.execute(q).first()
    if r is None:
        return None
    return UserRow(
        id=r.id,
        username=r.username,
        role=r.role,
        display_name=r.display_name,
        active=bool(r.active),
        password_hash=r.password_hash,
        must_change=bool(r.must_change) if r.must_change is not None else False,
        failed_count=int(r.failed_count or 0),
        locked_until=r.locked_until,
    )


def set_password_hash(
    conn: Connection, user_id: int, password_hash: str, at: datetime, *, must_change: bool
) -> bool:
    """Store a new hash for the user, clearing the failure count and any lock; True if the user
    had a password before (an update), False if this is their first (an insert)."""
    values = {
        "password_hash": password_hash,
        "password_set_at": at,
        "must_change": must_change,
        "failed_count": 0,
        "last_failed_at": None,
        "locked_until": None,
    }
    done = conn.execute(update(K).where(K.c.user_id == user_id).values(**values))
    if done.rowcount:
        return True
    conn.execute(insert(K).values(user_id=user_id, **values))
    return False


def rehash(conn: Connection, user_id: int, password_hash: str) -> None:
    """Replace a hash made with older parameters by one made with today's (same password)."""
    conn.execute(update(K).where(K.c.user_id == user_id).values(password_hash=password_hash))


def record_failure(conn: Connection, user_id: int, at: datetime) -> int:
    """Count one more failed sign-in; returns the count of consecutive failures now.

    One UPDATE … RETURNING, so concurrent failures each add one and none is lost.
    """
    n = conn.execute(
        update(K)
        .where(K.c.user_id == user_id)
        .values(failed_count=K.c.failed_count + 1, last_failed_at=at)
        .returning(K.c.failed_count)
    ).scalar_one()
    return int(n)


def lock_until(conn: Connection, user_id: int, until: datetime) -> None:
    """Refuse every sign-in of the user until ``until``."""
    conn.execute(update(K).where(K.c.user_id == user_id).values(locked_until=until))


def clear_failures(conn: Connection, user_id: int) -> None:
    """A success: forget the failures and any lock."""
    conn.execute(
        update(K)
        .where(K.c.user_id == user_id)
        .values(failed_count=0, last_failed_at=None, locked_until=None)
    )


def add_session(
    conn: Connection,
    *,
    token_digest: str,
    user_id: int,
    device_id: str,
    at: datetime,
    absolute_expires_at: datetime,
    client: str,
) -> int:
    """Start a session; returns its id."""
    sid = conn.execute(
        insert(S)
        .values(
            token_digest=token_digest,
            user_id=user_id,
            device_id=device_id,
            created_at=at,
            last_used_at=at,
            absolute_expires_at=absolute_expires_at,
            client=client,
        )
        .returning(S.c.id)
    ).scalar_one()
    return int(sid)


def find_session(conn: Connection, token_digest: str) -> SessionRow | None:
    """The session whose token has this digest, with its user as they are now (a service
    account has no credential row: it never must change a password)."""
    r = conn.execute(
        select(
            S.c.id,
            S.c.token_digest,
            S.c.device_id,
            S.c.created_at,
            S.c.last_used_at,
            S.c.absolute_expires_at,
            S.c.revoked_at,
            S.c.revoke_reason,
            S.c.client,
            U.c.id.label("user_id"),
            U.c.username,
            U.c.role,
            U.c.display_name,
            U.c.active,
            K.c.must_change,
        )
        .select_from(S.join(U, U.c.id == S.c.user_id).outerjoin(K, K.c.user_id == U.c.id))
        .where(S.c.token_digest == token_digest)
    ).first()
    if r is None:
        return None
    return SessionRow(
        id=r.id,
        token_digest=r.token_digest,
        device_id=r.device_id,
        created_at=r.created_at,
        last_used_at=r.last_used_at,
        absolute_expires_at=r.absolute_expires_at,
        revoked_at=r.revoked_at,
        revoke_reason=r.revoke_reason,
        user_id=r.user_id,
        username=r.username,
        role=r.role,
        display_name=r.display_name,
        active=bool(r.active),
        client=r.client or "",
        must_change=bool(r.must_change),
    )


def touch_session(conn: Connection, session_id: int, at: datetime) -> None:
    """Record that the session was used (its idle expiry starts again)."""
    conn.execute(update(S).where(S.c.id == session_id).values(last_used_at=at))


def revoke_sessions(
    conn: Connection,
    *,
    at: datetime,
    by: str,
    reason: str,
    session_ids: Sequence[int] | None = None,
    user_id: int | None = None,
    keep: int | None = None,
) -> list[int]:
    """End live sessions — the ones named, or every one of a user (but ``keep``); returns the
    ids actually ended (one already ended keeps its first end)."""
    where = [S.c.revoked_at.is_(None)]
    if session_ids is not None:
        where.append(S.c.id.in_(list(session_ids)))
    if user_id is not None:
        where.append(S.c.user_id == user_id)
    if keep is not None:
        where.append(S.c.id != keep)
    rows = conn.execute(
        update(S)
        .where(and_(*where))
        .values(revoked_at=at, revoked_by=by[:64], revoke_reason=reason[:32])
        .returning(S.c.id)
    ).all()
    return sorted(int(r.id) for r in rows)
