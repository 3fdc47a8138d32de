"""Search and saved views (issue 15 parts 2 and 7) through the hub service, the in-process client
and HTTPS, on SQLite and PostgreSQL: every filter crosses the wire (multi-select lists, age bands,
waited over, sort), what a row matched comes back, identifier searches are audited by the hub
with the searcher named, saved views and a user's default work end to end, and a navigator is
refused saving a view in a sentence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ehub_tui.domain.queue import QueueFilter
from ehub_tui.errors import PermissionDenied
from ehub_tui.service import HubService
from ehub_tui.store import audit
from tests.support.factories import oc_row

pytestmark = pytest.mark.usefixtures("transport")

NHS = "9998020026"


@pytest.fixture
def hub(seeded: HubService, clock: Any) -> HubService:
    now = clock.now
    seeded.store_intake(
        [
            oc_row(
                1,
                given_name="Maisie",
                family_name="Jones",
                nhs_number=NHS,
                date_of_birth=date(2023, 1, 1),
                practice_ods="Z99001",
                free_text="temperature since yesterday",
                received_at=now - timedelta(minutes=30),
            ),
            oc_row(
                2,
                practice_ods="Z99002",
                free_text="my work duties and a fit note",
                request_type="admin",
                received_at=now - timedelta(hours=30),
            ),
            oc_row(
                3,
                practice_ods="Z99003",
                free_text="burning, maybe a UTI",
                received_at=now - timedelta(minutes=10),
            ),
        ]
    )
    return seeded


def test_search_and_filters_over_each_transport(
    hub: HubService, make_service: Callable[..., Any]
) -> None:
    nav = make_service("nav1")
    rows, total = nav.queue_page("queue", QueueFilter(search="999 802 0026"), 0, 50)
    assert (total, rows[0].matched) == (1, "NHS number")
    rows, _ = nav.queue_page("queue", QueueFilter(search="uti"), 0, 50)
    assert [r.matched for r in rows] == ["text: …maybe a UTI"]
    rows, _ = nav.queue_page("queue", QueueFilter(search="mai"), 0, 50)
    assert [r.matched for r in rows] == ["name: Maisie"]
    rows, _ = nav.queue_page(
        "queue", QueueFilter(practices=("Z99001", "Z99003"), sort="received"), 0, 50
    )
    assert [r.practice_ods for r in rows] == ["Z99001", "Z99003"]
    rows, _ = nav.queue_page("queue", QueueFilter(request_types=("admin",)), 0, 50)
    assert [r.practice_ods for r in rows] == ["Z99002"]
    rows, _ = nav.queue_page("queue", QueueFilter(age_bands=("0-4",)), 0, 50)
    assert [r.initials for r in rows] == ["MJ"]
    rows, _ = nav.queue_page("queue", QueueFilter(waited_over_hours=24.0), 0, 50)
    assert [r.practice_ods for r in rows] == ["Z99002"]
    E = audit.EVENT
    with hub.engine.connect() as conn:
        found = conn.execute(
            select(E.c.actor, E.c.body).where(E.c.action == "queue_search").order_by(E.c.seq)
        ).all()
    assert [a for a, _ in found] == ["nav1", "nav1"]
    assert NHS not in " ".join(str(b) for _, b in found)


def test_saved_views_and_default_over_each_transport(
    hub: HubService, make_service: Callable[..., Any]
) -> None:
    sup, nav = make_service("sup1"), make_service("nav1")
    saved = sup.save_view("Admin team", QueueFilter(request_types=("admin",), sort="due"))
    assert saved.filters.request_types == ("admin",)
    sup.set_default_view("nav1", "Admin team")
    views = nav.saved_views()
    assert [(v.name, v.is_default, v.filters.sort) for v in views] == [("Admin team", True, "due")]
    with pytest.raises(PermissionDenied, match="only a supervisor may"):
        nav.save_view("Mine", QueueFilter())
    sup.set_default_view("nav1", None)
    assert [v.is_default for v in nav.saved_views()] == [False]
    sup.delete_view("Admin team")
    assert nav.saved_views() == []
    assert hub.verify_audit().ok
