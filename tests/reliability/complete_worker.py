"""A separate process that claims and completes items until the queue is empty, logging each
acknowledged outcome itself (written and fsynced only after ``complete`` returned).

Usage: python -m tests.reliability.complete_worker HUB_URL USER LOG_FILE [DRAIN_FLAG]
The test kills these with SIGKILL at any moment: whatever the log holds, the hub must hold.
With DRAIN_FLAG, an empty queue is waited out until that file exists (the test is still adding
work), so the workers cannot all finish before the test has killed them enough times.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ehub_tui.config import Settings
from ehub_tui.domain.models import Outcome
from ehub_tui.service import HubService, LostClaim


def main() -> int:
    url, user, log_path = sys.argv[1:4]
    drain = Path(sys.argv[4]) if len(sys.argv) > 4 else None
    settings = Settings(data_dir=Path(log_path).parent, hub_url=url)
    service = HubService.open(settings, user, migrate=False)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    while True:
        claim = service.claim_next()
        if claim is None:
            if drain is not None and not drain.exists():
                time.sleep(0.01)  # more work is coming; the test says when it is all in
                continue
            break
        outcome = Outcome(category="admin", route="kill9", destination="Fit note")
        try:
            outcome_id = service.complete(claim, outcome)
        except LostClaim:
            continue  # rescued meanwhile (never while we live: only after a kill)
        os.write(fd, f"{claim.item_id} {claim.epoch} {outcome_id}\n".encode())
        os.fsync(fd)
    os.close(fd)
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
