"""Filling a route's patient message template with the consultation's details."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from ehub_tui.sop.models import PLACEHOLDERS

WORDS = {
    "uti": "urinary tract infection",
    "acute_otitis_media": "ear infection",
    "infected_insect_bite": "infected insect bite",
    "msk": "muscle or joint problem",
    "general_clinical": "request",
}


def condition_words(template: str | None) -> str:
    """A template id in words: ``sore_throat`` → ``sore throat``, ``uti`` → ``urinary …``."""
    if template in WORDS:
        return WORDS[template]
    return (template or "request").replace("_", " ").replace("-", " ").strip()


def message_context(
    consultation: Mapping[str, Any],
    *,
    destination: str = "",
    practice_name: str = "",
    hub_phone: str = "",
) -> dict[str, str]:
    """The values of every placeholder for one consultation."""
    given = str(consultation.get("given_name") or "").strip()
    return {
        "first_name": given.split()[0] if given else "there",
        "practice_name": practice_name or str(consultation.get("practice_ods") or "your practice"),
        "destination": destination,
        "condition": condition_words(consultation.get("template")),
        "hub_phone": hub_phone or "your practice's usual number",
    }


def render_message(template: str, context: Mapping[str, str]) -> str:
    """Fill the placeholders (the loader has already refused unknown ones)."""
    values = {name: context.get(name, "") for name in PLACEHOLDERS}
    return string.Formatter().vformat(template, (), values)
