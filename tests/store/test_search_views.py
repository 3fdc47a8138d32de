"""The queue's search and view filters (issue 15) on the hub store, over SQLite and PostgreSQL:
item number, NHS number in any spacing, name and words by word starts ("uti" never finds
"duties"), practice by code or name, template; multi-select practices and types, age bands,
waited over N hours, sort orders; what each found row matched; the audit of identifier searches;
saved views and a user's default; Done today in words."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ehub_tui.domain.models import Outcome
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.errors import PermissionDenied, StoreError
from ehub_tui.service import HubService
from ehub_tui.store import audit
from tests.support.factories import oc_row

NHS = "9998020026"


def _events(svc: HubService, action: str) -> list[dict[str, Any]]:
    E = audit.EVENT
    with svc.engine.connect() as conn:
        rows = conn.execute(
            select(E.c.actor, E.c.body).where(E.c.action == action).order_by(E.c.seq)
        ).all()
    out = []
    for actor, body in rows:
        b = body if isinstance(body, dict) else json.loads(body)
        out.append({"actor": actor, **b})
    return out


@pytest.fixture
def hub(seeded: HubService, clock: Any) -> HubService:
    """Six queued items: Maisie (a child, NHS 999 802 0026), a 'duties' text, a UTI, an admin
    fit note at another practice, an older patient, and one received long ago."""
    now = clock.now
    rows = [
        oc_row(
            1,
            given_name="Maisie",
            family_name="Jones",
            nhs_number=NHS,
            date_of_birth=date(2023, 1, 1),
            practice_ods="Z99001",
            free_text="temperature since yesterday",
            template="fever",
            received_at=now - timedelta(minutes=30),
        ),
        oc_row(
            2,
            given_name="Tom",
            family_name="Ashby",
            practice_ods="Z99002",
            free_text="question about my work duties and a fit note",
            template="general",
            request_type="admin",
            received_at=now - timedelta(minutes=20),
        ),
        oc_row(
            3,
            given_name="Ruth",
            family_name="Smith-Moore",
            practice_ods="Z99001",
            free_text="burning when passing urine (UTI?)",
            template="urinary_symptoms",
            date_of_birth=date(1990, 5, 5),
            received_at=now - timedelta(minutes=10),
        ),
        oc_row(
            4,
            given_name="Jamal",
            family_name="Idris",
            practice_ods="Z99003",
            free_text="need a fit note",
            template="fit_note",
            request_type="admin",
            date_of_birth=date(1950, 2, 2),
            received_at=now - timedelta(hours=30),
        ),
        oc_row(
            5,
            given_name="Amaia",
            family_name="Lopez",
            practice_ods="Z99002",
            free_text="rash on arm",
            template="skin",
            date_of_birth=date(2015, 6, 1),
            priority=1,
            received_at=now - timedelta(minutes=5),
        ),
    ]
    seeded.store_intake(rows)
    return seeded


def _ids(svc: HubService, **f: Any) -> list[int]:
    rows, total = svc.queue_page("queue", QueueFilter(**f), 0, 50)
    assert total == len(rows)
    return [r.id for r in rows]


@pytest.mark.parametrize("typed", [NHS, "999 802 0026", "999-802-0026", " 999 8020026 "])
def test_nhs_number_in_any_spacing(hub: HubService, typed: str) -> None:
    rows, total = hub.queue_page("queue", QueueFilter(search=typed), 0, 50)
    assert total == 1
    assert rows[0].matched == "NHS number"
    assert rows[0].initials == "MJ"


def test_item_number_with_or_without_hash(hub: HubService) -> None:
    some = _ids(hub)[2]
    for typed in (f"#{some}", str(some), f"# {some}"):
        rows, _ = hub.queue_page("queue", QueueFilter(search=typed), 0, 50)
        assert [r.id for r in rows] == [some]
        assert rows[0].matched == "item number"


def test_words_match_word_starts_only(hub: HubService) -> None:
    rows, _ = hub.queue_page("queue", QueueFilter(search="uti"), 0, 50)
    # "(UTI?)" is found; "duties" is not
    assert [r.initials for r in rows] == ["RS"]
    assert rows[0].matched is not None and rows[0].matched.startswith("text: ")
    assert "UTI" in rows[0].matched
    assert _ids(hub, search="duties") and _ids(hub, search="uties") == []


def test_name_by_word_starts(hub: HubService) -> None:
    rows, _ = hub.queue_page("queue", QueueFilter(search="mai"), 0, 50)
    # Maisie, not Amaia ("mai" inside a word)
    assert [r.matched for r in rows] == ["name: Maisie"]
    rows, _ = hub.queue_page("queue", QueueFilter(search="moore"), 0, 50)  # hyphenated surname
    assert [r.matched for r in rows] == ["name: Moore"]
    rows, _ = hub.queue_page("queue", QueueFilter(search="maisie jones"), 0, 50)
    assert [r.matched for r in rows] == ["name: Maisie Jones"]


def test_practice_by_code_or_name_and_template(hub: HubService) -> None:
    by_code = hub.queue_page("queue", QueueFilter(search="z99003"), 0, 50)[0]
    assert [r.practice_ods for r in by_code] == ["Z99003"]
    assert by_code[0].matched == "practice: Downs View Practice (Z99003)"
    by_name = hub.queue_page("queue", QueueFilter(search="castle"), 0, 50)[0]
    assert {r.practice_ods for r in by_name} == {"Z99002"} and len(by_name) == 2
    tmpl = hub.queue_page("queue", QueueFilter(search="urinary"), 0, 50)[0]
    assert [r.matched for r in tmpl] == ["template: urinary symptoms"]
    # both words must match (anywhere): practice + text
    both = hub.queue_page("queue", QueueFilter(search="castle rash"), 0, 50)[0]
    assert [r.initials for r in both] == ["AL"]


def test_like_and_glob_wildcards_are_plain_characters(hub: HubService) -> None:
    # every punctuation and symbol character is a word break (the word index splits on them):
    # "%" alone is nothing to search for, and "fit%" is the word "fit", not a pattern
    assert _ids(hub, search="%") == _ids(hub, search="*") == _ids(hub) != []
    assert _ids(hub, search="fit%") == _ids(hub, search="fit") != []
    # "_" and "*" are word breaks: "fit_n" is the words "fit" and "n" (the fit notes)
    assert len(_ids(hub, search="fit_n")) == 2 == len(_ids(hub, search="fit*n"))


def test_words_of_the_index_query_language_are_plain_words(hub: HubService) -> None:
    """FTS5's own syntax typed into the search box is only words (never an error)."""
    for typed in ("or", "AND fit", "NOT", "NEAR(fit note)", "fit NEAR/2", "^fit", "{name}: fit"):
        assert isinstance(_ids(hub, search=typed), list)
    assert _ids(hub, search="^fit") == _ids(hub, search="fit")


