-- One case per type family: every value travels as its type's text output
-- (exactly what SELECT col::text shows), NULL as null. Values are in the
-- session's output format; use the settings a worker would.
\pset format unaligned
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';
SET intervalstyle = 'postgres';
SET extra_float_digits = 1;

CREATE TABLE types_int (id int PRIMARY KEY, s smallint, i int, b bigint);
CREATE TABLE types_numeric (id int PRIMARY KEY, n numeric, p numeric(10,2),
                            r real, d double precision, m money);
CREATE TABLE types_text (id int PRIMARY KEY, t text, v varchar(10), c char(5), n name);
CREATE TABLE types_bytea (id int PRIMARY KEY, b bytea);
CREATE TABLE types_time (id int PRIMARY KEY, ts timestamp, tz timestamptz, d date,
                         t time, tt timetz, iv interval);
CREATE TABLE types_array (id int PRIMARY KEY, ia int[], ta text[], m int[][]);
CREATE TABLE types_range (id int PRIMARY KEY, ir int4range, nr numrange,
                          tr tstzrange, mr int4multirange);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE types_enum (id int PRIMARY KEY, m mood, ms mood[]);
CREATE TYPE pair AS (a int, b text);
CREATE TABLE types_composite (id int PRIMARY KEY, p pair, ps pair[]);
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE DOMAIN short_text AS varchar(8);
CREATE TABLE types_domain (id int PRIMARY KEY, p posint, s short_text);
CREATE TABLE types_json (id int PRIMARY KEY, j json, jb jsonb);
CREATE TABLE types_misc (id int PRIMARY KEY, u uuid, b bool, ip inet, nw cidr,
                         bits bit varying(8), pt point, ts tsvector, o oid);
CREATE TABLE types_null (id int PRIMARY KEY, t text, n numeric, a int[], j jsonb, m mood);

SELECT 'init' FROM pg_create_logical_replication_slot('regress_types', 'pgduplex');

-- integers, limits included
INSERT INTO types_int VALUES (1, -32768, -2147483648, -9223372036854775808),
                             (2, 32767, 2147483647, 9223372036854775807), (3, 0, 0, 0);
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- numeric and money as exact text, NaN and infinities included
INSERT INTO types_numeric VALUES
  (1, 12345678901234567890.123456789, 1234.5, 1.5, 0.1, 1234.56),
  (2, 'NaN', -0.01, 'NaN', 'NaN', -0.5),
  (3, 'Infinity', 0, 'Infinity', '-Infinity', 0),
  (4, '-Infinity', 99999999.99, 3.4e38, 1e-300, '92233720368547758.07');
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- text: non-ASCII, quotes, backslashes, newlines, padding, empty
INSERT INTO types_text VALUES
  (1, 'héllo wörld ✓ 日本語 😀', 'ünïcode', 'ab', 'a name'),
  (2, E'line 1\nline 2\ttab "quoted" \\ backslash', '', '', ''),
  (3, '', 'x', 'abcde', 'y');
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- bytea (hex output)
INSERT INTO types_bytea VALUES (1, '\x00ff10'), (2, ''), (3, 'text bytes');
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- dates and times, infinities included
INSERT INTO types_time VALUES
  (1, '2024-02-29 12:34:56.789012', '2024-02-29 12:34:56.789012+02', '2024-02-29',
   '23:59:59.999999', '12:00:00+05:30', '1 year 2 mons 3 days 04:05:06.789'),
  (2, 'infinity', '-infinity', 'infinity', '00:00', '00:00+00', '-1 day'),
  (3, '0044-03-15 00:00 BC', '1970-01-01 00:00:00+00', '-infinity', '24:00', '24:00-12', '0');
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- arrays, with NULLs, quoting and two dimensions
INSERT INTO types_array VALUES
  (1, '{1,2,NULL}', '{"a,b","c\"d",NULL,"",plain}', '{{1,2},{3,4}}'),
  (2, '{}', '{}', NULL);
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- ranges and multiranges, empty and unbounded
INSERT INTO types_range VALUES
  (1, '[1,10)', '(0.5,1.5]', '[2024-01-01 00:00+00,infinity)', '{[1,3),[5,8)}'),
  (2, 'empty', '(,)', '(,2024-01-01 00:00+00]', '{}');
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- enums (type names schema-qualified: user types have other OIDs elsewhere)
INSERT INTO types_enum VALUES (1, 'happy', '{sad,ok}');
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- composites
INSERT INTO types_composite VALUES (1, ROW(1, 'x y'), ARRAY[ROW(2, NULL)::pair, ROW(NULL, 'q"')::pair]);
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- domains travel as their base type's text, named as the domain
INSERT INTO types_domain VALUES (1, 42, 'short');
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- json keeps its text, jsonb is normalized
INSERT INTO types_json VALUES (1, '{"b": 1,  "a": [1, "x"]}', '{"b": 1,  "a": [1, "x"], "n": null}');
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- uuid, bool and friends
INSERT INTO types_misc VALUES
  (1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', true, '192.168.0.1/24', '10.0.0.0/8',
   B'1011', '(1.5,-2)', 'a fat cat', 4294967295),
  (2, '00000000-0000-0000-0000-000000000000', false, '::1', '2001:db8::/32', B'', '(0,0)', '', 0);
SELECT * FROM changes('regress_types', 'proto_version', '1');

-- NULL in every type
INSERT INTO types_null VALUES (1, NULL, NULL, NULL, NULL, NULL);
SELECT * FROM changes('regress_types', 'proto_version', '1');

SELECT pg_drop_replication_slot('regress_types');
