"""Practices from their national sources in the hub store (issue 16): an ODS file's practices
added, renamed or made inactive, and a month's list sizes kept per month. Each import is one
audited event covering every row it wrote; a dry run reads and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ehub_tui.domain.practice_sources import ListSize, ListSizeResult, OdsImportResult, OdsPractice
from ehub_tui.store import audit
from ehub_tui.store.engine import is_sqlite
from ehub_tui.store.models import Practice
from ehub_tui.store.models_practice_sizes import PracticeListSize

P = Practice.__table__  # type: ignore[attr-defined]
S = PracticeListSize.__table__  # type: ignore[attr-defined]

# The month a practice's size from before its first imported month is kept under: earlier than
# any return (returns start in 2000), so every day before the first import keeps that size
BASELINE_MONTH = "2000-01"


def _practices(conn: Connection) -> dict[str, Any]:
    return {r.ods_code: r for r in conn.execute(select(P))}


def hub_pcn(conn: Connection, pcn_code: str | None) -> tuple[str, str]:
    """The PCN new practices join: ``pcn_code`` with the name the hub's practices give it;
    else the hub's one PCN; else ``pcn_code`` unnamed (the ODS file names no PCN)."""
    pcns = {(r.pcn_code, r.pcn_name) for r in conn.execute(select(P.c.pcn_code, P.c.pcn_name))}
    pcns.discard(("", ""))
    named = sorted(p for p in pcns if pcn_code and p[0] == pcn_code.upper())
    if named:
        return named[0]
    if len(pcns) == 1:
        return next(iter(pcns))
    return ((pcn_code or "").upper(), "")


def apply_ods(
    conn: Connection,
    practices: Sequence[OdsPractice],
    pcn: tuple[str, str],
    actor: str,
    now: datetime,
    *,
    dry_run: bool = False,
) -> OdsImportResult:
    """Add the open practices new to the hub (in ``pcn``), rename those it has, make the closed
    ones it has inactive; a closed practice new to the hub is reported, never added."""
    have = _practices(conn)
    res = OdsImportResult(dry_run=dry_run)
    writes: list[tuple[str, dict[str, Any], bool]] = []  # (code, values, new?)
    for p in practices:
        row = have.get(p.ods_code)
        if row is None:
            if p.closed:
                res.closed_not_added.append(p.ods_code)
                continue
            res.added.append(p.ods_code)
            values = {"name": p.name, "pcn_code": pcn[0], "pcn_name": pcn[1], "list_size": 0}
            writes.append((p.ods_code, values | {"active": True}, True))
            continue
        active = not p.closed
        if row.name == p.name and bool(row.active) == active:
            res.unchanged.append(p.ods_code)
            continue
        (res.deactivated if not active and row.active else res.updated).append(p.ods_code)
        writes.append((p.ods_code, {"name": p.name, "active": active}, False))
    if dry_run or not writes:
        return res
    for code, values, new in writes:
        if new:
            conn.execute(insert(P).values(ods_code=code, **values))
        else:
            conn.execute(update(P).where(P.c.ods_code == code).values(**values))
    body = {
        "source": "ods",
        "added": res.added,
        "updated": res.updated,
        "deactivated": res.deactivated,
        "closed_not_added": res.closed_not_added,
    }
    codes = [code for code, _, _ in writes]
    event = audit.Event(actor, "practices_ods", None, body, rows=(("practice", "ods_code", codes),))
    audit.append(conn, [event], now)
    return res


def store_sizes(
    conn: Connection,
    month: str,
    sizes: Sequence[ListSize],
    actor: str,
    now: datetime,
    *,
    dry_run: bool = False,
) -> ListSizeResult:
    """Keep each known practice's size for ``month`` (replacing one kept before); a practice's
    current ``list_size`` follows when ``month`` is its newest. Practices the hub does not have
    are counted and skipped."""
    have = _practices(conn)
    known = [s for s in sizes if s.ods_code in have]
    last_month = select(S.c.ods_code, func.max(S.c.month)).group_by(S.c.ods_code)
    newest: dict[str, str] = {code: m for code, m in conn.execute(last_month)}
    current = [
        s
        for s in known
        if month >= newest.get(s.ods_code, month) and have[s.ods_code].list_size != s.list_size
    ]
    res = ListSizeResult(
        month=month,
        stored=[s.ods_code for s in known],
        unknown=len(sizes) - len(known),
        current=[s.ods_code for s in current],
        dry_run=dry_run,
    )
    if dry_run or not known:
        return res
    ins = sqlite_insert(S) if is_sqlite(conn) else pg_insert(S)
    # A practice's first kept month: keep the size the hub had until now as its size for every
    # earlier month (BASELINE_MONTH), or the returns of those months would take the new figure
    first = [s.ods_code for s in known if s.ods_code not in newest and month > BASELINE_MONTH]
    for code in first:
        base = {"list_size": int(have[code].list_size or 0), "imported_by": actor}
        conn.execute(
            ins.values(
                ods_code=code, month=BASELINE_MONTH, imported_at=now, **base
            ).on_conflict_do_nothing(index_elements=["ods_code", "month"])
        )
    for s in known:
        values = {"list_size": s.list_size, "imported_by": actor, "imported_at": now}
        conn.execute(
            ins.values(ods_code=s.ods_code, month=month, **values).on_conflict_do_update(
                index_elements=["ods_code", "month"], set_=values
            )
        )
    for s in current:
        conn.execute(update(P).where(P.c.ods_code == s.ods_code).values(list_size=s.list_size))
    body: dict[str, Any] = {"month": month, "practices": len(known), "unknown": res.unknown}
    months = [BASELINE_MONTH, month] if first else [month]
    if first:
        body["baseline"] = first  # the sizes they had kept for the months before
    rows: tuple[tuple[str, str, Sequence[Any]], ...] = (("practice_list_size", "month", months),)
    if current:
        rows += (("practice", "ods_code", res.current),)
    event = audit.Event(actor, "practice_list_sizes", None, body, rows=rows)
    audit.append(conn, [event], now)
    return res


def sizes_by_practice(conn: Connection) -> dict[str, list[tuple[str, int]]]:
    """Every practice's kept sizes as (YYYY-MM, size), oldest month first (for the returns)."""
    out: dict[str, list[tuple[str, int]]] = defaultdict(list)
    query = select(S.c.ods_code, S.c.month, S.c.list_size).order_by(S.c.ods_code, S.c.month)
    for code, month, size in conn.execute(query):
        out[code].append((month, int(size)))
    return dict(out)
