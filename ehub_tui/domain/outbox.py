"""What the hub hands the FHIR outbox (issue 16, part 2): one completed outcome with the facts
its Bundle and consultation summary carry, and a page of them.

These hold patient identifiers (NHS number, name, date of birth) because what is written from
them is clinical correspondence to the patient's own practice, not a return. They never go to a
log, an audit body or an error message: the audit of the read names item ids only.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    # as domain.models: frozen across the boundary, a misspelt field an error where it is made
    model_config = ConfigDict(frozen=True, extra="forbid")


class OutboxRecord(_Model):
    """One completed outcome, with its consultation, patient, practice and navigator."""

    outcome_id: int
    consultation_id: int
    # the practice the correspondence goes to, and the PCN hub that sends it
    practice_ods: str
    practice_name: str = ""
    pcn_code: str = ""
    pcn_name: str = ""
    # the supplier's record (the original QuestionnaireResponse) and when it arrived
    source: str
    external_id: str
    received_at: datetime
    request_type: str
    template: str | None = None
    # the patient (empty strings once a retention purge has removed them: not written out)
    nhs_number: str = ""
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    dob_precision: str = "day"  # day | month | year: a partial birthDate is written partial
    purged: bool = False  # a retention purge removed the patient's details: nothing is written
    sex: str = "unknown"
    # the outcome as the navigator completed it
    navigator: str
    navigator_name: str = ""
    category: str
    route: str
    destination: str = ""
    destination_code: str | None = None
    urgency: str = ""
    snomed_code: str | None = None
    contact_mode: str | None = None
    team: str | None = None
    sop_id: str | None = None
    sop_version: str | None = None
    sop_sha256: str | None = None
    note: str | None = None
    message: str | None = None
    completed_at: datetime


class OutboxPage(_Model):
    """Completed outcomes in outcome-id order after ``after_id``; ``total``: how many completed
    since the day asked for (for a progress bar); ``next_after``: the id to ask after next
    (None when this was the last page)."""

    records: list[OutboxRecord] = Field(default_factory=list)
    total: int = 0
    next_after: int | None = None
