/*
 * table_rules.h — per-table rules of a stream: a row filter and the
 * operations that travel (options row_filter and operations).
 *
 * Both options may be given any number of times, once per table:
 *
 *   row_filter  'schema.table WHERE expression'
 *               Only rows for which the expression is true travel; an
 *               UPDATE moving a row into the filter travels as an INSERT,
 *               out of it as a DELETE (see row_filter.h).
 *   operations  'schema.table insert,update,delete,truncate' (any subset,
 *               or none): the kinds of change of that table that travel.
 *               Checked on the change as it would be sent, after a row
 *               filter turned an UPDATE into an INSERT or a DELETE.
 *
 * Names follow SQL identifier rules (unquoted ones fold to lower case). A
 * rule for a partitioned table applies to its partitions; a partition's own
 * rule wins. A table named twice in the same option is an ERROR.
 *
 * Requires postgres.h.
 */
#ifndef PGDUPLEX_PG_TABLE_RULES_H
#define PGDUPLEX_PG_TABLE_RULES_H

#include "pg/options.h"

extern "C" {
#include "replication/reorderbuffer.h"
#include "utils/relcache.h"
}

#define PGDUPLEX_OP_INSERT		0x1
#define PGDUPLEX_OP_UPDATE		0x2
#define PGDUPLEX_OP_DELETE		0x4
#define PGDUPLEX_OP_TRUNCATE	0x8
#define PGDUPLEX_OP_ALL			0xF

typedef struct TableRule
{
	char	   *schema;
	char	   *table;
	char	   *row_filter;		/* expression text, or NULL */
	int			operations;		/* PGDUPLEX_OP_* bits */
	bool		operations_given;
} TableRule;

/* Option parsers (see options.cpp); ERROR naming the option on bad input. */
extern void parse_row_filter_option(const char *value, PluginOptions *options);
extern void parse_operations_option(const char *value, PluginOptions *options);

/* The rule of rel (or of its nearest listed ancestor), or NULL. */
extern const TableRule *find_table_rule(const PluginOptions *options, Relation rel);

/*
 * Whether change of the relation of entry (a struct RelationEntry,
 * relation_cache.h) travels, and as what action: the row filter first, then
 * the operations, checked on the action as it would be sent.
 */
extern bool table_rules_pass(struct RelationEntry *entry, ReorderBufferChange *change,
							 ReorderBufferChangeType *action);

#endif							/* PGDUPLEX_PG_TABLE_RULES_H */
