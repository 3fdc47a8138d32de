"""A small, fixed hub for the navigator app tests, and helpers to drive the app with a Pilot.

Every test gets a fresh SQLite hub file (so item ids are always 1, 2, 3, … in the order the
cases are stored), the shipped SOP set, the frozen clock of tests/conftest.py (Monday
23 November 2026, 10:00 UTC) for both the services and the app, and a handful of consultations
written by hand so each flow knows exactly which step comes next:

- ``headache``: nothing flagged by the supplier, but the free text raises the "worst headache"
  emergency red flag, so the prescreen (run after storing, as ``ehub-tui ingest`` does) raises
  it to priority 2 and ``n`` always takes it first;
- ``throat``: an adult sore throat eligible for Pharmacy First with every exclusion answered
  (no question left: the suggested route is shown at once);
- ``uti``: a woman of 34 with a UTI whose exclusions were not answered (four questions:
  pregnant, immunosuppressed, kidney signs, the catheter/recurrence checklist; "no" to all →
  Pharmacy First);
- ``fit_note``: an admin request for a new fit note (14 days off).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from ehub_tui.config import Settings
from ehub_tui.domain.models import NewConsultation
from ehub_tui.domain.nhs import make_test_nhs_number
from ehub_tui.practices import load_practices
from ehub_tui.service import HubService
from ehub_tui.ui.app import EhubApp, make_app
from tests.conftest import FIXTURES, REPO, FrozenClock

SOPS = REPO / "sops"
SIZE = (100, 30)


def _at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 23, hour, minute, tzinfo=UTC)


def _row(n: int, **fields: Any) -> NewConsultation:
    row: dict[str, Any] = {
        "source": "eConsult",
        "external_id": f"EC-UI-{n:04d}",
        "nhs_number": make_test_nhs_number(n),
        "supplier_flags": [],
        "priority": 0,
    }
    row.update(fields)
    return NewConsultation(**row)


CASES: dict[str, Callable[[], NewConsultation]] = {
    "headache": lambda: _row(
        1,
        practice_ods="Z99001",
        given_name="Maria",
        family_name="Lopez",
        date_of_birth=date(1971, 3, 14),
        sex="female",
        received_at=_at(9, 40),
        request_type="clinical",
        template="headache",
        answers={"duration_days": 0},
        free_text="Sudden worst headache of my life, started an hour ago while lifting boxes.",
    ),
    "throat": lambda: _row(
        2,
        practice_ods="Z99002",
        given_name="Sam",
        family_name="Okafor",
        date_of_birth=date(1994, 5, 2),
        sex="male",
        received_at=_at(8, 5),
        request_type="clinical",
        template="sore_throat",
        answers={
            "duration_days": 3,
            "fever": "no",
            "difficulty_swallowing": "no",
            "immunosuppressed": "no",
            "throat_airway_signs": "no",
            "throat_exclusions": "no",
        },
        free_text="Sore throat for three days, eating and drinking fine.",
    ),
    "uti": lambda: _row(
        3,
        practice_ods="Z99003",
        given_name="Jess",
        family_name="Turner",
        date_of_birth=date(1992, 6, 1),
        sex="female",
        received_at=_at(8, 20),
        request_type="clinical",
        template="uti",
        answers={"duration_days": 2, "fever": "no"},
        free_text="Stinging when I wee and going a lot since yesterday.",
    ),
    "fit_note": lambda: _row(
        4,
        practice_ods="Z99004",
        given_name="Dev",
        family_name="Patel",
        date_of_birth=date(1985, 8, 20),
        sex="male",
        received_at=_at(8, 45),
        request_type="admin",
        template="fit_note",
        answers={"fit_note_type": "new", "days_off": 14},
        free_text="Need a fit note for my back, off work for two weeks.",
    ),
    # issue 10: a UTI written in a generic template (the text proposes the UTI pathway) and an
    # amber flag (jaw pain on chewing at 72: giant cell arteritis → same-day clinician)
    "uti_generic": lambda: _row(
        5,
        practice_ods="Z99001",
        given_name="Amy",
        family_name="Clarke",
        date_of_birth=date(1996, 2, 11),
        sex="female",
        received_at=_at(8, 10),
        request_type="clinical",
        template="general_clinical",
        answers={},
        free_text="It stings when I wee and I keep needing to go, started yesterday.",
    ),
    "amber": lambda: _row(
        6,
        practice_ods="Z99002",
        given_name="Ron",
        family_name="Baxter",
        date_of_birth=date(1954, 9, 30),
        sex="male",
        received_at=_at(8, 15),
        request_type="clinical",
        template="general_clinical",
        answers={},
        free_text="New headache on one side and my jaw aches when I chew, scalp is tender.",
    ),
    # hostile text: markup, terminal control and bidi overrides from a supplier are only data
    "hostile": lambda: _row(
        7,
        practice_ods="Z99003",
        given_name="[bold]Eve[/]",
        family_name="\x1b]0;PWNED\x07Hart",
        date_of_birth=date(1980, 1, 1),
        sex="female",
        received_at=_at(8, 30),
        request_type="clinical",
        template="[/]odd[red]",
        answers={"note[/]": "\x1b[2J"},
        free_text="Rash on arm \x1b[31m[red]spreading[/]\u202e reversed \x9b2J end",
    ),
}
ALL = ("headache", "throat", "uti", "fit_note")


@functools.cache
def shipped_sops() -> Any:
    """The shipped SOP library, loaded (and its golden tests run) once per test session."""
    from ehub_tui.sop.library import SopLibrary

    lib = SopLibrary(SOPS)
    lib.reload()
    assert lib.engine is not None, lib.last_problem
    return lib


@dataclass
class Hub:
    """The test hub: services by user, and the stored item ids by case name."""

    url: str
    tmp: Path
    clock: FrozenClock
    ids: dict[str, int] = field(default_factory=dict)
    _made: list[HubService] = field(default_factory=list)

    def settings(self) -> Settings:
        return Settings(data_dir=self.tmp / "data", hub_url=self.url, sops_dir=SOPS)

    def service(self, user: str | None) -> HubService:
        """A new service instance (its own engine, like another running app)."""
        svc = HubService.open(self.settings(), user, clock=self.clock)
        svc.use_sop_library(shipped_sops())  # loaded and tested once
        self._made.append(svc)
        return svc

    def app(self, user: str = "nav1", fake: Callable[[HubService], Any] | None = None) -> EhubApp:
        """The navigator app for ``user`` on the frozen clock, polling every 0.2 s; ``fake``
        wraps the user's service (a tests.support.fakes.ServiceProxy) for the app to use."""
        service = self.service(user)
        app = make_app(
            fake(service) if fake else service,
            clock=self.clock,
            monotonic=self.clock.ticking,  # handling time follows the test's advances
            poll_interval=0.2,
        )
        app.animation_level = "none"
        return app

    def close(self) -> None:
        for svc in self._made:
            svc.close()


