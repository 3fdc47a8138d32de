"""The queue's search and view filters as SQL, and what a found row matched, in words.

A search (domain.search) is one of: an item number (``c.id``, the primary key), an NHS number
(``c.nhs_number``, indexed by migration 0013) or words, each of which must begin a word of the
patient's name, the practice (code or name), the template or the request's text.

Word starts, in SQL that stays fast at 100,000 items:
- SQLite hub: the name, template and text are looked up in the word index (FTS5, migration 0014,
  kept by triggers; its unicode61 tokenizer splits on the characters of WORD_BREAKS) with a
  prefix query, so a search reads the index, not every queued row. It folds the case of every
  letter ("élodie" finds "Élodie") and keeps accents apart ("elodie" does not).
- The practice (a small table) and the workstation's cache (client/local/filtering.py): a cheap
  ``LIKE '%word%'`` first (case-insensitive for ASCII), then, for the rows it lets through,
  ``' ' || lower(value) GLOB '*[breaks]word*'`` (SQLite's lower() folds ASCII only).
- PostgreSQL: ``lower(value) ~ '(^|[breaks])word'`` (the same break set).
All agree with domain.search.starts_word, which says, for the rows of one window, what matched.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, text

from ehub_tui.domain import search as S
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.domain.types import Status
from ehub_tui.store import counters

# SQLite: a GLOB character class of the break characters ("]" first and "-" last, as GLOB
# reads them literally there), matched on the lower-cased value with a space in front
_GLOB_CLASS = "[]" + "".join(c for c in S.WORD_BREAKS if c not in "]-") + "-]"
_PG_CLASS = "[" + "".join("\\" + c if not c.isalnum() else c for c in S.WORD_BREAKS) + "]"
_PG_CLASS = _PG_CLASS.replace("\\\t", "\\t").replace("\\\n", "\\n").replace("\\\r", "\\r")


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _glob_escape(word: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in word)


def word_start(expr: str, key: str, word: str, params: dict[str, Any], sqlite: bool) -> str:
    """SQL true when ``word`` begins a word of ``expr`` (its parameters are put in params)."""
    if sqlite:
        # the LIKE (case-insensitive for ASCII) lets few rows through to the GLOB
        params[f"{key}_any"] = f"%{_like_escape(word)}%"
        params[f"{key}_start"] = f"*{_GLOB_CLASS}{_glob_escape(word.lower())}*"
        return f"({expr} LIKE :{key}_any ESCAPE '\\' AND (' ' || lower({expr})) GLOB :{key}_start)"
    params[f"{key}_re"] = f"(^|{_PG_CLASS}){re.escape(word)}"
    return f"(lower({expr}) ~ :{key}_re)"


def fts_prefix(word: str) -> str:
    """An FTS5 query for the index's words that begin with ``word``: a quoted string (so no
    character of what was typed is read as query syntax) with a prefix star. A word holding a
    character the tokenizer splits on but WORD_BREAKS does not becomes a phrase of its parts."""
    return '"' + word.replace('"', '""') + '"*'


_NAME = "(coalesce(c.given_name, '') || ' ' || coalesce(c.family_name, ''))"
_FTS = "c.id IN (SELECT rowid FROM consultation_words WHERE consultation_words MATCH :{key})"


def practices_named(word: str, practices: dict[str, str]) -> list[str]:
    """The codes of the practices whose code or name ``word`` begins a word of (the practice
    table is small: asked in Python, by the rule ``matched_words`` says what matched with)."""
    return sorted(
        code
        for code, name in practices.items()
        if S.starts_word(code, word) or S.starts_word(name, word)
    )


def search_clause(
    found: S.Search,
    params: dict[str, Any],
    sqlite: bool,
    practices: dict[str, str] | None = None,
) -> str:
    """The WHERE part for a parsed search. ``practices`` (code -> name, SQLite): the practice
    table, read by the caller; without it the practices are asked in SQL."""
    if found.kind == S.ITEM:
        params["s_item"] = found.item
        return "c.id = :s_item"
    if found.kind == S.NHS:
        params["s_nhs"] = found.nhs
        return "c.nhs_number = :s_nhs"
    if sqlite and practices is not None:
        return _indexed_clause(found.words, params, practices)
    parts = []
    for i, word in enumerate(found.words):
        k = f"s{i}"
        practice = (
            "c.practice_ods IN (SELECT p.ods_code FROM practice p WHERE "
            + word_start("p.ods_code", f"{k}p", word, params, sqlite)
            + " OR "
            + word_start("p.name", f"{k}q", word, params, sqlite)
            + ")"
        )
        if sqlite:
            # the word index (migration 0014) answers name, template and text at once: the
            # rows whose words begin with ``word``, read from the index, not from every row.
            # The practice is asked of the small practice table first (EXISTS, computed once):
            # only when the word names a practice is a row's practice read, so a search that
            # names none never fetches the rows the queue's index does not cover
            params[f"{k}w"] = fts_prefix(word)
            named = practice.removeprefix("c.practice_ods IN ")
            parts.append(f"({_FTS.format(key=f'{k}w')} OR (EXISTS {named} AND {practice}))")
            continue
        parts.append(
            "("
            + " OR ".join(
                (
                    word_start(_NAME, f"{k}n", word, params, sqlite),
                    practice,
                    word_start("coalesce(c.template, '')", f"{k}t", word, params, sqlite),
                    word_start("c.free_text", f"{k}x", word, params, sqlite),
                )
            )
            + ")"
        )
    return " AND ".join(parts)


def _indexed_clause(
    words: tuple[str, ...], params: dict[str, Any], practices: dict[str, str]
) -> str:
    """SQLite, the practices known: the words that name no practice are one query of the word
    index (each word a prefix, all of them required: the rows holding every word), so the
    index is read once, not once a word; a word that names a practice also finds its items."""
    plain = [w for w in words if not practices_named(w, practices)]
    parts = []
    if plain:
        params["sw"] = fts_words(plain)
        parts.append(_FTS.format(key="sw"))
    for i, word in enumerate(w for w in words if w not in plain):
        codes = practices_named(word, practices)
        names = [f"s{i}p{j}" for j in range(len(codes))]
        params.update(zip(names, codes, strict=True))
        params[f"s{i}w"] = fts_prefix(word)
        inside = ", ".join(":" + n for n in names)
        parts.append(f"({_FTS.format(key=f's{i}w')} OR c.practice_ods IN ({inside}))")
    return " AND ".join(parts)


def fts_words(words: list[str]) -> str:
    """One word-index query for rows holding a word beginning with each of ``words``."""
    return " AND ".join(fts_prefix(w) for w in words)


def plain_words(found: S.Search, practices: dict[str, str]) -> str | None:
    """The word-index query that alone answers a text search (no word names a practice);
    None when it does not."""
    if found.kind != S.TEXT or any(practices_named(w, practices) for w in found.words):
        return None
    return fts_words(list(found.words))


def queued_count(conn: Connection, found: S.Search, practices: dict[str, str]) -> int | None:
    """How many queued items a text search finds, counted from the word index (SQLite), when
    that is cheaper than reading the queue; None when it is not (the caller reads the queue).

    The index answers "which items hold these words" whatever their state; the queued ones are
    those less the others (held, parked, done, cancelled) that hold them. The database's
    counters (migration 0019) say how many items are in each state: when the others are fewer
    than the queue, their rows are read (their status index, each looked up in the index's
    answer) instead of the queue's — no row at all when every item is queued. On a hub with
    more history than queue the caller reads the queue, as before. Only a plain search (no
    word naming a practice; no other filter, which the caller checks) is answered here."""
    query = plain_words(found, practices)
    if query is None:
        return None
    by_status: dict[str, int] = {}
    for (status, _ods, _type, _priority), n in counters.queue_counts(conn).rows.items():
        by_status[status] = by_status.get(status, 0) + n
    queued = by_status.pop("queued", 0)
    if sum(by_status.values()) >= queued:
        return None
    # every other state (the counters choose the way; the rows, not the counters, are counted)
    others = sorted(set(by_status) | {s.value for s in Status if s != Status.QUEUED})
    params: dict[str, Any] = {"sw": query}
    n = int(conn.execute(text(f"SELECT count(*) FROM {_FTS_COUNT}"), params).scalar_one())
    if n:
        names = [f"st{i}" for i in range(len(others))]
        params.update(zip(names, others, strict=True))
        inside = ", ".join(":" + k for k in names)
        sql = f"SELECT count(*) FROM consultation c WHERE c.status IN ({inside}) AND {_FTS}"
        n -= int(conn.execute(text(sql.format(key="sw")), params).scalar_one())
    return n if n >= 0 else None


_FTS_COUNT = "consultation_words WHERE consultation_words MATCH :sw"


def filter_clauses(
    f: QueueFilter, params: dict[str, Any], today: date | None, now: datetime | None
) -> list[str]:
    """The WHERE parts for the view filters of issue 15 (multi-select, age, waiting time)."""
    parts: list[str] = []
    practices = f.all_practices()
    if practices:
        names = [f"vp{i}" for i in range(len(practices))]
        params.update(zip(names, practices, strict=True))
        parts.append(f"c.practice_ods IN ({', '.join(':' + n for n in names)})")
    types = f.all_types()
    if types:
        names = [f"vt{i}" for i in range(len(types))]
        params.update(zip(names, types, strict=True))
        parts.append(f"c.request_type IN ({', '.join(':' + n for n in names)})")
    if f.age_bands and today is not None:
        ors = []
        for i, band in enumerate(b for b in f.age_bands if b in S.AGE_BANDS):
            after, latest = S.born_between(band, today)
            params[f"va{i}_latest"] = latest
            clause = f"c.date_of_birth <= :va{i}_latest"
            if after is not None:
                params[f"va{i}_after"] = after
                clause += f" AND c.date_of_birth > :va{i}_after"
            ors.append(f"({clause})")
        if ors:
            parts.append("(" + " OR ".join(ors) + ")")
    cutoff = S.waited_cutoff(now, f.waited_over_hours) if now is not None else None
    if cutoff is not None:
        params["v_waited"] = cutoff
        parts.append("c.received_at <= :v_waited")
    return parts


def practice_names(conn: Connection) -> dict[str, str]:
    """Every practice's name by code (a small table; read once per searched window)."""
    return {str(r[0]): str(r[1]) for r in conn.execute(text("SELECT ods_code, name FROM practice"))}


