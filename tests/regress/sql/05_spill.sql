-- A transaction far larger than logical_decoding_work_mem (64kB here) is
-- spilled to disk by the server and still arrives whole, in order, one
-- record per change.
\pset format unaligned
CREATE TABLE spill (id int PRIMARY KEY, payload text);

SELECT 'init' FROM pg_create_logical_replication_slot('regress_spill', 'pgduplex');

BEGIN;
INSERT INTO spill SELECT i, repeat(md5(i::text), 4) FROM generate_series(1, 20000) i;
UPDATE spill SET payload = 'updated' WHERE id <= 5000;
DELETE FROM spill WHERE id > 15000;
COMMIT;

CREATE TEMP TABLE spilled AS
  SELECT row_number() OVER () AS n, record
    FROM changes('regress_spill', 'proto_version', '1');

-- one begin, one relation, 30,000 changes, one commit
SELECT k AS kind, count(*) FROM spilled, jsonb_object_keys(record) AS k GROUP BY k ORDER BY k;
SELECT record FROM spilled WHERE n IN (1, 2, 3) OR n >= (SELECT max(n) - 1 FROM spilled) ORDER BY n;
-- inserts in id order, 20,000 distinct rows
SELECT count(DISTINCT (record #>> '{insert,new_tuple,0}')::int) AS rows,
       bool_and((record #>> '{insert,new_tuple,0}')::int = n - 2) AS in_order
  FROM spilled WHERE record ? 'insert';
SELECT sum(length(record #>> '{insert,new_tuple,1}')) AS payload_chars FROM spilled WHERE record ? 'insert';

-- the server did spill it
SELECT pg_stat_clear_snapshot();
SELECT spill_txns > 0 AS spilled, spill_bytes > 65536 AS more_than_work_mem
  FROM pg_stat_replication_slots WHERE slot_name = 'regress_spill';

SELECT pg_drop_replication_slot('regress_spill');
