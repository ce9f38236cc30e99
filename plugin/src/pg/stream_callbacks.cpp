/*
 * stream_callbacks.cpp — streaming of in-progress transactions (plugin
 * option streaming 'on', proto_version 2; PostgreSQL 14+ API).
 *
 * Once a transaction's decoded changes exceed logical_decoding_work_mem,
 * PostgreSQL calls these instead of spilling the transaction to
 * pg_replslot/ until its commit: stream_start, the changes decoded so far
 * (stream_change / stream_truncate / stream_message), stream_stop; again for
 * each later block; then stream_commit or stream_abort (also for an aborted
 * subtransaction). The records are in proto/pgduplex.proto.
 *
 * The changes themselves go through plugin.cpp's callbacks: inside a block
 * (PluginState.stream_xid set) no Begin is written (StreamStart was), every
 * record carries stream_xid (the xid of the subtransaction that made the
 * change, so a StreamAbort of that subtransaction can drop exactly its
 * part), and a relation is described once per streamed transaction
 * (RelationEntry.stream_sent_xid) — the client keeps those Relation records
 * with the transaction, not with the stream. A streamed transaction's
 * TxnState lives from its first block to its commit or abort.
 *
 * Like plugin.cpp: C in spirit, no object with a destructor in a frame that
 * can ereport.
 */
#include "core/change_view.h"
#include "core/record_encoder.h"

extern "C" {
#include "postgres.h"

#include "replication/logical.h"
#include "replication/origin.h"
#include "replication/reorderbuffer.h"
#include "utils/memutils.h"
}

#include "pg/change_views.h"
#include "pg/plugin_state.h"
#include "pg/relation_cache.h"

static ReorderBufferTXN *
top_transaction(ReorderBufferTXN *txn)
{
	return txn->toptxn != NULL ? txn->toptxn : txn;
}

/* Ends a streamed transaction: its state, and the Relation records sent in
 * its blocks. */
static void
forget_streamed_transaction(ReorderBufferTXN *txn, bool committed)
{
	if (txn->output_plugin_private != NULL)
	{
		pfree(txn->output_plugin_private);
		txn->output_plugin_private = NULL;
	}
	relation_cache_stream_ended(committed);
}

/* What a commit says about txn: its LSN, time and origin name. */
static void
describe_commit(ReorderBufferTXN *txn, XLogRecPtr commit_lsn, pgduplex::StreamCommitView *commit)
{
	commit->xid = txn->xid;
	commit->commit_lsn = commit_lsn;
	commit->end_lsn = txn->end_lsn;
	commit->commit_time = txn->xact_time.commit_time;
	commit->origin = NULL;
	if (txn->origin_id != InvalidRepOriginId)
	{
		char	   *name;

		if (replorigin_by_oid(txn->origin_id, true, &name))
			commit->origin = server_to_utf8(name, strlen(name));
	}
}

/*
 * A block written once the transaction committed (end_lsn is set only
 * then: ReorderBufferReplay, before it streams the rest and calls
 * stream_commit) says so, with the commit: the client may apply it as it
 * arrives instead of spooling it.
 */
static void
pgduplex_stream_start(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	PluginState *state = plugin_state(ctx);
	pgduplex::StreamCommitView commit;
	bool		committed = txn->end_lsn != InvalidXLogRecPtr;
	MemoryContext old;

	if (state->stream_xid != InvalidTransactionId)
		elog(ERROR, "pgduplex: stream block of transaction %u starts inside that of %u",
			 txn->xid, state->stream_xid);
	if (txn->output_plugin_private == NULL)
		txn->output_plugin_private = MemoryContextAllocZero(ctx->context, sizeof(TxnState));
	old = MemoryContextSwitchTo(state->change_cxt);
	if (committed)
		describe_commit(txn, txn->final_lsn, &commit);
	emit(ctx, state,
		 state->encoder->EncodeStreamStart(txn->xid, !rbtxn_is_streamed(txn),
										   committed ? &commit : NULL),
		 true);
	MemoryContextSwitchTo(old);
	MemoryContextReset(state->change_cxt);
	state->stream_xid = txn->xid;
}

static void
pgduplex_stream_stop(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	PluginState *state = plugin_state(ctx);

	state->encoder->SetStreamXid(0);
	state->stream_xid = InvalidTransactionId;
	emit(ctx, state, state->encoder->EncodeStreamStop(), true);
}

static void
pgduplex_stream_abort(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
					  XLogRecPtr abort_lsn)
{
	PluginState *state = plugin_state(ctx);
	ReorderBufferTXN *top = top_transaction(txn);

	state->encoder->SetStreamXid(0);
	emit(ctx, state, state->encoder->EncodeStreamAbort(top->xid, txn->xid), true);
	if (top == txn)
		forget_streamed_transaction(txn, false);
	else
		relation_cache_stream_ended(false);
}

static void
pgduplex_stream_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
					   XLogRecPtr commit_lsn)
{
	PluginState *state = plugin_state(ctx);
	pgduplex::StreamCommitView commit;
	MemoryContext old;

	update_progress(ctx, state, false);
	old = MemoryContextSwitchTo(state->change_cxt);
	describe_commit(txn, commit_lsn, &commit);
	state->encoder->SetStreamXid(0);
	emit(ctx, state, state->encoder->EncodeStreamCommit(commit), true);
	MemoryContextSwitchTo(old);
	MemoryContextReset(state->change_cxt);
	forget_streamed_transaction(txn, true);
}

/* The change's own (sub)transaction: what a StreamAbort names. */
static void
pgduplex_stream_change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
					   Relation rel, ReorderBufferChange *change)
{
	plugin_state(ctx)->encoder->SetStreamXid(change->txn != NULL ? change->txn->xid : txn->xid);
	pgduplex_change(ctx, txn, rel, change);
}

static void
pgduplex_stream_truncate(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
						 int nrelations, Relation relations[], ReorderBufferChange *change)
{
	plugin_state(ctx)->encoder->SetStreamXid(change->txn != NULL ? change->txn->xid : txn->xid);
	pgduplex_truncate(ctx, txn, nrelations, relations, change);
}

/* Transactional messages of the streamed transaction (they know only it). */
static void
pgduplex_stream_message(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
						XLogRecPtr lsn, bool transactional, const char *prefix,
						Size size, const char *content)
{
	plugin_state(ctx)->encoder->SetStreamXid(txn->xid);
	pgduplex_message(ctx, txn, lsn, transactional, prefix, size, content);
}

void
register_stream_callbacks(OutputPluginCallbacks *cb)
{
	cb->stream_start_cb = pgduplex_stream_start;
	cb->stream_stop_cb = pgduplex_stream_stop;
	cb->stream_abort_cb = pgduplex_stream_abort;
	cb->stream_commit_cb = pgduplex_stream_commit;
	cb->stream_change_cb = pgduplex_stream_change;
	cb->stream_truncate_cb = pgduplex_stream_truncate;
	cb->stream_message_cb = pgduplex_stream_message;
}
