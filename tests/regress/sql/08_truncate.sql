-- TRUNCATE is its own record: every relation it emptied (those reached by
-- CASCADE included), with the CASCADE and RESTART IDENTITY flags, after a
-- Relation record for each.
\pset format unaligned
CREATE TABLE tr_parent (id int PRIMARY KEY);
CREATE TABLE tr_child (id int PRIMARY KEY, parent int REFERENCES tr_parent);
CREATE TABLE tr_counter (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
CREATE TABLE tr_parted (id int) PARTITION BY LIST (id);
CREATE TABLE tr_parted_1 PARTITION OF tr_parted FOR VALUES IN (1);

SELECT 'init' FROM pg_create_logical_replication_slot('regress_truncate', 'pgduplex');

INSERT INTO tr_parent VALUES (1);
INSERT INTO tr_child VALUES (1, 1);
INSERT INTO tr_counter (v) VALUES ('x');
TRUNCATE tr_parent, tr_counter RESTART IDENTITY CASCADE;
TRUNCATE tr_counter;
TRUNCATE tr_parted;
SELECT * FROM changes('regress_truncate', 'proto_version', '1');

SELECT pg_drop_replication_slot('regress_truncate');
