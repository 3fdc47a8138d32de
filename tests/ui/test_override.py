"""The override dialog (issue 15): type to filter, starts on the suggested route, grouped by
category, and any route of the shipped SOPs chosen in at most six keys from the triage screen
(o, the filter, ↑/↓, enter) — counted for every route, then pressed for real in the app."""

from __future__ import annotations

from collections.abc import Callable
from itertools import product
from typing import Any

from textual.pilot import Pilot

from ehub_tui.triage.override import (
    OverrideOption,
    best_index,
    choice_key,
    filter_options,
    start_index,
)
from ehub_tui.ui.screens.dialogs import ReasonDialog
from ehub_tui.ui.screens.override import OverrideDialog
from ehub_tui.ui.screens.triage import TriageScreen
from tests.ui.conftest import SIZE, Hub, run, settle, steady_queue, type_text, wait_until
from tests.ui.test_snapshots import next_item, still_app

MAX_KEYS = 6
Snap = Callable[..., bool]


def key_sequence(options: list[OverrideOption], target: OverrideOption, start: int) -> list[str]:
    """The fewest keys from the triage screen to choosing ``target``: o, a filter of at most
    four characters (word starts of the target, one or two words), arrows, enter."""
    at = options.index(target)
    best = ["o", *(["down"] * (at - start) if at >= start else ["up"] * (start - at)), "enter"]
    starts = {w[:n] for w in target.words for n in range(1, 5)}
    queries = starts | {f"{a} {b}" for a, b in product(starts, starts) if len(a) + len(b) < 4}
    for q in sorted(queries, key=len):
        if len(q) + 2 >= len(best):
            break
        shown = filter_options(options, q)
        if target in shown:
            # the highlight starts on the best match (best_index), not always the first
            i, on = shown.index(target), best_index(shown, q)
            moves = ["down"] * (i - on) if i >= on else ["up"] * (on - i)
            keys = ["o", *q, *moves, "enter"]
            if len(keys) < len(best):
                best = keys
    return best


def route_keys(screen: TriageScreen) -> dict[str, tuple[OverrideOption, list[str]]]:
    """For every route of the SOPs in use: its option and the keys that choose it."""
    session = screen.session
    options = session.override_options()
    start = start_index(options, session.decision.route if session.decision else None)
    by_key = {o.key: o for o in options}
    out = {}
    for route in session.all_routes():
        target = by_key[choice_key(route)]
        out[route.id] = (target, key_sequence(options, target, start))
    return out


def test_every_shipped_route_is_chosen_in_six_keys_or_fewer(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("throat")
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TriageScreen) and screen.step == "route"
            keys = route_keys(screen)
            assert len(keys) > 100  # every route of the five shipped SOPs
            worst = max(len(k) for _, k in keys.values())
            too_many = {rid: k for rid, (_, k) in keys.items() if len(k) > MAX_KEYS}
            assert not too_many, too_many
            # and pressed for real, for the longest sequences and the first choice of each
            # category (each press waits for the app, ~0.1 s: all 46 would take a minute)
            chosen = {o.value: (o, k) for o, k in keys.values()}
            firsts = {o.category: o.value for o, _ in reversed(list(chosen.values()))}
            longest = sorted(chosen, key=lambda v: -len(chosen[v][1]))[:6]
            pressed = [ok for v, ok in chosen.items() if v in longest or v in firsts.values()]
            assert len(pressed) >= 8
            for option, sequence in pressed:
                await pilot.press(*["space" if k == " " else k for k in sequence])
                await wait_until(
                    pilot, lambda: isinstance(app.screen, ReasonDialog), what=str(sequence)
                )
                await pilot.press("r", "enter")  # the reason ("r"), not counted
                await wait_until(pilot, lambda: app.screen is screen, what="back on triage")
                assert screen.draft.override == (option.value, "r"), sequence
            assert worst <= MAX_KEYS

    run(body())


def test_the_dialog_starts_on_the_suggested_route(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub("throat")
    app = hub.app()

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            await pilot.pause(0.45)
            await pilot.press("o")
            await wait_until(pilot, lambda: isinstance(app.screen, OverrideDialog), what="dialog")
            dialog = app.screen
            assert isinstance(dialog, OverrideDialog)
            await settle(pilot)
            from textual.widgets import OptionList

            routes = dialog.query_one("#routes", OptionList)
            assert routes.highlighted is not None
            highlighted = routes.get_option_at_index(routes.highlighted)
            assert highlighted.id == "pf_sore_throat"  # the suggested route, ready for enter
            await pilot.press("z", "z", "z")  # nothing matches: enter chooses nothing
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is dialog
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, TriageScreen) and app.screen.draft.override is None

    run(body())


def test_snapshot_override_filter(make_hub: Callable[..., Hub], snap_compare: Snap) -> None:
    hub = make_hub("throat")
    app = still_app(hub)

    async def before(pilot: Pilot[Any]) -> None:
        await next_item(pilot)
        await pilot.press("o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, OverrideDialog), what="o")
        await type_text(pilot, "gp")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, OverrideDialog)
        assert {o.category for o in dialog.shown} >= {"clinical", "admin"}

    assert snap_compare(app, terminal_size=SIZE, run_before=before)


def test_a_common_reason_is_one_digit(make_hub: Callable[..., Hub]) -> None:
    """The reason after an override: 1-4 pick the common ones while nothing is typed; a typed
    reason starting with a digit is still the navigator's own words."""
    from ehub_tui.ui.screens.override import OVERRIDE_REASONS

    hub = make_hub("throat")
    app = hub.app()
    got: list[str | None] = []

    async def body() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await steady_queue(pilot)
            await pilot.press("n")
            await wait_until(pilot, lambda: isinstance(app.screen, TriageScreen), what="triage")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TriageScreen)
            await pilot.pause(0.45)
            await pilot.press("o", "a", "n", "p", "enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ReasonDialog), what="reason")
            await pilot.press("1")
            await wait_until(pilot, lambda: app.screen is screen, what="back on triage")
            assert screen.draft.override is not None
            assert screen.draft.override[1] == OVERRIDE_REASONS[0] == "clinical judgement"
            # a typed reason that contains digits is the navigator's own words
            await app.push_screen(ReasonDialog("Why?", quick=OVERRIDE_REASONS), got.append)
            await settle(pilot)
            await pilot.press("x", "2", "enter")
            await wait_until(pilot, lambda: bool(got), what="typed")
            assert got == ["x2"]

    run(body())
