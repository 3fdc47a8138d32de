"""The supplier changes of worked items the supervisor must see (issue 16; domain/
supplier_alerts.py): open quarantine entries of kind ``withdrawn_worked`` or
``amended_conflict``, with how their item stands now. Read with the board."""

from __future__ import annotations

from sqlalchemy import Connection, select

from ehub_tui.domain.supplier_alerts import AMENDED_CONFLICT, WITHDRAWN_WORKED, SupplierAlert
from ehub_tui.store.models import Consultation, Quarantine

C = Consultation.__table__  # type: ignore[attr-defined]
Q = Quarantine.__table__  # type: ignore[attr-defined]
LIMIT = 50  # listed on the board (oldest first); they are rare, and each is dealt with


def open_alerts(conn: Connection, limit: int = LIMIT) -> list[SupplierAlert]:
    """Open supplier changes of worked items, oldest first (an index seek on the quarantine's
    status: open entries are few)."""
    rows = conn.execute(
        select(
            Q.c.id,
            Q.c.consultation_id,
            Q.c.kind,
            Q.c.created_at,
            C.c.status,
            C.c.owner,
            C.c.practice_ods,
        )
        .join(C, C.c.id == Q.c.consultation_id)
        .where(Q.c.status == "open", Q.c.kind.in_([WITHDRAWN_WORKED, AMENDED_CONFLICT]))
        .order_by(Q.c.id)
        .limit(limit)
    ).all()
    return [
        SupplierAlert(
            int(r.id),
            int(r.consultation_id),
            str(r.kind),
            str(r.status),
            r.owner,
            str(r.practice_ods),
            r.created_at,
        )
        for r in rows
    ]
