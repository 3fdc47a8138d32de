"""Audit events and internal codes in words, for the supervisor board and an item's history.

The board once listed raw action codes ("nav2 complete #186" for an escalated red flag,
"set_priority", "queue_search"): the supervisor was not told about an escalation, and access
entries (searches, sign-ins, an opened handover) pushed the work off the list. Now the board
leaves access entries out (they stay in the audit) and says the rest in words; the history
says an urgency or a red flag in words, never its code ("same_day", "rf_ectopic").
"""

from __future__ import annotations

from typing import Any

from ehub_tui.domain.destinations import ESCALATION
from ehub_tui.domain.handover import reassign_words
from ehub_tui.domain.models import AuditEvent
from ehub_tui.domain.types import PRIORITY_LABELS

# Who looked at what, and sign-in traffic: kept in the audit (`ehub audit`), left off the board,
# whose few lines are for the work (completions, escalations, reassigns, releases).
ACCESS_ACTIONS = frozenset(
    {
        "queue_search",
        "sign_in",
        "sign_out",
        "sign_in_failed",
        "token_refused",
        "handover_seen",
        "viewed",
        "draft",
        "denied",
        "outbox_read",  # issue 16: outcomes read for the FHIR outbox
    }
)

# Bookkeeping of a supplier's unfinished responses (issue 16): kept in the audit, not work.
QUIET_ACTIONS = frozenset({"response_held", "response_done"})

ROLE_WORDS = {
    "navigator": "navigator",
    "supervisor": "supervisor",
    "sop_author": "SOP author",
    "clinical_approver": "clinical approver",
    "admin": "admin",
    "manager": "manager",
    "service": "service account",
    "outbox": "outbox account",
}

URGENCY_WORDS = {
    "immediate": "now",
    "same_day": "today",
    "within_48h": "within 48 hours",
    "within_3_days": "within 3 days",
    "routine": "routine",
}


def role_words(role: str) -> str:
    """A role as people say it: "sop_author" → "SOP author"."""
    return ROLE_WORDS.get(role, role.replace("_", " "))


def code_words(code: str) -> str:
    """Any other code with its underscores as spaces ("within_2_weeks" → "within 2 weeks")."""
    return code.replace("_", " ").strip()


def urgency_words(urgency: str) -> str:
    """An outcome's urgency in words: "same_day" → "today"."""
    return URGENCY_WORDS.get(urgency, code_words(urgency))


def flag_words(flag_id: str, say: str | None = None) -> str:
    """A red flag in words: its ``say`` when known, else its id without the "rf_" prefix and
    with spaces ("rf_ectopic_pregnancy" → "ectopic pregnancy")."""
    if say:
        return say.rstrip(".")
    name = flag_id[3:] if flag_id.startswith("rf_") else flag_id
    return code_words(name)


def governing_flag(route: str | None) -> str | None:
    """The red flag a route the engine made for it names ("escalate_rf_x", "same_day_rf_x"
    → "rf_x"); None for a pathway's own route."""
    for prefix in ("escalate_", "same_day_"):
        if route and route.startswith(prefix) and len(route) > len(prefix):
            return route[len(prefix) :]
    return None


def _shown(e: AuditEvent, table: str) -> dict[str, Any]:
    """The kept values of the event's row in ``table`` (the audit keeps an outcome's route,
    destination and code, and an item's priority, beside their digests)."""
    for entry in e.shows:
        if isinstance(entry, list | tuple) and len(entry) == 3 and entry[0] == table:
            values = entry[2]
            if isinstance(values, dict):
                return values
    return {}


def shown_on_board(e: AuditEvent) -> bool:
    """Is the event work the board lists (not an access entry)?"""
    return e.action not in ACCESS_ACTIONS and e.action not in QUIET_ACTIONS


def _completed(e: AuditEvent, item: str) -> str:
    outcome = {**e.body, **_shown(e, "outcome")}
    category = str(outcome.get("category") or "")
    flag = governing_flag(str(outcome.get("route") or ""))
    if category == "escalate" or outcome.get("destination_code") == ESCALATION:
        priority = int(_shown(e, "consultation").get("priority", 2) or 0)
        mark = "‼EM" if priority >= 2 or category == "escalate" else "!UR"
        why = f"red flag: {flag_words(flag)}" if flag else "red flag"
        return f"{e.actor} escalated{item} to the duty clinician ({mark} {why})"
    where = str(outcome.get("destination") or "")
    if not where:
        route = str(outcome.get("route") or "")
        where = code_words(route) if route else category or "an outcome"
    words = f"{e.actor} completed{item} → {where}"
    if flag:
        words += f" (red flag: {flag_words(flag)})"
    return words


def _why(body: dict[str, Any]) -> str:
    reason = body.get("reason")
    return f": {reason}" if reason else ""


def event_words(e: AuditEvent) -> str:
    """An event as the board lists it, in words: who did what to which item (and to whom)."""
    item = f" #{e.consultation_id}" if e.consultation_id else ""
    body, who = e.body, e.actor
    a = e.action
    sop = f"SOP {body.get('sop', '')} {body.get('version', '')}".strip()
    if a == "complete":
        return _completed(e, item)
    if a == "reassign":
        return reassign_words(who, e.consultation_id, body)
    if a == "set_priority":
        label = PRIORITY_LABELS.get(int(body.get("priority", 0) or 0), "normal")
        return f"{who} marked{item} {label}{_why(body)}"
    if a == "force_release":
        before = body.get("from")
        came = f" from {before}" if before else ""
        return f"{who} released{item}{came} to the queue{_why(body)}"
    simple = {
        "claim": f"{who} took{item}",
        "release": f"{who} put{item} back in the queue",
        "lease_expired": f"{item.strip()} back in the queue ({who}'s hold ran out)",
        "cancel": f"{who} cancelled{item}",
        "park": f"{who} parked{item} awaiting the patient's reply",
        "park_returned": f"{item.strip()} back from awaiting the patient (no reply in time)",
        "reply_linked": f"the patient replied on{item}",
        "complete_refused": f"{who}'s completion of{item} was refused (no longer theirs)",
        "park_refused": f"{who}'s parking of{item} was refused (no longer theirs)",
        "sync_rejected": f"the hub refused a change from {who}'s workstation{item and ' on'}{item}",
        "sync_resolved": f"{who} resolved a refused change{item and ' on'}{item}",
        "prescreen": f"{who} screened new items for red flags",
        "ingest": f"{who} received new items",
        "sop_publish": f"{who} published {sop}",
        "sop_submit": f"{who} submitted {sop} for approval",
        "sop_publish_refused": f"{who}'s SOP publication was refused",
        # trial 15d: a published version that cannot be used (service/sop_health.py)
        "sop_unavailable": f"{sop} cannot be used ({body.get('reason', '')}); "
        + (f"using {body.get('using')}" if body.get("using") else "no earlier version loads"),
        "user_add": f"{who} added {body.get('username', 'a user')}",
        "export": f"{who} exported a return",
        # issue 16: a supplier's later versions of a response, national files, retention
        "supplier_amendment": f"the supplier amended{item} before anyone took it",
        "withdrawal_flagged": f"the supplier withdrew{item} after work began (see the quarantine)",
        "amendment_held": f"the supplier amended{item} after work began (see the quarantine)",
        "practices_ods": f"{who} imported practices from the ODS file",
        "practice_list_sizes": f"{who} imported practice list sizes",
        "retention_purge": f"{who} removed the patient details of old closed items (retention)",
    }
    if a in simple:
        return simple[a] + (_why(body) if a in ("release", "cancel") else "")
    return f"{who} {code_words(a)}{item}{_why(body)}"
