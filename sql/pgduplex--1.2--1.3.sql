-- pgduplex 1.3: row filters (row_filter option of the plugin).

-- The columns a row filter uses, checked as the plugin checks it: an
-- ERROR naming the table when the filter uses anything but the table's own
-- columns and immutable built-in functions. Nothing of the filter runs.
-- `pgduplex precheck` calls it on each direction's source.
CREATE FUNCTION row_filter_columns(rel regclass, filter text) RETURNS text[]
  AS 'MODULE_PATHNAME', 'pgduplex_row_filter_columns'
  LANGUAGE C STABLE STRICT;
