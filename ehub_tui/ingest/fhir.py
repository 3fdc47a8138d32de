"""FHIR resources to records: a QuestionnaireResponse (or a Bundle of them) and its Patient.

Each record keeps a ``raw`` text that can be read again on its own; the OC fields are taken from
the QuestionnaireResponse's identifier, items and answers and from its Patient (contained, another
Bundle entry, another NDJSON line or another file of a Bulk export folder: see
:mod:`~ehub_tui.ingest.fhir_refs`; read by :mod:`~ehub_tui.ingest.fhir_patient`). Messages never
quote a reference that may hold an NHS number.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ehub_tui.errors import FileError
from ehub_tui.ingest.fhir_patient import ODS_SYSTEM as ODS_SYSTEM  # (re-exported)
from ehub_tui.ingest.fhir_patient import _ref as _ref  # (re-exported)
from ehub_tui.ingest.fhir_patient import patient_fields, resolve_subject
from ehub_tui.ingest.fhir_refs import NHS_NUMBER_SYSTEM as NHS_NUMBER_SYSTEM  # (re-exported)
from ehub_tui.ingest.fhir_refs import Refs
from ehub_tui.ingest.gcpause import gc_paused
from ehub_tui.ingest.jsontext import _Document, _dumps, _kind, _load_document, _short
from ehub_tui.ingest.records import RawRecord

SUPPLIER_SYSTEM_PREFIX = "urn:ehub-tui:supplier:"
# message: a MessageHeader first, then the resources it carries (skipped like any resource that
# is not a QuestionnaireResponse); a transaction's or batch's entries carry a request beside them
BUNDLE_TYPES = ("collection", "transaction", "batch", "searchset", "message")
RESERVED_LINK_IDS = frozenset({"request_type", "free_text", "supplier_flag"})


_NO_VALUE: Any = object()
_BUNDLE_OPEN = '{"resourceType":"Bundle","type":"collection","entry":['


def _parse_fhir_json(text: str, name: str, document: Any) -> Iterator[RawRecord]:
    with gc_paused():
        if not isinstance(document, _Document):
            document = _load_document(text, name)
        records = list(_fhir_records(name, document))
    yield from records


def _fhir_records(name: str, document: _Document) -> Iterator[RawRecord]:
    doc = document.value
    if not isinstance(doc, dict):
        raise FileError(f"{name}: holds {_kind(doc)}, not a FHIR QuestionnaireResponse or Bundle")
    rtype = doc.get("resourceType")
    if rtype == "QuestionnaireResponse":
        yield _qr_record("resource", doc, Refs(), raw_text=document.body.strip(), entry=None)
    elif rtype == "Bundle":
        entries, problem = _bundle_entries(doc)
        if problem is not None:
            raise FileError(f"{name}: {problem}")
        yield from _bundle_records(entries, "entry ", None, document.body, document.spans)
    elif rtype is None:
        raise FileError(f"{name}: the JSON has no resourceType, so it is not a FHIR resource")
    else:
        raise FileError(
            f"{name}: holds a FHIR {_short(rtype)} resource; expected a QuestionnaireResponse "
            "or a Bundle of them"
        )


def _bundle_entries(bundle: dict[str, Any]) -> tuple[list[Any], str | None]:
    btype = bundle.get("type")
    if btype is not None and btype not in BUNDLE_TYPES:
        return [], (
            f"the Bundle is of type {_short(btype)}; ehub-tui reads Bundles of type "
            f"{', '.join(BUNDLE_TYPES[:-1])} or {BUNDLE_TYPES[-1]}"
        )
    entries = bundle.get("entry")
    if entries is None:
        return [], None
    if not isinstance(entries, list):
        return [], f"the Bundle's entry is {_kind(entries)}, not a list"
    return entries, None


def _bundle_records(
    entries: list[Any],
    prefix: str,
    outer: Refs | None,
    body: str | None = None,
    spans: list[tuple[int, int]] | None = None,
    *,
    folder: bool = False,
) -> Iterator[RawRecord]:
    """Records of a Bundle's entries; ``body`` and ``spans`` give each entry's own text.

    Every entry with a resource is read, whatever the Bundle's type: a searchset's ``match`` and
    ``include`` entries, a message's MessageHeader (skipped, as every resource that is not a
    QuestionnaireResponse is) and a transaction's entries with their ``request``.
    """
    refs = Refs(outer)
    texts: dict[int, str] = {}  # id(Patient or Organization entry) -> its text
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        res = entry.get("resource")
        if isinstance(res, dict) and res.get("resourceType") in ("Patient", "Organization"):
            if body is not None and spans is not None:
                start, end = spans[number]
                texts[id(entry)] = body[start:end]
            refs.add(entry, entry.get("fullUrl"))
    for number, entry in enumerate(entries, 1):
        location = f"{prefix}{number}"
        if not isinstance(entry, dict):
            yield RawRecord(
                location, None, _dumps(entry), f"the Bundle entry is {_kind(entry)}, not an object"
            )
            continue
        res = entry.get("resource")
        if res is None:
            continue  # e.g. a request-only entry: nothing to read
        if not isinstance(res, dict):
            yield RawRecord(
                location,
                None,
                _dumps(entry),
                f"the entry's resource is {_kind(res)}, not an object",
            )
            continue
        if res.get("resourceType") == "QuestionnaireResponse":
            entry_text = None
            if body is not None and spans is not None:
                start, end = spans[number - 1]
                entry_text = body[start:end]
            yield _qr_record(
                location,
                res,
                refs,
                raw_text=None,
                entry=entry,
                entry_text=entry_text,
                texts=texts,
                folder=folder,
            )


def _qr_record(
    location: str,
    qr: dict[str, Any],
    refs: Refs,
    *,
    raw_text: str | None,
    entry: dict[str, Any] | None,
    entry_text: str | None = None,
    texts: Mapping[int, str] | None = None,
    folder: bool = False,
) -> RawRecord:
    """Turn one QuestionnaireResponse into a RawRecord.

    ``raw`` is text that can be read again on its own: ``raw_text`` when given (an NDJSON line,
    a single-resource file), for a Bundle entry a one-entry collection Bundle, and when the
    Patient (or the practice's Organization) is another entry, line or file a collection Bundle
    of the QuestionnaireResponse, its Patient and that Organization. The entries' own text is
    used when known, else their JSON is written out.
    """
    try:
        patient, patient_entry, problem = resolve_subject(qr, refs, folder=folder)
        data: dict[str, Any] | None = None
        org_entry = None
        if problem is None and patient is not None:
            data = _qr_data(qr)
            org_entry = patient_fields(data, patient, qr, refs)
        others = [e for e in (patient_entry, org_entry) if e is not None]
        raw = _raw(qr, raw_text, entry, entry_text, others, texts)
        if data is None:
            return RawRecord(location, None, raw, problem or "the patient could not be found")
        return RawRecord(location, data, raw)
    except Exception as e:  # pragma: no cover - safety net for shapes no test thought of
        fallback = raw_text if raw_text is not None else _dumps(qr)
        return RawRecord(location, None, fallback, f"could not be read ({type(e).__name__}: {e})")


def _raw(
    qr: dict[str, Any],
    raw_text: str | None,
    entry: dict[str, Any] | None,
    entry_text: str | None,
    others: list[dict[str, Any]],
    texts: Mapping[int, str] | None,
) -> str:
    """The record's own text (see ``_qr_record``)."""
    if not others:
        if entry_text is not None:
            return f"{_BUNDLE_OPEN}{entry_text}]}}"
        if raw_text is not None:
            return raw_text
        only = entry if entry is not None else {"resource": qr}
        return _dumps({"resourceType": "Bundle", "type": "collection", "entry": [only]})
    if entry_text is not None and texts:
        known = [texts.get(id(e)) for e in others]
        if all(t is not None for t in known):
            return f"{_BUNDLE_OPEN}{entry_text},{','.join(t for t in known if t)}]}}"
    qr_entry: dict[str, Any] = {"resource": qr}
    if entry is not None and isinstance(entry.get("fullUrl"), str):
        qr_entry = {"fullUrl": entry["fullUrl"], "resource": qr}
    out = [qr_entry]
    for e in others:
        full = e.get("fullUrl")
        out.append({"fullUrl": full, "resource": e["resource"]} if isinstance(full, str) else e)
    return _dumps({"resourceType": "Bundle", "type": "collection", "entry": out})


def _qr_data(qr: dict[str, Any]) -> dict[str, Any]:
    """The OC fields a QuestionnaireResponse carries itself (the patient's are added by
    ``patient_fields``)."""
    data: dict[str, Any] = {}
    ident = qr.get("identifier")
    if isinstance(ident, list):  # R4 has one identifier; accept a list and pick the supplier's
        dicts = [i for i in ident if isinstance(i, dict)]
        if len(dicts) > 1:  # validate may know a supplier's system (setting supplier_systems)
            data["_identifiers"] = [(i.get("system"), i.get("value")) for i in dicts]
        ident = next(
            (
                i
                for i in dicts
                if isinstance(i.get("system"), str)
                and i["system"].startswith(SUPPLIER_SYSTEM_PREFIX)
            ),
            dicts[0] if dicts else None,
        )
    if isinstance(ident, dict):
        system = ident.get("system")
        if isinstance(system, str):
            system = system.strip()
            data["source"] = (
                system[len(SUPPLIER_SYSTEM_PREFIX) :]
                if system.startswith(SUPPLIER_SYSTEM_PREFIX)
                else system
            )
        data["external_id"] = ident.get("value")
    questionnaire = qr.get("questionnaire")
    if isinstance(questionnaire, str) and questionnaire.strip():
        data["template"] = questionnaire.split("|", 1)[0].strip().rstrip("/").rsplit("/", 1)[-1]
    data["received_at"] = qr.get("authored")
    data["status"] = qr.get("status")  # checked by validate; acted on at intake (issue 16)
    _items(data, qr.get("item"))
    return data


def _items(data: dict[str, Any], items: Any) -> None:
    """Reserved linkIds become fields, every other linkId an answer; nesting is flattened.
    (Parsed JSON holds plain dicts and lists, so exact type checks are enough and quicker.)"""
    answers: dict[str, Any] = {}
    flags: list[Any] = []
    texts: list[str] = []
    stack: list[Any] = items[::-1] if type(items) is list else []
    while stack:
        item = stack.pop()
        if type(item) is not dict:
            continue
        link = item.get("linkId")
        answer_list = item.get("answer")
        nested = item.get("item")
        children: list[Any] | None = None
        values: list[Any] = []
        if type(answer_list) is list:
            for answer in answer_list:
                if type(answer) is not dict:
                    continue
                value = _answer_value(answer)
                if value is not _NO_VALUE:
                    values.append(value)
                sub = answer.get("item")
                if type(sub) is list and sub:
                    children = sub if children is None else children + sub
        if type(nested) is list and nested:
            children = nested if children is None else children + nested
        if children:
            stack.extend(reversed(children))
        if not values or type(link) is not str:
            continue
        if link in RESERVED_LINK_IDS:
            if link == "request_type":
                data["request_type"] = values[0]
            elif link == "free_text":
                texts.extend(v if type(v) is str else str(v) for v in values)
            else:
                flags.extend(values)
            continue
        value = values[0] if len(values) == 1 else values
        if link in answers:  # the same question answered again, e.g. in a repeated group
            before = answers[link]
            merged = before if type(before) is list else [before]
            answers[link] = merged + (value if type(value) is list else [value])
        else:
            answers[link] = value
    data["answers"] = answers
    if texts:
        data["free_text"] = "\n".join(texts)
    if flags:
        data["supplier_flags"] = flags


# Answer types whose value is used as it is.
_PLAIN_VALUES = frozenset(
    {
        "valueString",
        "valueInteger",
        "valueDecimal",
        "valueDate",
        "valueDateTime",
        "valueTime",
        "valueUri",
    }
)


def _answer_value(answer: dict[str, Any]) -> Any:
    for key, value in answer.items():
        if key in _PLAIN_VALUES:
            return value
        if key == "valueBoolean":
            if value is True:
                return "yes"
            if value is False:
                return "no"
            return value
        if key == "valueCoding":
            if type(value) is dict:
                code = value.get("code")
                return code if code is not None else value.get("display", _NO_VALUE)
            return value
        if not key.startswith("value"):
            continue
        if type(value) is dict:
            if key == "valueQuantity":
                return value.get("value", _NO_VALUE)
            if key == "valueReference":
                return value.get("reference", _NO_VALUE)
            if key == "valueAttachment":
                return value.get("title") or value.get("url") or _NO_VALUE
        return value  # any other value[x]
    return _NO_VALUE
