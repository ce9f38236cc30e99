-- Large values in chunks (option value_chunk_size): a value longer than the
-- chunk size travels as value_chunk records of at most that many bytes,
-- just before its change, where it is marked chunked; a value of exactly
-- the chunk size, NULLs and unchanged TOAST travel as before. Without the
-- option nothing is chunked.
\pset format unaligned
CREATE TABLE chunked (id int PRIMARY KEY, a text, b text);
ALTER TABLE chunked REPLICA IDENTITY FULL;
ALTER TABLE chunked ALTER a SET STORAGE EXTERNAL, ALTER b SET STORAGE EXTERNAL;
SELECT 'init' FROM pg_create_logical_replication_slot('regress_chunks', 'pgduplex');

-- bad values are refused, naming the option
SELECT * FROM peek('regress_chunks', 'proto_version', '1', 'value_chunk_size', '1023');
SELECT * FROM peek('regress_chunks', 'proto_version', '1', 'value_chunk_size', 'big');

INSERT INTO chunked VALUES (1, left(repeat(md5('a'), 100), 2500), NULL);
INSERT INTO chunked VALUES (2, left(repeat(md5('b'), 100), 1024), left(repeat(md5('c'), 100), 1025));
UPDATE chunked SET b = 'small' WHERE id = 1;
UPDATE chunked SET a = 'x' WHERE id = 2;
DELETE FROM chunked WHERE id = 1;

-- without the option: no chunk
SELECT count(*) AS chunks
  FROM peek('regress_chunks', 'proto_version', '1') AS c(r) WHERE r ? 'value_chunk';

CREATE TEMP TABLE s AS
  SELECT row_number() OVER () AS n, pgduplex.record_to_json(data)::jsonb AS r
    FROM pg_logical_slot_get_binary_changes('regress_chunks', NULL, NULL,
                                            'proto_version', '1', 'value_chunk_size', '1024');
-- the record sequence: chunks (tuple, column, total, size) before their change
SELECT n, CASE WHEN r ? 'value_chunk' THEN
         format('chunk %s %s %s %s', r->'value_chunk'->>'tuple', r->'value_chunk'->>'column',
                r->'value_chunk'->>'total_size', length(r->'value_chunk'->>'data'))
       ELSE (SELECT key FROM jsonb_object_keys(r) AS key) END AS record
  FROM s WHERE NOT (r ? 'begin' OR r ? 'commit' OR r ? 'relation') ORDER BY n;
-- the changes' values: chunked markers, NULL, lengths of whole values
SELECT n, key AS kind,
       (SELECT string_agg(CASE WHEN jsonb_typeof(v) = 'string' THEN length(v #>> '{}')::text ELSE v::text END,
                          ', ' ORDER BY i)
          FROM jsonb_array_elements(value->'new_tuple') WITH ORDINALITY AS e(v, i)) AS new_tuple,
       (SELECT string_agg(CASE WHEN jsonb_typeof(v) = 'string' THEN length(v #>> '{}')::text ELSE v::text END,
                          ', ' ORDER BY i)
          FROM jsonb_array_elements(value->'old_tuple') WITH ORDINALITY AS e(v, i)) AS old_tuple
  FROM s, jsonb_each(r) WHERE key IN ('insert', 'update', 'delete') ORDER BY n;
-- the chunks of each value put back together are the value
SELECT r->'value_chunk'->>'tuple' AS tuple, r->'value_chunk'->>'column' AS col,
       md5(string_agg(r->'value_chunk'->>'data', '' ORDER BY n)) AS md5
  FROM s WHERE r ? 'value_chunk'
  GROUP BY 1, 2, (SELECT min(later.n) FROM s AS later WHERE later.n > s.n AND NOT later.r ? 'value_chunk')
  ORDER BY min(n);
SELECT md5(left(repeat(md5('a'), 100), 2500)) AS a1, md5(left(repeat(md5('c'), 100), 1025)) AS b2;

SELECT 'stop' FROM pg_drop_replication_slot('regress_chunks');
DROP TABLE chunked;
