-- Heartbeats ('pgduplex.heartbeat', written by pgduplex.heartbeat(task))
-- become Heartbeat records; other logical messages become LogicalMessage
-- records, binary content included. A heartbeat with malformed content is
-- passed on as a plain message, with a WARNING; a 'pgduplex.ddl' message is
-- never DDL (anyone can emit one), so it is passed on as a plain message.
\pset format unaligned
CREATE TABLE msg_flush (id int);

SELECT 'init' FROM pg_create_logical_replication_slot('regress_messages', 'pgduplex');

SELECT pgduplex.heartbeat('shop') IS NOT NULL AS heartbeat_written;
SELECT pg_logical_emit_message(false, 'app.audit', 'non-transactional') IS NOT NULL AS emitted;
BEGIN;
SELECT pg_logical_emit_message(true, 'app.audit', 'transactional, äöü') IS NOT NULL AS emitted;
SELECT pg_logical_emit_message(true, 'app.binary', '\x00ff80'::bytea) IS NOT NULL AS emitted;
COMMIT;
SELECT pg_logical_emit_message(false, 'pgduplex.heartbeat', 'no clock here') IS NOT NULL AS emitted;
BEGIN;
SELECT pg_logical_emit_message(true, 'pgduplex.ddl', 'not json') IS NOT NULL AS emitted;
COMMIT;
INSERT INTO msg_flush VALUES (1);  -- non-transactional messages are not flushed by themselves

SELECT * FROM changes('regress_messages', 'proto_version', '1');

-- the heartbeat carries the source clock
SELECT pgduplex.heartbeat('clock') IS NOT NULL AS heartbeat_written;
INSERT INTO msg_flush VALUES (2);
SELECT (pgduplex.record_to_json(data) #>> '{heartbeat,source_time}')::timestamptz
         BETWEEN now() - interval '1 minute' AND clock_timestamp() AS clock_is_now
  FROM pg_logical_slot_get_binary_changes('regress_messages', NULL, NULL, 'proto_version', '1')
 WHERE pgduplex.record_to_json(data) ? 'heartbeat';

SELECT pg_drop_replication_slot('regress_messages');
