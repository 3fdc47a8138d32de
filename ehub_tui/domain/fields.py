"""The fields of an online consultation (docs/formats.md), in their documented order."""

from __future__ import annotations

OC_FIELDS: tuple[str, ...] = (
    "source",
    "external_id",
    "practice_ods",
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "received_at",
    "request_type",
    "template",
    "answers",
    "free_text",
    "supplier_flags",
)

# Every record must carry these (a CSV file's header must name them); the rest may be left out.
REQUIRED_FIELDS: tuple[str, ...] = (
    "source",
    "external_id",
    "practice_ods",
    "nhs_number",
    "family_name",
    "date_of_birth",
    "sex",
    "received_at",
    "request_type",
)
