-- Changes are reported for the leaf partition that holds the row; its
-- Relation record names the root of the partition tree, so a target that
-- is not partitioned the same way can write to the root.
\pset format unaligned
SET datestyle = 'ISO, YMD';
CREATE TABLE measurements (id int, at date, v text, PRIMARY KEY (id, at))
  PARTITION BY RANGE (at);
CREATE TABLE measurements_2023 PARTITION OF measurements
  FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
-- a second level: the root is still measurements
CREATE TABLE measurements_2024 PARTITION OF measurements
  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') PARTITION BY HASH (id);
CREATE TABLE measurements_2024_h0 PARTITION OF measurements_2024
  FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE measurements_2024_h1 PARTITION OF measurements_2024
  FOR VALUES WITH (MODULUS 2, REMAINDER 1);

SELECT 'init' FROM pg_create_logical_replication_slot('regress_parts', 'pgduplex');

INSERT INTO measurements VALUES (1, '2023-06-01', 'a'), (2, '2024-06-01', 'b'), (3, '2024-06-01', 'c');
UPDATE measurements SET v = 'a2' WHERE id = 1;
-- moving a row to another partition is a delete and an insert
UPDATE measurements SET at = '2024-07-01' WHERE id = 1;
DELETE FROM measurements WHERE id = 2;
SELECT * FROM changes('regress_parts', 'proto_version', '1');

SELECT pg_drop_replication_slot('regress_parts');
