-- origins = none drops everything written by a session that has a
-- replication origin set up (that is how an apply worker's writes never
-- travel back); origins = any (the default) keeps it and names the origin
-- in Begin.
\pset format unaligned
CREATE TABLE orig (id int PRIMARY KEY, v text);

SELECT 'init' FROM pg_create_logical_replication_slot('regress_origins', 'pgduplex');

INSERT INTO orig VALUES (1, 'local');

SELECT pg_replication_origin_create('regress_peer') > 0 AS created;
SELECT pg_replication_origin_session_setup('regress_peer');
BEGIN;
SELECT pg_replication_origin_xact_setup('0/AB000000', '2024-01-01 00:00:00+00');
INSERT INTO orig VALUES (2, 'applied from the peer');
UPDATE orig SET v = 'changed by the peer' WHERE id = 1;
COMMIT;
SELECT pgduplex.heartbeat('peer task') IS NOT NULL AS heartbeat_written;
SELECT pg_logical_emit_message(true, 'app', 'message under an origin') IS NOT NULL AS emitted;
CREATE TABLE orig_ddl (id int);  -- DDL under an origin
SELECT pg_replication_origin_session_reset();

INSERT INTO orig VALUES (3, 'local again');

SELECT * FROM peek('regress_origins', 'proto_version', '1', 'origins', 'none');
SELECT * FROM changes('regress_origins', 'proto_version', '1', 'origins', 'any');

SELECT pg_drop_replication_slot('regress_origins');
SELECT pg_replication_origin_drop('regress_peer');
DROP TABLE orig_ddl;
