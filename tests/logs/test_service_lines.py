"""The app's log says who claimed, returned and completed which item — ids, epochs and the
category only, never the patient or the free text of an outcome."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ehub_tui.domain.models import Outcome
from ehub_tui.logs import configure_logging
from ehub_tui.service import HubService
from tests.support.factories import oc_row


def test_queue_work_is_logged_without_identifiers(
    seeded: HubService, make_service: Callable[..., HubService], tmp_path: Path
) -> None:
    log_file = configure_logging("app", directory=tmp_path / "logs")
    assert log_file is not None
    item = oc_row(1, given_name="Zebedee", family_name="Quixote", free_text="my rash is worse")
    (created,), _ = seeded.store_intake([item])
    nav = make_service("nav1")
    claim = nav.claim(created[1])
    nav.release(claim, "the patient called back: Zebedee Quixote will phone")
    claim = nav.claim(created[1])  # (n leaves what nav1 just returned for others: trial 15b)
    nav.complete(
        claim,
        Outcome(category="signpost", route="self_care", note="told Zebedee to rest", message="Hi"),
    )
    text = log_file.read_text(encoding="utf-8")
    assert f"nav1 claimed item {created[1]} (epoch" in text
    assert f"nav1 returned item {created[1]} to the queue" in text
    assert f"nav1 completed item {claim.item_id} (signpost)" in text
    for secret in ("Zebedee", "Quixote", "rash", item.nhs_number, "phone", "rest"):
        assert secret not in text, secret
