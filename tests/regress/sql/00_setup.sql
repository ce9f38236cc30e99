-- Helpers for the pgduplex regression tests.
--
-- Records are shown with pgduplex.record_to_json, made stable across runs:
-- xids, LSNs and times are removed; relation OIDs become relation names and
-- OIDs of user-defined types become type names (built-in type OIDs stay,
-- they are the same everywhere); strings longer than 100 characters become
-- '<N chars, md5 ...>' so TOAST-sized values stay readable.

CREATE FUNCTION stable(j jsonb) RETURNS jsonb
  LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  k text;
  v jsonb;
  r jsonb := '{}';
BEGIN
  CASE jsonb_typeof(j)
  WHEN 'object' THEN
    FOR k, v IN SELECT key, value FROM jsonb_each(j) LOOP
      CONTINUE WHEN k IN ('xid', 'final_lsn', 'commit_lsn', 'end_lsn',
                          'commit_time', 'lsn', 'source_time');
      IF k IN ('oid', 'relation_oid', 'root_oid') THEN
        v := to_jsonb((v #>> '{}')::oid::regclass::text);
      ELSIF k = 'relation_oids' THEN
        v := (SELECT jsonb_agg((e #>> '{}')::oid::regclass::text ORDER BY n)
                FROM jsonb_array_elements(v) WITH ORDINALITY AS a(e, n));
      ELSIF k = 'partition_constraint' THEN
        -- a hash partition's constraint names its parent by OID, which
        -- depends on how many objects the extension scripts create
        v := to_jsonb(regexp_replace(v #>> '{}', 'satisfies_hash_partition\(''\d+''::oid',
                                     'satisfies_hash_partition(''<parent oid>''::oid', 'g'));
      ELSIF k = 'type_oid' AND (v #>> '{}')::bigint >= 16384 THEN
        v := to_jsonb((v #>> '{}')::oid::regtype::text);
      ELSE
        v := stable(v);
      END IF;
      r := r || jsonb_build_object(k, v);
    END LOOP;
    RETURN r;
  WHEN 'array' THEN
    RETURN (SELECT coalesce(jsonb_agg(stable(e) ORDER BY n), '[]')
              FROM jsonb_array_elements(j) WITH ORDINALITY AS a(e, n));
  WHEN 'string' THEN
    IF length(j #>> '{}') > 100 THEN
      RETURN to_jsonb(format('<%s chars, md5 %s>', length(j #>> '{}'), md5(j #>> '{}')));
    END IF;
    RETURN j;
  ELSE
    RETURN j;
  END CASE;
END
$$;

-- Consumes a slot's changes: one stable record per row, in stream order.
CREATE FUNCTION changes(slot name, VARIADIC options text[])
  RETURNS TABLE (record jsonb)
  LANGUAGE sql AS $$
    SELECT stable(pgduplex.record_to_json(data))
      FROM pg_logical_slot_get_binary_changes(slot, NULL, NULL, VARIADIC options)
$$;

-- The same without consuming them.
CREATE FUNCTION peek(slot name, VARIADIC options text[])
  RETURNS TABLE (record jsonb)
  LANGUAGE sql AS $$
    SELECT stable(pgduplex.record_to_json(data))
      FROM pg_logical_slot_peek_binary_changes(slot, NULL, NULL, VARIADIC options)
$$;
