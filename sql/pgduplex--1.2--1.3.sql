-- pgduplex 1.2 -> 1.3: unique values released here, so that last-write-wins
-- decides a row with a second unique constraint the same way on both
-- clusters, whatever order the rows arrive in; the check of a row filter
-- (row_filter option of the plugin); and the renames captured here, so that
-- rows in flight from the other cluster follow them.

\echo Use "ALTER EXTENSION pgduplex UPDATE TO '1.3'" to load this file. \quit

-- One row per value of a unique index (other than the key index) that a
-- local UPDATE or DELETE took away from a row: held_at is the commit time
-- of the last version of that row still holding the value (see
-- plugin/src/pg/tombstones.cpp). A row from the peer that claims the value
-- with an older commit time lost it to that holder, as it would have if it
-- had arrived while the holder still had it. Partition indexes are kept
-- under the root's index. Grants nothing, like tombstones.
CREATE TABLE value_claims (
  relid       oid NOT NULL,
  indexrelid  oid NOT NULL,
  value       bytea NOT NULL,
  held_at     timestamptz NOT NULL,
  PRIMARY KEY (relid, indexrelid, value)
);
CREATE INDEX value_claims_held_at ON value_claims (held_at);

-- The latest time a local row (since gone from it) held a value of a unique
-- index of relid other than its key index, among the values the given
-- columns (names, text values) form; NULL when none. The caller must be
-- allowed to SELECT from the table.
CREATE FUNCTION claim_time(relid oid, columns text[], vals text[]) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'pgduplex_claim_time'
  LANGUAGE C STABLE;

CREATE OR REPLACE FUNCTION purge_tombstones(keep interval) RETURNS bigint
  LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    WITH gone AS (
      DELETE FROM pgduplex.tombstones WHERE deleted_at < clock_timestamp() - keep RETURNING 1
    ), released AS (
      DELETE FROM pgduplex.value_claims WHERE held_at < clock_timestamp() - keep RETURNING 1
    ) SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM released)
  $$;
REVOKE ALL ON FUNCTION purge_tombstones(interval) FROM PUBLIC;

-- The columns a row filter uses, checked as the plugin checks it: an
-- ERROR naming the table when the filter uses anything but the table's own
-- columns and immutable built-in functions. Nothing of the filter runs.
-- `pgduplex precheck` calls it on each direction's source.
CREATE FUNCTION row_filter_columns(rel regclass, filter text) RETURNS text[]
  AS 'MODULE_PATHNAME', 'pgduplex_row_filter_columns'
  LANGUAGE C STABLE STRICT;

-- Renames captured on this cluster, kept (ddl_log rows are deleted at once)
-- so that the apply worker writing here can translate a row still in
-- flight from the other cluster that names a table or column by its old
-- name (worker/src/apply/carried_renames.h). Only ALTER TABLE statements
-- that mention RENAME are kept; the worker reads the statement itself.
-- Written by the trigger below only (as ddl_log's writer, the extension's
-- owner); grants nothing to anyone.
CREATE TABLE ddl_renames (
  id          bigserial PRIMARY KEY,
  captured_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  schema      text,            -- the altered table's schema (capture's "schema")
  statement   text NOT NULL    -- the client's query text, as in ddl_log
);
REVOKE ALL ON ddl_renames FROM PUBLIC;
REVOKE ALL ON SEQUENCE ddl_renames_id_seq FROM PUBLIC;

CREATE FUNCTION keep_renames() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  doc json := NEW.content::json;
BEGIN
  IF doc->>'command_tag' = 'ALTER TABLE' AND doc->>'statement' ~* '\mrename\M' THEN
    INSERT INTO pgduplex.ddl_renames (schema, statement) VALUES (doc->>'schema', doc->>'statement');
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION keep_renames() FROM PUBLIC;

CREATE TRIGGER keep_renames AFTER INSERT ON ddl_log
  FOR EACH ROW EXECUTE FUNCTION keep_renames();

-- CREATE TABLE AS and SELECT INTO write their rows before ddl_command_end
-- fires, so a record captured there is decoded after the rows, for a table
-- the target lacks. Captured at command start instead (the same document,
-- the table named from the parse tree; a failed command rolls the row back
-- with it); capture_ddl() skips these tags at the end while this trigger
-- exists. Temporary tables are skipped, as at the end.
CREATE EVENT TRIGGER pgduplex_capture_created_table ON ddl_command_start
  WHEN TAG IN ('CREATE TABLE AS', 'SELECT INTO')
  EXECUTE FUNCTION capture_ddl();
