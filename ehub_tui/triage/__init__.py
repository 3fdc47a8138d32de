"""Headless triage: the navigator's work on one claimed item, without a screen.

``TriageSession`` holds the draft (answers, flag handling, override, note, message), the step,
the time on screen and the busy guard, and builds the typed ``Outcome``. The Textual screen only
renders a session and dispatches keys to it; this package never imports Textual.
"""

from ehub_tui.triage.guidance import Guidance, LibraryGuidance, ServiceGuidance
from ehub_tui.triage.session import Draft, KeyGuard, NotAllowed, Step, TriageSession

__all__ = [
    "Draft",
    "Guidance",
    "KeyGuard",
    "LibraryGuidance",
    "NotAllowed",
    "ServiceGuidance",
    "Step",
    "TriageSession",
]
