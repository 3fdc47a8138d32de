"""docs/returns.md names every metric the return can write with the shipped SOP set."""

from __future__ import annotations

import re
from pathlib import Path

from ehub_tui.export import metrics as M
from ehub_tui.sop.loader import load_set

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "returns.md").read_text(encoding="utf-8")


def _documented(metric: str) -> bool:
    """Named in full, or as ``…_SUFFIX`` after its family's first full name."""
    if re.search(rf"`{metric}`", DOC):
        return True
    for prefix in (M.DESTINATION_PREFIX, "PHARMACY_FIRST_", "MINUTES_TO_FIRST_ACTION_"):
        if metric.startswith(prefix) and f"`…_{metric[len(prefix) :]}`" in DOC:
            return True
    return metric.startswith("MINUTES_TO_") and f"`{metric.rsplit('_', 1)[0]}_MEDIAN`" in DOC


def test_every_fixed_metric_is_documented() -> None:
    missing = [m for m in M.practice_metrics([]) if not _documented(m)]
    assert not missing
    for column in M.COLUMNS:
        assert f"`{column}`" in DOC


def test_every_destination_metric_is_documented() -> None:
    """One metric per destination code; SOP routes can name no other (the loader checks)."""
    from ehub_tui.domain.destinations import DESTINATION_CODES

    sops = load_set([REPO / "sops"])
    used = {r.spec.destination_code for s in sops.sops for r in s.routes}
    assert len(used) > 20 and used <= set(DESTINATION_CODES)
    metrics = {M.destination_metric(c) for c in DESTINATION_CODES}
    missing = sorted(m for m in metrics if not _documented(m))
    assert not missing, f"add these to docs/returns.md: {missing}"
    # the doc's list is exactly the vocabulary
    block = DOC.split("destination metrics are:", 1)[1].split("(A test checks", 1)[0]
    listed = {m.lstrip("…_") for m in re.findall(r"`([^`]+)`", block)}
    listed = {m.removeprefix(M.DESTINATION_PREFIX) for m in listed}
    assert listed == set(DESTINATION_CODES)
