"""The queue's view filters and search (issue 15) on the workstation's cache, for when the hub is
away: multi-select practices and types, age bands, waited over N hours, the sort order, and a
search by item number or words (word starts in the request's first 120 characters, its template
and its practice code). The cache holds no names nor NHS numbers, and a search by them must be
audited by the hub: such a search is refused with OFFLINE_SEARCH.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import literal_column, text

from ehub_tui.client.local.base import QC
from ehub_tui.domain import search as S
from ehub_tui.domain.queue import QueueFilter, QueueRow
from ehub_tui.errors import HubUnreachable

OFFLINE_SEARCH = (
    "Searching by NHS number needs the hub, which is not answering (it keeps no NHS numbers "
    "here). Item numbers and words still search the list kept here."
)

_ROW = 'queue_cache."row"'
_FIELDS = (
    f"coalesce(json_extract({_ROW}, '$.summary'), '')",
    f"coalesce(json_extract({_ROW}, '$.template'), '')",
    "queue_cache.practice",
)


def today_of(since: datetime) -> date:
    """Today's date from the start of today (UK midnight, in UTC: 23:00 or 00:00)."""
    return (since + timedelta(hours=12)).date()


def refuse_offline(f: QueueFilter) -> None:
    """HubUnreachable(OFFLINE_SEARCH) for a search the cache cannot answer."""
    found = S.parse(f.search)
    if found is not None and found.kind == S.NHS:
        raise HubUnreachable(OFFLINE_SEARCH)


def clauses(f: QueueFilter, since: datetime) -> list[Any]:
    """The cached queue's WHERE parts for a filter (the single-value ones are cache.py's)."""
    from ehub_tui.store.search import word_start

    parts: list[Any] = []
    if f.practices:
        parts.append(QC.c.practice.in_(f.all_practices()))
    if f.request_types:
        parts.append(QC.c.request_type.in_(f.all_types()))
    today = today_of(since)
    ors = []
    for band in (b for b in f.age_bands if b in S.AGE_BANDS):
        after, latest = S.born_between(band, today)
        dob: Any = literal_column(f"json_extract({_ROW}, '$.date_of_birth')")
        clause = dob <= latest.isoformat()
        if after is not None:
            clause = clause & (dob > after.isoformat())
        ors.append(clause)
    if ors:
        from sqlalchemy import or_

        parts.append(or_(*ors))
    cutoff = S.waited_cutoff(datetime.now(UTC), f.waited_over_hours)  # a view, not a decision
    if cutoff is not None:
        parts.append(QC.c.received_at <= cutoff)
    found = S.parse(f.search)
    if found is not None and found.kind == S.ITEM:
        parts.append(QC.c.item_id == found.item)
    elif found is not None and found.kind == S.TEXT:
        params: dict[str, Any] = {}
        words = []
        for i, word in enumerate(found.words):
            either = [word_start(e, f"w{i}f{j}", word, params, True) for j, e in enumerate(_FIELDS)]
            words.append("(" + " OR ".join(either) + ")")
        parts.append(text(" AND ".join(words)).bindparams(**params))
    return parts


def order(f: QueueFilter) -> tuple[Any, ...]:
    """The cached queue's order for the sort chosen."""
    if f.sort == "due":
        return (QC.c.due_by, QC.c.priority.desc(), QC.c.item_id)
    if f.sort == "received":
        return (QC.c.received_at, QC.c.item_id)
    return (QC.c.priority.desc(), QC.c.received_at, QC.c.item_id)


def matches(row: QueueRow, f: QueueFilter, since: datetime) -> bool:
    """Mine and Done today from the cache: does a row pass the issue-15 filters?"""
    if f.practices and row.practice_ods not in f.all_practices():
        return False
    if f.request_types and row.request_type not in f.all_types():
        return False
    if f.age_bands and S.band_of(row.date_of_birth, today_of(since)) not in f.age_bands:
        return False
    cutoff = S.waited_cutoff(datetime.now(UTC), f.waited_over_hours)
    return cutoff is None or row.received_at <= cutoff


def with_matched(rows: list[QueueRow], f: QueueFilter) -> list[QueueRow]:
    """The rows, each saying what the search matched (in words)."""
    found = S.parse(f.search)
    if found is None:
        return rows
    out = []
    for row in rows:
        if found.kind == S.ITEM:
            words: str | None = "item number"
        else:
            words = None
            for w in found.words:
                if S.starts_word(row.template, w):
                    words = f"template: {(row.template or '').replace('_', ' ')}"
                elif S.starts_word(row.summary, w):
                    words = f"text: {S.snippet(row.summary, w)}"
                elif S.starts_word(row.practice_ods, w):
                    words = f"practice: {row.practice_ods}"
        out.append(dataclasses.replace(row, matched=words))
    return out


def search_text_matches(row: QueueRow, f: QueueFilter) -> bool:
    """Mine and Done today from the cache: does a row pass the search?"""
    found = S.parse(f.search)
    if found is None:
        return True
    if found.kind == S.ITEM:
        return row.id == found.item
    if found.kind == S.NHS:
        return False
    hay = (row.summary, row.template, row.practice_ods)
    return all(any(S.starts_word(h, w) for h in hay) for w in found.words)
