-- Names travel as UTF-8 whatever the database encoding (the wire format's
-- strings are UTF-8); values travel as the bytes of the source's encoding
-- (record_to_json shows bytes that are not UTF-8 as hex).
CREATE DATABASE regress_latin1 TEMPLATE template0 ENCODING 'LATIN1'
  LC_COLLATE 'C' LC_CTYPE 'C';
\c regress_latin1
\pset format unaligned
SET client_encoding = 'UTF8';
CREATE EXTENSION pgduplex;
CREATE TABLE "café" (id int PRIMARY KEY, "naïve" text);
SELECT 'init' FROM pg_create_logical_replication_slot('regress_latin1', 'pgduplex');
INSERT INTO "café" VALUES (1, 'é'), (2, 'plain');
SELECT pgduplex.record_to_json(data) #- '{relation,oid}' #- '{insert,relation_oid}' AS record
  FROM pg_logical_slot_get_binary_changes('regress_latin1', NULL, NULL, 'proto_version', '1')
 WHERE NOT pgduplex.record_to_json(data) ?| ARRAY['begin', 'commit'];
SELECT pg_drop_replication_slot('regress_latin1');
\c regression
DROP DATABASE regress_latin1;
