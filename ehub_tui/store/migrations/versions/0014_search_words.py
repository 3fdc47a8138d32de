"""search words: a full-text word index over the queue's names, templates and request texts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# What the index reads: one row per consultation, the patient's name as one value (the queue's
# search treats "given family" as one name), the template and the request's text. A view, so the
# index keeps no copy of patient text of its own (an FTS5 "external content" table): a retention
# purge that blanks a row's text also removes its words (the update trigger below).
_SOURCE = """
CREATE VIEW consultation_words_source AS
SELECT id,
       coalesce(given_name, '') || ' ' || coalesce(family_name, '') AS name,
       coalesce(template, '') AS template,
       coalesce(free_text, '') AS body
FROM consultation
"""

# unicode61 splits on every space, punctuation and symbol character and folds case for every
# letter; remove_diacritics 0 keeps "Élodie" apart from "elodie" as the rest of the search does
_INDEX = """
CREATE VIRTUAL TABLE consultation_words USING fts5(
    name, template, body,
    content='consultation_words_source', content_rowid='id',
    tokenize='unicode61 remove_diacritics 0'
)
"""

_OLD = (
    "old.id, coalesce(old.given_name, '') || ' ' || coalesce(old.family_name, ''), "
    "coalesce(old.template, ''), coalesce(old.free_text, '')"
)
_NEW = _OLD.replace("old.", "new.")

# An external-content index is kept by triggers: a removal must give the values as they were.
# Only the columns the index reads fire the update trigger (a claim or completion changes status,
# owner and times, never these), so queue work costs nothing extra.
_TRIGGERS = (
    f"""CREATE TRIGGER consultation_words_ai AFTER INSERT ON consultation BEGIN
        INSERT INTO consultation_words(rowid, name, template, body) VALUES ({_NEW});
    END""",
    f"""CREATE TRIGGER consultation_words_ad AFTER DELETE ON consultation BEGIN
        INSERT INTO consultation_words(consultation_words, rowid, name, template, body)
        VALUES ('delete', {_OLD});
    END""",
    f"""CREATE TRIGGER consultation_words_au
    AFTER UPDATE OF given_name, family_name, template, free_text ON consultation BEGIN
        INSERT INTO consultation_words(consultation_words, rowid, name, template, body)
        VALUES ('delete', {_OLD});
        INSERT INTO consultation_words(rowid, name, template, body) VALUES ({_NEW});
    END""",
)


def upgrade() -> None:
    """SQLite: create the word index, fill it from the rows there are, and keep it with triggers.

    PostgreSQL: nothing (its search reads a regular expression over the rows; a tsvector with a
    GIN index is the way there, docs/benchmarks.md). The index holds no audited data: every
    value in it is derived from consultation rows whose digests the audit covers, so nothing is
    added to what ``audit verify`` checks, and dropping and rebuilding it loses nothing.
    """
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(_SOURCE)
    op.execute(_INDEX)
    for trigger in _TRIGGERS:
        op.execute(trigger)
    op.execute("INSERT INTO consultation_words(consultation_words) VALUES ('rebuild')")


def downgrade() -> None:
    """Drop the triggers, the index and its view (derived data only)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("consultation_words_ai", "consultation_words_ad", "consultation_words_au"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS consultation_words")
    op.execute("DROP VIEW IF EXISTS consultation_words_source")
