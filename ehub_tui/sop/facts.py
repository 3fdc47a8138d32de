"""The facts a consultation offers the SOP rules: its fields and answers, the patient's age on the
day, and what its free text states (a mention is marked "stated in text — confirm").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from ehub_tui.domain.patient import age_on
from ehub_tui.sop.concepts import Mention
from ehub_tui.sop.context import Context
from ehub_tui.sop.known import Facts
from ehub_tui.sop.lexicon import Lexicon
from ehub_tui.sop.loaded import PATIENT_ATTRIBUTES

STATED = "stated in text — confirm"


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def build_facts(
    consultation: Mapping[str, Any],
    answers: Mapping[str, Any] | None,
    today: date,
    lexicon: Lexicon | None = None,
) -> Facts:
    """What the rules may see of a consultation plus the navigator's answers so far.

    Patient attributes the free text states (a concept that ``sets`` one, mentioned as the
    patient's own) count as answered "yes" until the navigator's own answer says otherwise."""
    values: dict[str, Any] = {}
    dob = _as_date(consultation.get("date_of_birth"))
    if dob is not None and dob <= today:
        values["age"], values["age_months"] = age_on(dob, today)
    for key, source in (
        ("sex", "sex"),
        ("practice", "practice_ods"),
        ("request_type", "request_type"),
        ("template", "template"),
        ("free_text", "free_text"),
    ):
        v = consultation.get(source)
        if v not in (None, ""):
            values[key] = v
    flags = consultation.get("supplier_flags")
    values["supplier_flags"] = list(flags) if flags else []
    oc_answers = consultation.get("answers") or {}
    merged = {**oc_answers, **(answers or {})}
    for k, v in merged.items():
        if v is None or v == "":
            continue
        values[f"answers.{k}"] = v
        if k in PATIENT_ATTRIBUTES:
            values[f"patient.{k}"] = v
    facts = Facts(values, lexicon, today.year)
    if lexicon is not None and "free_text" in values:
        for mention in facts.mentions("free_text"):
            attr = _stated(lexicon, mention)
            if attr and f"answers.{attr}" not in values:
                values[f"answers.{attr}"] = values[f"patient.{attr}"] = "yes"
    return facts


def _stated(lexicon: Lexicon, mention: Mention) -> str | None:
    """The attribute a mention states about the patient, if any (a lasting one — no spleen, a
    transplant — still holds when the mention is in the past)."""
    c = lexicon.concepts[mention.concept]
    if not c.sets:
        return None
    if mention.counts or (c.lasting and mention.context is Context.HISTORICAL):
        return c.sets
    return None


def stated_in_text(facts: Facts, answers: Mapping[str, Any] | None) -> dict[str, Mention]:
    """Attributes taken from the free text (not from a structured or navigator answer)."""
    lexicon = facts.lexicon
    if lexicon is None:
        return {}
    out: dict[str, Mention] = {}
    for mention in facts.mentions("free_text"):
        attr = _stated(lexicon, mention)
        if attr and attr not in (answers or {}) and attr not in out:
            out[attr] = mention
    return out
