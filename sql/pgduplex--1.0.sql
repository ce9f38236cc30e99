-- pgduplex extension, version 1.0. Loaded by CREATE EXTENSION pgduplex into
-- schema pgduplex. The output plugin itself needs no SQL object; these are
-- what the plugin and the apply worker use around it.

\echo Use "CREATE EXTENSION pgduplex" to load this file. \quit

-- Renders one pgduplex protobuf record as jsonb, e.g. with
--   SELECT pgduplex.record_to_json(data)
--   FROM pg_logical_slot_peek_binary_changes('slot', NULL, NULL);
-- A corrupt or truncated record is an ERROR.
CREATE FUNCTION record_to_json(record bytea) RETURNS jsonb
  AS 'MODULE_PATHNAME', 'pgduplex_record_to_json'
  LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

-- One row per conflict met by an apply worker, written on the target in the
-- same transaction as the resolution (and, being written under the worker's
-- replication origin, never sent back).
CREATE TABLE conflicts (
  id               bigserial PRIMARY KEY,
  occurred_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  task             text NOT NULL,
  direction        text NOT NULL CHECK (direction IN ('forward', 'reverse')),
  relation         text NOT NULL,
  conflict_type    text NOT NULL CHECK (conflict_type IN
                     ('insert_exists', 'update_missing', 'update_exists', 'delete_missing')),
  resolution       text NOT NULL,
  local_row        jsonb,
  remote_row       jsonb,
  source_lsn       pg_lsn,
  remote_commit_ts timestamptz
);
CREATE INDEX conflicts_task_occurred_at ON conflicts (task, occurred_at);

-- Heartbeat: a non-transactional logical message carrying the source clock,
-- written by the worker every few seconds so lag is measurable when the
-- source is idle. Content: '<task>|<microseconds since 2000-01-01 UTC>'.
CREATE FUNCTION heartbeat(task text) RETURNS pg_lsn
  LANGUAGE sql VOLATILE
  AS $$
    SELECT pg_logical_emit_message(false, 'pgduplex.heartbeat',
      task || '|' || ((extract(epoch FROM clock_timestamp()) - 946684800) * 1000000)::bigint::text)
  $$;

-- DDL capture: every DDL command that ends successfully is emitted as a
-- transactional logical message (prefix 'pgduplex.ddl', JSON content), so
-- the plugin can send it in commit order with the DML around it. DDL run by
-- an apply worker (session_replication_role = replica) is not captured.
--
-- ddl_command_end does not list what a DROP removed, so a sql_drop trigger
-- (which fires just before it, for the same command) stashes the first
-- object the command itself dropped in a transaction-local setting.
CREATE FUNCTION capture_dropped() RETURNS event_trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  dropped text;
BEGIN
  IF current_setting('session_replication_role') = 'replica' THEN
    RETURN;
  END IF;
  SELECT json_build_object('object_type', d.object_type,
                           'object_identity', d.object_identity,
                           'schema', d.schema_name)::text
    INTO dropped
    FROM pg_event_trigger_dropped_objects() AS d
    WHERE d.original
    LIMIT 1;
  PERFORM set_config('pgduplex.dropped_object', coalesce(dropped, ''), true);
END
$$;

CREATE EVENT TRIGGER pgduplex_capture_dropped ON sql_drop
  EXECUTE FUNCTION capture_dropped();

CREATE FUNCTION capture_ddl() RETURNS event_trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  obj_type text;
  obj_identity text;
  obj_schema text;
  dropped json;
  top text := current_query();
  head text := top;
BEGIN
  IF current_setting('session_replication_role') = 'replica'
     OR tg_tag IN ('CREATE EXTENSION', 'ALTER EXTENSION', 'DROP EXTENSION') THEN
    RETURN;
  END IF;
  -- What the sql_drop trigger stashed belongs to this command only.
  dropped := nullif(current_setting('pgduplex.dropped_object', true), '')::json;
  IF dropped IS NOT NULL THEN
    PERFORM set_config('pgduplex.dropped_object', '', true);
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
    RETURN;
  END IF;
  -- The object the command is about: CREATE TABLE with a serial column also
  -- creates a sequence, so prefer the row of the command's own tag.
  SELECT c.object_type, c.object_identity, c.schema_name
    INTO obj_type, obj_identity, obj_schema
    FROM pg_event_trigger_ddl_commands() AS c
    ORDER BY c.command_tag = tg_tag DESC
    LIMIT 1;
  -- A DROP lists nothing here: take what capture_dropped() stashed.
  IF obj_type IS NULL AND dropped IS NOT NULL THEN
    obj_type := dropped->>'object_type';
    obj_identity := dropped->>'object_identity';
    obj_schema := dropped->>'schema';
  END IF;
  -- Temporary objects live and die with their session: nothing to replicate.
  IF obj_schema = 'pg_temp' OR obj_schema LIKE 'pg\_temp\_%' THEN
    RETURN;
  END IF;
  PERFORM pg_logical_emit_message(true, 'pgduplex.ddl', json_build_object(
    'statement',       top,
    'search_path',     current_setting('search_path'),
    'role',            current_user,
    'command_tag',     tg_tag,
    'object_type',     obj_type,
    'object_identity', obj_identity,
    'schema',          obj_schema,
    -- A statement that did not come straight from the client: the
    -- top-level query does not start with the command's own verb.
    'in_function',     upper(coalesce(substring(head FROM '^[A-Za-z]+'), ''))
                         <> split_part(tg_tag, ' ', 1)
  )::text);
END
$$;

CREATE EVENT TRIGGER pgduplex_capture_ddl ON ddl_command_end
  EXECUTE FUNCTION capture_ddl();

-- One row per (task, direction), on the TARGET of that direction, kept up to
-- date by the apply worker (at most about once a second, inside its apply
-- transactions, so it rides on the same replication origin and is never sent
-- back). `pgduplex status` reads it together with the source's slot.
CREATE TABLE worker_status (
  task                  text NOT NULL,
  direction             text NOT NULL CHECK (direction IN ('forward', 'reverse')),
  state                 text NOT NULL,       -- copying | streaming | stopped | failed
  pid                   integer,
  started_at            timestamptz,
  updated_at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_error            text,
  applied_transactions  bigint NOT NULL DEFAULT 0,  -- since started_at
  applied_changes       bigint NOT NULL DEFAULT 0,
  applied_bytes         bigint NOT NULL DEFAULT 0,
  last_source_lsn       pg_lsn,              -- end LSN of the last applied source txn
  last_commit_ts        timestamptz,         -- source commit time of that txn
  last_heartbeat_source timestamptz,         -- source clock in the last heartbeat applied
  last_heartbeat_at     timestamptz,         -- target clock when it was applied
  conflicts             jsonb NOT NULL DEFAULT '{}',  -- {"insert_exists": n, ...} since start
  PRIMARY KEY (task, direction)
);