def test_multi_select_practices_and_types(hub: HubService) -> None:
    ods = {
        r.practice_ods
        for r in hub.queue_page("queue", QueueFilter(practices=("Z99001", "Z99003")), 0, 50)[0]
    }
    assert ods == {"Z99001", "Z99003"}
    types = hub.queue_page("queue", QueueFilter(request_types=("admin",)), 0, 50)[0]
    assert {r.request_type for r in types} == {"admin"} and len(types) == 2
    both = hub.queue_page(
        "queue", QueueFilter(practices=("Z99002",), request_types=("clinical",)), 0, 50
    )[0]
    assert [r.initials for r in both] == ["AL"]


def test_age_bands_on_the_hubs_today(hub: HubService) -> None:
    def initials(*bands: str) -> set[str]:
        rows = hub.queue_page("queue", QueueFilter(age_bands=bands), 0, 50)[0]
        return {r.initials for r in rows}

    assert initials("0-4") == {"MJ"}
    assert initials("5-15") == {"AL"}
    assert initials("65+") == {"JI"}
    assert initials("0-4", "65+") == {"MJ", "JI"}
    assert "RS" in initials("16-64")


def test_waited_over_hours_and_sort_orders(hub: HubService) -> None:
    rows = hub.queue_page("queue", QueueFilter(waited_over_hours=24), 0, 50)[0]
    assert [r.initials for r in rows] == ["JI"]
    received = hub.queue_page("queue", QueueFilter(sort="received"), 0, 50)[0]
    assert [r.received_at for r in received] == sorted(r.received_at for r in received)
    due = hub.queue_page("queue", QueueFilter(sort="due"), 0, 50)[0]
    assert [r.due_by for r in due] == sorted(r.due_by for r in due)
    default = hub.queue_page("queue", QueueFilter(), 0, 50)[0]
    assert default[0].initials == "AL"  # urgent first


