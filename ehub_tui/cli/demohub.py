"""The demo hub's constants and its mark (see cli/demo.py's docstring): a leaf module, so the
app's start (cli/start.py) can ask "is this the demo hub?" without importing the demo command."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ehub_tui.config import Settings

# Every demo user's password (README and the demo command print it). Long enough for the
# policy, contains no demo username; an OS login it happens to contain is told so and skipped.
DEMO_PASSWORD = "walk-the-queue-2026"
HINT = f"Demo hub: every demo user's password is {DEMO_PASSWORD}"
MARK = "demo-hub"

DEMO_USERS = [
    ("nav1", "navigator", "Priya Shah"),
    ("nav2", "navigator", "Tom Fletcher"),
    ("nav3", "navigator", "Aisha Bello"),
    ("sup1", "supervisor", "Grace O'Neill"),
    ("author1", "sop_author", "Dr Ewan Price"),
    ("clin1", "clinical_approver", "Dr Nadia Rahman"),
    ("admin1", "admin", "Hub Admin"),
    ("mgr1", "manager", "Sam Okoro"),
]


def demo_hint(settings: Settings) -> str | None:
    """The sign-in screen's demo line, on a hub marked as the demo (in-process only), else None."""
    if not settings.is_embedded:
        return None
    return HINT if (settings.data_dir / MARK).is_file() else None


def mark_demo(settings: Settings) -> None:
    """Mark the data dir as the demo's (see the module docstring); no secret inside."""
    (settings.data_dir / MARK).write_text(
        "This hub was built by `ehub-tui demo`: its demo users share the published demo "
        "password.\n",
        encoding="utf-8",
    )
