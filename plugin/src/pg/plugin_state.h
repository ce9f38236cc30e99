/*
 * plugin_state.h — what the callbacks of plugin.cpp and stream_callbacks.cpp
 * share: the state of a decoding session and of a transaction, and the
 * callbacks the stream callbacks reuse.
 *
 * Requires postgres.h and replication/logical.h.
 */
#ifndef PGDUPLEX_PG_PLUGIN_STATE_H
#define PGDUPLEX_PG_PLUGIN_STATE_H

#include "core/record_encoder.h"
#include "core/status.h"
#include "pg/options.h"

extern "C" {
#include "replication/output_plugin.h"
}

/* State of one decoding session, in ctx->output_plugin_private. */
typedef struct PluginState
{
	PluginOptions options;
	MemoryContext change_cxt;	/* everything one change needs; reset after it */
	pgduplex::RecordEncoder *encoder;	/* NULL once released */
	int			changes_since_progress;
	MemoryContextCallback release; /* frees the encoder with the context */
	TransactionId stream_xid;	/* top-level xid of the open stream block;
								 * InvalidTransactionId outside one */
} PluginState;

/*
 * State of one transaction, in txn->output_plugin_private from begin to
 * commit (for a streamed transaction: from its first stream block to its
 * stream commit or abort).
 */
typedef struct TxnState
{
	bool		begin_sent;		/* Begin record written */
	bool		wrote_rows;		/* a row change (or TRUNCATE) was decoded,
								 * sent or filtered: has_dml of later DDL */
} TxnState;

static inline PluginState *
plugin_state(LogicalDecodingContext *ctx)
{
	return (PluginState *) ctx->output_plugin_private;
}

/* plugin.cpp */
extern void update_progress(LogicalDecodingContext *ctx, PluginState *state, bool skipped_xact);
extern void emit(LogicalDecodingContext *ctx, PluginState *state,
				 const pgduplex::Status &status, bool last_write);
extern void pgduplex_change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
							Relation rel, ReorderBufferChange *change);
extern void pgduplex_truncate(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
							  int nrelations, Relation relations[],
							  ReorderBufferChange *change);
extern void pgduplex_message(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
							 XLogRecPtr lsn, bool transactional, const char *prefix,
							 Size size, const char *content);

/* stream_callbacks.cpp: the stream_* callbacks (proto_version 2). */
extern void register_stream_callbacks(OutputPluginCallbacks *cb);

#endif							/* PGDUPLEX_PG_PLUGIN_STATE_H */
