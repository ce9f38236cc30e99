-- Tombstones: local deletes and truncates leave (table, key) with the
-- commit time of the deleting transaction; tombstone_time finds them from
-- the text the source sends, whatever this session's settings.
\pset format unaligned
CREATE TABLE tomb_k (id int, at timestamptz, v text, PRIMARY KEY (id, at));
CREATE TRIGGER pgduplex_tombstone AFTER DELETE ON tomb_k
  FOR EACH ROW EXECUTE FUNCTION pgduplex.record_tombstone();
CREATE TRIGGER pgduplex_truncate AFTER TRUNCATE ON tomb_k
  FOR EACH STATEMENT EXECUTE FUNCTION pgduplex.record_tombstone();
INSERT INTO tomb_k VALUES (1, '2026-01-01 10:00:00+00', 'a'), (2, '2026-01-01 10:00:00+00', 'b');
SET TimeZone = 'Asia/Kolkata';
DELETE FROM tomb_k WHERE id = 1;
-- the key's tombstone is the delete's commit time, found from UTC text in another TimeZone
SELECT pgduplex.tombstone_time('tomb_k'::regclass, '{at,id,v}', '{"2026-01-01 11:00:00+01",1,x}')
       = (SELECT pg_xact_commit_timestamp(xmin) FROM pgduplex.tombstones) AS found_by_key;
-- another key, or too few key columns: none
SELECT pgduplex.tombstone_time('tomb_k'::regclass, '{id,at}', '{2,"2026-01-01 10:00:00+00"}') IS NULL AS other_key;
SELECT pgduplex.tombstone_time('tomb_k'::regclass, '{id}', '{1}') IS NULL AS partial_key;
-- deleting again keeps one tombstone per key, the latest
INSERT INTO tomb_k VALUES (1, '2026-01-01 10:00:00+00', 'a');
DELETE FROM tomb_k WHERE id = 1;
SELECT count(*) FROM pgduplex.tombstones;
-- a TRUNCATE covers every key
TRUNCATE tomb_k;
SELECT pgduplex.tombstone_time('tomb_k'::regclass, '{id,at}', '{2,"2026-01-01 10:00:00+00"}')
       = (SELECT pg_xact_commit_timestamp(xmin) FROM pgduplex.tombstones WHERE key = '') AS truncate_covers;
RESET TimeZone;

-- an apply session (session_replication_role = replica) leaves none
INSERT INTO tomb_k VALUES (3, now(), 'c');
SET session_replication_role = replica;
DELETE FROM tomb_k WHERE id = 3;
RESET session_replication_role;
SELECT count(*) FROM pgduplex.tombstones;

-- partitions: remembered under the root; a keyless table leaves none
CREATE TABLE tomb_p (id int PRIMARY KEY, v text) PARTITION BY RANGE (id);
CREATE TABLE tomb_p1 PARTITION OF tomb_p FOR VALUES FROM (0) TO (100);
CREATE TRIGGER pgduplex_tombstone AFTER DELETE ON tomb_p
  FOR EACH ROW EXECUTE FUNCTION pgduplex.record_tombstone();
CREATE TRIGGER pgduplex_truncate AFTER TRUNCATE ON tomb_p
  FOR EACH STATEMENT EXECUTE FUNCTION pgduplex.record_tombstone();
INSERT INTO tomb_p VALUES (5, 'x');
DELETE FROM tomb_p1 WHERE id = 5;
SELECT relid::regclass FROM pgduplex.tombstones WHERE relid = 'tomb_p'::regclass;
SELECT pgduplex.tombstone_time('tomb_p'::regclass, '{id}', '{5}') IS NOT NULL AS found_in_root;
-- a TRUNCATE of the partitioned table is remembered under it
TRUNCATE tomb_p;
SELECT count(*) FROM pgduplex.tombstones WHERE relid = 'tomb_p'::regclass AND key = '';
CREATE TABLE tomb_keyless (v text);
CREATE TRIGGER pgduplex_tombstone AFTER DELETE ON tomb_keyless
  FOR EACH ROW EXECUTE FUNCTION pgduplex.record_tombstone();
INSERT INTO tomb_keyless VALUES ('x');
DELETE FROM tomb_keyless;
-- extension 1.4: a table without a key is remembered under the whole row,
-- with what the row became, for keyless_successor only (tombstone_time,
-- which judges INSERTs, does not see it)
SELECT pgduplex.tombstone_time('tomb_keyless'::regclass, ARRAY['v'], ARRAY['x']) IS NULL AS no_tombstone_time;
SELECT changed_at IS NOT NULL AS known, successor FROM pgduplex.keyless_successor('tomb_keyless'::regclass, ARRAY['v'], ARRAY['x']);
CREATE TRIGGER pgduplex_release AFTER UPDATE ON tomb_keyless
  FOR EACH ROW EXECUTE FUNCTION pgduplex.record_tombstone();
