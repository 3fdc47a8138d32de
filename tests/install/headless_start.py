"""Run by tests/install/test_wheel.py with the python of a fresh venv that has the wheel
installed (never imported by pytest): open the app headless on the demo hub as nav1, wait for
the queue, press ``n`` and wait for the SOP guidance of the first item. Prints one JSON line:
where ehub_tui was imported from, and what the screen showed.

Waits are conditions polled with a deadline, never fixed sleeps.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import sys
import time
from typing import Any

DEADLINE_SECONDS = 60.0


def screen_text(app: Any) -> str:
    """What the terminal shows now, one line per row (from Textual's SVG screenshot)."""
    rows: dict[float, list[str]] = {}
    for y, body in re.findall(
        r'<text [^>]*\by="([\d.]+)"[^>]*>(.*?)</text>', app.export_screenshot()
    ):
        rows.setdefault(float(y), []).append(html.unescape(body).replace("\xa0", " "))
    return "\n".join("".join(parts) for _, parts in sorted(rows.items()))


async def wait_for(pilot: Any, app: Any, *needles: str) -> str:
    """Pause until the screen shows every needle; the screen text (fails past the deadline)."""
    end = time.monotonic() + DEADLINE_SECONDS
    while True:
        text = screen_text(app)
        if all(n in text for n in needles):
            return text
        if time.monotonic() > end:
            raise SystemExit(f"the screen never showed {needles!r}; it shows:\n{text}")
        await pilot.pause(0.1)


async def wait_any(pilot: Any, app: Any, *needles: str) -> str:
    """Pause until the screen shows one of the needles; the screen text."""
    end = time.monotonic() + DEADLINE_SECONDS
    while True:
        text = screen_text(app)
        if any(n in text for n in needles):
            return text
        if time.monotonic() > end:
            raise SystemExit(f"the screen never showed any of {needles!r}; it shows:\n{text}")
        await pilot.pause(0.1)


async def main() -> None:
    import ehub_tui
    from ehub_tui.config import load_settings
    from ehub_tui.service import HubService
    from ehub_tui.ui.app import make_app

    service = HubService.open(load_settings(), "nav1")
    app = make_app(service)
    async with app.run_test(size=(120, 36)) as pilot:
        # the demo reads as today: the open items are the fixtures' less what it worked
        queue = await wait_for(pilot, app, f"Queue ({sys.argv[1] if len(sys.argv) > 1 else 179}")
        await pilot.press("n")
        # guidance from the wheel's SOPs, whatever the first item is: a red flag, a question
        # or a route
        triage = await wait_any(pilot, app, "RED FLAGS", "Ask the patient", "Suggested route")
    print(
        json.dumps(
            {
                "module": ehub_tui.__file__,
                "queue": queue,
                "triage": triage,
                "no_guidance": "No SOP guidance" in queue + triage,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
