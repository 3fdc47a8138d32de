"""A completed outcome as a FHIR R4 Bundle (issue 16, part 2): what the outbox writes for the
patient's own practice.

The Bundle is a ``transaction``: an integration engine that forwards it to a FHIR server can post
it as it is, and every entry is a conditional create on its business identifier
(``ifNoneExist``), so a file sent twice creates nothing twice; an engine that maps it into a GP
system reads the same entries. Not a ``collection`` (that carries no such instruction), and not a
``message``: a message Bundle needs a MessageHeader with an event coding agreed with the receiver
(ITK3 / GP Connect messaging), which no receiver has agreed with the hub yet; the integration
engine wraps the Bundle in one where a receiver asks for that.

Entries: the Patient (NHS number, name, birth date, registered practice by ODS code) as a
conditional create that matches the practice's existing record and never changes it; a Task for
the action taken (completed, an order, owned by the destination team, coded by the route); a
ServiceRequest when the route carries a SNOMED CT code (a referral, e.g. Pharmacy First
1362511000000107) with its priority from the urgency; a Communication for the message sent to
the patient, if one was; a Provenance naming the navigator (hub user name and display name:
never a secret) and the SOP id and version that guided the decision. The supplier's original
QuestionnaireResponse is referred to by its identifier (the supplier's record), not copied.

Everything is built from the record alone (no clock, no random ids: fullUrls are uuid5 of the
outcome), so the same outcome gives the same bytes every time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ehub_tui.domain.outbox import OutboxRecord

SNOMED = "http://snomed.info/sct"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
SUPPLIER_SYSTEM_PREFIX = "urn:ehub-tui:supplier:"  # as ingest/fhir.py reads a supplier record
OUTCOME_SYSTEM = "urn:ehub-tui:outcome"
ROUTE_SYSTEM = "urn:ehub-tui:sop-route"
DESTINATION_SYSTEM = "urn:ehub-tui:destination-code"
HUB_USER_SYSTEM = "urn:ehub-tui:hub-user"
SOP_SYSTEM = "urn:ehub-tui:sop-version"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
# the fullUrls' uuid5 namespace (fixed: the same outcome always gets the same ids)
NAMESPACE = uuid.UUID("6f3c1d2e-9a41-5b7c-8e0f-2d4a6b8c0e1f")

# A route's urgency as a FHIR request priority (routine | urgent | asap | stat): "now" is stat;
# today and 24 hours are urgent (as "GP urgent same-day" is said); anything later is routine.
# asap ("sooner than urgent") is not used: the hub's ladder has nothing between now and today.
PRIORITY = {
    "immediate": "stat",
    "same_day": "urgent",
    "within_24h": "urgent",
    "within_48h": "routine",
    "within_3_days": "routine",
    "within_5_days": "routine",
    "routine": "routine",
}
GENDERS = frozenset({"male", "female", "other", "unknown"})


class MissingFacts(ValueError):
    """The record lacks what a Bundle must carry (e.g. its identifiers were purged). The message
    names the outcome by id only."""


def priority(urgency: str) -> str:
    """The FHIR request priority for an outcome's urgency (routine when unknown)."""
    return PRIORITY.get(urgency, "routine")


def instant(value: datetime) -> str:
    """A FHIR instant (UTC, to the second)."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


def hub_key(rec: OutboxRecord) -> str:
    """The outcome's identifier value: the sending PCN hub and the outcome id (two hubs sending
    to one practice never collide)."""
    return f"{rec.pcn_code or 'hub'}-{rec.outcome_id}"


def _urn(rec: OutboxRecord, kind: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{hub_key(rec)}/{kind}')}"


def _clean(value: Any) -> Any:
    """Drop empty values everywhere: FHIR JSON allows no empty string, list or object."""
    if isinstance(value, Mapping):
        out = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [_clean(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    return value


def questionnaire_response_ref(rec: OutboxRecord) -> dict[str, Any]:
    """The supplier's original QuestionnaireResponse, by its identifier (the supplier record)."""
    return {
        "type": "QuestionnaireResponse",
        "identifier": {"system": SUPPLIER_SYSTEM_PREFIX + rec.source, "value": rec.external_id},
        "display": f"{rec.source} online consultation {rec.external_id}",
    }


