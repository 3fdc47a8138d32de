"""Signed checkpoints of the audit chain.

A hash chain alone proves nothing to someone who can rewrite it: they recompute every later hash,
cut events off the end and fix up the head, or wipe it. So the hub signs the chain head with an
Ed25519 key every N events and at least daily. The private key lives outside the database (a 0600
file on the hub machine, see ``settings.audit_key_path``); the public key is exported with
``ehub-tui audit key`` and kept by whoever verifies. ``audit verify`` checks every checkpoint: the
event it names must still have the hash that was signed, and the signature must hold.

The newest committed checkpoint is also written beside the key (the *anchor* file, one per hub),
so cutting the checkpoints out of the database along with the events is found too.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Connection, desc, insert, select

from ehub_tui.errors import SigningKeyError
from ehub_tui.store.models import AuditCheckpoint

CHECKPOINT = AuditCheckpoint.__table__  # type: ignore[attr-defined]
DAILY = timedelta(days=1)
ANCHOR_PREFIX = "audit-anchor-"


def anchor_for(key_path: Path, database_url: str) -> Path:
    """The anchor file for one hub: beside the key, named by the hub's database URL (without
    its password), so two hubs using one key folder never share an anchor, and a restored copy
    in a new database does not inherit the live hub's."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url).render_as_string(hide_password=True)
    name = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    return key_path.with_name(f"{ANCHOR_PREFIX}{name}.json")


def _stamp(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def message(seq: int, chain_hash: str, at: datetime, key_id: str) -> bytes:
    """The bytes a checkpoint signs."""
    core = {"seq": seq, "hash": chain_hash, "at": _stamp(at), "key": key_id}
    return json.dumps(core, sort_keys=True, separators=(",", ":")).encode("utf-8")


def key_id(public: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of sha256 of its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> str:
    """The public key as PEM text (what ``audit key`` exports)."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


@dataclass(frozen=True)
class Signer:
    """The hub's private key, and where its anchor file goes."""

    private: Ed25519PrivateKey
    path: Path
    every: int = 1000
    anchor_path: Path | None = None  # None: no anchor is kept (a key used outside any hub)

    @property
    def public(self) -> Ed25519PublicKey:
        """The matching public key."""
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        """The public key's fingerprint."""
        return key_id(self.public)

    def sign(self, seq: int, chain_hash: str, at: datetime) -> str:
        """Base64 signature of a checkpoint."""
        sig = self.private.sign(message(seq, chain_hash, at, self.key_id))
        return base64.b64encode(sig).decode("ascii")


def _check_private_file(path: Path) -> None:
    st = path.stat()
    if st.st_mode & 0o077:
        raise SigningKeyError(
            f"{path}: the audit signing key can be read by other users "
            f"(mode {st.st_mode & 0o777:o}); run `chmod 600 {path}`"
        )


def load_signer(path: Path, every: int = 1000, anchor: Path | None = None) -> Signer | None:
    """The signer whose private key is at ``path``; None when there is no key file."""
    if not path.exists():
        return None
    _check_private_file(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path}: not an Ed25519 private key in PEM form ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: the audit signing key must be Ed25519")
    return Signer(key, path, every, anchor)


def create_key(path: Path, every: int = 1000, anchor: Path | None = None) -> Signer:
    """Make a new signing key at ``path`` (0600, its folder 0700); never overwrites one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SigningKeyError(
            f"{path}: a signing key is already there; it is never replaced"
        ) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    return Signer(key, path, every, anchor)


def load_public(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file (as ``audit key`` exported it), or from a private key file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"{path}: cannot read the public key ({exc.strerror})") from None
    try:
        key: Any = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            key = serialization.load_pem_private_key(data, password=None).public_key()
        except (ValueError, TypeError):
            raise SigningKeyError(f"{path}: not an Ed25519 key in PEM form") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path}: the audit key must be Ed25519")
    return key


def verify_signature(public: Ed25519PublicKey, row: Any) -> bool:
    """True when a checkpoint row's signature holds under ``public``."""
    try:
        sig = base64.b64decode(row.signature, validate=True)
        public.verify(sig, message(row.seq, row.hash, row.at, row.key_id))
    except (InvalidSignature, ValueError):
        return False
    return True


def latest(conn: Connection) -> Any:
    """The newest checkpoint row, or None."""
    return conn.execute(select(CHECKPOINT).order_by(desc(CHECKPOINT.c.seq)).limit(1)).first()


def all_rows(conn: Connection) -> list[Any]:
    """Every checkpoint, oldest first."""
    return list(conn.execute(select(CHECKPOINT).order_by(CHECKPOINT.c.seq)).all())


def sign_head(conn: Connection, signer: Signer, seq: int, chain_hash: str, at: datetime) -> None:
    """Insert a checkpoint for event ``seq`` inside the caller's transaction."""
    conn.execute(
        insert(CHECKPOINT).values(
            seq=seq,
            at=at,
            hash=chain_hash,
            key_id=signer.key_id,
            signature=signer.sign(seq, chain_hash, at),
        )
    )


class Known:
    """What this process last knew of the newest checkpoint (seq, hub time), so most appends
    decide "not due" without a query; when it looks due, the database is asked."""

    def __init__(self) -> None:
        self.seq: int | None = None
        self.at: datetime | None = None

    def due(self, every: int, seq: int, at: datetime) -> bool:
        if self.seq is None or self.at is None:
            return True
        return seq // every > self.seq // every or at - self.at >= DAILY

    def learn(self, seq: int, at: datetime) -> None:
        self.seq, self.at = seq, at if at.tzinfo else at.replace(tzinfo=UTC)


def maybe_sign(
    conn: Connection, signer: Signer, seq: int, chain_hash: str, at: datetime, known: Known
) -> None:
    """Sign the head when it has passed another ``every`` events or a day since the last one.

    The anchor file gets the newest checkpoint that was already committed (the one before this
    transaction's), so a rolled-back transaction never leaves an anchor the database lacks.
    """
    if not known.due(signer.every, seq, at):
        return
    last = latest(conn)  # another process may have signed since this one last looked
    if last is not None:
        known.learn(last.seq, last.at)
        if not known.due(signer.every, seq, at):
            return
        write_anchor(signer, last)
    sign_head(conn, signer, seq, chain_hash, at)
    # not learned until committed: a rolled-back checkpoint makes the next append look again
    known.seq = None


def write_anchor(signer: Signer, row: Any) -> None:
    """Record a committed checkpoint beside the key (atomically; never fails the caller)."""
    data = {
        "seq": row.seq,
        "hash": row.hash,
        "at": _stamp(row.at),
        "key_id": row.key_id,
        "signature": row.signature,
    }
    if signer.anchor_path is None:
        return
    current = read_anchor(signer.anchor_path)
    if current is not None and int(current.get("seq", 0)) >= row.seq:
        return
    tmp = signer.anchor_path.with_suffix(".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, signer.anchor_path)
    except OSError:
        # the anchor is a second line of defence; the signed checkpoint in the database stands
        pass


def read_anchor(path: Path) -> dict[str, Any] | None:
    """The anchor file's checkpoint, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("seq"), int) else None


def at_seq(conn: Connection, seq: int) -> Any:
    """The checkpoint of event ``seq``, or None."""
    return conn.execute(select(CHECKPOINT).where(CHECKPOINT.c.seq == seq)).first()
