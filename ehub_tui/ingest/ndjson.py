"""NDJSON: one FHIR resource a line (QuestionnaireResponses, Patients, Organizations, Bundles).

A line that is not JSON, or not a resource, is that record's problem; the other lines still parse.
Patient and Organization lines are what the responses point to; other resource types are ignored,
so a Bulk export's ``Patient.ndjson`` read on its own holds no records and no problems. A Bulk
export's ``QuestionnaireResponse.ndjson`` also finds its patients in the export folder's
``Patient.ndjson`` (and ``Organization.ndjson``): see :mod:`~ehub_tui.ingest.fhir_refs`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
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
    reader = NdjsonLines(name)
    for number, line in enumerate(text.split("\n"), 1):
        got = reader.read(number, line, len(out))
        if got is None:
            out.append(None)  # kept back: filled in at the end, in its place
        else:
            out.extend(got)
    for at, record in reader.finish():
        out[at] = record
    return [r for r in out if r is not None]


class NdjsonLines:
    """Reads NDJSON a line at a time (the whole-file path and :mod:`ehub_tui.ingest.stream`).

    Patient and Organization lines go into the file's references; a response whose Patient is
    not seen yet is kept back (:meth:`finish` reads those once the file has been read).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        folder = export_folder_refs(name)
        self.in_folder = folder is not None
        self.refs = Refs(folder)
        self.waiting: list[tuple[int, str, dict[str, Any], str]] = []

    @classmethod
    def stream(cls, lines: Iterable[str], name: str) -> Iterator[RawRecord]:
        """The records of ``lines`` (decoded, each on its own) as they are read; responses kept
        back for a later Patient come at the end."""
        # (the collector is not paused here: a stream is long, and the store makes cycles)
        reader = cls(name)
        for number, line in enumerate(lines, 1):
            limit = getattr(line, "limit", None)
            if limit is not None:  # a line too long to read (see stream.TooLong)
                problem = (
                    f"the record is {line.size:,} bytes long; at most {limit:,} are "  # type: ignore[attr-defined]
                    "allowed (setting max_record_bytes)"
                )
                yield RawRecord(f"line {number}", None, str(line).strip(), problem)
                continue
            got = reader.read(number, _escape_for_json(line), 0)
            if got:
                yield from got
        for _, record in reader.finish():
            yield record

    def read(self, number: int, line: str, at: int) -> list[RawRecord] | None:
        """The records of one line (already escaped for JSON); None when the line is a response
        kept back until :meth:`finish` (``at`` is where it goes)."""
        line = line.strip()
        if not line:
            return []
        location = f"line {number}"
        try:
            obj = _loads(line)
        except json.JSONDecodeError as e:
            problem = f"the line is not valid JSON ({_json_problem(e.msg, f'column {e.colno}')})"
            return [RawRecord(location, None, line, problem)]
        except (ValueError, RecursionError) as e:
            detail = "it is nested too deeply" if isinstance(e, RecursionError) else str(e)
            return [RawRecord(location, None, line, f"the line is not valid JSON ({detail})")]
        if not isinstance(obj, dict):
            problem = f"the line holds {_kind(obj)}, not a FHIR resource"
            return [RawRecord(location, None, line, problem)]
        rtype = obj.get("resourceType")
        refs = self.refs
        if rtype == "QuestionnaireResponse":
            if _waits(obj, refs):
                self.waiting.append((at, location, obj, line))
                return None
            return [
                _qr_record(location, obj, refs, raw_text=line, entry=None, folder=self.in_folder)
            ]
        if rtype == "Patient" or rtype == "Organization":
            refs.add_resource(obj)
        elif rtype == "Bundle":
            entries, bundle_problem = _bundle_entries(obj)
            if bundle_problem is not None:
                return [RawRecord(location, None, line, bundle_problem)]
            return list(_bundle_records(entries, f"{location}, entry ", refs))
        elif rtype is None:
            problem = "the line has no resourceType, so it is not a FHIR resource"
            return [RawRecord(location, None, line, problem)]
        return []  # other resource types are ignored

    def finish(self) -> Iterator[tuple[int, RawRecord]]:
        """The responses kept back, read now that every line has been seen."""
        for at, location, obj, line in self.waiting:
            yield (
                at,
                _qr_record(
                    location, obj, self.refs, raw_text=line, entry=None, folder=self.in_folder
                ),
            )
        self.waiting = []


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
