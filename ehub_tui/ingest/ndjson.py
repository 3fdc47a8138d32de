"""NDJSON: one FHIR resource a line (QuestionnaireResponses, Patients, Bundles).

A line that is not JSON, or not a resource, is that record's problem; the other lines still parse.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ehub_tui.ingest.fhir import _bundle_entries, _bundle_records, _qr_record
from ehub_tui.ingest.gcpause import gc_paused
from ehub_tui.ingest.jsontext import _escape_for_json, _json_problem, _kind, _loads
from ehub_tui.ingest.records import RawRecord


def _parse_ndjson(text: str, name: str) -> Iterator[RawRecord]:
    with gc_paused():
        records = _ndjson_records(text)
    yield from records


def _ndjson_records(text: str) -> list[RawRecord]:
    """One pass over the lines; each line is parsed once and its JSON dropped when read.

    A QuestionnaireResponse whose Patient is on another line that has not been seen yet is kept
    back until the end of the file, then read in its place.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    text = _escape_for_json(text)
    out: list[RawRecord | None] = []
    patients: dict[str, dict[str, Any]] = {}
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
            ref = _subject_reference(obj)
            if ref is not None and not ref.startswith("#") and ref not in patients:
                waiting.append((len(out), location, obj, line))
                out.append(None)
            else:
                out.append(_qr_record(location, obj, patients, raw_text=line, entry=None))
        elif rtype == "Patient":
            pid = obj.get("id")
            if isinstance(pid, str) and pid:
                key = f"Patient/{pid}"
                patients.setdefault(key, {"fullUrl": key, "resource": obj})
        elif rtype == "Bundle":
            entries, bundle_problem = _bundle_entries(obj)
            if bundle_problem is not None:
                out.append(RawRecord(location, None, line, bundle_problem))
            else:
                out.extend(_bundle_records(entries, f"{location}, entry ", patients))
        elif rtype is None:
            problem = "the line has no resourceType, so it is not a FHIR resource"
            out.append(RawRecord(location, None, line, problem))
        # other resource types are ignored
    for at, location, obj, line in waiting:
        out[at] = _qr_record(location, obj, patients, raw_text=line, entry=None)
    return [r for r in out if r is not None]


def _subject_reference(qr: dict[str, Any]) -> str | None:
    subject = qr.get("subject")
    ref = subject.get("reference") if isinstance(subject, dict) else None
    return ref.strip() if isinstance(ref, str) else None
