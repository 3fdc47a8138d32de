"""The triage side of tmux trial 15b, without a screen or a hub: the key guard, the draft's
sends, what the screen says when the item is lost, answer words, the park toast and the
override's one-letter filters."""

from __future__ import annotations

from datetime import UTC, datetime

from ehub_tui.triage.draft import DraftSends, KeyGuard
from ehub_tui.triage.override import best_index, filter_options, no_match_words
from ehub_tui.ui.screens.park import parked_words
from ehub_tui.ui.screens.triage_view import choice_words
from ehub_tui.ui.screens.triage_work import lost_words
from tests.triage.conftest import NOW, Ticks, session


def test_the_guard_swallows_only_the_key_that_closed_the_dialog_and_says_why() -> None:
    ticks = Ticks()
    guard = KeyGuard(ticks)
    guard.arm("enter")  # a dialog confirmed with ⏎
    assert guard.too_soon("enter") and guard.too_soon()
    assert not guard.too_soon("e")  # another key is acted on
    assert guard.words("enter") == (
        "That ⏎ came straight after the dialog closed, so nothing was done — press ⏎ again to "
        "go ahead."
    )
    ticks.t += 0.41
    assert not guard.too_soon("enter")
    guard.arm("enter")
    guard.arm("escape")  # then a dialog cancelled (x → esc): nothing is swallowed
    assert not guard.too_soon("enter") and not guard.too_soon("e")
    guard.arm(None)  # a view that does not say which key closed it (h, ?)
    assert not guard.too_soon("enter")


def test_x_then_esc_then_e_escalates_at_once_on_an_emergency() -> None:
    s = session("headache", monotonic=Ticks())
    s.start(NOW)
    s.hidden(NOW)  # x: the dismiss dialog
    s.shown(NOW, "escape")  # cancelled with esc
    assert not s.keys.too_soon("e")
    s.hidden(NOW)  # e: the confirmation, confirmed with ⏎
    s.shown(NOW, "enter")
    assert s.keys.too_soon("enter") and not s.keys.too_soon("e")


def test_draft_sends_at_most_one_every_few_seconds_and_the_last_change_always() -> None:
    ticks = Ticks()
    sends = DraftSends(ticks, every=5.0)
    assert sends.take() == 0.0 and not sends.held  # the first change goes at once
    ticks.t += 1
    assert sends.take() == 4.0 and sends.held  # a burst: held back...
    ticks.t += 2
    assert sends.take() == 2.0 and sends.held
    ticks.t += 2
    assert sends.take() == 0.0 and not sends.held  # ...and sent when the wait is over


def test_the_lost_notice_says_truly_where_the_draft_is() -> None:
    hub_words = (
        "You no longer hold consultation 122: it is now held by nav2 (reassigned by a "
        "supervisor, or your lease ran out and they claimed it). Your draft is kept. Reason "
        "given: covering."
    )
    ticks = Ticks()
    sends = DraftSends(ticks)
    never = lost_words(hub_words, sends)
    assert "Your draft is kept" not in never
    assert never.endswith(
        "Reason given: covering. Your draft had not gone to the hub, so it could not go with "
        "the item."
    )
    sends.take()
    assert "Your draft had been sent to the hub, so the supervisor could send it on" in (
        lost_words(hub_words, sends)
    )
    # trial 15c: a note saved a moment before the reassign (its save still waiting a second)
    assert "Your last changes had not reached the hub" in lost_words(hub_words, sends, True)
    said = hub_words.replace("Your draft is kept.", "Your draft went with it to nav2.")
    assert lost_words(said, sends) == " ".join(said.split())  # the hub knows: its word stands
    assert lost_words(said, sends, True).endswith("did not go with it: pass them on yourself.")
    ticks.t += 1
    sends.take()  # a change held back when the item went
    assert "Your last changes had not reached the hub" in lost_words(hub_words, sends)
    assert "could not go with the item" in lost_words(hub_words, None)  # no outbox here


def test_answer_values_read_as_words() -> None:
    assert choice_words("not_sure") == "not sure"
    assert choice_words("yes") == "yes"
    assert choice_words(True) == "yes" and choice_words(False) == "no"


def test_the_park_toast_names_the_time_once() -> None:
    words = parked_words(41, datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    assert words == (
        "#41 parked awaiting the patient's reply; back by Mon 07 Dec 10:00 or when they reply."
    )


def test_one_letter_highlights_a_common_destination() -> None:
    options = session("throat").override_options()

    def best(query: str) -> str:
        shown = filter_options(options, query)
        return shown[best_index(shown, query)].label

    assert best("a") == "ANP minor illness hub · ANP minor illness team · today"
    assert best("g").startswith("GP routine ·")
    assert best("r").startswith("Repeat prescription (prescription clerk) ·")
    assert best("d").startswith("Duty clinician (same day) ·")
    assert best("anp") == best("a")
    assert filter_options(options, "flu") == []
    assert no_match_words(" flu ") == (
        "No route matches 'flu' — backspace to widen, esc to keep the suggested route."
    )


def test_the_last_return_in_words() -> None:
    from datetime import timedelta

    from ehub_tui.domain.awaiting import HistoryEntry
    from ehub_tui.ui.screens.triage_park import last_return_words

    def entry(action: str, actor: str, detail: str, at: datetime) -> HistoryEntry:
        return HistoryEntry(at=at, actor=actor, action=action, words="", detail=detail)

    released = entry("release", "nav1", "Reason: need senior look", NOW)
    claimed = entry("claim", "nav2", "", NOW + timedelta(minutes=5))
    assert last_return_words([released, claimed], NOW) == (
        "Returned by nav1 at 10:00: need senior look"
    )
    forced = entry("force_release", "sup1", "Reason: off sick", NOW + timedelta(days=1))
    assert last_return_words([released, forced], NOW + timedelta(days=2)) == (
        "Returned to the queue by sup1 on Tue 10:00: off sick"
    )
    assert last_return_words([claimed], NOW) is None


def test_a_draft_only_looked_at_has_no_work_to_send() -> None:
    from ehub_tui.triage.draft import Draft

    assert not Draft(first_viewed_at=NOW, seconds=12.0).has_work()
    assert Draft(note="rang").has_work() and Draft(answers={"fever": "no"}).has_work()
