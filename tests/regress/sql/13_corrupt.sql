-- record_to_json decodes strictly: garbage, a truncated record, an empty
-- one or a record kind from a later version is an ERROR, never a crash.
\pset format unaligned
CREATE TABLE corrupt_src (id int PRIMARY KEY, v text);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_corrupt', 'pgduplex');
INSERT INTO corrupt_src VALUES (1, 'a value long enough to cut in the middle');
CREATE TEMP TABLE recs AS
  SELECT row_number() OVER () AS n, data
    FROM pg_logical_slot_get_binary_changes('regress_corrupt', NULL, NULL, 'proto_version', '1');
SELECT pg_drop_replication_slot('regress_corrupt');

-- the insert record, whole
SELECT stable(pgduplex.record_to_json(data)) FROM recs WHERE n = 3;
-- cut short, by one byte and by half
SELECT pgduplex.record_to_json(substring(data FROM 1 FOR length(data) - 1)) FROM recs WHERE n = 3;
SELECT pgduplex.record_to_json(substring(data FROM 1 FOR length(data) / 2)) FROM recs WHERE n = 3;
-- every cut of every record fails the same way
CREATE FUNCTION all_cuts_fail() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  r record;
  failed int := 0;
  cuts int := 0;
BEGIN
  FOR r IN SELECT data FROM recs LOOP
    FOR i IN 1 .. length(r.data) - 1 LOOP
      cuts := cuts + 1;
      BEGIN
        PERFORM pgduplex.record_to_json(substring(r.data FROM 1 FOR i));
      EXCEPTION WHEN data_corrupted THEN
        failed := failed + 1;
      END;
    END LOOP;
  END LOOP;
  RETURN cuts > 0 AND failed = cuts;
END
$$;
SELECT all_cuts_fail();
-- garbage
SELECT pgduplex.record_to_json('\x0102');
SELECT pgduplex.record_to_json('\xffffffffffffffffffffff');
SELECT pgduplex.record_to_json(convert_to('hello, world', 'UTF8'));
-- empty, and a kind from a later version (field 20)
SELECT pgduplex.record_to_json('\x');
SELECT pgduplex.record_to_json('\xa20100');
-- NULL in, NULL out
SELECT pgduplex.record_to_json(NULL) IS NULL AS is_null;
DROP FUNCTION all_cuts_fail();
