"""Finding the resources a QuestionnaireResponse points to: its Patient and the Patient's GP
practice (an Organization), by reference or by NHS number.

Where they may be: another entry of the same Bundle (by ``fullUrl``, ``Patient/id`` or an absolute
URL ending in ``Patient/id``, versioned or not), another line of the same NDJSON file, or - for a
file of a FHIR Bulk Data export (``QuestionnaireResponse.ndjson`` beside ``Patient.ndjson`` and
``Organization.ndjson``) - the other files of that export folder.

The folder is joined only for a Bulk export's own QuestionnaireResponse file (named by its resource
type, as the Bulk Data specification names its output files): a Patient file left in a shared
inbox must never lend its patients to another supplier's file whose ids happen to match.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from ehub_tui.ingest.jsontext import _escape_for_json

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"

# The types indexed: what a QuestionnaireResponse's subject and a Patient's generalPractitioner
# may point to (a Practitioner or PractitionerRole reference names no practice code).
INDEXED_TYPES = frozenset({"Patient", "Organization"})

Entry = dict[str, Any]  # a Bundle entry: {"fullUrl": ..., "resource": {...}}


def ref_keys(ref: str) -> tuple[str, ...]:
    """The keys a reference may be indexed under, most exact first.

    ``http://x/fhir/Patient/9/_history/2`` gives itself, ``http://x/fhir/Patient/9`` (a
    versioned reference names the same resource) and ``Patient/9``.
    """
    keys = [ref]
    base = ref.split("/_history/", 1)[0] if "/_history/" in ref else ref
    if base != ref:
        keys.append(base)
    parts = base.rstrip("/").rsplit("/", 2)
    if len(parts) >= 2 and parts[-2] and parts[-1]:
        tail = f"{parts[-2]}/{parts[-1]}"
        if tail != base:
            keys.append(tail)
    return tuple(keys)


class Refs:
    """An index of Patient and Organization entries, with an optional outer index (a Bundle on an
    NDJSON line sees the file's other lines; a Bulk export file sees its folder)."""

    __slots__ = ("_keys", "_nhs", "_patients", "outer")

    def __init__(self, outer: Refs | None = None) -> None:
        self._keys: dict[str, Entry] = {}
        self._patients: list[Entry] = []
        self._nhs: dict[str, Entry] | None = None
        self.outer = outer

    def add(self, entry: Entry, full_url: Any = None) -> None:
        """Index one entry whose resource is a Patient or an Organization."""
        res = entry["resource"]
        rtype = res.get("resourceType")
        keys = self._keys
        if isinstance(full_url, str) and full_url.strip():
            full = full_url.strip()
            for key in ref_keys(full):
                keys.setdefault(key, entry)
        rid = res.get("id")
        if isinstance(rid, str) and rid:
            keys.setdefault(f"{rtype}/{rid}", entry)
        if rtype == "Patient":
            self._patients.append(entry)
            self._nhs = None

    def add_resource(self, res: dict[str, Any]) -> None:
        """Index a resource read on its own (an NDJSON line): it gets a ``Type/id`` fullUrl."""
        rid = res.get("id")
        if isinstance(rid, str) and rid:
            key = f"{res.get('resourceType')}/{rid}"
            if key not in self._keys:
                self.add({"fullUrl": key, "resource": res})

    def find(self, ref: str, rtype: str) -> Entry | None:
        """The entry ``ref`` names, if it holds a resource of type ``rtype``."""
        keys = ref_keys(ref)
        refs: Refs | None = self
        while refs is not None:
            for key in keys:
                entry = refs._keys.get(key)
                if entry is not None and entry["resource"].get("resourceType") == rtype:
                    return entry
            refs = refs.outer
        return None

    def by_nhs_number(self, number: str) -> Entry | None:
        """The Patient entry carrying this NHS number (the first such)."""
        refs: Refs | None = self
        while refs is not None:
            if refs._nhs is None:
                refs._nhs = _nhs_index(refs._patients)
            entry = refs._nhs.get(number)
            if entry is not None:
                return entry
            refs = refs.outer
        return None


def _nhs_index(patients: list[Entry]) -> dict[str, Entry]:
    index: dict[str, Entry] = {}
    for entry in patients:
        number = nhs_number_of(entry["resource"])
        if number:
            index.setdefault(number, entry)
    return index


def nhs_number_of(patient: dict[str, Any]) -> str | None:
    """The Patient's NHS number identifier as given (spaces removed), or None."""
    identifiers = patient.get("identifier")
    if isinstance(identifiers, list):
        for i in identifiers:
            if isinstance(i, dict) and i.get("system") == NHS_NUMBER_SYSTEM:
                value = i.get("value")
                return "".join(value.split()) if isinstance(value, str) else None
    return None


# -- Bulk Data export folders -----------------------------------------------------------------

# Bulk Data output files are named by resource type; servers that split a type into several
# files number them (Patient.1.ndjson, Patient_2.ndjson, Patient-003.ndjson).
_BULK_NAME = re.compile(r"([A-Za-z]+)(?:[._-][0-9]+)?\.(?:ndjson|jsonl)", re.IGNORECASE)

# folder -> (signature of its Patient/Organization files, their index)
_FOLDER_CACHE: dict[str, tuple[tuple[tuple[str, int, int], ...], Refs]] = {}


def bulk_type(name: str) -> str | None:
    """The resource type a Bulk export file name says it holds (``Patient.ndjson`` ->
    ``Patient``), or None for any other name."""
    m = _BULK_NAME.fullmatch(os.path.basename(name))
    return m.group(1) if m else None


def export_folder_refs(name: str) -> Refs | None:
    """For a Bulk export's QuestionnaireResponse file, the Patients and Organizations of the
    export folder it is in (read once per folder and change of those files); else None."""
    if (bulk_type(name) or "").lower() != "questionnaireresponse":
        return None
    folder = Path(name).parent
    try:
        with os.scandir(folder) as it:
            files = sorted(
                (e.path, e.stat().st_size, e.stat().st_mtime_ns)
                for e in it
                if e.is_file() and (bulk_type(e.name) or "") in INDEXED_TYPES
            )
    except OSError:
        return None
    if not files:
        return None
    signature = tuple(files)
    key = os.path.realpath(folder)
    cached = _FOLDER_CACHE.get(key)
    if cached is not None and cached[0] == signature:
        return cached[1]
    refs = Refs()
    for path, _size, _mtime in files:
        _read_into(Path(path), refs)
    _FOLDER_CACHE.clear()  # one export at a time: never hold several exports' patients
    _FOLDER_CACHE[key] = (signature, refs)
    return refs


def _read_into(path: Path, refs: Refs) -> None:
    """Index the Patient and Organization lines of one export file; other lines (and lines that
    are not JSON: that file is ingested on its own and its problems reported there) are skipped."""
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return
    text = _escape_for_json(text.removeprefix("\ufeff"))
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(obj, dict) and obj.get("resourceType") in ("Patient", "Organization"):
            refs.add_resource(obj)
