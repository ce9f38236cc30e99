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
CREATE FUNCTION capture_ddl() RETURNS event_trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  obj_type text;
  obj_identity text;
  obj_schema text;
  top text := current_query();
BEGIN
  IF current_setting('session_replication_role') = 'replica'
     OR tg_tag IN ('CREATE EXTENSION', 'ALTER EXTENSION', 'DROP EXTENSION') THEN
    RETURN;
  END IF;
  SELECT c.object_type, c.object_identity, c.schema_name
    INTO obj_type, obj_identity, obj_schema
    FROM pg_event_trigger_ddl_commands() AS c
    WHERE NOT c.in_extension
    LIMIT 1;
  -- DROP commands list no object here (they are in sql_drop); the obj_* stay NULL.
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
    'in_function',     upper(split_part(ltrim(top), ' ', 1)) <> split_part(tg_tag, ' ', 1)
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
