/*
 * row_filter.h — a table's row filter, compiled once per relation entry
 * and evaluated on the old and new rows of each change.
 *
 * The expression is the text of a WHERE condition, parsed and transformed
 * against the relation as a publication's WHERE is: only the table's own
 * columns (no system columns), built-in immutable functions and operators
 * only, no subqueries, aggregates, window functions or parameters. Anything
 * else is an ERROR naming the table and the reason.
 *
 * The judgement follows PostgreSQL 15's row filters (pgoutput):
 *   INSERT  sent when the new row matches;
 *   DELETE  sent when the old row matches (no old row: dropped);
 *   UPDATE  without an old row (the replica identity did not change): sent
 *           when the new row matches; with one: both match -> UPDATE, only
 *           the new -> INSERT, only the old -> DELETE, neither -> dropped.
 * The old row of an UPDATE or DELETE holds only the replica identity's
 * columns (all of them under REPLICA IDENTITY FULL), so the filter's
 * columns must be covered by the replica identity for UPDATE and DELETE to
 * be judged right; precheck checks it. An unchanged TOASTed value of the new
 * row is taken from the old row when it has one.
 *
 * Requires postgres.h. Plain C in spirit: everything here may ereport.
 */
#ifndef PGDUPLEX_PG_ROW_FILTER_H
#define PGDUPLEX_PG_ROW_FILTER_H

extern "C" {
#include "replication/reorderbuffer.h"
#include "utils/relcache.h"
}

typedef struct RowFilter RowFilter;

/* Compiles expression for rel in CurrentMemoryContext; ERROR when refused. */
extern RowFilter *row_filter_compile(Relation rel, const char *expression);

/* Frees the executor state (its memory goes with the context). */
extern void row_filter_free(RowFilter *filter);

/*
 * The action to send for change under filter (see above), or false when
 * the change is dropped.
 */
extern bool row_filter_judge(RowFilter *filter, ReorderBufferChange *change,
							 ReorderBufferChangeType *action);

#endif							/* PGDUPLEX_PG_ROW_FILTER_H */
