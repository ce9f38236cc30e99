-- Streaming of in-progress transactions (proto_version 2, streaming 'on'):
-- a transaction larger than logical_decoding_work_mem arrives in blocks
-- (stream_start ... stream_stop) before its commit, every record of a block
-- carrying the xid of the (sub)transaction that made it, then one
-- stream_commit or stream_abort; nothing is spilled to disk.
\pset format unaligned
SET logical_decoding_work_mem = '64kB';
CREATE TABLE streamed (id int PRIMARY KEY, payload text);

SELECT 'init' FROM pg_create_logical_replication_slot('regress_stream', 'pgduplex');

-- small: not streamed, the same records as proto_version 1
INSERT INTO streamed VALUES (0, 'small');
SELECT record FROM changes('regress_stream', 'proto_version', '2', 'streaming', 'on');

-- large, with a subtransaction rolled back after it was streamed
BEGIN;
INSERT INTO streamed SELECT i, repeat(md5(i::text), 4) FROM generate_series(1, 2000) i;
SAVEPOINT s;
INSERT INTO streamed SELECT i, repeat(md5(i::text), 4) FROM generate_series(2001, 4000) i;
ROLLBACK TO SAVEPOINT s;
UPDATE streamed SET payload = 'updated' WHERE id <= 10;
INSERT INTO streamed VALUES (5000, 'last');
COMMIT;
-- large, rolled back
BEGIN;
INSERT INTO streamed SELECT i, repeat(md5(i::text), 4) FROM generate_series(10001, 13000) i;
ROLLBACK;
-- (a commit flushes the WAL, the abort record with it)
INSERT INTO streamed VALUES (-1, 'after');

CREATE TEMP TABLE s AS
  SELECT row_number() OVER () AS n, pgduplex.record_to_json(data)::jsonb AS r
    FROM pg_logical_slot_get_binary_changes('regress_stream', NULL, NULL,
                                            'proto_version', '2', 'streaming', 'on');
CREATE TEMP VIEW k AS
  SELECT n, key AS kind, value AS body FROM s, jsonb_each(r);

SELECT kind, count(*) > 0 AS present FROM k GROUP BY kind ORDER BY kind;
-- several blocks, each well formed; begin/commit only around the small
-- transaction at the end
SELECT count(*) FILTER (WHERE kind = 'stream_start') > 2 AS several_blocks,
       count(*) FILTER (WHERE kind = 'stream_start') = count(*) FILTER (WHERE kind = 'stream_stop') AS balanced,
       count(*) FILTER (WHERE kind IN ('begin', 'commit')) AS begin_commit,
       count(*) FILTER (WHERE kind = 'stream_commit') AS commits,
       count(*) FILTER (WHERE kind = 'stream_abort') AS aborts
  FROM k;
-- blocks: the xid of each record inside; first_segment only on the first
CREATE TEMP TABLE blocks AS
  SELECT a.n AS start_n, min(b.n) AS stop_n, (a.body ->> 'xid')::bigint AS xid,
         (a.body ->> 'first_segment')::bool AS first_segment, a.body ? 'commit_lsn' AS at_commit
    FROM k a JOIN k b ON b.n > a.n AND b.kind = 'stream_stop'
   WHERE a.kind = 'stream_start' GROUP BY a.n, a.body;
SELECT count(DISTINCT xid) AS transactions,
       bool_and(first_segment = (start_n = (SELECT min(start_n) FROM blocks b2 WHERE b2.xid = blocks.xid)))
         AS first_segment_marks_the_first
  FROM blocks;
-- the block written once the transaction committed says so (commit_lsn):
-- only the last block of the committed transaction
SELECT count(*) AS blocks_at_commit,
       bool_and(xid IN (SELECT (body ->> 'xid')::bigint FROM k WHERE kind = 'stream_commit')) AS of_the_committed,
       bool_and(start_n = (SELECT max(start_n) FROM blocks b2 WHERE b2.xid = blocks.xid)) AS its_last_block,
       bool_and(stop_n + 1 = (SELECT n FROM k WHERE kind = 'stream_commit')) AS stream_commit_follows
  FROM blocks WHERE at_commit;
SELECT bool_and(k.body ? 'stream_xid') AS every_record_in_a_block_has_stream_xid,
       bool_and(NOT k.kind LIKE 'stream%') AS no_control_record_inside
  FROM k JOIN blocks ON k.n > blocks.start_n AND k.n < blocks.stop_n;
SELECT count(*) AS records_outside_blocks_with_stream_xid
  FROM k WHERE body ? 'stream_xid'
   AND NOT EXISTS (SELECT 1 FROM blocks WHERE k.n > start_n AND k.n < stop_n);
-- the aborts: one of the subtransaction (after its rows), one of the whole
-- rolled-back transaction
SELECT (body ->> 'xid') = (body ->> 'subxid') AS whole_transaction FROM k WHERE kind = 'stream_abort' ORDER BY n;
SELECT stable(r) FROM s WHERE n = (SELECT max(n) FROM s WHERE r ? 'stream_commit');
-- applying the stream as a client would gives what the table holds
WITH aborted AS (
  SELECT (body ->> 'subxid')::bigint AS xid FROM k WHERE kind = 'stream_abort'
), committed AS (
  SELECT (body ->> 'xid')::bigint AS xid FROM k WHERE kind = 'stream_commit'
), inserted AS (
  SELECT (body #>> '{new_tuple,0}')::int AS id
    FROM k JOIN blocks ON k.n > blocks.start_n AND k.n < blocks.stop_n
   WHERE kind = 'insert' AND blocks.xid IN (SELECT xid FROM committed)
     AND (body ->> 'stream_xid')::bigint NOT IN (SELECT xid FROM aborted)
)
SELECT (SELECT count(*) FROM inserted) AS applied_rows,
       (SELECT count(*) FROM inserted) = (SELECT count(*) FROM streamed WHERE id > 0) AS same_as_table,
       (SELECT array_agg(id ORDER BY id) FROM inserted) = (SELECT array_agg(id ORDER BY id) FROM streamed WHERE id > 0)
         AS same_ids;
SELECT stable(r) #- '{relation,stream_xid}' AS relation_in_a_block FROM s
 WHERE r ? 'relation' AND r #> '{relation}' ? 'stream_xid' LIMIT 1;
SELECT stable(r) FROM s WHERE n >= (SELECT max(n) - 3 FROM s) ORDER BY n;

-- streamed, not spilled
SELECT pg_stat_clear_snapshot();
SELECT spill_bytes = 0 AS nothing_spilled, stream_txns >= 2 AS streamed, stream_bytes > 65536 AS stream_bytes
  FROM pg_stat_replication_slots WHERE slot_name = 'regress_stream';

SELECT pg_drop_replication_slot('regress_stream');
