"""FHIR resources to records: a QuestionnaireResponse (or a Bundle of them) and its Patient.

Each record keeps a ``raw`` text that can be read again on its own; the OC fields are taken from
the QuestionnaireResponse's identifier, items and answers and from its Patient (contained, another
Bundle entry or another NDJSON line). Messages never quote a reference that may hold an NHS number.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Iterator, Mapping
from typing import Any

from ehub_tui.errors import FileError
from ehub_tui.ingest.gcpause import gc_paused
from ehub_tui.ingest.jsontext import _Document, _dumps, _kind, _load_document, _short
from ehub_tui.ingest.records import RawRecord

SUPPLIER_SYSTEM_PREFIX = "urn:ehub-tui:supplier:"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
BUNDLE_TYPES = ("collection", "transaction", "batch", "searchset")
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
        yield _qr_record("resource", doc, {}, raw_text=document.body.strip(), entry=None)
    elif rtype == "Bundle":
        entries, problem = _bundle_entries(doc)
        if problem is not None:
            raise FileError(f"{name}: {problem}")
        yield from _bundle_records(entries, "entry ", {}, document.body, document.spans)
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
    outer: dict[str, dict[str, Any]],
    body: str | None = None,
    spans: list[tuple[int, int]] | None = None,
) -> Iterator[RawRecord]:
    """Records of a Bundle's entries; ``body`` and ``spans`` give each entry's own text."""
    index: dict[str, dict[str, Any]] = {}
    texts: dict[int, str] = {}  # id(Patient entry) -> its text
    for number, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        res = entry.get("resource")
        if isinstance(res, dict) and res.get("resourceType") == "Patient":
            if body is not None and spans is not None:
                start, end = spans[number]
                texts[id(entry)] = body[start:end]
            full = entry.get("fullUrl")
            if isinstance(full, str) and full.strip():
                index[full.strip()] = entry
            pid = res.get("id")
            if isinstance(pid, str) and pid:
                index.setdefault(f"Patient/{pid}", entry)
    lookup: Mapping[str, dict[str, Any]] = ChainMap(index, outer) if outer else index
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
                lookup,
                raw_text=None,
                entry=entry,
                entry_text=entry_text,
                patient_texts=texts,
            )


def _qr_record(
    location: str,
    qr: dict[str, Any],
    patients: Mapping[str, dict[str, Any]],
    *,
    raw_text: str | None,
    entry: dict[str, Any] | None,
    entry_text: str | None = None,
    patient_texts: Mapping[int, str] | None = None,
) -> RawRecord:
    """Turn one QuestionnaireResponse into a RawRecord.

    ``raw`` is text that can be read again on its own: ``raw_text`` when given (an NDJSON line,
    a single-resource file), for a Bundle entry a one-entry collection Bundle, and when the
    Patient is another entry or line a two-entry collection Bundle (the QuestionnaireResponse
    and its Patient). The entries' own text is used when known, else their JSON is written out.
    """
    try:
        patient, patient_entry, problem = _resolve_patient(qr, patients)
        patient_text = None
        if patient_entry is not None and patient_texts:
            patient_text = patient_texts.get(id(patient_entry))
        if entry_text is not None and patient_entry is None:
            raw = f"{_BUNDLE_OPEN}{entry_text}]}}"
        elif entry_text is not None and patient_text is not None:
            raw = f"{_BUNDLE_OPEN}{entry_text},{patient_text}]}}"
        elif patient_entry is not None:
            qr_entry: dict[str, Any] = {"resource": qr}
            if entry is not None and isinstance(entry.get("fullUrl"), str):
                qr_entry = {"fullUrl": entry["fullUrl"], "resource": qr}
            pat: dict[str, Any] = {"resource": patient_entry.get("resource")}
            if isinstance(patient_entry.get("fullUrl"), str):
                pat = {"fullUrl": patient_entry["fullUrl"], "resource": patient_entry["resource"]}
            raw = _dumps({"resourceType": "Bundle", "type": "collection", "entry": [qr_entry, pat]})
        elif raw_text is not None:
            raw = raw_text
        else:
            only = entry if entry is not None else {"resource": qr}
            raw = _dumps({"resourceType": "Bundle", "type": "collection", "entry": [only]})
        if problem is not None or patient is None:
            return RawRecord(location, None, raw, problem or "the patient could not be found")
        return RawRecord(location, _qr_data(qr, patient), raw)
    except Exception as e:  # pragma: no cover - safety net for shapes no test thought of
        fallback = raw_text if raw_text is not None else _dumps(qr)
        return RawRecord(location, None, fallback, f"could not be read ({type(e).__name__}: {e})")


def _resolve_patient(
    qr: dict[str, Any], patients: Mapping[str, dict[str, Any]]
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """Return (patient, the Bundle entry holding it or None if contained, problem)."""
    subject = qr.get("subject")
    if not isinstance(subject, dict):
        return None, None, "the QuestionnaireResponse has no subject (the patient)"
    ref = subject.get("reference")
    if not isinstance(ref, str) or not ref.strip():
        return None, None, "the QuestionnaireResponse's subject has no reference to a Patient"
    ref = ref.strip()
    if ref.startswith("#"):
        wanted = ref[1:]
        contained = qr.get("contained")
        if isinstance(contained, list):
            for res in contained:
                if isinstance(res, dict) and res.get("id") == wanted:
                    kind = _short(res.get("resourceType"))
                    if kind != "Patient":
                        problem = f"the subject {_ref(ref)} is a contained {kind}, not a Patient"
                        return None, None, problem
                    return res, None, None
        return (
            None,
            None,
            f"Patient reference {_ref(ref)} not found among the contained resources",
        )
    entry = patients.get(ref)
    if entry is None and "/Patient/" in ref:
        entry = patients.get("Patient/" + ref.rsplit("/Patient/", 1)[1])
    if entry is None:
        return None, None, f"Patient reference {_ref(ref)} not found in the file"
    res = entry.get("resource")
    if not isinstance(res, dict):  # pragma: no cover - the index only holds dict resources
        return None, None, f"Patient reference {_ref(ref)} not found in the file"
    return res, entry, None


def _qr_data(qr: dict[str, Any], patient: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    ident = qr.get("identifier")
    if isinstance(ident, list):  # R4 has one identifier; accept a list and pick the supplier's
        dicts = [i for i in ident if isinstance(i, dict)]
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

    # Patient
    identifiers = patient.get("identifier")
    if isinstance(identifiers, list):
        for i in identifiers:
            if isinstance(i, dict) and i.get("system") == NHS_NUMBER_SYSTEM:
                data["nhs_number"] = i.get("value")
                break
    names = patient.get("name")
    if isinstance(names, list) and names and isinstance(names[0], dict):
        first = names[0]
        data["family_name"] = first.get("family")
        given = first.get("given")
        if isinstance(given, list):
            data["given_name"] = " ".join(
                g.strip() for g in given if isinstance(g, str) and g.strip()
            )
        elif given is not None:
            data["given_name"] = given
    data["date_of_birth"] = patient.get("birthDate")
    data["sex"] = patient.get("gender")
    gps = patient.get("generalPractitioner")
    if isinstance(gps, list):
        ods: Any = None
        for gp in gps:
            gp_id = gp.get("identifier") if isinstance(gp, dict) else None
            if isinstance(gp_id, dict):
                if gp_id.get("system") == ODS_SYSTEM:
                    ods = gp_id.get("value")
                    break
                if ods is None:
                    ods = gp_id.get("value")
        data["practice_ods"] = ods

    # Items: reserved linkIds become fields, every other linkId an answer; nesting is flattened.
    # (Parsed JSON holds plain dicts and lists, so exact type checks are enough and quicker.)
    answers: dict[str, Any] = {}
    flags: list[Any] = []
    texts: list[str] = []
    items = qr.get("item")
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
    return data


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


_LONG_NUMBER = re.compile(r"[0-9]{8}")


def _ref(ref: str) -> str:
    """A reference quoted for a message, unless it may hold an NHS number or a date of birth
    (some suppliers name a Patient by its NHS number): then only that there is one."""
    return "(not shown)" if _LONG_NUMBER.search(ref) else _short(ref)
