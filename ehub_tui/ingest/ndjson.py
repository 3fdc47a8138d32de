"""NDJSON: one FHIR resource a line (QuestionnaireResponses, Patients, Organizations, Bundles).

A line that is not JSON, or not a resource, is that record's problem; the other lines still parse.
Patient and Organization lines are what the responses point to; other resource types are ignored,
so a Bulk export's ``Patient.ndjson`` read on its own holds no records and no problems. A Bulk
export's ``QuestionnaireResponse.ndjson`` also finds its patients in the export folder's
``Patient.ndjson`` (and ``Organization.ndjson``): see :mod:`~ehub_tui.ingest.fhir_refs`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ehub_tui.ingest.fhir import _bundle_entries, _bundle_records, _qr_record
from ehub_tui.ingest.fhir_refs import Refs, export_folder_refs
from ehub_tui.ingest.gcpause import gc_paused
from ehub_tui.ingest.jsontext import _escape_for_json, _json_problem, _kind, _loads
from ehub_tui.ingest.records import RawRecord


def _parse_ndjson(text: str, name: str = "<input>") -> Iterator[RawRecord]:
    with gc_paused():
        records = _ndjson_records(text, name)
    yield from records


def _ndjson_records(text: str, name: str = "<input>") -> list[RawRecord]:
    """One pass over the lines; each line is parsed once and its JSON dropped when read.

    A QuestionnaireResponse whose Patient (or whose Patient's practice Organization) is on
    another line that has not been seen yet is kept back until the end of the file, then read
    in its place.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    text = _escape_for_json(text)
    out: list[RawRecord | None] = []
    folder = export_folder_refs(name)
    in_folder = folder is not None
    refs = Refs(folder)
    waiting: list[tuple[int, str, dict[str, Any], str]] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        location = f"line {number}"
        try:
            obj = _loads(line)
        except json.JSONDecodeError as e:
            problem = f"the line is not valid JSON ({_json_problem(e.msg, f'column {e.colno}')})"
            out.append(RawRecord(location, None, line, problem))
            continue
        except (ValueError, RecursionError) as e:
            detail = "it is nested too deeply" if isinstance(e, RecursionError) else str(e)
            out.append(RawRecord(location, None, line, f"the line is not valid JSON ({detail})"))
            continue
        if not isinstance(obj, dict):
            problem = f"the line holds {_kind(obj)}, not a FHIR resource"
            out.append(RawRecord(location, None, line, problem))
            continue
        rtype = obj.get("resourceType")
        if rtype == "QuestionnaireResponse":
            if _waits(obj, refs):
                waiting.append((len(out), location, obj, line))
                out.append(None)
            else:
                out.append(
                    _qr_record(location, obj, refs, raw_text=line, entry=None, folder=in_folder)
                )
        elif rtype == "Patient" or rtype == "Organization":
            refs.add_resource(obj)
        elif rtype == "Bundle":
            entries, bundle_problem = _bundle_entries(obj)
            if bundle_problem is not None:
                out.append(RawRecord(location, None, line, bundle_problem))
            else:
                out.extend(_bundle_records(entries, f"{location}, entry ", refs))
        elif rtype is None:
            problem = "the line has no resourceType, so it is not a FHIR resource"
            out.append(RawRecord(location, None, line, problem))
        # other resource types are ignored
    for at, location, obj, line in waiting:
        out[at] = _qr_record(location, obj, refs, raw_text=line, entry=None, folder=in_folder)
    return [r for r in out if r is not None]


def _waits(qr: dict[str, Any], refs: Refs) -> bool:
    """Whether the response points to a Patient (or its Patient to an Organization) not seen
    yet, or names its patient only by NHS number (a later line may hold that Patient)."""
    subject = qr.get("subject")
    if not isinstance(subject, dict):
        return False
    ref = subject.get("reference")
    if not isinstance(ref, str):
        return subject.get("identifier") is not None
    ref = ref.strip()
    if not ref or ref.startswith("#"):
        return False
    entry = refs.find(ref, "Patient")
    if entry is None:
        return True
    gps = entry["resource"].get("generalPractitioner")
    if isinstance(gps, list):
        for gp in gps:
            gp_ref = gp.get("reference") if isinstance(gp, dict) else None
            if (
                isinstance(gp_ref, str)
                and "Organization/" in gp_ref
                and refs.find(gp_ref.strip(), "Organization") is None
            ):
                return True
    return False
