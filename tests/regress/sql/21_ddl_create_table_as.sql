-- CREATE TABLE AS and SELECT INTO are captured at ddl_command_start, so
-- the Ddl record comes before the rows the command writes (captured at the
-- end, it came after them), once; the table is named in the namespace it
-- is created in. Temporary tables and failed commands leave no record.
\pset format unaligned
CREATE SCHEMA regress_ctas;
CREATE TABLE regress_ctas.src (id int PRIMARY KEY, v text);
INSERT INTO regress_ctas.src VALUES (1, 'one'), (2, 'two');
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ctas', 'pgduplex');

SET search_path = regress_ctas;
CREATE TABLE made AS SELECT * FROM src WHERE id = 2;
SELECT id INTO "Into Me" FROM src WHERE id = 1;
CREATE UNLOGGED TABLE IF NOT EXISTS public.ctas_empty AS SELECT v FROM src WITH NO DATA;
RESET search_path;
-- not captured: temporary tables; a failed command rolls its record back
CREATE TEMP TABLE ctas_temp AS SELECT 1 AS a;
SELECT 1 AS a INTO TEMP ctas_temp2;
CREATE TABLE ctas_failed AS SELECT 1 / 0 AS a;

SELECT * FROM peek('regress_ctas', 'proto_version', '1');

SELECT pg_drop_replication_slot('regress_ctas');
DROP SCHEMA regress_ctas CASCADE;
DROP TABLE public.ctas_empty;
