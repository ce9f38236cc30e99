-- pgduplex 1.1 -> 1.2: what last-write-wins needs to converge: tombstones
-- (when was a row deleted here), and the conflict types it detects.

\echo Use "ALTER EXTENSION pgduplex UPDATE TO '1.2'" to load this file. \quit

-- One row per key deleted locally (and one per table truncated locally,
-- with key ''): see plugin/src/pg/tombstones.cpp. The decisive time is the
-- commit timestamp of the row's xmin; deleted_at serves the purge (and
-- stands in when commit timestamps are off). Grants nothing: the trigger
-- writes it as its owner, tombstone_time reads it for callers who may
-- read the table concerned, purge_tombstones is the worker's.
CREATE TABLE tombstones (
  relid       oid NOT NULL,
  key         bytea NOT NULL,
  deleted_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (relid, key)
);
CREATE INDEX tombstones_deleted_at ON tombstones (deleted_at);

-- AFTER DELETE ... FOR EACH ROW and AFTER TRUNCATE ... FOR EACH STATEMENT,
-- created by the worker on its target tables under last-write-wins. Open
-- to every role, because CREATE TRIGGER needs EXECUTE on it: a role that
-- attaches it to a table of its own can only record deletes of that table.
CREATE FUNCTION record_tombstone() RETURNS trigger
  AS 'MODULE_PATHNAME', 'pgduplex_record_tombstone'
  LANGUAGE C SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;

-- The commit time of the latest local delete of the row whose key columns
-- (names) have the given text values, or of the latest TRUNCATE of the
-- table, whichever is later; NULL when there is none. The caller must be
-- allowed to SELECT from the table.
CREATE FUNCTION tombstone_time(relid oid, columns text[], key text[]) RETURNS timestamptz
  AS 'MODULE_PATHNAME', 'pgduplex_tombstone_time'
  LANGUAGE C STABLE;

-- Forgets tombstones older than `keep`; returns how many. The worker calls
-- it now and then with its sync.tombstone_retention.
CREATE FUNCTION purge_tombstones(keep interval) RETURNS bigint
  LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  AS $$
    WITH gone AS (
      DELETE FROM pgduplex.tombstones WHERE deleted_at < clock_timestamp() - keep RETURNING 1
    ) SELECT count(*) FROM gone
  $$;
REVOKE ALL ON FUNCTION purge_tombstones(interval) FROM PUBLIC;

-- The replication origins the initial copy's sessions wrote B's rows
-- under (they are dropped when the copy is done): last-write-wins counts a
-- row they wrote last as the forward direction's own history, like a row
-- its apply wrote.
ALTER TABLE initial_sync ADD COLUMN copy_origins oid[] NOT NULL DEFAULT '{}';

-- The conflict types of last-write-wins (the names PostgreSQL 18 uses
-- where it has one), and of schema drift (as PGD names them): a change
-- for a table or column a forward DDL removed or renamed on the target.
ALTER TABLE conflicts DROP CONSTRAINT conflicts_conflict_type_check;
ALTER TABLE conflicts ADD CONSTRAINT conflicts_conflict_type_check CHECK (conflict_type IN
  ('insert_exists', 'update_missing', 'update_exists', 'delete_missing', 'ddl_not_applied',
   'update_origin_differs', 'delete_origin_differs', 'update_deleted', 'insert_deleted',
   'multiple_unique_conflicts', 'target_table_missing', 'target_column_missing'));
