-- pgduplex 1.0 -> 1.1: an authentic DDL channel, pinned search_path on the
-- functions that run for others, run_as for applying as table owners, and
-- the ddl_not_applied conflict type.
--
-- There is no pgduplex--1.1.sql: CREATE EXTENSION pgduplex (default 1.1)
-- runs pgduplex--1.0.sql and then this script, so a fresh install and an
-- upgraded one are built by the same statements and cannot drift apart.

\echo Use "ALTER EXTENSION pgduplex UPDATE TO '1.1'" to load this file. \quit

-- 1.0 captured DDL in plpgsql and sent it as a logical message, which any
-- role can forge; the stash between sql_drop and ddl_command_end was a
-- setting any role can set.
DROP EVENT TRIGGER pgduplex_capture_ddl;
DROP EVENT TRIGGER pgduplex_capture_dropped;
DROP FUNCTION capture_ddl();
DROP FUNCTION capture_dropped();
DROP FUNCTION heartbeat(text);

-- Heartbeat: a non-transactional logical message carrying the source clock,
-- written by the worker every few seconds so lag is measurable when the
-- source is idle. Content: '<task>|<microseconds since 2000-01-01 UTC>'.
-- Any role can emit a message under this prefix, so the worker treats a
-- heartbeat as information only (lag), and ignores malformed ones.
CREATE FUNCTION heartbeat(task text) RETURNS pg_lsn
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT pg_catalog.pg_logical_emit_message(false, 'pgduplex.heartbeat',
      task || '|' || ((extract(epoch FROM clock_timestamp()) - 946684800) * 1000000)::bigint::text)
  $$;

-- DDL capture, the authentic channel (see plugin/src/pg/ddl_capture.cpp).
-- The C trigger capture_ddl() runs on sql_drop and ddl_command_end; for
-- each DDL command it writes one row into ddl_log as the table's owner,
-- which the plugin sends as a Ddl record in commit order with the DML
-- around it. No role but a superuser can write ddl_log, so no other role
-- can forge a DDL (a logical message under 'pgduplex.ddl' is no longer
-- DDL: pg_logical_emit_message is open to everyone). The row is deleted
-- again at once; decoding reads it from the WAL.
CREATE TABLE ddl_log (
  id          bigserial PRIMARY KEY,
  captured_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  content     text NOT NULL   -- JSON, see plugin/src/core/ddl_message.h
);
REVOKE ALL ON ddl_log FROM PUBLIC;
REVOKE ALL ON SEQUENCE ddl_log_id_seq FROM PUBLIC;

-- Decides whether a DDL command is captured and what it is about; returns
-- the document for ddl_log, or NULL. Called by capture_ddl() only, through
-- fmgr (no right on it or on this schema is needed), as the command's
-- author; writes nothing.
-- tag: the command tag; author, path, standard_strings: current_user,
-- search_path and standard_conforming_strings of the session, read by the
-- C trigger; dropped: what the sql_drop event stashed for this command.
CREATE FUNCTION describe_ddl(tag text, author text, path text,
                             standard_strings boolean, dropped json)
  RETURNS text
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  obj_type text;
  obj_identity text;
  obj_schema text;
  top text := pg_catalog.current_query();
  head text := top;
BEGIN
  IF tag IN ('CREATE EXTENSION', 'ALTER EXTENSION', 'DROP EXTENSION') THEN
    RETURN NULL;
  END IF;
  -- Leading white space and comments are not part of the command's verb.
  LOOP
    head := ltrim(head, E' \t\r\n');
    IF head LIKE '--%' THEN
      head := CASE WHEN strpos(head, E'\n') = 0 THEN ''
                   ELSE substr(head, strpos(head, E'\n') + 1) END;
    ELSIF head LIKE '/*%' THEN
      head := CASE WHEN strpos(head, '*/') = 0 THEN ''
                   ELSE substr(head, strpos(head, '*/') + 2) END;
    ELSE
      EXIT;
    END IF;
  END LOOP;
  -- The commands of an extension's script fire this trigger one by one,
  -- under their own tags: the extension is installed on each side, not
  -- replicated.
  IF head ~* '^(CREATE|ALTER|DROP)\s+EXTENSION\M'
     OR EXISTS (SELECT FROM pg_event_trigger_ddl_commands() AS c WHERE c.in_extension) THEN
    RETURN NULL;
  END IF;
  -- The object the command is about: CREATE TABLE with a serial column also
  -- creates a sequence, so prefer the row of the command's own tag.
  SELECT c.object_type, c.object_identity, c.schema_name
    INTO obj_type, obj_identity, obj_schema
    FROM pg_event_trigger_ddl_commands() AS c
    ORDER BY c.command_tag = tag DESC
    LIMIT 1;
  -- A DROP lists nothing here: take what the sql_drop event saw.
  IF obj_type IS NULL AND dropped IS NOT NULL THEN
    obj_type := dropped->>'object_type';
    obj_identity := dropped->>'object_identity';
    obj_schema := dropped->>'schema';
  END IF;
  -- Temporary objects live and die with their session: nothing to replicate.
  IF obj_schema = 'pg_temp' OR obj_schema LIKE 'pg\_temp\_%' THEN
    RETURN NULL;
  END IF;
  RETURN json_build_object(
    'statement',       top,
    'search_path',     path,
    'role',            author,
    'command_tag',     tag,
    'object_type',     obj_type,
    'object_identity', obj_identity,
    'schema',          obj_schema,
    'standard_conforming_strings', standard_strings,
    -- A statement that did not come straight from the client: the
    -- top-level query does not start with the command's own verb.
    'in_function',     upper(coalesce(substring(head FROM '^[A-Za-z]+'), ''))
                         <> split_part(tag, ' ', 1)
  )::text;
END
$$;

REVOKE ALL ON FUNCTION describe_ddl(text, text, text, boolean, json) FROM PUBLIC;

CREATE FUNCTION capture_ddl() RETURNS event_trigger
  AS 'MODULE_PATHNAME', 'pgduplex_capture_ddl'
  LANGUAGE C;

CREATE EVENT TRIGGER pgduplex_capture_dropped ON sql_drop
  EXECUTE FUNCTION capture_ddl();
CREATE EVENT TRIGGER pgduplex_capture_ddl ON ddl_command_end
  EXECUTE FUNCTION capture_ddl();

-- For the apply worker on a target: act as a table's owner (row changes) or
-- a DDL's author, inside a security-restricted operation, and back. See
-- plugin/src/pg/run_as.cpp for the contract. Harmless to others: a caller
-- can only act as a role it is a member of, with fewer rights than its own.
CREATE FUNCTION run_as(role oid, key text) RETURNS void
  AS 'MODULE_PATHNAME', 'pgduplex_run_as'
  LANGUAGE C VOLATILE;

-- Every role may look up objects in this schema: the worker switches back
-- from a table owner's identity by calling run_as as that owner. Nothing
-- here is granted beyond that: the tables grant nothing to PUBLIC, and the
-- functions open to PUBLIC (record_to_json, heartbeat, run_as) give no
-- right a caller does not already have.
GRANT USAGE ON SCHEMA pgduplex TO PUBLIC;

ALTER TABLE conflicts DROP CONSTRAINT conflicts_conflict_type_check;
ALTER TABLE conflicts ADD CONSTRAINT conflicts_conflict_type_check CHECK (conflict_type IN
  ('insert_exists', 'update_missing', 'update_exists', 'delete_missing', 'ddl_not_applied'));