INSERT INTO tomb_keyless VALUES ('y');
UPDATE tomb_keyless SET v = 'z';
UPDATE tomb_keyless SET v = 'w';
SELECT changed_at IS NOT NULL AS known, successor FROM pgduplex.keyless_successor('tomb_keyless'::regclass, ARRAY['v'], ARRAY['y']);
SELECT count(*) FROM pgduplex.keyless_successor('tomb_keyless'::regclass, ARRAY['v'], ARRAY['never']) WHERE changed_at IS NOT NULL;
SELECT pgduplex.keyless_successor('tomb_keyless'::regclass, ARRAY['nope'], ARRAY['y']);
DELETE FROM tomb_keyless;
SELECT count(*) FROM pgduplex.tombstones WHERE relid = 'tomb_keyless'::regclass;

-- a plain role: its deletes leave tombstones through the trigger, but it
-- cannot read the table, write it, purge it, or ask about a table it cannot read
CREATE ROLE regress_tomb_user;
GRANT SELECT, INSERT, DELETE ON tomb_p TO regress_tomb_user;
SET ROLE regress_tomb_user;
INSERT INTO tomb_p VALUES (6, 'y');
DELETE FROM tomb_p WHERE id = 6;
SELECT pgduplex.tombstone_time('tomb_p'::regclass, '{id}', '{6}') IS NOT NULL AS own_delete_seen;
SELECT count(*) FROM pgduplex.tombstones;
INSERT INTO pgduplex.tombstones VALUES ('tomb_k'::regclass, '\x00');
SELECT pgduplex.purge_tombstones('0');
SELECT pgduplex.tombstone_time('tomb_k'::regclass, '{id,at}', '{2,"2026-01-01 10:00:00+00"}');
RESET ROLE;
-- the purge forgets old tombstones
SELECT pgduplex.purge_tombstones('1 hour') AS purged_recent;
SELECT pgduplex.purge_tombstones('0') > 0 AS purged_all;
SELECT count(*) FROM pgduplex.tombstones;
-- tombstones never travel
SELECT count(*) FROM pg_create_logical_replication_slot('regress_tomb', 'pgduplex');
DELETE FROM tomb_k;
INSERT INTO tomb_k VALUES (9, now(), 'z');
DELETE FROM tomb_k;
SELECT pgduplex.record_to_json(data)->'relation'->>'name' AS relation_sent
  FROM pg_logical_slot_get_binary_changes('regress_tomb', NULL, NULL, 'proto_version', '1')
  WHERE pgduplex.record_to_json(data) ? 'relation';
SELECT pg_drop_replication_slot('regress_tomb');
SELECT pgduplex.has_tombstones('tomb_k'::regclass) AS k_has, pgduplex.has_tombstones('tomb_keyless'::regclass) AS keyless_has;
CREATE TABLE tomb_none (i int PRIMARY KEY);
SELECT pgduplex.has_tombstones('tomb_none'::regclass) AS none_has;
DROP TABLE tomb_k, tomb_p, tomb_keyless, tomb_none;
DROP ROLE regress_tomb_user;
-- written_before (1.4): may a change committed at ts overwrite the row
-- version? Unknown writers count as older; this direction's origin (and
-- the copy origins) are the same history.
CREATE TABLE tomb_wb (i int);
INSERT INTO tomb_wb VALUES (1);
SELECT pgduplex.written_before(NULL, now(), false, 99, NULL) AS no_xmin,
       pgduplex.written_before('2'::xid, now(), false, 99, NULL) AS frozen;
SELECT pgduplex.written_before(xmin, pg_xact_commit_timestamp(xmin) - interval '1 s', false, 99, NULL) AS newer_row,
       pgduplex.written_before(xmin, pg_xact_commit_timestamp(xmin) + interval '1 s', false, 99, NULL) AS older_row,
       pgduplex.written_before(xmin, pg_xact_commit_timestamp(xmin), true, 99, NULL) AS tie_won,
       pgduplex.written_before(xmin, pg_xact_commit_timestamp(xmin), false, 99, NULL) AS tie_lost,
       pgduplex.written_before(xmin, pg_xact_commit_timestamp(xmin) - interval '1 s', false, 0, NULL) AS own_origin,
       pgduplex.written_before(xmin, pg_xact_commit_timestamp(xmin) - interval '1 s', false, 99, ARRAY[5, 0]::oid[]) AS copy_origin
  FROM tomb_wb;
DROP TABLE tomb_wb;
