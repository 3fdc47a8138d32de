"""Where a triage session's SOP guidance comes from.

A session asks four things of the SOPs: a decision for the item and answers so far, every route
it may be overridden to, a message template by name, and what is wrong when none are loaded. The
``Guidance`` protocol names exactly those, so a session is tested against a real SOP library
without a hub (``LibraryGuidance``) and runs in the app against the service (``ServiceGuidance``).

``ServiceGuidance`` is a pass-through to the service's own ``decide``, ``routes``,
``message_template`` and ``guidance_state``: nothing here reaches into the SOP engine's insides
but ``LibraryGuidance``, which is for tests and tools that hold a library themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from ehub_tui.domain.clock import DEFAULT_CORE_HOURS, CoreHours

# What a navigator is told when no SOP guidance is in use: never the loader's own words (a file,
# a line, YAML), which are for the SOP author (their screen and ``sops validate`` show them).
GUIDANCE_UNAVAILABLE = "Guidance unavailable — tell your SOP author."


def for_navigator(problem: str | None) -> str:
    """What a navigator is shown for a guidance problem (``problem`` is for SOP authors)."""
    return GUIDANCE_UNAVAILABLE


def incomplete_for_navigator(unloaded: Sequence[Unloaded]) -> str | None:
    """What a navigator is told when a published SOP is not in use at its newest version
    (trial 15d): "Guidance incomplete — the <title> SOP could not be loaded; its routes are not
    offered. Tell your SOP author.", or which earlier version stands in (sop/incomplete.py
    holds the words; None when every SOP is in use)."""
    from ehub_tui.sop.incomplete import warning_words

    return warning_words(unloaded) or None


# A newer SOP version that did not load on this workstation: the one in use stays.
CHANGE_NOT_TAKEN = (
    "Updated SOPs could not be used here; the SOPs in use stay. Tell your SOP author."
)


def shown_to(problem: str | None, author: bool, *, kept: bool = False) -> str | None:
    """``problem`` as a user sees it: the loader's words for a SOP author; for anyone else the
    plain sentence (``kept``: the SOPs already in use stay)."""
    if problem is None or author:
        return problem
    return CHANGE_NOT_TAKEN if kept else GUIDANCE_UNAVAILABLE


if TYPE_CHECKING:
    from ehub_tui.client.service import ClientService
    from ehub_tui.domain.models import Consultation
    from ehub_tui.service import HubService
    from ehub_tui.sop.decision import Decision
    from ehub_tui.sop.engine import Engine
    from ehub_tui.sop.incomplete import Unloaded
    from ehub_tui.sop.library import SopLibrary
    from ehub_tui.sop.models import Route


class Guidance(Protocol):
    """What a triage session needs from the SOPs in use."""

    def decide(
        self,
        item: Consultation,
        answers: Mapping[str, Any],
        *,
        dismissed: Sequence[str] = (),
        pathway: str | None = None,
    ) -> Decision | None:
        """The decision for ``item`` with these answers (None: no SOPs are in use)."""
        ...

    def routes(self) -> list[Route]:
        """Every route of every SOP in use (what an override may choose)."""
        ...

    def message_template(self, name: str) -> str | None:
        """The patient-message template called ``name``, if an SOP in use has one."""
        ...

    @property
    def problem(self) -> str | None:
        """Why guidance is missing or partial (None when all is well)."""
        ...

    @property
    def version(self) -> object:
        """Changes whenever another set of SOPs comes into use (a session then decides again)."""
        ...


def _routes(engine: Engine | None) -> list[Route]:
    if engine is None:
        return []
    return [r.spec for s in engine.sops for r in s.routes]


def _template(engine: Engine | None, name: str) -> str | None:
    if engine is None:
        return None
    return next((s.messages[name] for s in engine.sops if name in s.messages), None)


class LibraryGuidance:
    """Guidance straight from a loaded ``SopLibrary`` (tests, tools).

    ``now`` (the hub's clock) and ``hours`` (its core hours) are what a patient message's
    ``{timescale}`` is read on (sop/messages.py): without ``now`` only ``today``'s date is."""

    def __init__(
        self,
        library: SopLibrary,
        today: Callable[[], date],
        *,
        now: Callable[[], datetime] | None = None,
        hours: CoreHours = DEFAULT_CORE_HOURS,
    ) -> None:
        self.library = library
        self.today = today
        self.now = now
        self.hours = hours

    def decide(
        self,
        item: Consultation,
        answers: Mapping[str, Any],
        *,
        dismissed: Sequence[str] = (),
        pathway: str | None = None,
    ) -> Decision | None:
        engine = self.library.engine
        if engine is None:
            return None
        return engine.evaluate(
            item.model_dump(), answers, self.today(), dismissed=dismissed, pathway=pathway
        )

    def routes(self) -> list[Route]:
        return _routes(self.library.engine)

    def message_template(self, name: str) -> str | None:
        return _template(self.library.engine, name)

    @property
    def engine(self) -> Engine | None:
        """The engine in use (an override evaluates the rules sending where it goes)."""
        return self.library.engine

    @property
    def problem(self) -> str | None:
        return self.library.last_problem

    @property
    def version(self) -> object:
        return self.library.engine


class ServiceGuidance:
    """Guidance through the hub service.

    For use once the service's SOPs are loaded (the app loads them in a worker with
    ``guidance_state()`` and opens a triage screen only when they are ready): the first ask
    loads them, which takes about a second. ``now`` and ``hours`` as for ``LibraryGuidance``
    (``hours`` defaults to the service's settings' core hours)."""

    def __init__(
        self,
        service: HubService | ClientService,
        today: Callable[[], date] = date.today,
        *,
        now: Callable[[], datetime] | None = None,
        hours: CoreHours | None = None,
    ) -> None:
        self.service = service
        self.today = today
        self.now = now
        settings = getattr(service, "settings", None)
        if hours is None and settings is not None:
            hours = CoreHours(
                start=settings.core_hours_start,
                end=settings.core_hours_end,
                extra_closed_days=frozenset(getattr(settings, "closed_days", ())),
            )
        self.hours = hours or DEFAULT_CORE_HOURS

    def decide(
        self,
        item: Consultation,
        answers: Mapping[str, Any],
        *,
        dismissed: Sequence[str] = (),
        pathway: str | None = None,
    ) -> Decision | None:
        return self.service.decide(item, answers, dismissed=dismissed, pathway=pathway)

    def routes(self) -> list[Route]:
        return self.service.routes()

    def message_template(self, name: str) -> str | None:
        return self.service.message_template(name)

    @property
    def engine(self) -> Engine | None:
        """The engine in use (an override evaluates the rules sending where it goes): the
        service's guidance state's version is its engine (service/guidance.py, client/sops.py);
        anything else, and no rule is claimed to match."""
        from ehub_tui.sop.engine import Engine

        version = self.service.guidance_state().version
        return version if isinstance(version, Engine) else None

    @property
    def problem(self) -> str | None:
        return self.service.guidance_state().problem

    @property
    def version(self) -> object:
        return self.service.guidance_state().version
