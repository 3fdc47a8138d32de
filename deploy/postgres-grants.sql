-- ehub-tui on PostgreSQL, step 2 of 2: what the runtime role may do. Run as ehub_owner after
-- `ehub-tui upgrade`, and again after EVERY upgrade (a release may add tables); safe to re-run.
-- (docs/operations.md, "PostgreSQL roles")
--
--   psql -h db.pcn.local -U ehub_owner -d ehub -v ON_ERROR_STOP=1 -f deploy/postgres-grants.sql
--
-- A table this file does not name gives the runtime role nothing: the server then fails on it
-- with "permission denied for table …", never silently.

GRANT USAGE ON SCHEMA public TO ehub_app;

-- Work tables: read and write. hub_credential (password hashes, failed sign-ins) and
-- hub_session (token digests) arrive with schema revision 0008.
GRANT SELECT, INSERT, UPDATE, DELETE ON
    practice, consultation, outcome, hub_user, quarantine, sop_version,
    hub_credential, hub_session
  TO ehub_app;

-- The audit chain: append only. Events and signed checkpoints may be added and read, never
-- changed or removed (no UPDATE, DELETE or TRUNCATE). The head row (the chain's last seq and
-- hash) is moved on by every append; a head moved by hand no longer matches the chain and the
-- signed checkpoints, which `ehub-tui audit verify` reports.
REVOKE ALL ON audit_event, audit_checkpoint, audit_head FROM ehub_app;
GRANT SELECT, INSERT ON audit_event, audit_checkpoint TO ehub_app;
GRANT SELECT, UPDATE ON audit_head TO ehub_app;

-- The schema version: read only. The server checks it is at the head it knows and refuses to
-- start otherwise; changing the schema is the owner's job.
REVOKE ALL ON alembic_version FROM ehub_app;
GRANT SELECT ON alembic_version TO ehub_app;

-- New rows' ids come from the tables' sequences.
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ehub_app;

-- What the runtime role may now do, table by table: the audit_ rows must not list UPDATE,
-- DELETE or TRUNCATE.
SELECT table_name, string_agg(privilege_type, ', ' ORDER BY privilege_type) AS ehub_app_may
  FROM information_schema.role_table_grants
 WHERE grantee = 'ehub_app'
 GROUP BY table_name ORDER BY table_name;
