"""Handling times: resampled from the hub's own samples, with fallbacks said out loud."""

from __future__ import annotations

import random

import pytest

from ehub_tui.capacity.work import DEFAULT_SECONDS, MIN_SAMPLES, HandlingModel
from ehub_tui.domain.capacity import HistoryHandling


def sample(kind: str, category: str, seconds: float, priority: int = 0) -> HistoryHandling:
    return HistoryHandling(request_type=kind, category=category, priority=priority, seconds=seconds)


def test_draws_stay_within_the_types_samples_and_fall_back_to_the_pool() -> None:
    model = HandlingModel.from_samples(
        [sample("clinical", "clinical", s) for s in (300.0, 420.0, 510.0)]
        + [sample("admin", "admin", s) for s in (60.0, 90.0)]
    )
    rng = random.Random(1)
    assert not model.defaulted
    assert {model.draw(rng, 0, "clinical") for _ in range(200)} == {300.0, 420.0, 510.0}
    assert {model.draw(rng, 1, "admin") for _ in range(200)} == {60.0, 90.0}
    # a type with no samples of its own is drawn from every sample
    assert {model.draw(rng, 0, "other") for _ in range(500)} == {300.0, 420.0, 510.0, 60.0, 90.0}
    assert model.mean_seconds("admin") == 75.0
    assert model.mean_seconds() == pytest.approx(276.0)
    assert model.mean_seconds("other") == pytest.approx(276.0)


def test_priority_pool_only_with_enough_samples() -> None:
    few_urgent = [sample("clinical", "escalate", 900.0, 1)] * (MIN_SAMPLES - 1)
    normal = [sample("clinical", "clinical", 300.0)] * 50
    model = HandlingModel.from_samples(normal + few_urgent)
    assert set(model.pool(1, "clinical")) == {300.0, 900.0}
    model = HandlingModel.from_samples([*normal, *few_urgent, few_urgent[0]])
    assert set(model.pool(1, "clinical")) == {900.0}


def test_no_samples_uses_the_documented_default_and_says_so() -> None:
    model = HandlingModel.from_samples([])
    assert model.defaulted
    assert model.mean_seconds() == DEFAULT_SECONDS
    assert model.summaries() == []
    rng = random.Random(2)
    draws = [model.draw(rng, 0, "clinical") for _ in range(4000)]
    assert sum(draws) / len(draws) == pytest.approx(DEFAULT_SECONDS, rel=0.08)


def test_summaries_per_type_and_category_then_all() -> None:
    model = HandlingModel.from_samples(
        [sample("clinical", "clinical", float(s)) for s in range(100, 1100, 100)]
        + [sample("admin", "signpost", 50.0)]
    )
    rows = {(r.request_type, r.category): r for r in model.summaries()}
    assert list(rows) == [("admin", "signpost"), ("clinical", "clinical"), ("all", "all")]
    clinical = rows[("clinical", "clinical")]
    assert (clinical.count, clinical.mean_seconds, clinical.median_seconds) == (10, 550.0, 550.0)
    assert clinical.p90_seconds == pytest.approx(910.0)
    assert rows[("admin", "signpost")].p90_seconds == 50.0
    assert rows[("all", "all")].count == 11