def test_identifier_searches_are_audited_without_the_identifier(
    hub: HubService, make_service: Callable[..., HubService]
) -> None:
    nav = make_service("nav1")
    nav.queue_page("queue", QueueFilter(search="999 802 0026"), 0, 50)
    nav.queue_page("queue", QueueFilter(search="999 802 0026"), 0, 50)  # a refresh: once
    nav.queue_page("queue", QueueFilter(search="mai"), 0, 50)
    nav.queue_page("queue", QueueFilter(search="rash"), 0, 50)  # words, no name: not audited
    found = _events(hub, "queue_search")
    assert [(e["actor"], e["kind"], e["found"]) for e in found] == [
        ("nav1", "nhs_number", 1),
        ("nav1", "name", 1),
    ]
    maisie = found[0]["items"]
    assert len(maisie) == 1 and found[1]["items"] == maisie
    E = audit.EVENT
    with hub.engine.connect() as conn:
        bodies = " ".join(
            str(b)
            for b in conn.execute(select(E.c.body).where(E.c.action == "queue_search")).scalars()
        )
    assert NHS not in bodies and "8020026" not in bodies and "Maisie" not in bodies
    assert hub.verify_audit().ok, hub.verify_audit().problems


def test_saved_views_and_a_users_default(
    hub: HubService, make_service: Callable[..., HubService]
) -> None:
    sup, nav = make_service("sup1"), make_service("nav1")
    admin = QueueFilter(request_types=("admin",), sort="received", search="maisie")
    saved = sup.save_view("Admin team", admin)
    assert saved.filters.search is None  # a view never keeps a search
    sup.save_view("Clinical", QueueFilter(request_type="clinical", age_bands=("0-4",)))
    with pytest.raises(PermissionDenied):
        nav.save_view("Mine", QueueFilter())
    with pytest.raises(PermissionDenied):
        nav.set_default_view("nav1", "Clinical")
    with pytest.raises(StoreError):
        sup.set_default_view("nav1", "No such view")
    sup.set_default_view("nav1", "Admin team")
    views = nav.saved_views()
    assert [(v.name, v.is_default) for v in views] == [("Admin team", True), ("Clinical", False)]
    assert views[0].filters.request_types == ("admin",) and views[0].filters.sort == "received"
    assert views[1].filters.request_types == ("clinical",)
    rows = nav.queue_page("queue", views[0].filters, 0, 50)[0]
    assert {r.request_type for r in rows} == {"admin"}
    sup.delete_view("Admin team")
    assert [(v.name, v.is_default) for v in nav.saved_views()] == [("Clinical", False)]
    actions = [e["name"] for e in _events(hub, "view_save")]
    assert actions == ["Admin team", "Clinical"]
    assert [e["user"] for e in _events(hub, "view_default")] == ["nav1"]
    assert hub.verify_audit().ok, hub.verify_audit().problems


def test_done_today_says_where_it_went_in_words(
    hub: HubService, make_service: Callable[..., HubService], clock: Any
) -> None:
    nav = make_service("nav1")
    claim = nav.claim_next()
    assert claim is not None
    nav.complete(
        claim,
        Outcome(
            category="signpost",
            route="pf_impetigo",
            destination="Community pharmacy (Pharmacy First: impetigo)",
            urgency="today",
        ),
    )
    rows, _ = nav.queue_page("done", QueueFilter(), 0, 50)
    assert [r.route for r in rows] == ["Community pharmacy (Pharmacy First: impetigo)"]


def test_an_identifier_finds_the_item_whatever_its_state(
    hub: HubService, make_service: Callable[..., HubService]
) -> None:
    """An item or NHS number finds an item held by someone, parked or completed (and the row
    says where it is); words and names search what waits in the queue."""
    ids = _ids(hub)
    maisie = hub.queue_page("queue", QueueFilter(search=NHS), 0, 50)[0][0].id
    held, done = [i for i in ids if i != maisie][:2]
    nav1 = make_service("nav1")
    nav1.claim(held)
    nav1.complete(nav1.claim(done), Outcome(category="admin", route="x", destination="GP"))
    # a return time by the hub's own clock (SQLite's is the test's; PostgreSQL's its own)
    nav1.park(nav1.claim(maisie), "How is she now?", nav1.hub_now() + timedelta(hours=2))

    for item, state in ((held, "held"), (done, "completed")):
        rows, total = hub.queue_page("queue", QueueFilter(search=f"#{item}"), 0, 50)
        assert total == 1 and rows[0].id == item
        assert rows[0].matched == f"item number · {state}"
    rows, _ = hub.queue_page("queue", QueueFilter(search=NHS), 0, 50)
    assert [(r.id, r.matched) for r in rows] == [
        (maisie, "NHS number · awaiting the patient's reply")
    ]
    # a name still searches the waiting queue only
    assert hub.queue_page("queue", QueueFilter(search="maisie"), 0, 50)[1] == 0
