-- The extension's event trigger writes each DDL command into
-- pgduplex.ddl_log, which the plugin sends as a Ddl record in commit
-- order with the rows around it (has_dml: the transaction had already
-- changed rows). ddl = false drops them.
\pset format unaligned
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ddl', 'pgduplex');

CREATE TABLE ddl_t (id serial PRIMARY KEY);
BEGIN;
INSERT INTO ddl_t DEFAULT VALUES;
ALTER TABLE ddl_t ADD COLUMN v text;
INSERT INTO ddl_t (v) VALUES ('after the ALTER');
COMMIT;
CREATE INDEX ddl_t_v ON ddl_t (v);
-- from a function: in_function
DO $$ BEGIN EXECUTE 'ALTER TABLE ddl_t ADD COLUMN w int'; END $$;
/* a comment first */ ALTER TABLE ddl_t DROP COLUMN w;
CREATE TABLE ddl_gone (id int);
SET search_path = pg_catalog, public;
DROP TABLE ddl_gone;
RESET search_path;
-- not captured: an apply worker's DDL, temporary objects, and extensions
CREATE TEMP TABLE ddl_temp (id int);
DROP TABLE ddl_temp;
SET session_replication_role = replica;
CREATE TABLE ddl_by_worker (id int);
RESET session_replication_role;
CREATE EXTENSION pg_stat_statements;
DROP EXTENSION pg_stat_statements;

SELECT * FROM peek('regress_ddl', 'proto_version', '1');
-- without DDL, DDL-only transactions send nothing at all
SELECT * FROM changes('regress_ddl', 'proto_version', '1', 'ddl', 'false');

SELECT pg_drop_replication_slot('regress_ddl');
DROP TABLE ddl_t, ddl_by_worker;
