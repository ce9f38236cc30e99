-- pgduplex 1.2 -> 1.3
\echo Use "ALTER EXTENSION pgduplex UPDATE TO '1.3'" to load this file. \quit

-- Renames captured on this cluster, kept (ddl_log rows are deleted at once)
-- so that the apply worker writing here can translate a row still in
-- flight from the other cluster that names a table or column by its old
-- name (worker/src/apply/carried_renames.h). Only ALTER TABLE statements
-- that mention RENAME are kept; the worker reads the statement itself.
-- Written by the trigger below only (as ddl_log's writer, the extension's
-- owner); grants nothing to anyone.
CREATE TABLE ddl_renames (
  id          bigserial PRIMARY KEY,
  captured_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  schema      text,            -- the altered table's schema (capture's "schema")
  statement   text NOT NULL    -- the client's query text, as in ddl_log
);
REVOKE ALL ON ddl_renames FROM PUBLIC;
REVOKE ALL ON SEQUENCE ddl_renames_id_seq FROM PUBLIC;

CREATE FUNCTION keep_renames() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  doc json := NEW.content::json;
BEGIN
  IF doc->>'command_tag' = 'ALTER TABLE' AND doc->>'statement' ~* '\mrename\M' THEN
    INSERT INTO pgduplex.ddl_renames (schema, statement) VALUES (doc->>'schema', doc->>'statement');
  END IF;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION keep_renames() FROM PUBLIC;

CREATE TRIGGER keep_renames AFTER INSERT ON ddl_log
  FOR EACH ROW EXECUTE FUNCTION keep_renames();