def _practice_ref(rec: OutboxRecord) -> dict[str, Any]:
    return {
        "type": "Organization",
        "identifier": {"system": ODS_SYSTEM, "value": rec.practice_ods},
        "display": rec.practice_name,
    }


def _hub_ref(rec: OutboxRecord) -> dict[str, Any]:
    if not rec.pcn_code:
        return {"display": rec.pcn_name or "PCN eHub"}
    return {
        "type": "Organization",
        "identifier": {"system": ODS_SYSTEM, "value": rec.pcn_code},
        "display": f"{rec.pcn_name} eHub" if rec.pcn_name else "PCN eHub",
    }


def _team_ref(rec: OutboxRecord) -> dict[str, Any]:
    ref: dict[str, Any] = {"display": rec.team or rec.destination or rec.route}
    if rec.destination_code:
        ref["identifier"] = {"system": DESTINATION_SYSTEM, "value": rec.destination_code}
    return ref


def _navigator_ref(rec: OutboxRecord) -> dict[str, Any]:
    return {
        "identifier": {"system": HUB_USER_SYSTEM, "value": rec.navigator},
        "display": rec.navigator_name or rec.navigator,
    }


def _identifier(rec: OutboxRecord, kind: str) -> dict[str, str]:
    return {"system": f"{OUTCOME_SYSTEM}:{kind}", "value": hub_key(rec)}


def _entry(resource: dict[str, Any], full_url: str, if_none_exist: str | None) -> dict[str, Any]:
    request = {"method": "POST", "url": resource["resourceType"], "ifNoneExist": if_none_exist}
    return {"fullUrl": full_url, "resource": resource, "request": request}


def _by_identifier(ident: Mapping[str, str]) -> str:
    return f"identifier={ident['system']}|{ident['value']}"


def birth_date(rec: OutboxRecord) -> str | None:
    """The FHIR birthDate: partial (``1970-09``, ``1970``) when only that much is known."""
    if rec.date_of_birth is None:
        return None
    whole = rec.date_of_birth.isoformat()
    return {"year": whole[:4], "month": whole[:7]}.get(rec.dob_precision, whole)


def patient(rec: OutboxRecord) -> dict[str, Any]:
    """The Patient: NHS number, name, birth date, sex, and the registered practice."""
    return {
        "resourceType": "Patient",
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": rec.nhs_number}],
        "name": [{"use": "official", "family": rec.family_name, "given": [rec.given_name]}],
        "gender": rec.sex if rec.sex in GENDERS else "unknown",
        "birthDate": birth_date(rec),
        "generalPractitioner": [_practice_ref(rec)],
    }


