"""Intake: member practices, storing new consultations, and the quarantine of records that could
not be stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError

from ehub_tui.domain.models import (
    IntakeResult,
    NewConsultation,
    PracticeInfo,
    QuarantineEntry,
    ReleasedRecord,
)
from ehub_tui.errors import AlreadyResolved, NotAvailable, NotFound, RecordRejected, StoreError
from ehub_tui.service.context import HubContext, first_line
from ehub_tui.store import audit, counters, intake, response_status
from ehub_tui.store.engine import bulk_page_cache, is_sqlite, read_tx, write_tx
from ehub_tui.store.models import Consultation, Practice, Quarantine

C = Consultation.__table__  # type: ignore[attr-defined]
P = Practice.__table__  # type: ignore[attr-defined]
Q = Quarantine.__table__  # type: ignore[attr-defined]

# A record to quarantine (source_file, location, reason, raw, fmt, source, external_id): the
# store writes it as it is.
QuarantineRecord = dict[str, Any]


# what a list of quarantined records shows (not the raw text: it may be large, and holds patient
# details)
_LIST_COLUMNS = (
    "id",
    "source_file",
    "location",
    "reason",
    "status",
    "created_at",
    "source",
    "external_id",
    "consultation_id",  # the stored item a conflict or a supplier's change is about
    "kind",
)


# A store of this many items is bulk work: its connection gets a bigger page cache
BULK_ITEMS = 200


class Intake:
    """Practices, ingestion and the quarantine."""

    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx
        # ODS code -> name, read when a code is new to us (practices are rarely added)
        self._practice_names: dict[str, str] | None = None

    # -- practices -------------------------------------------------------------------------------

    def import_practices(self, practices: Sequence[PracticeInfo | Mapping[str, Any]]) -> int:
        """Add or update member practices."""
        self._ctx.require("manage_practices")
        rows = [asdict(p) if isinstance(p, PracticeInfo) else dict(p) for p in practices]
        with write_tx(self._ctx.engine) as conn:
            n = intake.upsert_practices(conn, rows, self._ctx.actor, self._ctx.now())
        self._practice_names = None
        return n

    def practices(self) -> list[PracticeInfo]:
        """Every member practice, by ODS code."""
        with read_tx(self._ctx.engine) as conn:
            rows = conn.execute(select(P).order_by(P.c.ods_code)).all()
        return [PracticeInfo(r.ods_code, r.name, r.pcn_code, r.pcn_name, r.list_size) for r in rows]

    def practice_codes(self) -> set[str]:
        """ODS codes of the member practices."""
        with read_tx(self._ctx.engine) as conn:
            return intake.practice_codes(conn)

    def practice_name(self, ods: str) -> str:
        """A practice's name (the ODS code when unknown)."""
        names = self._practice_names
        if names is None or ods not in names:  # read again when a practice is new to us
            names = {p.ods_code: p.name for p in self.practices()}
            self._practice_names = names
        return names.get(ods, ods)

    # -- ingestion -------------------------------------------------------------------------------

    def store(
        self, items: Sequence[NewConsultation], quarantined: Sequence[QuarantineRecord] = ()
    ) -> IntakeResult:
        """Store new consultations and quarantine bad records in one transaction.

        Returns (item index, new id) for every new consultation, the quarantine ids, the
        indexes of the items quarantined as conflicts, and what was done with the items whose
        response status is not plain completed (store/response_status.py: waiting, stopped,
        withdrawn, flagged to the supervisor, amended).
        """
        ctx = self._ctx
        ctx.require("ingest")
        now = ctx.now()
        try:
            with write_tx(ctx.engine) as conn:
                if len(items) >= BULK_ITEMS:  # an ingest's batch, not one record
                    bulk_page_cache(conn)
                created, conflicting, handled = response_status.store_items(
                    conn, items, ctx.actor, now, ctx.due_by
                )
                qids = intake.quarantine(conn, quarantined, ctx.actor, now)
        except (DataError, IntegrityError, StatementError) as exc:
            if isinstance(exc, OperationalError):
                raise
            raise RecordRejected(f"the hub could not store a record: {first_line(exc)}") from exc
        if items and not is_sqlite(ctx.engine):
            # issue 18: PostgreSQL's triggers left a delta row per stored or changed item: fold
            # them into the counters now, in a short transaction of their own (store/counters:
            # not in the batch's, which holds the audit head), so that an ingest with no hub
            # server running its rescue rounds leaves no deltas for every read to add up
            # housekeeping after the batch is stored: a failed fold leaves the deltas pending
            # (every read adds them up) and never reports a stored batch as failed (review 27)
            with write_tx(ctx.engine) as conn:
                counters.fold_quietly(conn)
        return IntakeResult(created, qids, conflicting, handled)

    def find_consultation_id(self, source: str, external_id: str) -> int | None:
        """The id of a stored consultation by its supplier key."""
        with read_tx(self._ctx.engine) as conn:
            found = conn.execute(
                select(C.c.id).where(C.c.source == source, C.c.external_id == external_id)
            ).scalar()
        return None if found is None else int(found)

    # -- quarantine ------------------------------------------------------------------------------

    def quarantined(self, status: str | None = "open") -> list[QuarantineEntry]:
        """Quarantined records (open ones by default), newest first, without their raw text.
        Those who ingest only (supervisors, admins, the watcher): a quarantined record's
        reason and location can quote patient details."""
        self._ctx.require("ingest")
        q = select(*(Q.c[name] for name in _LIST_COLUMNS)).order_by(Q.c.id.desc())
        if status:
            q = q.where(Q.c.status == status)
        with read_tx(self._ctx.engine) as conn:
            return [QuarantineEntry.model_validate(dict(r._mapping)) for r in conn.execute(q)]

    def entry(self, qid: int) -> QuarantineEntry:
        """One quarantined record with its raw text (those who ingest only)."""
        self._ctx.require("ingest")
        with read_tx(self._ctx.engine) as conn:
            row = conn.execute(select(Q).where(Q.c.id == qid)).first()
        if row is None:
            raise NotFound(f"quarantined record {qid} does not exist")
        return QuarantineEntry.model_validate(dict(row._mapping))

    def release(self, qid: int, item: NewConsultation) -> ReleasedRecord:
        """Store a quarantined record that now validates and close its entry, in one transaction.

        Returns (consultation id, True if it was new rather than already stored).
        """
        ctx = self._ctx
        ctx.require("ingest")
        if item.response_status not in ("completed", "amended"):
            # not work (in progress, stopped) or a withdrawal: ingesting its file again applies
            # the status rules; nothing here is stored as work
            raise StoreError(
                f"quarantined record {qid} is a response whose status is "
                f"{item.response_status}: it is not stored as work from the quarantine. Ingest "
                "its file again once it validates, or discard this entry saying what was done"
            )
        now = ctx.now()
        try:
            with write_tx(ctx.engine) as conn:
                if item.response_status == "amended":
                    _refuse_amending_worked(conn, qid, item)
                created, _, handled = response_status.store_items(
                    conn, [item], ctx.actor, now, ctx.due_by
                )
                if any(word == response_status.UNKNOWN for _, word in handled):
                    raise StoreError(
                        f"quarantined record {qid}: the supplier withdrew this response "
                        "(entered in error), so it is not stored as work; discard this entry"
                    )
                cid = (
                    created[0][1]
                    if created
                    else int(
                        conn.execute(
                            select(C.c.id).where(
                                C.c.source == item.source, C.c.external_id == item.external_id
                            )
                        ).scalar_one()
                    )
                )
                intake.resolve_quarantine(conn, qid, "released", cid, ctx.actor, now)
        except AlreadyResolved:
            raise NotAvailable(f"quarantined record {qid} is no longer open") from None
        return ReleasedRecord(cid, bool(created))

    def discard(self, qid: int, reason: str) -> None:
        """Close a quarantined record without storing it (e.g. a test message), with a reason."""
        ctx = self._ctx
        ctx.require("ingest")
        if not reason.strip():
            raise StoreError("a reason is needed to discard a quarantined record")
        try:
            with write_tx(ctx.engine) as conn:
                intake.resolve_quarantine(conn, qid, "discarded", None, ctx.actor, ctx.now())
                note = audit.Event(
                    ctx.actor, "note", None, {"quarantine_id": qid, "reason": reason[:500]}
                )
                audit.append(conn, [note], ctx.now())
        except AlreadyResolved:
            raise NotAvailable(
                f"quarantined record {qid} is not open (or does not exist)"
            ) from None


def _refuse_amending_worked(conn: Any, qid: int, item: NewConsultation) -> None:
    """A quarantined amendment of an item still claimed or completed stays quarantined: retried
    then, it would only be quarantined again under a new entry while this one read "released"."""
    status = conn.execute(
        select(C.c.status).where(C.c.source == item.source, C.c.external_id == item.external_id)
    ).scalar()
    if status is not None and status not in response_status.UNWORKED:
        raise StoreError(
            f"quarantined record {qid} amends an item that is {status}: it is applied only once "
            "the item is back in the queue; until then discard it saying what was done"
        )
