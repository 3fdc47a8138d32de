"""The patient of a QuestionnaireResponse: finding its Patient (contained, by reference, by NHS
number) and reading the OC fields from it, with the GP practice from an ODS identifier or from an
Organization reference, and partial birth dates.

Messages never quote a reference or an identifier that may hold an NHS number (see ``_ref``).
"""

from __future__ import annotations

import re
from typing import Any

from ehub_tui.ingest.fhir_refs import NHS_NUMBER_SYSTEM, Entry, Refs, nhs_number_of
from ehub_tui.ingest.jsontext import _short

ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"

# A FHIR date may be a year or a year and month (R4 ``date``): 1970, 1970-09.
_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-(0[1-9]|1[0-2]))?")

_LONG_NUMBER = re.compile(r"[0-9]{8}")

MISSING_WITHOUT_PATIENT = (
    "the patient is given only by an NHS number and no Patient resource with that number is in "
    "the file{where}, so the patient's family name, date of birth, sex and GP practice are "
    "missing (send the Patient with the response)"
)


def _ref(ref: str) -> str:
    """A reference quoted for a message, unless it may hold an NHS number or a date of birth
    (some suppliers name a Patient by its NHS number): then only that there is one."""
    return "(not shown)" if _LONG_NUMBER.search(ref) else _short(ref)


def resolve_subject(
    qr: dict[str, Any], refs: Refs, *, folder: bool = False
) -> tuple[dict[str, Any] | None, Entry | None, str | None]:
    """Return (patient, the entry holding it or None if contained, problem).

    ``folder``: whether a Bulk export folder was searched too (named in messages).
    """
    subject = qr.get("subject")
    if not isinstance(subject, dict):
        return None, None, "the QuestionnaireResponse has no subject (the patient)"
    ref = subject.get("reference")
    if isinstance(ref, str) and ref.strip():
        return _by_reference(qr, ref.strip(), refs, folder)
    ident = subject.get("identifier")
    if isinstance(ident, dict):
        system = ident.get("system")
        value = ident.get("value")
        if system != NHS_NUMBER_SYSTEM:
            shown = _ref(system) if isinstance(system, str) else "(none)"
            return (
                None,
                None,
                (
                    f"the QuestionnaireResponse's subject is an identifier of system {shown}, not "
                    f"an NHS number ({NHS_NUMBER_SYSTEM}), so the patient cannot be found"
                ),
            )
        if not isinstance(value, str) or not value.strip():
            return None, None, "the QuestionnaireResponse's subject NHS number has no value"
        entry = refs.by_nhs_number("".join(value.split()))
        if entry is None:
            where = " or its Bulk export folder" if folder else ""
            return None, None, MISSING_WITHOUT_PATIENT.format(where=where)
        return entry["resource"], entry, None
    return None, None, "the QuestionnaireResponse's subject has no reference to a Patient"


def _by_reference(
    qr: dict[str, Any], ref: str, refs: Refs, folder: bool
) -> tuple[dict[str, Any] | None, Entry | None, str | None]:
    if ref.startswith("#"):
        found = _contained(qr, ref[1:])
        if found is None:
            problem = f"Patient reference {_ref(ref)} not found among the contained resources"
            return None, None, problem
        kind = _short(found.get("resourceType"))
        if kind != "Patient":
            return None, None, f"the subject {_ref(ref)} is a contained {kind}, not a Patient"
        return found, None, None
    entry = refs.find(ref, "Patient")
    if entry is None:
        where = " or its Bulk export folder" if folder else ""
        return None, None, f"Patient reference {_ref(ref)} not found in the file{where}"
    return entry["resource"], entry, None


def _contained(holder: dict[str, Any], wanted: str) -> dict[str, Any] | None:
    contained = holder.get("contained")
    if isinstance(contained, list):
        for res in contained:
            if isinstance(res, dict) and res.get("id") == wanted:
                return res
    return None


