-- row_filter and operations: per-table rules of a stream. An UPDATE moving
-- a row into the filter becomes an INSERT, out of it a DELETE; operations
-- are checked on the change as sent; a filter that uses anything but the
-- table's own columns and immutable built-in functions is refused, naming
-- the table.
\pset format unaligned
CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL, n int);
ALTER TABLE orders REPLICA IDENTITY FULL;
CREATE TABLE archive (id int PRIMARY KEY, note text);
CREATE FUNCTION my_upper(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT upper(t)';

-- Only the kind of each record and its rows, in stream order.
CREATE FUNCTION brief(slot name, VARIADIC options text[]) RETURNS SETOF text
  LANGUAGE sql AS $$
    SELECT concat_ws(' ', k, r -> k ->> 'relation_oid', r -> k -> 'relation_oids',
                     r -> k -> 'new_tuple', r -> k -> 'old_tuple')
      FROM changes(slot, VARIADIC options) AS c(r), jsonb_object_keys(r) AS k
     WHERE k IN ('insert', 'update', 'delete', 'truncate')
$$;

SELECT 'init' FROM pg_create_logical_replication_slot('regress_rules', 'pgduplex');
INSERT INTO orders VALUES (1, 'eu', 1), (2, 'us', 1);
UPDATE orders SET n = 2 WHERE id = 1;            -- stays in: UPDATE
UPDATE orders SET n = 2 WHERE id = 2;            -- stays out: nothing
UPDATE orders SET region = 'eu' WHERE id = 2;    -- moves in: INSERT
UPDATE orders SET region = 'us' WHERE id = 1;    -- moves out: DELETE
DELETE FROM orders WHERE id = 1;                 -- out: nothing
DELETE FROM orders WHERE id = 2;                 -- in: DELETE
INSERT INTO archive VALUES (1, 'a'), (2, 'b');
UPDATE archive SET note = 'c' WHERE id = 1;      -- update not carried
DELETE FROM archive WHERE id = 2;                -- delete not carried
TRUNCATE archive;                                -- truncate not carried
TRUNCATE orders;                                 -- carried

SELECT * FROM brief('regress_rules', 'proto_version', '1', 'ddl', 'false',
                    'row_filter', 'public.orders WHERE region = ''eu''',
                    'operations', 'public.archive insert');

-- Refused filters and malformed options.
\set SHOW_CONTEXT never
INSERT INTO orders VALUES (3, 'eu', 1);
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'row_filter', 'public.orders WHERE n > random()');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'row_filter', 'public.orders WHERE nope = 1');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'row_filter', 'public.orders WHERE my_upper(region) = ''EU''');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'row_filter', 'public.orders WHERE id IN (SELECT 1)');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'row_filter', 'public.orders WHERE count(*) > 0');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'row_filter', 'public.orders WHERE xmin = ''1''');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'row_filter', 'public.orders WHERE true) UNION (SELECT false');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'row_filter', 'public.orders WHERE id = 1 ORDER BY 1');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'row_filter', 'public.orders region = ''eu''');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'row_filter', 'public.orders WHERE true',
                    'row_filter', 'public.orders WHERE false');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'operations', 'public.orders insert,upsert');
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'operations', 'orders insert');
-- The filter keeps working after the table changes (relcache invalidation).
ALTER TABLE orders ADD COLUMN extra int;
INSERT INTO orders VALUES (4, 'eu', 1, 7), (5, 'us', 1, 7);
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'operations', 'public.orders none',
                    'row_filter', 'public.orders WHERE region = ''eu'' AND lower(region) <> ''x''');
INSERT INTO orders VALUES (6, 'eu', 1, 7), (7, 'us', 1, 7);
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'operations', 'public.orders INSERT, delete',
                    'row_filter', 'public.orders WHERE region = ''eu'' AND lower(region) <> ''x''');

-- Operations are checked on the change as sent: with only inserts carried,
-- an UPDATE moving a row into the filter travels (as an INSERT), one moving
-- it out (a DELETE) and one inside it (an UPDATE) do not.
INSERT INTO orders VALUES (8, 'us', 1, 7), (9, 'eu', 1, 7);
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'operations', 'public.orders none');
UPDATE orders SET region = 'eu' WHERE id = 8;
UPDATE orders SET region = 'us' WHERE id = 9;
UPDATE orders SET n = 5 WHERE id = 8;
SELECT * FROM brief('regress_rules', 'proto_version', '1', 'operations', 'public.orders insert',
                    'row_filter', 'public.orders WHERE region = ''eu''');

SELECT pg_drop_replication_slot('regress_rules');

-- pgduplex.row_filter_columns: the columns a filter uses, checked the same way.
SELECT pgduplex.row_filter_columns('orders', 'region = ''eu'' AND n > 1');
SELECT pgduplex.row_filter_columns('orders', 'true');
SELECT pgduplex.row_filter_columns('orders', 'n > random()');
