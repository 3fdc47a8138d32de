"""The queue window's kept size and sort keys (service/views.py) are keyed by the audit head's
hash as well as its number: an older backup restored under a running hub server, then written
to, may reach the same number with other contents, and must not be answered from the keys kept
for the first (issue 18 review)."""

from __future__ import annotations

from sqlalchemy import text

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from tests.support.factories import oc_row


def test_same_head_number_other_hash_is_read_again(seeded: HubService) -> None:
    seeded.store_intake([oc_row(i) for i in range(1, 31)])
    _, total = seeded.queue_page("queue", QueueFilter(), 0, 10)
    assert total == 30
    with seeded.engine.begin() as conn:
        seq, old = conn.execute(text("SELECT seq, hash FROM audit_head WHERE id = 1")).one()
    # as a restore of an older copy followed by other writes would leave it: other items under
    # the same head number (the chain's hash differs)
    seeded.store_intake([oc_row(i) for i in range(31, 41)])
    with seeded.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
            {"s": seq, "h": "f" * len(old)},
        )
    _, again = seeded.queue_page("queue", QueueFilter(), 0, 10)
    assert again == 40
