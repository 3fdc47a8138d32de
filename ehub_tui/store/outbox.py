"""The completed outcomes the FHIR outbox writes (issue 16, part 2): one indexed read of the
outcome with its consultation, practice and navigator, a page at a time in outcome-id order.

Completing is the only write of an outcome (nothing changes or deletes one), so an outcome's id
names the same facts for ever: the outbox names its files by it and a re-run writes nothing new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from ehub_tui.domain.outbox import OutboxPage, OutboxRecord
from ehub_tui.store.models import Consultation, HubUser, Outcome, Practice

OC = Outcome.__table__  # type: ignore[attr-defined]
C = Consultation.__table__  # type: ignore[attr-defined]
P = Practice.__table__  # type: ignore[attr-defined]
U = HubUser.__table__  # type: ignore[attr-defined]

MAX_PAGE = 500  # records per request: each is a few kB of JSON on the wire

_COLUMNS = (
    OC.c.id.label("outcome_id"),
    C.c.id.label("consultation_id"),
    C.c.practice_ods,
    P.c.name.label("practice_name"),
    P.c.pcn_code,
    P.c.pcn_name,
    C.c.source,
    C.c.external_id,
    C.c.received_at,
    C.c.request_type,
    C.c.template,
    C.c.nhs_number,
    C.c.given_name,
    C.c.family_name,
    C.c.date_of_birth,
    C.c.dob_precision,
    C.c.purged_at,
    C.c.sex,
    OC.c.navigator,
    U.c.display_name.label("navigator_name"),
    OC.c.category,
    OC.c.route,
    OC.c.destination,
    OC.c.destination_code,
    OC.c.urgency,
    OC.c.snomed_code,
    OC.c.contact_mode,
    OC.c.team,
    OC.c.sop_id,
    OC.c.sop_version,
    OC.c.sop_sha256,
    OC.c.note,
    OC.c.message,
    OC.c.completed_at,
)


def _record(row: Any) -> OutboxRecord:
    values = dict(row._mapping)
    # a purged or never-set value reads back as NULL on some engines: the model's empty default
    for key in ("nhs_number", "given_name", "family_name", "practice_name", "pcn_code"):
        values[key] = values.get(key) or ""
    values["pcn_name"] = values.get("pcn_name") or ""
    values["navigator_name"] = values.get("navigator_name") or ""
    values["sex"] = values.get("sex") or "unknown"
    values["dob_precision"] = values.get("dob_precision") or "day"  # NULL: a whole date
    values["purged"] = values.pop("purged_at", None) is not None
    values["destination"] = values.get("destination") or ""
    values["urgency"] = values.get("urgency") or ""
    return OutboxRecord.model_validate(values)


def completed_page(
    conn: Connection, since: datetime | None, after_id: int, limit: int
) -> OutboxPage:
    """Outcomes completed at or after ``since`` (None: all), with ids above ``after_id``, at
    most ``limit`` (1..MAX_PAGE) of them, and how many completed since ``since`` in all."""
    limit = max(1, min(limit, MAX_PAGE))
    where = [OC.c.id > after_id]
    counted = select(func.count()).select_from(OC)
    if since is not None:
        where.append(OC.c.completed_at >= since)
        counted = counted.where(OC.c.completed_at >= since)
    query = (
        select(*_COLUMNS)
        .select_from(
            OC.join(C, C.c.id == OC.c.consultation_id)
            .outerjoin(P, P.c.ods_code == C.c.practice_ods)
            .outerjoin(U, U.c.username == OC.c.navigator)
        )
        .where(*where)
        .order_by(OC.c.id)
        .limit(limit + 1)  # one more: is there a next page?
    )
    rows = conn.execute(query).all()
    records = [_record(r) for r in rows[:limit]]
    more = len(rows) > limit
    total = int(conn.execute(counted).scalar_one())
    return OutboxPage(
        records=records, total=total, next_after=records[-1].outcome_id if more else None
    )
