-- ehub-tui on PostgreSQL, step 1 of 2: the two roles and the database. Run ONCE, as a
-- superuser (docs/operations.md, "PostgreSQL roles"):
--
--   psql -h db.pcn.local -U postgres -v ON_ERROR_STOP=1 -f deploy/postgres-setup.sql
--
--   ehub_owner  owns the database, the schema and every table; runs `ehub-tui upgrade` (schema
--               changes) from the hub machine at upgrade time. No service logs in as it.
--   ehub_app    what `ehub-tui hub serve` logs in as: reads and writes the work tables, may only
--               add to the audit tables (deploy/postgres-grants.sql), owns nothing, so it cannot
--               ALTER, DROP or TRUNCATE any table or disable a trigger on one.
--
-- psql asks for each role's password (\password sends it hashed: it is never in a file, in the
-- server log or in shell history).

CREATE ROLE ehub_owner LOGIN;
CREATE ROLE ehub_app LOGIN;
\password ehub_owner
\password ehub_app

CREATE DATABASE ehub OWNER ehub_owner ENCODING 'UTF8';
-- Only these two roles may connect.
REVOKE ALL ON DATABASE ehub FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE ehub TO ehub_owner;
GRANT CONNECT ON DATABASE ehub TO ehub_app;

\connect ehub
-- The tables live in schema public: the owner owns it and nobody else may create anything in it
-- (PostgreSQL 15 and later already refuse CREATE there to PUBLIC; older versions do not).
ALTER SCHEMA public OWNER TO ehub_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

\echo 'Next, on the hub machine: EHUB_TUI_HUB_URL=postgresql://ehub_owner@HOST:5432/ehub ehub-tui upgrade'
\echo 'then, as ehub_owner: psql -h HOST -U ehub_owner -d ehub -v ON_ERROR_STOP=1 -f deploy/postgres-grants.sql'
