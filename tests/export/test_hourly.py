"""Arrivals by UK hour of day beside the return (the xlsx and html exports' chart, issue 16):
counted on the hub, the same on its service and over HTTPS, and only for those who export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from ehub_tui.errors import PermissionDenied, StoreError
from ehub_tui.service import HubService
from tests.support.factories import oc_row

DAY = date(2026, 11, 23)  # the clock fixture's Monday (GMT: UK hours are UTC hours)


# the store's hourly count is the reports screen's, tested on both engines there
@pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("transport", ["direct", "http"], indirect=True)
def test_arrivals_by_hour_add_up_to_the_return(
    seeded: HubService, make_service: Callable[..., Any], transport: str
) -> None:
    # 09:00, 09:00 and 07:30 UK time, then one the day before (not counted)
    seeded.store_intake(
        [oc_row(1), oc_row(2), oc_row(3, minutes_ago=90), oc_row(4, minutes_ago=24 * 60)]
    )
    manager = make_service("mgr1")
    hours = manager.arrivals_by_hour(DAY, DAY)
    ret = manager.daily_return(DAY, DAY)
    assert hours["ALL"][9] == 2 and hours["ALL"][7] == 1 and sum(hours["ALL"]) == 3
    assert set(hours) == {p.ods_code for p in ret.practices} | {"ALL"}
    for code in hours:
        assert len(hours[code]) == 24
        assert sum(hours[code]) == ret.totals[code]["OC_TOTAL_SUBMISSIONS"]
    assert sum(manager.arrivals_by_hour(DAY - timedelta(days=1), DAY)["ALL"]) == 4
    with pytest.raises(StoreError, match="before it starts"):
        manager.arrivals_by_hour(DAY, DAY - timedelta(days=1))
    if transport == "direct":  # over HTTPS: tests/hub/test_api.py walks every route
        with pytest.raises(PermissionDenied):
            make_service("nav1").arrivals_by_hour(DAY, DAY)
