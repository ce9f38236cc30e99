/*
 * relation_cache.h — what the plugin remembers per relation in a stream.
 *
 * Looking up output functions for every column of every change is what
 * makes a naive plugin slow, so each relation gets an entry (a hash keyed
 * by OID, as pgoutput's RelationSyncCache) holding the columns that travel
 * (not dropped, not generated) with their output functions, scratch arrays
 * for deforming tuples, whether the tables option includes the relation,
 * whether its Relation record was already written in this stream, and
 * whether it is the extension's DDL channel (pgduplex.ddl_log).
 *
 * A relcache invalidation of the relation (ALTER TABLE, ...), or a change
 * to any schema or type, marks entries invalid: they are rebuilt at their
 * next use and their Relation record is written again before the next
 * change. The callbacks only set flags, so an entry stays usable for the
 * rest of the change during which an invalidation arrives.
 *
 * Requires postgres.h; the entry refers to core's ValueView.
 */
#ifndef PGDUPLEX_PG_RELATION_CACHE_H
#define PGDUPLEX_PG_RELATION_CACHE_H

extern "C" {
#include "access/attnum.h"
#include "fmgr.h"
#include "utils/relcache.h"
}

#include "pg/options.h"

typedef struct RelationEntry
{
	Oid			relid;			/* hash key */
	bool		valid;			/* the fields below match the relation */
	bool		relation_sent;	/* Relation record written in this stream */
	TransactionId stream_sent_xid;	/* streamed transaction (top-level xid)
									 * whose blocks carry its Relation record;
									 * InvalidTransactionId for none */
	bool		include;		/* passes the tables option */
	bool		is_ddl_log;		/* pgduplex.ddl_log of the extension: its inserts
								 * are DDL records, never row changes */
	int			operations;		/* PGDUPLEX_OP_* bits that travel (table_rules.h) */
	struct RowFilter *row_filter;	/* compiled row filter, or NULL (row_filter.h) */
	int			ncolumns;		/* columns that travel */
	int			desc_natts;		/* natts of the descriptor they come from */
	int		   *attidx;			/* per column: 0-based index in the tupdesc */
	FmgrInfo   *out_funcs;		/* per column: type output function */
	bool	   *varlena;		/* per column: attlen == -1 */
	Datum	   *datums;			/* desc_natts, for heap_deform_tuple */
	bool	   *isnull;			/* desc_natts */
	pgduplex::ValueView *new_values;	/* ncolumns, for the encoder */
	pgduplex::ValueView *old_values;	/* ncolumns */
	MemoryContext cxt;			/* holds the arrays; reset on rebuild */
} RelationEntry;

/* Creates the cache under parent (the decoding context's memory). */
extern void relation_cache_create(MemoryContext parent);

/* Forgets the cache; its memory goes with the parent context. */
extern void relation_cache_forget(void);

/*
 * A streamed transaction ended (proto_version 2): no entry counts as
 * described inside a stream any more (an aborted subtransaction may have
 * taken the Relation record with it); after a commit, whose Relation
 * records the client applied with the transaction, every relation is
 * described again before its next change outside a stream too.
 */
extern void relation_cache_stream_ended(bool committed);

/* The entry for rel, built or rebuilt as needed. */
extern RelationEntry *relation_cache_get(Relation rel, const PluginOptions *options);

#endif							/* PGDUPLEX_PG_RELATION_CACHE_H */
