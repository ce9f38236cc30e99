-- Replica identity decides the key flag of the Relation record and the old
-- image of UPDATE and DELETE:
--   DEFAULT (primary key): old key only when the key changed; DELETE key
--     only (other columns NULL). No primary key: no old image at all.
--   USING INDEX: the same with the index columns.
--   FULL: the whole old row, every time; every column is "key".
--   NOTHING: no old image.
\pset format unaligned
CREATE TABLE ri_default (id int PRIMARY KEY, v text);
CREATE TABLE ri_default_nokey (id int, v text);
CREATE TABLE ri_index (a int NOT NULL, b int NOT NULL, v text);
CREATE UNIQUE INDEX ri_index_ab ON ri_index (a, b);
ALTER TABLE ri_index REPLICA IDENTITY USING INDEX ri_index_ab;
CREATE TABLE ri_full (id int PRIMARY KEY, v text);
ALTER TABLE ri_full REPLICA IDENTITY FULL;
CREATE TABLE ri_nothing (id int PRIMARY KEY, v text);
ALTER TABLE ri_nothing REPLICA IDENTITY NOTHING;

SELECT 'init' FROM pg_create_logical_replication_slot('regress_ri', 'pgduplex');

INSERT INTO ri_default VALUES (1, 'a');
UPDATE ri_default SET v = 'b' WHERE id = 1;
UPDATE ri_default SET id = 2 WHERE id = 1;
DELETE FROM ri_default WHERE id = 2;
SELECT * FROM changes('regress_ri', 'proto_version', '1');

INSERT INTO ri_default_nokey VALUES (1, 'a');
UPDATE ri_default_nokey SET id = 2;
DELETE FROM ri_default_nokey;
SELECT * FROM changes('regress_ri', 'proto_version', '1');

INSERT INTO ri_index VALUES (1, 1, 'a');
UPDATE ri_index SET v = 'b';
UPDATE ri_index SET b = 2;
DELETE FROM ri_index;
SELECT * FROM changes('regress_ri', 'proto_version', '1');

INSERT INTO ri_full VALUES (1, 'a');
UPDATE ri_full SET v = 'b';
UPDATE ri_full SET id = 2;
DELETE FROM ri_full;
SELECT * FROM changes('regress_ri', 'proto_version', '1');

INSERT INTO ri_nothing VALUES (1, 'a');
UPDATE ri_nothing SET v = 'b';
UPDATE ri_nothing SET id = 2;
DELETE FROM ri_nothing;
SELECT * FROM changes('regress_ri', 'proto_version', '1');

SELECT pg_drop_replication_slot('regress_ri');
