"""The Capacity view (issue 17): how many navigators each hour of the coming week needs to meet
the response standard, from the hub's own history, and the rota checked against it.

Opened from the reports screen (c), so only supervisors and managers reach it (the hub refuses
the history to anyone else as well). Making the plan takes seconds, so it runs in the screen's
one ``Poller`` worker, on opening and on r only (never on a timer): the hub's history through the
client service, the rota named by the ``capacity_rota_file`` setting (a relative name is in the
settings folder), then ``capacity.plan.build_plan``; its stages are shown as they pass, and keys
work all along. A rota that cannot be read is said in a sentence naming the file and line, and
the need is still shown. Everything from data (names, notes, messages) is ``Text`` made visible
(``ui.format.literal``), never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, ScrollableContainer
from textual.message import Message
from textual.widgets import Footer, ProgressBar, Static

from ehub_tui.ui.context import EhubScreen, UiContext
from ehub_tui.ui.format import literal, visible_text
from ehub_tui.ui.poller import Poller
from ehub_tui.ui.screens.capacity_words import (
    days_table,
    demand_lines,
    erlang_lines,
    need_lines,
    notes_lines,
    status_parts,
)
from ehub_tui.ui.screens.report_view import Parts
from ehub_tui.ui.widgets.capacity_heatmap import MARK_OVER, MARK_UNDER, CapacityHeatmap

if TYPE_CHECKING:
    from collections.abc import Hashable
    from pathlib import Path

    from ehub_tui.domain.capacity import CapacityPlan

INTRO = (
    "How many navigators each hour of the coming week needs so that the share of requests you "
    "aim for (the capacity_share setting, 95% unless changed) is handled within the response "
    "standard: urgent ones the same day, the rest by the end of the next working day. It is "
    "worked out from this hub's own history (the last capacity_weeks weeks: when requests "
    "arrived and how long navigators spent on each), by forecasting the week's arrivals and "
    "simulating the queue hour by hour with the real due times.\n\n"
    "The heat map has a row per day and a column per opening hour (UK time). Each cell is the "
    "fewest navigators that hour needs; darker means more. · is a closed hour. When the "
    "capacity_rota_file setting names a rota, a cell reads need/rota (3/2: 3 needed, 2 on the "
    f"rota), {MARK_UNDER} marks an hour with fewer on the rota than needed and {MARK_OVER} one "
    "with more than needed; the marks say it without colour.\n\n"
    "Below the map: the arrivals forecast and how far off it was when tried on past weeks "
    '(beside the simple guess "same hour last week"), handling times, the share of requests '
    "met by the need and by the rota, each day's outlook (arrivals, completed, waiting at "
    "close, breaches), Erlang C (the textbook queue formula) beside the busiest hours, and the "
    "plan's limits.\n\n"
    "The plan takes a few seconds and is made when the view opens; r makes it again (after "
    "changing the rota file, say). To try a what-if, such as two off sick on Monday, run "
    "`ehub-tui capacity --rota FILE --off mon=2` in a terminal."
)


# build_plan's stages in words (a stage it adds later shows as its own name)
STAGES = {
    "demand": "Counting past arrivals…",
    "forecast": "Forecasting…",
    "handling": "Reading handling times…",
    "need": "Simulating the queue…",
    "erlang": "Checking with Erlang C…",
    "rota": "Checking the rota…",
    "outlook": "Simulating each day…",
    "done": "Done",
}


@dataclass(frozen=True)
class Computed:
    """What one run of the worker made: the plan, and the rota's problem if it was not used."""

    plan: CapacityPlan
    rota_file: Path | None
    rota_problem: str | None


class CapacityProgress(Message):
    """The worker passed a stage of the plan (posted from its thread)."""

    def __init__(self, stage: str, fraction: float) -> None:
        super().__init__()
        self.stage = stage
        self.fraction = fraction


def rota_path(setting: Path) -> Path:
    """Where the rota setting points (a relative name is in the settings folder)."""
    from ehub_tui.ingest.qmap import mapping_path  # the same rule as the mapping file's

    return mapping_path(setting)