def text_practices(conn: Connection, found: S.Search | None, sqlite: bool) -> dict[str, str] | None:
    """The practice table for a text search on SQLite (``search_clause`` asks it which
    practices each word names); None otherwise."""
    if sqlite and found is not None and found.kind == S.TEXT:
        return practice_names(conn)
    return None


def matched_words(
    found: S.Search,
    given: str,
    family: str,
    practice: str,
    practice_name: str,
    template: str | None,
    free_text: str,
) -> tuple[str | None, bool]:
    """What a found row matched, in words, and whether the patient's name was among it."""
    if found.kind == S.ITEM:
        return "item number", False
    if found.kind == S.NHS:
        return "NHS number", False
    name = f"{given} {family}".strip()
    names: list[str] = []
    where: dict[str, str] = {}
    for word in found.words:
        hit = S.whole_word_at(name, word) if name else None
        if hit is not None:
            if hit not in names:
                names.append(hit)
            continue
        if S.starts_word(practice, word) or S.starts_word(practice_name, word):
            where.setdefault("practice", f"{practice_name or practice} ({practice})")
        elif S.starts_word(template, word):
            where.setdefault("template", (template or "").replace("_", " "))
        elif S.starts_word(free_text, word):
            where.setdefault("text", S.snippet(free_text, word))
    out = ([f"name: {' '.join(names)}"] if names else []) + [f"{k}: {v}" for k, v in where.items()]
    return ("; ".join(out) or None), bool(names)
