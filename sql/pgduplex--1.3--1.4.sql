-- pgduplex 1.3 -> 1.4: last-write-wins for tables without a key.

\echo Use "ALTER EXTENSION pgduplex UPDATE TO '1.4'" to load this file. \quit

-- On a table without a key index, record_tombstone() remembers a local
-- DELETE or UPDATE under the whole old row (key) and what the row became
-- (successor: the whole new row in the same byte form; NULL for a DELETE).
-- See plugin/src/pg/keyless_successors.cpp.
ALTER TABLE tombstones ADD COLUMN successor bytea;

-- What became of the row with these values (every column, by name): one
-- row per local change in the chain, in order, with its commit time and
-- the values it left (NULL for a DELETE); no rows when nothing is
-- remembered. Like tombstone_time, only for a caller who may SELECT from
-- the table.
CREATE FUNCTION keyless_successor(relid oid, columns text[], vals text[])
  RETURNS TABLE (changed_at timestamptz, successor text[])
  AS 'MODULE_PATHNAME', 'pgduplex_keyless_successor'
  LANGUAGE C STABLE STRICT ROWS 2;

-- The time the worker gives an alias (below); NULL for what the trigger
-- records, whose time is its transaction's commit time.
ALTER TABLE tombstones ADD COLUMN changed_at timestamptz;

-- Called by the worker when an incoming UPDATE of a table without a key
-- lost here: its new values lead to what the row is here (successor; NULL
-- when deleted) as of `at`. Needs UPDATE on the table. Not SECURITY
-- DEFINER: the values are read (type input, domain checks) as the caller;
-- the C code writes the tombstone as the table's owner.
CREATE FUNCTION keyless_alias(relid oid, columns text[], vals text[], successor text[], at timestamptz)
  RETURNS void
  AS 'MODULE_PATHNAME', 'pgduplex_keyless_alias'
  LANGUAGE C
  SET search_path = pg_catalog, pg_temp;

-- The fast path's per-row question under last-write-wins: may a change
-- committed at `ts` overwrite the row version whose xmin is given? (Its
-- writer is this direction's history, unknown, or older.) The worker used
-- a subquery over pg_xact_commit_timestamp_origin before; same answer,
-- without a subplan per row. See plugin/src/pg/last_writer.cpp.
CREATE FUNCTION written_before(row_xmin xid, ts timestamptz, ties boolean, origin oid, copy_origins oid[])
  RETURNS boolean
  AS 'MODULE_PATHNAME', 'pgduplex_written_before'
  LANGUAGE C STABLE PARALLEL SAFE;

-- Whether anything of the table is remembered in tombstones: the worker
-- asks once per INSERT statement (an initplan) and looks up each row's key
-- with tombstone_time only when it is.
CREATE FUNCTION has_tombstones(relid oid) RETURNS boolean
  AS 'MODULE_PATHNAME', 'pgduplex_has_tombstones'
  LANGUAGE C STABLE STRICT PARALLEL SAFE;
