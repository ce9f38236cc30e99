-- Options are checked before anything is decoded; every mistake is an
-- ERROR that names the option.
SELECT 'init' FROM pg_create_logical_replication_slot('regress_options', 'pgduplex');

-- proto_version is required, and only 1 and 2 exist
SELECT * FROM pg_logical_slot_peek_binary_changes('regress_options', NULL, NULL);
SELECT * FROM peek('regress_options', 'proto_version', '3');
SELECT * FROM peek('regress_options', 'proto_version', '0');
SELECT * FROM peek('regress_options', 'proto_version', 'one');
SELECT * FROM peek('regress_options', 'proto_version', '1x');

-- unknown and repeated options
SELECT * FROM peek('regress_options', 'proto_version', '1', 'origin', 'none');
SELECT * FROM peek('regress_options', 'proto_version', '1', 'proto_version', '1');

-- origins and ddl
SELECT * FROM peek('regress_options', 'proto_version', '1', 'origins', 'some');
SELECT * FROM peek('regress_options', 'proto_version', '1', 'ddl', 'maybe');

-- streaming needs proto_version 2
SELECT * FROM peek('regress_options', 'proto_version', '1', 'streaming', 'on');
SELECT * FROM peek('regress_options', 'proto_version', '2', 'streaming', 'sometimes');
SELECT * FROM peek('regress_options', 'proto_version', '2', 'streaming', 'on');

-- malformed tables lists
SELECT * FROM peek('regress_options', 'proto_version', '1', 'tables', '');
SELECT * FROM peek('regress_options', 'proto_version', '1', 'tables', 'public');
SELECT * FROM peek('regress_options', 'proto_version', '1', 'tables', 'public.');
SELECT * FROM peek('regress_options', 'proto_version', '1', 'tables', 'public.t.x');
SELECT * FROM peek('regress_options', 'proto_version', '1', 'tables', '*.t');
SELECT * FROM peek('regress_options', 'proto_version', '1', 'tables', 'public.a,,public.b');
SELECT * FROM peek('regress_options', 'proto_version', '1', 'tables', 'public.a public.b');
SELECT * FROM peek('regress_options', 'proto_version', '1', 'tables', '"public.a');

-- well-formed options decode (nothing to see yet)
SELECT * FROM peek('regress_options', 'proto_version', '1', 'origins', 'none',
                   'ddl', 'off', 'tables', ' public.a , "Mixed Case".* ,s."x,y"');
SELECT * FROM peek('regress_options', 'proto_version', '1', 'origins', 'ANY', 'ddl', 'true');

-- the plugin writes binary records: the text interface refuses it
SELECT * FROM pg_logical_slot_peek_changes('regress_options', NULL, NULL, 'proto_version', '1');

SELECT pg_drop_replication_slot('regress_options');
