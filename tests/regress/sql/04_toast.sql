-- An unchanged TOASTed value is not in the WAL: it travels as
-- {"unchanged_toast": true}, never fetched. A changed one travels whole.
-- (Long strings show as '<N chars, md5 ...>'.)
\pset format unaligned
CREATE TABLE toasted (id int PRIMARY KEY, other int, big text);
ALTER TABLE toasted ALTER COLUMN big SET STORAGE EXTERNAL;  -- no compression
CREATE TABLE toasted_full (id int PRIMARY KEY, other int, big text);
ALTER TABLE toasted_full ALTER COLUMN big SET STORAGE EXTERNAL;
ALTER TABLE toasted_full REPLICA IDENTITY FULL;

SELECT 'init' FROM pg_create_logical_replication_slot('regress_toast', 'pgduplex');

-- the value below, for comparison with what travels
SELECT length(s), md5(s) FROM (SELECT string_agg(md5(i::text), '') AS s
                                 FROM generate_series(1, 200) i) AS v;

-- 6,400 characters of md5 digits: far above the TOAST threshold
INSERT INTO toasted SELECT 1, 1, string_agg(md5(i::text), '') FROM generate_series(1, 200) i;
UPDATE toasted SET other = 2;                         -- big unchanged
UPDATE toasted SET big = big || 'x', other = 3;       -- big changed
UPDATE toasted SET id = 10;                           -- key changed, big unchanged
DELETE FROM toasted;
SELECT * FROM changes('regress_toast', 'proto_version', '1');

-- With REPLICA IDENTITY FULL the old row is complete (detoasted by the
-- server when it logged it); the new row still marks the unchanged value.
INSERT INTO toasted_full SELECT 1, 1, string_agg(md5(i::text), '') FROM generate_series(1, 200) i;
UPDATE toasted_full SET other = 2;
DELETE FROM toasted_full;
SELECT * FROM changes('regress_toast', 'proto_version', '1');

SELECT pg_drop_replication_slot('regress_toast');