def build_bundle(rec: OutboxRecord) -> dict[str, Any]:
    """The outcome's transaction Bundle as FHIR JSON (a dict); MissingFacts when the record
    cannot make one (no NHS number: its identifiers were purged)."""
    if rec.purged:
        raise MissingFacts(f"outcome {rec.outcome_id}: the patient's details were purged")
    if not rec.nhs_number:
        raise MissingFacts(f"outcome {rec.outcome_id} has no NHS number")
    urls = {k: _urn(rec, k) for k in ("bundle", "patient", "task", "sr", "comm", "prov")}
    subject = {"reference": urls["patient"], "type": "Patient"}
    qr = questionnaire_response_ref(rec)
    when = instant(rec.completed_at)
    codes = [{"system": SNOMED, "code": rec.snomed_code}] if rec.snomed_code else []
    note = [{"text": rec.note}] if rec.note else []
    entries = [_entry(patient(rec), urls["patient"], _by_identifier(patient(rec)["identifier"][0]))]
    referral: dict[str, Any] | None = None
    if rec.snomed_code:
        referral = {
            "resourceType": "ServiceRequest",
            "identifier": [_identifier(rec, "service-request")],
            "status": "active",
            "intent": "order",
            "priority": priority(rec.urgency),
            "code": {"coding": codes, "text": rec.destination or rec.route},
            "subject": subject,
            "authoredOn": when,
            "requester": _hub_ref(rec),
            "performer": [_team_ref(rec)],
            "supportingInfo": [qr],
            "note": note,
        }
        entries.append(_entry(referral, urls["sr"], _by_identifier(referral["identifier"][0])))
    task: dict[str, Any] = {
        "resourceType": "Task",
        "identifier": [_identifier(rec, "task")],
        "status": "completed",
        "intent": "order",
        "priority": priority(rec.urgency),
        "businessStatus": {
            "coding": [{"system": ROUTE_SYSTEM, "code": rec.route}],
            "text": rec.destination or rec.route,
        },
        "code": {
            "coding": [
                *codes,
                *(
                    [{"system": DESTINATION_SYSTEM, "code": rec.destination_code}]
                    if rec.destination_code
                    else []
                ),
            ],
            "text": f"{rec.category}: {rec.destination or rec.route}",
        },
        "focus": {"reference": urls["sr"], "type": "ServiceRequest"} if referral else qr,
        "for": subject,
        "executionPeriod": {"start": instant(rec.received_at), "end": when},
        "authoredOn": when,
        "lastModified": when,
        "requester": _hub_ref(rec),
        "owner": _team_ref(rec),
        "reasonReference": qr,
        "note": note,
    }
    entries.append(_entry(task, urls["task"], _by_identifier(task["identifier"][0])))
    targets = [{"reference": urls["task"], "type": "Task"}]
    if referral is not None:
        targets.append({"reference": urls["sr"], "type": "ServiceRequest"})
    if rec.message and rec.message.strip():
        comm: dict[str, Any] = {
            "resourceType": "Communication",
            "identifier": [_identifier(rec, "communication")],
            "status": "completed",
            "basedOn": [{"reference": urls["sr"], "type": "ServiceRequest"}] if referral else [],
            "subject": subject,
            "about": [{"reference": urls["task"], "type": "Task"}],
            "sent": when,
            "recipient": [subject],
            "sender": _hub_ref(rec),
            "payload": [{"contentString": rec.message}],
        }
        entries.append(_entry(comm, urls["comm"], _by_identifier(comm["identifier"][0])))
        targets.append({"reference": urls["comm"], "type": "Communication"})
    entities = [{"role": "source", "what": qr}]
    if rec.sop_id:
        version = rec.sop_version or "unversioned"
        entities.insert(
            0,
            {
                "role": "source",
                "what": {
                    "identifier": {"system": SOP_SYSTEM, "value": f"{rec.sop_id}|{version}"},
                    "display": f"SOP {rec.sop_id} version {version}",
                },
            },
        )
    prov: dict[str, Any] = {
        "resourceType": "Provenance",
        "target": targets,
        "recorded": when,
        "agent": [
            {
                "type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "author"}]},
                "who": _navigator_ref(rec),
                "onBehalfOf": _hub_ref(rec),
            }
        ],
        "entity": entities,
    }
    # an R4 Provenance has no identifier to match on: a plain create (a receiver that dedupes
    # does it by the Task's identifier, which this Provenance targets)
    entries.append(_entry(prov, urls["prov"], None))
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": urls["bundle"].removeprefix("urn:uuid:"),
        "identifier": _identifier(rec, "bundle"),
        "type": "transaction",
        "timestamp": when,
        "entry": entries,
    }
    cleaned: dict[str, Any] = _clean(bundle)
    return cleaned


def bundle_bytes(rec: OutboxRecord) -> bytes:
    """The Bundle as the UTF-8 JSON file the outbox writes (stable: same record, same bytes)."""
    text = json.dumps(build_bundle(rec), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")
