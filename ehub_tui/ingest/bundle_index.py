"""The Patients and Organizations of a streamed Bundle, kept on disk, not in memory (issue 18).

A QuestionnaireResponse may name a Patient entry that comes after it in the Bundle (a searchset's
``_include``d Patients follow the matches), so the Bundle is read twice: the first pass puts
every Patient and Organization entry's text here, under the keys
:class:`ehub_tui.ingest.fhir_refs.Refs` would index it by (its ``fullUrl`` and ``Type/id``,
and a Patient's NHS number); the second finds them here as it reads the responses.

Why on disk: a Bundle of a year's history may hold a Patient entry for every response, hundreds
of thousands of them, and a parsed Patient takes a few kilobytes of memory. A temporary SQLite
database (the standard library's; deleted when closed) holds any number with a fixed page cache,
and answers each look-up from an index. Only the few entries last looked up are held parsed.

The answers are the whole-file path's: the first entry (in the file's order) under a key, of
whatever type, is the one found, and it is used only when it holds the type asked for.
"""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from typing import Any

from ehub_tui.ingest.fhir_refs import Entry, Refs, nhs_number_of, ref_keys

_HELD = 64  # parsed entries kept for look-ups that come again (a Patient's Organization)


class StoredRefs(Refs):
    """Patient and Organization entries indexed in a temporary database (see the module)."""

    def __init__(self) -> None:
        super().__init__()
        # "": a private temporary file, removed when the connection closes
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE entry (seq INTEGER PRIMARY KEY, text TEXT NOT NULL);
            CREATE TABLE ref (key TEXT NOT NULL, seq INTEGER NOT NULL);
            CREATE TABLE nhs (number TEXT NOT NULL, seq INTEGER NOT NULL);
            """
        )
        self._db.execute("BEGIN")  # one transaction for the first pass's inserts
        self._held: OrderedDict[int, Entry] = OrderedDict()
        self.texts: dict[int, str] = {}  # id(entry) -> its text, for the entries held
        self.count = 0

    def add_entry(self, seq: int, entry: Entry, text: str) -> None:
        """Index one Bundle entry (number ``seq``) whose resource is a Patient or an
        Organization, with its text; keys as :meth:`Refs.add` gives them."""
        res = entry["resource"]
        rtype = res.get("resourceType")
        keys: list[str] = []
        full = entry.get("fullUrl")
        if isinstance(full, str) and full.strip():
            keys.extend(ref_keys(full.strip()))
        rid = res.get("id")
        if isinstance(rid, str) and rid:
            keys.append(f"{rtype}/{rid}")
        db = self._db
        db.execute("INSERT INTO entry VALUES (?, ?)", (seq, text))
        db.executemany("INSERT INTO ref VALUES (?, ?)", [(k, seq) for k in keys])
        if rtype == "Patient":
            number = nhs_number_of(res)
            if number:
                db.execute("INSERT INTO nhs VALUES (?, ?)", (number, seq))
        self.count += 1

    def ready(self) -> None:
        """All entries are in: index them for look-ups."""
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._db.executescript(
            """
            CREATE INDEX ref_key ON ref (key, seq);
            CREATE INDEX nhs_number ON nhs (number, seq);
            """
        )

    def find(self, ref: str, rtype: str) -> Entry | None:
        """The entry ``ref`` names, if it holds a resource of type ``rtype``."""
        for key in ref_keys(ref):
            entry = self._first("SELECT min(seq) FROM ref WHERE key = ?", key)
            if entry is not None and entry["resource"].get("resourceType") == rtype:
                return entry
        return None

    def by_nhs_number(self, number: str) -> Entry | None:
        """The first Patient entry carrying this NHS number."""
        return self._first("SELECT min(seq) FROM nhs WHERE number = ?", number)

    def _first(self, sql: str, arg: str) -> Entry | None:
        (seq,) = self._db.execute(sql, (arg,)).fetchone()
        return None if seq is None else self._entry(seq)

    def _entry(self, seq: int) -> Entry:
        held = self._held.get(seq)
        if held is not None:
            self._held.move_to_end(seq)
            return held
        (text,) = self._db.execute("SELECT text FROM entry WHERE seq = ?", (seq,)).fetchone()
        entry: Entry = json.loads(text)  # the text the first pass read it from: the same value
        self._held[seq] = entry
        self.texts[id(entry)] = text
        if len(self._held) > _HELD:
            _, old = self._held.popitem(last=False)
            del self.texts[id(old)]
        return entry

    def close(self) -> None:
        """Remove the temporary database."""
        self._held.clear()
        self.texts.clear()
        self._db.close()


def is_indexed(entry: Any) -> bool:
    """Whether a Bundle entry is one the responses may point to (a Patient, an Organization)."""
    if not isinstance(entry, dict):
        return False
    res = entry.get("resource")
    return isinstance(res, dict) and res.get("resourceType") in ("Patient", "Organization")