@pytest.fixture
def make_hub(sqlite_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Callable[..., Hub]]:
    """``make_hub("throat", "uti")``: a fresh hub holding those cases (ids in that order)."""
    hubs: list[Hub] = []

    def build(*cases: str) -> Hub:
        hub = Hub(sqlite_url, tmp_path, clock)
        hubs.append(hub)
        system = hub.service(None)
        system.import_practices(load_practices(FIXTURES / "practices.yaml"))
        system.add_user("nav1", "navigator", "Priya Shah")
        system.add_user("nav2", "navigator", "Tom Fletcher")
        system.add_user("sup1", "supervisor", "Grace O'Neill")
        if cases:
            created, _ = system.store_intake([CASES[c]() for c in cases])
            hub.ids = {cases[i]: cid for i, cid in created}
            system.prescreen()  # as `ehub-tui ingest` does: red flags raise the priority
        return hub

    yield build
    for hub in hubs:
        hub.close()


# -- driving the app --------------------------------------------------------------------------


async def settle(pilot: Pilot[Any], rounds: int = 2) -> None:
    """Let thread workers finish and their results reach the screen."""
    for _ in range(rounds):
        # a screen that closed cancels its own workers (e.g. the completion that closed it,
        # still handing back its result): that is the app working, not a failure
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def wait_until(
    pilot: Pilot[Any], check: Callable[[], bool], timeout: float = 3.0, what: str = ""
) -> float:
    """Pause until ``check()`` holds; returns the real seconds it took (fails on timeout)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        await pilot.pause(0.02)
    return time.monotonic() - start


async def steady_queue(pilot: Pilot[Any]) -> None:
    """Past the queue's first poll (which reloads the rows) and every fetch it started."""
    await pilot.pause(0.3)
    await settle(pilot)


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type text key by key into the focused input."""
    await pilot.press(*["space" if ch == " " else ch for ch in text])


def run(coro: Awaitable[None]) -> None:
    """Run one async test body (the suite has no asyncio plugin)."""
    asyncio.run(coro)  # type: ignore[arg-type]


def svg_text(svg: str) -> str:
    """The text of a Textual SVG screenshot, one line per terminal row."""
    rows: dict[float, list[str]] = {}
    for y, body in re.findall(r'<text [^>]*\by="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(y), []).append(html.unescape(body).replace("\xa0", " "))
    return "\n".join("".join(parts) for _, parts in sorted(rows.items()))


def screen_text(app: EhubApp) -> str:
    """What the terminal shows now, as text."""
    return svg_text(app.export_screenshot())
