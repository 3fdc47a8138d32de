"""A separate process that claims items until the queue is empty, logging each claim itself.

Usage: python -m tests.reliability.claim_worker HUB_URL USER LOG_FILE GO_FILE
The log is written (and flushed) after every claim, independent of the hub's own records.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ehub_tui.config import Settings
from ehub_tui.service import HubService


def main() -> int:
    url, user, log_path, go_file = sys.argv[1:5]
    settings = Settings(data_dir=Path(log_path).parent, hub_url=url)
    service = HubService.open(settings, user, migrate=False)
    deadline = time.monotonic() + 60
    while not os.path.exists(go_file):  # start together
        if time.monotonic() > deadline:
            return 3
        time.sleep(0.01)
    with open(log_path, "a", encoding="utf-8") as log:
        while True:
            claim = service.claim_next()
            if claim is None:
                break
            log.write(f"{claim.item_id} {claim.epoch}\n")
            log.flush()
    service.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
