-- Dropped and generated columns never travel: the Relation record lists
-- only the columns a target must write, and tuples carry one value each.
-- A change of the table's definition makes the next change re-send it.
\pset format unaligned
CREATE TABLE cols (id int PRIMARY KEY, gone text, v int,
                   doubled int GENERATED ALWAYS AS (v * 2) STORED, w text);
ALTER TABLE cols DROP COLUMN gone;

SELECT 'init' FROM pg_create_logical_replication_slot('regress_cols', 'pgduplex');

INSERT INTO cols (id, v, w) VALUES (1, 10, 'x');
UPDATE cols SET v = 11;
SELECT * FROM changes('regress_cols', 'proto_version', '1', 'ddl', 'false');

-- a new column with a default (old rows do not store it), in the same
-- transaction as changes before and after it
BEGIN;
INSERT INTO cols (id, v, w) VALUES (2, 20, 'y');
ALTER TABLE cols ADD COLUMN added text DEFAULT 'dflt';
UPDATE cols SET v = 12 WHERE id = 1;
INSERT INTO cols (id, v, w, added) VALUES (3, 30, 'z', 'given');
COMMIT;
SELECT * FROM changes('regress_cols', 'proto_version', '1', 'ddl', 'false');

-- a changed column type and a renamed column
ALTER TABLE cols ALTER COLUMN added TYPE varchar(20);
ALTER TABLE cols RENAME COLUMN w TO label;
UPDATE cols SET v = 13 WHERE id = 1;
SELECT * FROM changes('regress_cols', 'proto_version', '1', 'ddl', 'false');

SELECT pg_drop_replication_slot('regress_cols');
