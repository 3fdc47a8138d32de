"""Erlang C against hand-computed textbook values."""

from __future__ import annotations

import itertools
import math

import pytest

from ehub_tui.capacity.erlang import (
    UnstableQueue,
    erlang_b,
    erlang_c,
    fewest_servers,
    mean_wait,
    service_level,
)


def test_textbook_two_servers_unit_load() -> None:
    # λ = 10/h, mean handling 6 min (μ = 10/h): a = 1. By hand: B(1) = 1/2, B(2) = 0.5/2.5 = 0.2,
    # C = 2·0.2 / (2 - 1·0.8) = 1/3; W_q = (1/3) / (20 - 10) h = 2 minutes.
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert mean_wait(2, 10.0, 10.0) * 60 == pytest.approx(2.0)
    # P(wait <= 3 min) = 1 - (1/3)·exp(-10·0.05)
    assert service_level(2, 10.0, 10.0, 0.05) == pytest.approx(1 - math.exp(-0.5) / 3)


def test_textbook_three_servers_load_two() -> None:
    # By hand: B(3) = 4/19, C = 3·(4/19) / (3 - 2·15/19) = 4/9
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)


def test_single_server_is_utilisation() -> None:
    # M/M/1: the probability of waiting is ρ
    assert erlang_c(1, 0.7) == pytest.approx(0.7)


def test_monotonic_in_servers() -> None:
    waits = [erlang_c(c, 7.5) for c in range(8, 30)]
    assert all(a > b for a, b in itertools.pairwise(waits))
    levels = [service_level(c, 30.0, 4.0, 0.1) for c in range(8, 30)]
    assert all(a < b for a, b in itertools.pairwise(levels))


def test_large_system_does_not_overflow() -> None:
    # 171! overflows a float; the recurrence does not care
    value = erlang_c(500, 480.0)
    assert 0.0 < value < 1.0


@pytest.mark.parametrize("servers", [1, 2, 3])
def test_unstable_refused(servers: int) -> None:
    with pytest.raises(UnstableQueue, match="without end"):
        erlang_c(servers, 3.0)


def test_fewest_servers_meets_share_and_one_fewer_does_not() -> None:
    c = fewest_servers(30.0, 4.0, 20 / 60, 0.95)
    assert service_level(c, 30.0, 4.0, 20 / 60) >= 0.95
    # one fewer is either unstable (a = 7.5) or short of the share
    assert c - 1 <= 7.5 or service_level(c - 1, 30.0, 4.0, 20 / 60) < 0.95
    assert fewest_servers(0.0, 4.0, 1.0, 0.95) == 0
    # two servers, a = 1: C = 1/3 already leaves 2/3 waiting nothing, and one server is unstable
    assert fewest_servers(10.0, 10.0, 0.0, 0.6) == 2


def test_bad_input_is_a_sentence() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        fewest_servers(1.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="service rate"):
        mean_wait(2, 1.0, 0.0)
