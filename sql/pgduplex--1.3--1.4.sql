-- pgduplex 1.3 -> 1.4: last-write-wins for tables without a key.

\echo Use "ALTER EXTENSION pgduplex UPDATE TO '1.4'" to load this file. \quit

-- On a table without a key index, record_tombstone() remembers a local
-- DELETE or UPDATE under the whole old row (key) and what the row became
-- (successor: the whole new row in the same byte form; NULL for a DELETE).
-- See plugin/src/pg/keyless_successors.cpp.
ALTER TABLE tombstones ADD COLUMN successor bytea;

-- What became of the row with these values (every column, by name): the
-- commit time of the last local change in the chain and the row's values
-- now (NULL when it was deleted); no row when nothing is remembered. Like
-- tombstone_time, only for a caller who may SELECT from the table.
CREATE FUNCTION keyless_successor(relid oid, columns text[], vals text[],
                                  OUT changed_at timestamptz, OUT successor text[])
  RETURNS record
  AS 'MODULE_PATHNAME', 'pgduplex_keyless_successor'
  LANGUAGE C STABLE STRICT;

-- The time the worker gives an alias (below); NULL for what the trigger
-- records, whose time is its transaction's commit time.
ALTER TABLE tombstones ADD COLUMN changed_at timestamptz;

-- Called by the worker when an incoming UPDATE of a table without a key
-- lost here: its new values lead to what the row is here (successor; NULL
-- when deleted) as of `at`. Needs UPDATE on the table.
CREATE FUNCTION keyless_alias(relid oid, columns text[], vals text[], successor text[], at timestamptz)
  RETURNS void
  AS 'MODULE_PATHNAME', 'pgduplex_keyless_alias'
  LANGUAGE C SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
