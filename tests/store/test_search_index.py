"""The SQLite hub's word index (migration 0014): kept by triggers as rows are added, changed
and removed, rebuilt by the migration for a hub that already has items, and in agreement with
domain.search's word starts for text with every kind of punctuation."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from ehub_tui.domain import search as S
from ehub_tui.domain.queue import QueueFilter
from ehub_tui.service import HubService
from ehub_tui.store import views
from ehub_tui.store.engine import read_tx, write_tx
from ehub_tui.store.migrate import MIGRATIONS
from tests.support.factories import oc_row

# the word index is the SQLite hub's (PostgreSQL reads a regular expression over the rows)
pytestmark = pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)


@pytest.fixture
def hub(seeded: HubService) -> HubService:
    assert seeded.engine.dialect.name == "sqlite"
    return seeded


def _found(svc: HubService, search: str) -> set[int]:
    """The store's own answer (the service keeps a view's count until the audit moves, and these
    tests change rows behind its back, as a purge script or a correction would)."""
    f = QueueFilter(search=search)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    with read_tx(svc.engine) as conn:
        rows = views.list_rows(conn, "queue", "nobody", f, since, 0, 500)
        assert views.count_rows(conn, "queue", "nobody", f, since) == len(rows)
    return {r.id for r in rows}


def _indexed(svc: HubService) -> int:
    with read_tx(svc.engine) as conn:
        return int(
            conn.execute(text("SELECT count(*) FROM consultation_words_docsize")).scalar_one()
        )


def test_the_index_follows_every_change_to_a_row(hub: HubService) -> None:
    hub.store_intake([oc_row(1, free_text="sore throat for a week", template="sore_throat")])
    (item,) = _found(hub, "throat")
    assert _found(hub, "sore throat") == {item} and _found(hub, "week") == {item}
    # a purge or correction that rewrites the text: the old words go, the new ones come
    with write_tx(hub.engine) as conn:
        conn.execute(
            text("UPDATE consultation SET free_text = 'removed', given_name = 'Zed' WHERE id = :i"),
            {"i": item},
        )
    assert _found(hub, "week") == set() == _found(hub, "alex")
    assert _found(hub, "removed") == {item} == _found(hub, "zed")
    # a claim changes status, owner and times, not the words: the index is not touched
    before = _indexed(hub)
    with write_tx(hub.engine) as conn:
        conn.execute(text("UPDATE consultation SET priority = 1 WHERE id = :i"), {"i": item})
    assert _indexed(hub) == before
    with write_tx(hub.engine) as conn:
        conn.execute(text("DELETE FROM consultation WHERE id = :i"), {"i": item})
    assert _indexed(hub) == before - 1
    with read_tx(hub.engine) as conn:  # FTS5's own check that index and content agree
        conn.execute(
            text("INSERT INTO consultation_words(consultation_words) VALUES ('integrity-check')")
        )


def test_the_migration_indexes_the_items_a_hub_already_has(hub: HubService) -> None:
    hub.store_intake([oc_row(i, free_text=f"request number{i}") for i in range(1, 4)])
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with hub.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0013")
    with read_tx(hub.engine) as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'consultation_words%'")
            ).scalar()
            == 0
        )
    with hub.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")  # 0014 indexes them (and the later ones add their columns)
    assert len(_found(hub, "request")) == 3 and len(_found(hub, "number2")) == 1


# texts with a word "uti" after every kind of break, and inside words (never found)
_BEFORE = [
    " ",
    "(",
    "-",
    "/",
    "'",
    '"',
    "£",
    "@",
    "=",
    "\u2019",
    "\u2013",
    "\u00a0",
    "x",
    "du",
    "9",
]
_AFTER = ["", " ", ")", "?", "s", "\u2026", "-x"]


def test_the_index_agrees_with_word_starts_for_every_break(hub: HubService) -> None:
    texts = [f"notes{b}uti{a} end" for b, a in itertools.product(_BEFORE, _AFTER)]
    hub.store_intake([oc_row(i + 1, free_text=t) for i, t in enumerate(texts)])
    with read_tx(hub.engine) as conn:
        free: dict[int, str] = dict(
            conn.execute(text("SELECT id, free_text FROM consultation")).all()
        )
    expected = {i for i, t in free.items() if S.starts_word(t, "uti")}
    assert _found(hub, "uti") == expected
    assert len(expected) == (len(_BEFORE) - 3) * len(_AFTER)  # not after x, du or 9
