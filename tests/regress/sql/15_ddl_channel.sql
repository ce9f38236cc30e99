-- The DDL channel is authentic: only the extension's C event trigger writes
-- pgduplex.ddl_log, and only inserts into that table become Ddl records.
-- A plain role can neither write the channel nor make its DDL look like
-- someone else's, and its search_path cannot hijack the capture.
\pset format unaligned
CREATE ROLE regress_mallory LOGIN;
CREATE SCHEMA regress_evil AUTHORIZATION regress_mallory;
GRANT CREATE ON SCHEMA public TO regress_mallory;
SELECT 'init' FROM pg_create_logical_replication_slot('regress_channel', 'pgduplex');

SET SESSION AUTHORIZATION regress_mallory;
-- a forged message is a plain LogicalMessage, not a Ddl record
BEGIN;
SELECT pg_logical_emit_message(true, 'pgduplex.ddl',
  '{"statement": "CREATE TABLE public.pwned (a int)", "role": "postgres", "command_tag": "CREATE TABLE", "object_type": "table", "object_identity": "public.pwned", "schema": "public", "standard_conforming_strings": true}')
  IS NOT NULL AS emitted;
COMMIT;
-- the channel itself is closed to it
INSERT INTO pgduplex.ddl_log (content) VALUES ('{"statement": "CREATE TABLE pwned (a int)"}');
UPDATE pgduplex.ddl_log SET content = '{}';
SELECT pgduplex.capture_ddl();
-- the sql_drop stash of 1.0 was a setting anyone could set; no longer read
BEGIN;
SELECT set_config('pgduplex.dropped_object',
  '{"object_type": "table", "object_identity": "public.victim", "schema": "public"}', true) IS NOT NULL AS set;
DROP TABLE IF EXISTS regress_nothing_here;
COMMIT;
-- its DDL is recorded as its own, with the session's parse settings
SET standard_conforming_strings = off;
CREATE TABLE public.mallory_t (v text DEFAULT 'a\'b');
RESET standard_conforming_strings;
-- functions in a schema earlier in the search_path than pg_catalog do not
-- run inside the capture (1.0's trigger called upper() and split_part()
-- unqualified: a superuser's DDL made mallory superuser)
CREATE FUNCTION regress_evil.upper(text) RETURNS text LANGUAGE plpgsql
  AS $$ BEGIN ALTER ROLE regress_mallory SUPERUSER; RETURN 'HIJACKED'; END $$;
CREATE FUNCTION regress_evil.split_part(text, text, integer) RETURNS text LANGUAGE plpgsql
  AS $$ BEGIN ALTER ROLE regress_mallory SUPERUSER; RETURN 'HIJACKED'; END $$;
RESET SESSION AUTHORIZATION;
SET search_path = regress_evil, pg_catalog, public;
CREATE TABLE public.admin_t (id int);
RESET search_path;
SELECT rolsuper AS mallory_is_superuser FROM pg_roles WHERE rolname = 'regress_mallory';

SELECT record - '{}'::text[] FROM changes('regress_channel', 'proto_version', '1')
 WHERE NOT record ? 'begin' AND NOT record ? 'commit';

-- ddl = false drops Ddl records, but a forged message still reaches the
-- worker as a plain message for it to flag
BEGIN;
SELECT pg_logical_emit_message(true, 'pgduplex.ddl', '{"statement": "DROP TABLE admin_t"}') IS NOT NULL AS emitted;
CREATE TABLE ddl_off_t (id int);
COMMIT;
SELECT * FROM changes('regress_channel', 'proto_version', '1', 'ddl', 'false');
SELECT count(*) AS rows_left_in_ddl_log FROM pgduplex.ddl_log;

SELECT pg_drop_replication_slot('regress_channel');
DROP TABLE public.mallory_t, public.admin_t, ddl_off_t;
DROP SCHEMA regress_evil CASCADE;
REVOKE CREATE ON SCHEMA public FROM regress_mallory;
DROP ROLE regress_mallory;
