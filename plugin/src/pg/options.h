/*
 * options.h — the output plugin's options, parsed in one place.
 *
 * A client passes them to START_REPLICATION ... (name 'value', ...) or to
 * pg_logical_slot_{get,peek}_binary_changes(slot, upto, n, 'name', 'value',
 * ...). Every option is checked here; an unknown option, a repeated one, a
 * missing value or a malformed value is an ERROR naming the option, raised
 * before any change is decoded:
 *
 *   proto_version  required; 1, or 2 (1 plus streaming of in-progress
 *                  transactions, proto/pgduplex.proto).
 *   streaming      off (default) | on: stream a transaction once it
 *                  exceeds logical_decoding_work_mem instead of spilling
 *                  it to disk until its commit. Requires proto_version 2.
 *   value_chunk_size  0 (default: never) | bytes, 1024 to 256 MiB: a
 *                  column value longer than this travels as ValueChunk
 *                  records of at most this size before its change
 *                  (core/value_chunks.h), so no message is much larger.
 *   origins        any (default) | none. With none, every change, message
 *                  and DDL carrying a replication origin is dropped: rows
 *                  applied by a pgduplex worker never travel back.
 *   ddl            true (default) | false: turn inserts into
 *                  pgduplex.ddl_log into Ddl records, or drop them.
 *   tables         comma-separated include list of schema.table and
 *                  schema.* (SQL identifier rules: unquoted names fold to
 *                  lower case, "Quoted" ones keep their case). Absent: every
 *                  table. A partition is included when it or one of its
 *                  ancestors is listed.
 *   row_filter     'schema.table WHERE expression', once per table (may be
 *                  repeated); see table_rules.h and row_filter.h.
 *   operations     'schema.table insert,update,delete,truncate', once per
 *                  table (may be repeated); see table_rules.h.
 *
 * Requires postgres.h.
 */
#ifndef PGDUPLEX_PG_OPTIONS_H
#define PGDUPLEX_PG_OPTIONS_H

extern "C" {
#include "nodes/pg_list.h"
}

#define PGDUPLEX_PROTO_VERSION 1	/* the default, and the oldest spoken */
#define PGDUPLEX_MAX_PROTO_VERSION 2

/* One entry of the tables option; table is NULL for schema.* */
typedef struct TablePattern
{
	char	   *schema;
	char	   *table;
} TablePattern;

typedef struct PluginOptions
{
	int			proto_version;
	bool		drop_origin_changes;	/* origins = none */
	bool		ddl;
	bool		streaming;		/* streaming 'on' (proto_version 2) */
	size_t		value_chunk_size;	/* 0: values travel whole */
	bool		filter_tables;	/* tables given */
	List	   *tables;			/* of TablePattern *, when filter_tables */
	List	   *table_rules;	/* of TableRule * (table_rules.h) */
} PluginOptions;

/* Parses a list of DefElem; ERRORs on anything wrong. Allocates in
 * CurrentMemoryContext. */
extern void parse_plugin_options(List *defelems, PluginOptions *options);

/* Defaults, as for a slot being created (no options given). */
extern void default_plugin_options(PluginOptions *options);

/* True when the tables option lists schema.table or schema.*. */
extern bool tables_option_matches(const PluginOptions *options,
								  const char *schema, const char *table);

#endif							/* PGDUPLEX_PG_OPTIONS_H */
