"""The audit chain as the apps see it: recent events, verification, the signing key and signed
checkpoints."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from sqlalchemy import select

from ehub_tui.config import Settings
from ehub_tui.domain.models import AuditEvent, Checkpoint
from ehub_tui.errors import StoreError
from ehub_tui.service.context import HubContext
from ehub_tui.store import audit, checkpoints
from ehub_tui.store import verify as hub_verify
from ehub_tui.store.engine import read_tx, write_tx
from ehub_tui.store.verify_events import Progress
from ehub_tui.store.verify_since import verify_since


def anchor_path(settings: Settings) -> Path:
    """This hub's anchor file (its newest signed checkpoint), beside the signing key."""
    return checkpoints.anchor_for(settings.audit_key_path, settings.database_url)


class AuditLog:
    """Reading and checking the audit chain; signing its head."""

    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx

    def events(
        self,
        consultation_id: int | None = None,
        limit: int = 100,
        skip: Collection[str] = (),
    ) -> list[AuditEvent]:
        """Recent audit events, newest first (optionally for one item; ``skip``: actions left
        out, e.g. the access entries the board does not show)."""
        E = audit.EVENT
        q = select(E.c.seq, E.c.at, E.c.actor, E.c.action, E.c.consultation_id, E.c.body)
        if consultation_id is not None:
            q = q.where(E.c.consultation_id == consultation_id)
        if skip:
            q = q.where(E.c.action.not_in(list(skip)))
        with read_tx(self._ctx.engine) as conn:
            rows = conn.execute(q.order_by(E.c.seq.desc()).limit(limit)).all()
        out = []
        for r in rows:
            event = dict(r._mapping)
            # the digests of the rows it wrote are for `audit verify`; the story is the rest
            body = dict(event["body"] or {})
            event["covers"] = body.pop("covers", [])
            event["shows"] = body.pop("shows", [])
            event["body"] = body
            out.append(AuditEvent.model_validate(event))
        return out

    def change_cursor(self) -> int:
        """A number that grows whenever anything changes (the audit chain's head)."""
        with read_tx(self._ctx.engine) as conn:
            return int(
                conn.execute(select(audit.HEAD.c.seq).where(audit.HEAD.c.id == 1)).scalar_one()
            )

    def verify(
        self,
        public_keys: Sequence[Path] = (),
        *,
        use_anchor: bool = True,
        since_checkpoint: bool = False,
        progress: Progress | None = None,
    ) -> hub_verify.HubVerifyResult:
        """Check the chain, the signed checkpoints and every covered row against the chain
        (``since_checkpoint``: only from the newest signed checkpoint to the head, and the rows
        the events after it wrote; raises ``NoCheckpoint`` when there is none).

        Trust comes from outside the database only: ``public_keys`` (exported by ``audit key``)
        or the hub's own key file, and this hub's anchor file beside it (``use_anchor=False`` for
        a copy: a backup rightly ends before the live hub's newest checkpoint). ``progress`` is
        told (stage, done, total or None) as a long verify goes.
        """
        settings = self._ctx.settings
        anchor = anchor_path(settings) if use_anchor else None
        trust = hub_verify.trust_from(settings.audit_key_path, public_keys, anchor)
        check = verify_since if since_checkpoint else hub_verify.verify_hub
        with read_tx(self._ctx.engine, snapshot=True) as conn:
            return check(conn, trust.keys, trust.anchor, trust.anchor_problem, progress)

    def key(self, create: bool = False) -> checkpoints.Signer:
        """The hub's audit signing key (made when ``create`` and there is none yet)."""
        settings = self._ctx.settings
        path = settings.audit_key_path
        every = settings.audit_checkpoint_every
        signer = checkpoints.load_signer(path, every, anchor_path(settings))
        if signer is None:
            if not create:
                raise StoreError(
                    f"there is no audit signing key at {path}: create it on the hub machine "
                    "with `ehub-tui audit key --create`"
                )
            signer = checkpoints.create_key(path, every, anchor_path(settings))
            audit.attach_signer(self._ctx.engine, signer)
        return signer

    def checkpoint(self) -> Checkpoint:
        """Sign the chain head now (for a daily timer on the hub machine); returns the
        checkpoint (the newest one already there when the head is signed)."""
        signer = self.key()
        with write_tx(self._ctx.engine) as conn:
            head = conn.execute(select(audit.HEAD.c.seq, audit.HEAD.c.hash)).one()
            last = checkpoints.latest(conn)
            if last is not None and last.seq >= head.seq:
                return Checkpoint.model_validate(dict(last._mapping))
            if last is not None:
                checkpoints.write_anchor(signer, last)
            at = (
                conn.execute(
                    select(audit.EVENT.c.at).where(audit.EVENT.c.seq == head.seq)
                ).scalar_one_or_none()
                or self._ctx.now()
            )
            checkpoints.sign_head(conn, signer, int(head.seq), str(head.hash), at)
        with read_tx(self._ctx.engine) as conn:
            row = checkpoints.latest(conn)
        checkpoints.write_anchor(signer, row)
        return Checkpoint.model_validate(dict(row._mapping))
