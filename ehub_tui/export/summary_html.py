"""An outcome as a standalone, printable HTML consultation summary (issue 16, part 2): the GP
Connect Send Document pattern, for practices that file a document in the patient's record rather
than read a FHIR Bundle. The integration engine wraps it as that workflow needs (e.g. a Binary in
a Send Document message over MESH); the hub writes the document.

One page, no script, no external style sheet, font or image (it must print and file as it is).
Every value from a record is escaped with ``html.escape`` (quotes too): a patient's or a
supplier's text is only data, whatever it holds. The facts are the Bundle's (export/fhir_out.py).
Built from the record alone (no clock), so the same outcome gives the same bytes every time.
"""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

from ehub_tui.domain.clock import LONDON
from ehub_tui.domain.contact import CONTACT_WORDS, URGENCY_WORDS
from ehub_tui.domain.nhs import format_nhs_number
from ehub_tui.domain.outbox import OutboxRecord
from ehub_tui.export.fhir_out import priority

_STYLE = """
body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; margin: 2em; color: #000; }
h1 { font-size: 16pt; margin-bottom: 0.2em; }
h2 { font-size: 12pt; border-bottom: 1px solid #444; margin-top: 1.4em; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; width: 30%; vertical-align: top; padding: 2px 8px 2px 0; }
td { vertical-align: top; padding: 2px 0; }
.text { white-space: pre-wrap; border: 1px solid #999; padding: 6px; }
.muted { color: #444; font-size: 9pt; }
@media print { body { margin: 1cm; } }
""".strip()


def _e(value: object) -> str:
    """A record value as HTML text: escaped, quotes included (never markup)."""
    return html.escape("" if value is None else str(value), quote=True)


def _when(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return f"{aware.astimezone(LONDON):%d %b %Y %H:%M} (UK time)"


def _day(value: date | None, precision: str = "day") -> str:
    if value is None:
        return "not recorded"
    return {"year": f"{value:%Y}", "month": f"{value:%b %Y}"}.get(precision, f"{value:%d %b %Y}")


def _rows(rows: list[tuple[str, str]]) -> str:
    # labels are ours; values are escaped by the caller (_e) before they get here
    body = "\n".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f"<table>\n{body}\n</table>"


def render(rec: OutboxRecord) -> str:
    """The outcome's consultation summary as one HTML document."""
    name = " ".join(p for p in (rec.given_name, rec.family_name) if p) or "not recorded"
    urgency = URGENCY_WORDS.get(rec.urgency, rec.urgency.replace("_", " ")) or "not recorded"
    contact = CONTACT_WORDS.get(rec.contact_mode or "", rec.contact_mode or "") or "not recorded"
    sop = f"{rec.sop_id} version {rec.sop_version or 'unversioned'}" if rec.sop_id else "none"
    patient = _rows(
        [
            ("Name", _e(name)),
            ("NHS number", _e(format_nhs_number(rec.nhs_number))),
            ("Date of birth", _e(_day(rec.date_of_birth, rec.dob_precision))),
            ("Sex", _e(rec.sex)),
            ("Registered practice", _e(f"{rec.practice_name} ({rec.practice_ods})")),
        ]
    )
    request = _rows(
        [
            ("Supplier", _e(rec.source)),
            ("Supplier reference", _e(rec.external_id)),
            ("Received", _e(_when(rec.received_at))),
            ("Request type", _e(rec.request_type)),
            ("Template", _e(rec.template or "none")),
        ]
    )
    outcome = _rows(
        [
            ("Outcome", _e(rec.category)),
            ("Destination", _e(rec.destination or rec.route)),
            ("Team", _e(rec.team or rec.destination or "not recorded")),
            ("Urgency", _e(f"{urgency} (priority {priority(rec.urgency)})")),
            ("Contact by", _e(contact)),
            ("SNOMED CT", _e(rec.snomed_code or "none")),
            ("Route", _e(rec.route)),
            ("Guided by SOP", _e(sop)),
            ("Completed", _e(_when(rec.completed_at))),
            ("Care navigator", _e(f"{rec.navigator_name or rec.navigator} ({rec.navigator})")),
        ]
    )
    message = (
        f'<div class="text">{_e(rec.message)}</div>'
        if rec.message and rec.message.strip()
        else "<p>No message was sent to the patient.</p>"
    )
    note = f'<div class="text">{_e(rec.note)}</div>' if rec.note else "<p>None.</p>"
    hub = _e(f"{rec.pcn_name} eHub" if rec.pcn_name else "PCN eHub")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Consultation summary: outcome {rec.outcome_id}</title>
<style>
{_STYLE}
</style>
</head>
<body>
<h1>Online consultation: care navigation summary</h1>
<p class="muted">From {hub} to {_e(rec.practice_name or rec.practice_ods)}. Hub item \
{rec.consultation_id}, outcome {rec.outcome_id}.</p>
<h2>Patient</h2>
{patient}
<h2>Request</h2>
{request}
<h2>Outcome</h2>
{outcome}
<h2>Message sent to the patient</h2>
{message}
<h2>Navigator's note</h2>
{note}
<p class="muted">Written by ehub-tui from the hub's record of this outcome. Clinical \
correspondence for the patient's registered practice.</p>
</body>
</html>
"""


def summary_bytes(rec: OutboxRecord) -> bytes:
    """The summary as the UTF-8 file the outbox writes."""
    return render(rec).encode("utf-8")
