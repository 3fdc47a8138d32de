"""Erlang C: the textbook M/M/c queue, shown beside the simulation as a check for busy hours.

Rates share one time unit chosen by the caller (e.g. per hour, with ``t`` in hours). Offered load
is ``a = λ/μ``; with ``c`` servers the queue is stable only when ``a < c``.
"""

from __future__ import annotations

import math


class UnstableQueue(ValueError):
    """The offered load is at or above the number of servers: the queue grows without end."""


def _check_rates(arrival_rate: float, service_rate: float) -> None:
    if not (arrival_rate >= 0 and math.isfinite(arrival_rate)):
        raise ValueError(f"the arrival rate must be a number >= 0, not {arrival_rate!r}")
    if not (service_rate > 0 and math.isfinite(service_rate)):
        raise ValueError(f"the service rate must be a number > 0, not {service_rate!r}")


def erlang_b(servers: int, load: float) -> float:
    """Erlang B (blocking probability) for ``servers`` and offered load ``load``.

    Uses the recurrence B(k) = a·B(k-1) / (k + a·B(k-1)), which never forms a factorial or a
    power of ``a``, so it stays exact-ish and finite for hundreds of servers.
    """
    if servers < 0:
        raise ValueError(f"the number of servers must be >= 0, not {servers}")
    if load < 0:
        raise ValueError(f"the offered load must be >= 0, not {load}")
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits (Erlang C) with ``servers`` and offered load ``load``.

    Raises UnstableQueue when ``load >= servers`` (every arrival would eventually wait forever).
    """
    if servers < 1:
        raise ValueError(f"the number of servers must be >= 1, not {servers}")
    if load >= servers:
        raise UnstableQueue(
            f"offered load {load:g} is not below {servers} servers: "
            "the queue would grow without end"
        )
    b = erlang_b(servers, load)
    # C from B: C = c·B / (c - a·(1 - B)); the denominator is > 0 because a < c
    return servers * b / (servers - load * (1.0 - b))


def mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean wait in the queue W_q = C / (cμ - λ), in the rates' time unit."""
    _check_rates(arrival_rate, service_rate)
    c = erlang_c(servers, arrival_rate / service_rate)
    return c / (servers * service_rate - arrival_rate)


def service_level(servers: int, arrival_rate: float, service_rate: float, within: float) -> float:
    """Share of arrivals that wait no longer than ``within``: 1 - C·exp(-(cμ - λ)·t)."""
    _check_rates(arrival_rate, service_rate)
    if within < 0:
        raise ValueError(f"the target wait must be >= 0, not {within}")
    c = erlang_c(servers, arrival_rate / service_rate)
    return 1.0 - c * math.exp(-(servers * service_rate - arrival_rate) * within)


def fewest_servers(
    arrival_rate: float, service_rate: float, within: float, share: float, limit: int = 10_000
) -> int:
    """The fewest servers for which at least ``share`` of arrivals wait no longer than ``within``.

    Starts at the first stable count (just above the offered load) and counts up: the service
    level rises with every server added, so the first count meeting the share is the fewest.
    """
    _check_rates(arrival_rate, service_rate)
    if not 0 < share < 1:
        raise ValueError(f"the target share must be between 0 and 1 (exclusive), not {share}")
    if arrival_rate == 0:
        return 0
    load = arrival_rate / service_rate
    start = max(1, math.floor(load) + 1)
    for servers in range(start, limit + 1):
        if service_level(servers, arrival_rate, service_rate, within) >= share:
            return servers
    raise ValueError(f"no staffing of up to {limit} servers meets {share:.0%} within {within:g}")