def patient_fields(
    data: dict[str, Any], patient: dict[str, Any], qr: dict[str, Any], refs: Refs
) -> Entry | None:
    """Put the Patient's OC fields in ``data``; return the Organization entry the practice was
    read from when it is another entry (its text goes into the record's raw text)."""
    number = nhs_number_of(patient)
    if number is not None:
        data["nhs_number"] = number
    else:
        identifiers = patient.get("identifier")
        if isinstance(identifiers, list):  # an NHS number whose value is not text: say so
            for i in identifiers:
                if isinstance(i, dict) and i.get("system") == NHS_NUMBER_SYSTEM:
                    data["nhs_number"] = i.get("value")
                    break
    names = patient.get("name")
    if isinstance(names, list) and names and isinstance(names[0], dict):
        first = _official(names)
        data["family_name"] = first.get("family")
        given = first.get("given")
        if isinstance(given, list):
            data["given_name"] = " ".join(
                g.strip() for g in given if isinstance(g, str) and g.strip()
            )
        elif given is not None:
            data["given_name"] = given
    birth = patient.get("birthDate")
    if isinstance(birth, str) and len(birth) < 8:
        m = _PARTIAL_DATE.fullmatch(birth.strip())
        if m:  # the first day of the known part; the age is shown as approximate
            data["dob_precision"] = "month" if m.group(2) else "year"
            birth = f"{m.group(1)}-{m.group(2) or '01'}-01"
    data["date_of_birth"] = birth
    data["sex"] = patient.get("gender")
    gps = patient.get("generalPractitioner")
    if isinstance(gps, list):
        return _practice(data, gps, patient, qr, refs)
    return None


def _official(names: list[Any]) -> dict[str, Any]:
    """The name in use: ``use: official`` (or ``usual``) when one is marked, else the first."""
    first: dict[str, Any] = names[0]
    if len(names) > 1:
        for use in ("official", "usual"):
            for n in names:
                if isinstance(n, dict) and n.get("use") == use:
                    return n
    return first


def _practice(
    data: dict[str, Any],
    gps: list[Any],
    patient: dict[str, Any],
    qr: dict[str, Any],
    refs: Refs,
) -> Entry | None:
    ods: Any = None
    used: Entry | None = None
    unresolved = no_ods = False
    for gp in gps:
        if not isinstance(gp, dict):
            continue
        gp_id = gp.get("identifier")
        if isinstance(gp_id, dict):
            if gp_id.get("system") == ODS_SYSTEM:
                ods, used = gp_id.get("value"), None
                break
            if ods is None:
                ods = gp_id.get("value")
            continue
        ref = gp.get("reference")
        if not isinstance(ref, str) or not ref.strip():
            continue
        ref = ref.strip()
        entry: Entry | None = None
        if ref.startswith("#"):
            org = _contained(patient, ref[1:]) or _contained(qr, ref[1:])
            if org is not None and org.get("resourceType") == "Organization":
                entry = {"resource": org}
                found = _ods_of(org)
                if found is not None:
                    ods, used = found, None
                    break
        else:
            entry = refs.find(ref, "Organization")
            if entry is None:
                if "Organization/" in ref or ref.startswith("urn:"):
                    unresolved = True
                continue
            found = _ods_of(entry["resource"])
            if found is not None:
                ods, used = found, entry
                break
            no_ods = True
        if entry is None:
            unresolved = unresolved or "Organization/" in ref
    data["practice_ods"] = ods
    if ods is None and unresolved:
        data["_practice_problem"] = (
            "the patient's GP practice is an Organization reference that is not in the file, "
            "so practice_ods is missing (send the Organization with its ODS code)"
        )
    elif ods is None and no_ods:
        data["_practice_problem"] = (
            "the patient's GP practice Organization has no ODS code identifier "
            f"({ODS_SYSTEM}), so practice_ods is missing"
        )
    return used


def _ods_of(org: dict[str, Any]) -> Any:
    """An Organization's ODS code: its ODS-system identifier, else None."""
    identifiers = org.get("identifier")
    if isinstance(identifiers, list):
        for i in identifiers:
            if isinstance(i, dict) and i.get("system") == ODS_SYSTEM:
                return i.get("value")
    elif isinstance(identifiers, dict) and identifiers.get("system") == ODS_SYSTEM:
        return identifiers.get("value")
    return None
