"""What the triage screen says about its hub work, in words: the offline warnings before
completing, a refused completion, and — once the item is lost — where the draft is (trial 15b:
"Your draft is kept" read as if it had gone with the item). Pure functions, no widgets."""

from __future__ import annotations

from typing import Any

from ehub_tui.domain.sync import NOT_APPLIED, Completion
from ehub_tui.triage.draft import DraftSends

# said before completing with the hub away once the lease has run out by the hub's clock
LEASE_ENDED_OFFLINE = (
    "Your claim on this item has ended by the hub's clock. The outcome will be saved here and "
    "sent when the hub is back, but the hub will refuse it if the item has been returned to the "
    "queue (a supervisor then reviews it)."
)
# said before escalating with the hub away: nobody on the hub sees the escalation yet
ESCALATE_OFFLINE = (
    "The hub is not answering: the supervisor sees this escalation only when the hub is back. "
    "Phone or tell the duty clinician yourself now — a red flag is safety-critical and must "
    "not wait for the hub."
)


def with_full_stop(text: str) -> str:
    """``text`` ending in one full stop (a flag's words often end in one already)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def offline_words(offline: bool, lease_left: float | None, *, escalation: bool) -> str:
    """What a completion's confirm step adds with the hub away ("" when online): the
    escalation's warning, and that the claim has ended when its lease has run out."""
    if not offline:
        return ""
    parts = [ESCALATE_OFFLINE] if escalation else []
    if lease_left is not None and lease_left <= 0:
        parts.append(LEASE_ENDED_OFFLINE)
    return "\n\n".join(parts)


def completion_of(result: Any) -> Completion | None:
    """The ``Completion`` a service answered (None: a hub service's bare outcome id, i.e. the
    hub applied it at once)."""
    return result if isinstance(result, Completion) else None


def refused_text(reason: str | None) -> str:
    """What the screen says when the hub refused what this workstation saved."""
    why = f" {reason.strip()}" if reason and reason.strip() else ""
    if why and not why.endswith((".", "!", "?")):
        why += "."
    return (
        f"{NOT_APPLIED[0].upper()}{NOT_APPLIED[1:]}.{why} Your outcome is kept on this "
        "workstation; a supervisor sees it on the board."
    )


# the hub's lost-claim notice ends so (domain/queue.py, store/lease.py); the screen says instead
# what is true of this draft (trial 15b: told "kept" while it was neither sent on nor sendable)
DRAFT_KEPT = "Your draft is kept."
# what the hub may say itself of a reassign (its draft_carried): then the hub's word stands
HUB_DRAFT_WORDS = ("draft went with it", "draft did not go with it")


def lost_words(message: str, sends: DraftSends | None, pending: bool = False) -> str:
    """The hub's notice that the item is no longer ours, with the truth about the draft: whether
    it had gone to the hub (so a supervisor could send it on with the item) or stays here only.
    ``sends``: this screen's sends (None: this workstation keeps no drafts on the hub);
    ``pending``: a change made in the last second was still waiting to be saved and sent
    (trial 15c: a note saved 0.2 s before the reassign was told it "had gone")."""
    text = " ".join(message.replace(DRAFT_KEPT, "").split())
    unsent = pending or (sends is not None and sends.held)
    if any(words in text for words in HUB_DRAFT_WORDS):
        # the hub knows whether the supervisor sent the draft on; what it never had, it did not
        if unsent:
            text += (
                " Your last changes had not reached the hub, so they did not go with it:"
                " pass them on yourself."
            )
        return text
    if unsent:
        draft = (
            "Your last changes had not reached the hub, so they could not go with the item:"
            " pass them on yourself."
        )
    elif sends is not None and sends.sent_at is not None:
        draft = (
            "Your draft had been sent to the hub, so the supervisor could send it on with the "
            "item (its new holder is told if so)."
        )
    else:
        draft = "Your draft had not gone to the hub, so it could not go with the item."
    return f"{text} {draft}"


# how the triage screen points to the fix for an edited message that no longer fits
REWORD_HINT = "m re-words it for the outcome, or lets you edit it."


def message_words(message: str, warning: str | None) -> str:
    """What a completion's confirm step says of the patient message (trial 15d: ``c`` sent one
    nobody saw): the message as it goes, and a warning when it was edited for something else."""
    if not message.strip():
        return "No message goes to the patient."
    out = f"Message to the patient:\n{message}"
    if warning:
        out += f"\n\n⚠ {warning} To change it: escape, then {REWORD_HINT}"
    return out