class CapacityScreen(EhubScreen[None]):
    """The heat map of need by hour of the planned week, with the figures behind it."""

    BINDINGS = [
        Binding("r", "refresh", "Recompute", id="refresh"),
        Binding("escape,q", "back", "Back", id="back"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
    ]

    def __init__(self, ctx: UiContext | None = None) -> None:
        super().__init__(ctx)
        self.computed: Computed | None = None
        self.made = 0  # plans shown since the view opened
        self.error: str | None = None
        self.stage: str | None = None  # what the worker is doing now (None: idle)
        self._posted: tuple[str, int] | None = None  # the last progress posted (thinned out)
        self.poller: Poller[Computed] = Poller(
            self, self._compute, shown=self._computed, failed=self._failed, group="capacity"
        )

    @property
    def plan(self) -> CapacityPlan | None:
        """The plan shown (None until the first is made)."""
        return None if self.computed is None else self.computed.plan

    def compose(self) -> ComposeResult:
        yield Static(
            visible_text(self.ctx.title_line() + " · capacity", multiline=False), id="topbar"
        )
        yield self.sync_line()
        yield Static("", id="capacity-status")
        with Horizontal(id="capacity-progress"):
            yield Static("", id="capacity-stage")
            yield ProgressBar(total=100, show_eta=False, id="capacity-bar")
        yield Static("", id="capacity-error")
        yield Static("", id="capacity-rota-error")
        with ScrollableContainer(id="capacity-body"):
            yield Static("", id="capacity-map-title", classes="capacity-title")
            yield CapacityHeatmap(id="capacity-heatmap")
            for part in ("demand", "need", "days", "erlang", "notes"):
                yield Static("", id=f"capacity-{part}-title", classes="capacity-title")
                yield Static("", id=f"capacity-{part}")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#capacity-error").display = False
        self.query_one("#capacity-rota-error").display = False
        self.query_one("#capacity-body").focus()
        self._compute_now()

    # -- computing (in the poller's worker) -------------------------------------------------------

    def _compute_now(self) -> None:
        self._set_stage("Starting…", 0.0)
        self.poller.request()

    def _progress(self, stage: str, fraction: float) -> None:
        """build_plan's progress, on the worker's thread: posted to the screen, thinned out to
        a new stage or another 2% (a message per simulated run would flood the UI)."""
        step = (stage, int(max(0.0, min(1.0, fraction)) * 50))
        if step != self._posted:
            self._posted = step
            self.post_message(CapacityProgress(stage, fraction))

    def _compute(self, key: Hashable) -> Computed:
        """Read the history and the rota and make the plan (in the worker: I/O and seconds of
        simulation, never on the UI thread)."""
        from ehub_tui.capacity.plan import build_plan
        from ehub_tui.capacity.rota import load_rota
        from ehub_tui.errors import RotaError

        settings = self.ctx.settings
        self._posted = None
        self._progress("Reading the hub's history…", 0.0)
        history = self.ctx.service.capacity_history(settings.capacity_weeks)
        rota, path, problem = None, None, None
        if settings.capacity_rota_file is not None:
            path = rota_path(settings.capacity_rota_file)
            self._progress("Reading the rota…", 0.0)
            try:
                rota = load_rota(path)
            except RotaError as exc:  # said on the screen; the need is still worth showing
                problem = str(exc).strip() or f"{path} could not be used"
        plan = build_plan(
            history, rota=rota, share=settings.capacity_share, progress=self._progress
        )
        return Computed(plan, path, problem)

    def on_capacity_progress(self, message: CapacityProgress) -> None:
        if self.poller.fetching:  # a late one after the plan arrived changes nothing
            stage = STAGES.get(message.stage, message.stage)
            self._set_stage(stage, message.fraction)

    def _set_stage(self, stage: str | None, fraction: float = 0.0) -> None:
        self.stage = stage
        row = self.query_one("#capacity-progress")
        row.display = stage is not None
        if stage is not None:
            again = " (the plan below is the last one made)" if self.plan is not None else ""
            self.query_one("#capacity-stage", Static).update(literal(stage + again))
            self.query_one("#capacity-bar", ProgressBar).update(progress=round(fraction * 100))
        self._show_status()

    # -- showing ----------------------------------------------------------------------------------

    def _computed(self, computed: Computed) -> float | None:
        self.computed = computed
        self.made += 1
        self.error = None
        self.query_one("#capacity-error").display = False
        problem = self.query_one("#capacity-rota-error", Static)
        problem.display = computed.rota_problem is not None
        if computed.rota_problem is not None:
            # the message names the file and line: the file's own words are data, never markup
            problem.update(
                literal(
                    f"Rota not used: {computed.rota_problem.rstrip('.')}\nThe need is shown "
                    "without a rota; fix the file and press r.",
                    multiline=True,
                )
            )
        with self.app.batch_update():
            self._set_stage(None)
            self._show(computed.plan)
        return None  # made again only when asked (r): it takes seconds

    def _failed(self, exc: Exception) -> float | None:
        lines = str(exc).strip().splitlines()
        message = lines[0] if lines else type(exc).__name__
        self.error = message
        error = self.query_one("#capacity-error", Static)
        what = "Plan not updated" if self.plan is not None else "No plan"
        error.update(literal(f"{what}: {message.rstrip('.')}. Press r to try again."))
        error.display = True
        self._set_stage(None)
        return None

    def _show_status(self) -> None:
        plan = self.plan
        if plan is None:
            words = "making the plan…" if self.stage is not None else "no plan"
            parts = [Text("Capacity plan", style="bold"), Text(words, style="dim")]
        else:
            parts = status_parts(plan)
        self.query_one("#capacity-status", Static).update(Parts(parts))

    def _show(self, plan: CapacityPlan) -> None:
        self._show_status()
        rota = f" against the rota {plan.rota_name!r}" if plan.rota_name else ""
        titles = {
            "map": f"Navigators needed by hour (UK time){rota}",
            "demand": "Demand and handling time",
            "need": "Need and rota",
            "days": "Each day of the week"
            + (" if the rota runs as planned" if plan.rota_name else " with the need on duty"),
            "erlang": "Busiest hours: the simulation beside Erlang C",
            "notes": "Limits of this plan",
        }
        for part, title in titles.items():
            # a rota's name is the file's data: Text, never markup
            self.query_one(f"#capacity-{part}-title", Static).update(literal(title))
        self.query_one(CapacityHeatmap).show(plan)
        self.query_one("#capacity-demand", Static).update(demand_lines(plan))
        self.query_one("#capacity-need", Static).update(need_lines(plan))
        self.query_one("#capacity-days", Static).update(days_table(plan))
        self.query_one("#capacity-erlang", Static).update(erlang_lines(plan))
        self.query_one("#capacity-notes", Static).update(notes_lines(plan))

    # -- actions ----------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self._compute_now()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_help(self) -> None:
        from ehub_tui.ui.screens.help import HelpScreen

        self.app.push_screen(
            HelpScreen(
                self,
                "Capacity",
                intro=INTRO,
                extra=[
                    ("↑ ↓ pgup pgdn home end", "scroll the heat map and the figures"),
                    ("← →", "scroll sideways in a narrow window"),
                ],
            )
        )
