-- tables: only the listed tables (schema.table, schema.*) travel; a
-- partition travels when its root is listed. Relation records and TRUNCATE
-- lists follow the same filter, and a transaction with nothing left to send
-- sends nothing.
\pset format unaligned
CREATE SCHEMA sales;
CREATE SCHEMA other;
CREATE TABLE public.keep_me (id int PRIMARY KEY);
CREATE TABLE public.skip_me (id int PRIMARY KEY);
CREATE TABLE sales.orders (id int PRIMARY KEY);
CREATE TABLE other.stuff (id int PRIMARY KEY);
CREATE TABLE "Mixed Case" (id int PRIMARY KEY);
CREATE TABLE events (id int, kind text) PARTITION BY LIST (kind);
CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a');

SELECT 'init' FROM pg_create_logical_replication_slot('regress_tables', 'pgduplex');

INSERT INTO skip_me VALUES (1);                     -- nothing to send
BEGIN;
INSERT INTO keep_me VALUES (1);
INSERT INTO skip_me VALUES (2);
INSERT INTO sales.orders VALUES (1);
INSERT INTO other.stuff VALUES (1);
INSERT INTO "Mixed Case" VALUES (1);
INSERT INTO events VALUES (1, 'a');
COMMIT;
TRUNCATE keep_me, skip_me, other.stuff;
TRUNCATE skip_me;                                   -- nothing to send

SELECT * FROM changes('regress_tables', 'proto_version', '1', 'ddl', 'false',
                      'tables', 'public.keep_me, sales.*, public."Mixed Case", public.events');

SELECT pg_drop_replication_slot('regress_tables');
