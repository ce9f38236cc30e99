/*
 * plugin.cpp — the pgduplex logical decoding output plugin: callbacks.
 *
 * Shape (after contrib/test_decoding and pgoutput): small static callbacks
 * that make the decisions — what to send, what to drop, when to describe a
 * relation — and hand plain views (core/change_view.h) to the C++ core,
 * which owns the wire encoding. One record is written per callback with
 * OutputPluginPrepareWrite/OutputPluginWrite, so no buffer ever holds more
 * than one change, whatever the size of the transaction.
 *
 * The C++/PostgreSQL boundary. This file is compiled as C++ but is C in
 * spirit: it creates no C++ object with a destructor, so an ERROR (a
 * longjmp) unwinds nothing it should not. Calls into the core are noexcept
 * and return a Status, turned into ereport(ERROR) here.
 *
 * Record order within a stream:
 *   Begin, (Relation)*, change, (Relation)*, change, ..., Commit
 * Begin is written lazily, just before the first record of a transaction,
 * so a transaction with nothing to send (every change filtered) produces
 * no record at all. A Relation record precedes the first change of its
 * relation in the stream, and the first change after the relation was
 * invalidated (ALTER TABLE, ...). Non-transactional messages (heartbeats)
 * come between transactions.
 *
 * Streaming of in-progress transactions (option streaming 'on',
 * proto_version 2) is in stream_callbacks.cpp: inside a stream block the
 * same callbacks below write the changes, with no Begin (StreamStart came
 * first) and with Relation records tracked per streamed transaction.
 *
 * Why one file of about 530 lines: these are the callbacks of one output
 * plugin and the few static helpers they share (lazy Begin, Relation
 * before change, emit); like pgoutput.c, they read best side by side. What
 * is not a callback lives elsewhere (relation_cache, change_views, options).
 */
#include "core/change_view.h"
#include "core/message_prefixes.h"
#include "core/record_encoder.h"
#include "core/status.h"
#include "core/value_chunks.h"

#include <type_traits>

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "replication/logical.h"
#include "replication/origin.h"
#include "replication/output_plugin.h"
#include "replication/walsender.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

PG_MODULE_MAGIC;

extern PGDLLEXPORT void _PG_output_plugin_init(OutputPluginCallbacks *cb);
}

#include "pg/change_views.h"
#include "pg/options.h"
#include "pg/plugin_state.h"
#include "pg/relation_cache.h"
#include "pg/table_rules.h"

/*
 * How many callbacks may pass without a progress update. A long run of
 * filtered changes writes nothing; without OutputPluginUpdateProgress the
 * walsender would send no keepalive and the client would time out (the
 * PostgreSQL 15 fix in pgoutput uses the same count).
 */
#define CHANGES_BETWEEN_PROGRESS 100

/* Runs on shutdown and, should decoding end in an ERROR, on context reset. */
static void
release_state(void *arg)
{
	PluginState *state = (PluginState *) arg;

	if (state->encoder != NULL)
	{
		pgduplex::RecordEncoder::Destroy(state->encoder);
		state->encoder = NULL;
		relation_cache_forget();
	}
}

void
update_progress(LogicalDecodingContext *ctx, PluginState *state, bool skipped_xact)
{
	if (ctx->end_xact || ++state->changes_since_progress >= CHANGES_BETWEEN_PROGRESS)
	{
		OutputPluginUpdateProgress(ctx, skipped_xact);
		state->changes_since_progress = 0;
	}
}

/*
 * Writes the record the encoder just built, or raises the encoder's error.
 * The bytes are serialized straight into ctx->out.
 */
void
emit(LogicalDecodingContext *ctx, PluginState *state, const pgduplex::Status &status,
	 bool last_write)
{
	pgduplex::RecordEncoder *encoder = state->encoder;
	size_t		size;

	if (!status.ok())
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("pgduplex: %s", status.message())));
	size = encoder->size();
	OutputPluginPrepareWrite(ctx, last_write);
	enlargeStringInfo(ctx->out, (int) size);
	encoder->WriteTo(ctx->out->data + ctx->out->len);
	ctx->out->len += (int) size;
	ctx->out->data[ctx->out->len] = '\0';
	OutputPluginWrite(ctx, last_write);
}

static void
send_begin_if_needed(LogicalDecodingContext *ctx, PluginState *state,
					 ReorderBufferTXN *txn)
{
	TxnState   *txstate = (TxnState *) txn->output_plugin_private;
	pgduplex::BeginView begin;

	if (txstate->begin_sent || state->stream_xid != InvalidTransactionId)
		return;					/* inside a stream block: StreamStart came first */
	begin.xid = txn->xid;
	begin.final_lsn = txn->final_lsn;
	begin.commit_time = txn->xact_time.commit_time;
	begin.origin = NULL;
	if (txn->origin_id != InvalidRepOriginId)
	{
		char	   *name;

		if (replorigin_by_oid(txn->origin_id, true, &name))
			begin.origin = server_to_utf8(name, strlen(name));
	}
	emit(ctx, state, state->encoder->EncodeBegin(begin), true);
	txstate->begin_sent = true;
}

static void
send_relation_if_needed(LogicalDecodingContext *ctx, PluginState *state,
						Relation rel, RelationEntry *entry)
{
	pgduplex::RelationView view;
	bool		streaming = state->stream_xid != InvalidTransactionId;

	if (streaming ? entry->stream_sent_xid == state->stream_xid : entry->relation_sent)
		return;
	describe_relation(rel, entry, &view);
	emit(ctx, state, state->encoder->EncodeRelation(view), false);
	if (streaming)
		entry->stream_sent_xid = state->stream_xid;
	else
		entry->relation_sent = true;
}

/*
 * Values travel in their type's text output, which depends on session
 * settings. A walsender session exists only to stream, so fix the settings
 * that change built-in types' output to the forms every PostgreSQL reads
 * back whatever its own settings (what PostgreSQL's own logical replication
 * client asks for, plus hex bytea and C money). The SQL interface
 * (pg_logical_slot_*_changes) keeps the caller's settings: it is for people.
 */
static void
use_canonical_output_formats(void)
{
	SetConfigOption("datestyle", "ISO", PGC_SUSET, PGC_S_SESSION);
	SetConfigOption("intervalstyle", "postgres", PGC_SUSET, PGC_S_SESSION);
	SetConfigOption("extra_float_digits", "3", PGC_SUSET, PGC_S_SESSION);
	SetConfigOption("bytea_output", "hex", PGC_SUSET, PGC_S_SESSION);
	SetConfigOption("lc_monetary", "C", PGC_SUSET, PGC_S_SESSION);
}

static void
pgduplex_startup(LogicalDecodingContext *ctx, OutputPluginOptions *opt, bool is_init)
{
	PluginState *state;
	MemoryContext old;

	state = (PluginState *) MemoryContextAllocZero(ctx->context, sizeof(PluginState));
	old = MemoryContextSwitchTo(ctx->context);
	/* Creating a slot passes no options; decoding must pass them. */
	if (is_init)
		default_plugin_options(&state->options);
	else
		parse_plugin_options(ctx->output_plugin_options, &state->options);
	MemoryContextSwitchTo(old);

	/* Streaming only when asked for (never while creating the slot). */
	ctx->streaming = ctx->streaming && !is_init && state->options.streaming;
	if (!is_init && state->options.streaming && !ctx->streaming)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("pgduplex: option \"streaming\" is not supported by this decoding context")));
	state->stream_xid = InvalidTransactionId;

	opt->output_type = OUTPUT_PLUGIN_BINARY_OUTPUT;
	opt->receive_rewrites = false;
	if (!is_init && am_walsender)
		use_canonical_output_formats();

	state->change_cxt = AllocSetContextCreate(ctx->context, "pgduplex change",
											  ALLOCSET_DEFAULT_SIZES);
	state->encoder = pgduplex::RecordEncoder::Create();
	if (state->encoder == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("pgduplex could not create its record encoder.")));
	state->release.func = release_state;
	state->release.arg = state;
	MemoryContextRegisterResetCallback(ctx->context, &state->release);
	relation_cache_create(ctx->context);

	ctx->output_plugin_private = state;
}

static void
pgduplex_shutdown(LogicalDecodingContext *ctx)
{
	release_state(plugin_state(ctx));
}

static void
pgduplex_begin(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	/* Nothing is written yet: see send_begin_if_needed. */
	txn->output_plugin_private = MemoryContextAllocZero(ctx->context, sizeof(TxnState));
}

static void
pgduplex_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, XLogRecPtr commit_lsn)
{
	PluginState *state = plugin_state(ctx);
	TxnState   *txstate = (TxnState *) txn->output_plugin_private;
	bool		begin_sent = txstate != NULL && txstate->begin_sent;
	pgduplex::CommitView commit;

	update_progress(ctx, state, !begin_sent);
	if (txstate != NULL)
	{
		pfree(txstate);
		txn->output_plugin_private = NULL;
	}
	if (!begin_sent)
		return;					/* nothing of it was sent */

	commit.commit_lsn = commit_lsn;
	commit.end_lsn = txn->end_lsn;
	commit.commit_time = txn->xact_time.commit_time;
	emit(ctx, state, state->encoder->EncodeCommit(commit), true);
}

/*
 * With value_chunk_size: writes every value of the tuple longer than that
 * as ValueChunk records and marks it chunked (core/value_chunks.h), so the
 * change that follows stays small.
 */
static void
send_value_chunks(LogicalDecodingContext *ctx, PluginState *state,
				  pgduplex::ValueView *values, int ncolumns, bool old_tuple)
{
	size_t		chunk_size = state->options.value_chunk_size;

	for (int i = 0; i < ncolumns; i++)
	{
		if (!pgduplex::TravelsInChunks(values[i], chunk_size))
			continue;
		for (size_t n = 0; n < pgduplex::ChunkCount(values[i], chunk_size); n++)
			emit(ctx, state,
				 state->encoder->EncodeValueChunk(pgduplex::ChunkAt(values[i], (uint32_t) i,
																	 old_tuple, chunk_size, n)),
				 false);
		pgduplex::MarkChunked(&values[i]);
	}
}

static void
write_change(LogicalDecodingContext *ctx, PluginState *state, Relation rel,
			 RelationEntry *entry, ReorderBufferChange *change,
			 ReorderBufferChangeType action)
{
	pgduplex::RecordEncoder *encoder = state->encoder;
	uint32_t	relid = RelationGetRelid(rel);
	ReorderBufferTupleBuf *newtuple = change->data.tp.newtuple;
	ReorderBufferTupleBuf *oldtuple = change->data.tp.oldtuple;
	pgduplex::TupleView new_view = {entry->new_values, (uint32_t) entry->ncolumns};
	pgduplex::TupleView old_view = {entry->old_values, (uint32_t) entry->ncolumns};
	pgduplex::OldTupleKind old_kind = pgduplex::OldTupleKind::kNone;

	/* Without identity (NOTHING, or DEFAULT and no key) there is no old row;
	 * with FULL it is the whole row, else the key columns (others NULL). */
	if (oldtuple != NULL)
	{
		old_kind = rel->rd_rel->relreplident == REPLICA_IDENTITY_FULL ?
			pgduplex::OldTupleKind::kFull : pgduplex::OldTupleKind::kKey;
		tuple_to_values(entry, rel, &oldtuple->tuple, entry->old_values);
	}

	switch (action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			if (newtuple == NULL)
				elog(ERROR, "pgduplex: INSERT into \"%s\" has no tuple",
					 RelationGetRelationName(rel));
			tuple_to_values(entry, rel, &newtuple->tuple, entry->new_values);
			/* An UPDATE into the row filter: unchanged TOAST from a full old row. */
			for (int i = 0; old_kind == pgduplex::OldTupleKind::kFull && i < entry->ncolumns; i++)
			{
				if (entry->new_values[i].kind == pgduplex::ValueKind::kUnchangedToast)
					entry->new_values[i] = entry->old_values[i];
			}
			send_value_chunks(ctx, state, entry->new_values, entry->ncolumns, false);
			emit(ctx, state, encoder->EncodeInsert(relid, new_view), true);
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			if (newtuple == NULL)
				elog(ERROR, "pgduplex: UPDATE of \"%s\" has no new tuple",
					 RelationGetRelationName(rel));
			tuple_to_values(entry, rel, &newtuple->tuple, entry->new_values);
			send_value_chunks(ctx, state, entry->new_values, entry->ncolumns, false);
			if (oldtuple != NULL)
				send_value_chunks(ctx, state, entry->old_values, entry->ncolumns, true);
			emit(ctx, state,
				 encoder->EncodeUpdate(relid, new_view, old_kind,
									   oldtuple != NULL ? &old_view : NULL),
				 true);
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			if (oldtuple != NULL)
				send_value_chunks(ctx, state, entry->old_values, entry->ncolumns, true);
			emit(ctx, state,
				 encoder->EncodeDelete(relid, old_kind, oldtuple != NULL ? &old_view : NULL),
				 true);
			break;
		default:
			elog(ERROR, "pgduplex: unexpected change type %d", (int) change->action);
	}
}

/*
 * An insert into pgduplex.ddl_log, the extension's DDL channel (see
 * pg/ddl_capture.cpp): its content column becomes a Ddl record. A row the
 * encoder cannot read (only a superuser could have written it) is dropped
 * with a WARNING rather than stopping the stream for good.
 */
static void
write_ddl(LogicalDecodingContext *ctx, PluginState *state, ReorderBufferTXN *txn,
		  Relation rel, ReorderBufferChange *change)
{
	TxnState   *txstate = (TxnState *) txn->output_plugin_private;
	ReorderBufferTupleBuf *newtuple = change->data.tp.newtuple;
	TupleDesc	desc = RelationGetDescr(rel);
	int			attnum = 0;
	Datum		datum;
	bool		isnull = true;
	text	   *content;
	const char *utf8;
	size_t		size;
	pgduplex::Status status;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && att->atttypid == TEXTOID &&
			strcmp(NameStr(att->attname), "content") == 0)
			attnum = i + 1;
	}
	if (attnum != 0 && newtuple != NULL)
		datum = heap_getattr(&newtuple->tuple, attnum, desc, &isnull);
	if (isnull)
	{
		ereport(WARNING,
				(errmsg("pgduplex: dropping a pgduplex.ddl_log row without content")));
		return;
	}
	content = DatumGetTextPP(datum);
	utf8 = server_to_utf8(VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content));
	size = utf8 == VARDATA_ANY(content) ? VARSIZE_ANY_EXHDR(content) : strlen(utf8);

	send_begin_if_needed(ctx, state, txn);
	status = state->encoder->EncodeDdl(utf8, size, txstate->wrote_rows);
	if (!status.ok())
	{
		ereport(WARNING,
				(errmsg("pgduplex: dropping a malformed pgduplex.ddl_log row"),
				 errdetail("%s", status.message())));
		return;
	}
	emit(ctx, state, status, true);
}

void
pgduplex_change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				Relation rel, ReorderBufferChange *change)
{
	PluginState *state = plugin_state(ctx);
	TxnState   *txstate = (TxnState *) txn->output_plugin_private;
	MemoryContext old;
	RelationEntry *entry;
	ReorderBufferChangeType action;

	update_progress(ctx, state, false);

	old = MemoryContextSwitchTo(state->change_cxt);
	entry = relation_cache_get(rel, &state->options);
	if (entry->is_ddl_log)
	{
		/* The capture deletes its row again: only inserts carry DDL. */
		if (change->action == REORDER_BUFFER_CHANGE_INSERT && state->options.ddl)
			write_ddl(ctx, state, txn, rel, change);
	}
	else
	{
		txstate->wrote_rows = true;
		if (entry->include && table_rules_pass(entry, change, &action))
		{
			send_begin_if_needed(ctx, state, txn);
			send_relation_if_needed(ctx, state, rel, entry);
			write_change(ctx, state, rel, entry, change, action);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(state->change_cxt);
}

void
pgduplex_truncate(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				  int nrelations, Relation relations[], ReorderBufferChange *change)
{
	PluginState *state = plugin_state(ctx);
	TxnState   *txstate = (TxnState *) txn->output_plugin_private;
	MemoryContext old;
	RelationEntry **entries;
	uint32_t   *oids;
	int			n = 0;

	update_progress(ctx, state, false);

	old = MemoryContextSwitchTo(state->change_cxt);
	entries = (RelationEntry **) palloc(sizeof(RelationEntry *) * Max(nrelations, 1));
	oids = (uint32_t *) palloc(sizeof(uint32_t) * Max(nrelations, 1));
	for (int i = 0; i < nrelations; i++)
	{
		RelationEntry *entry = relation_cache_get(relations[i], &state->options);

		if (!entry->is_ddl_log)
			txstate->wrote_rows = true;
		entries[i] = entry->include && (entry->operations & PGDUPLEX_OP_TRUNCATE) ? entry : NULL;
		if (entries[i] != NULL)
			oids[n++] = RelationGetRelid(relations[i]);
	}
	if (n > 0)
	{
		pgduplex::TruncateView truncate;

		send_begin_if_needed(ctx, state, txn);
		for (int i = 0; i < nrelations; i++)
		{
			if (entries[i] != NULL)
				send_relation_if_needed(ctx, state, relations[i], entries[i]);
		}
		truncate.relation_oids = oids;
		truncate.count = (uint32_t) n;
		truncate.cascade = change->data.truncate.cascade;
		truncate.restart_identity = change->data.truncate.restart_seqs;
		emit(ctx, state, state->encoder->EncodeTruncate(truncate), true);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(state->change_cxt);
}

/*
 * Logical messages: 'pgduplex.heartbeat' (from pgduplex.heartbeat(task))
 * becomes a Heartbeat record, anything else a LogicalMessage. Messages are
 * no authentic channel (every role may emit them), so a 'pgduplex.ddl'
 * message is passed on as a plain LogicalMessage for the worker to flag;
 * DDL travels through pgduplex.ddl_log (write_ddl). A heartbeat whose
 * content is malformed is passed on as a LogicalMessage with a WARNING:
 * refusing it would stop the stream for good, since it stays in the WAL.
 */
void
pgduplex_message(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				 XLogRecPtr lsn, bool transactional, const char *prefix,
				 Size size, const char *content)
{
	PluginState *state = plugin_state(ctx);
	pgduplex::RecordEncoder *encoder = state->encoder;
	bool		is_heartbeat = strcmp(prefix, pgduplex::kHeartbeatMessagePrefix) == 0;
	MemoryContext old;
	pgduplex::Status status;

	update_progress(ctx, state, false);

	old = MemoryContextSwitchTo(state->change_cxt);
	if (transactional)
		send_begin_if_needed(ctx, state, txn);

	if (is_heartbeat)
	{
		const char *utf8 = server_to_utf8(content, size);
		size_t		utf8_size = utf8 == content ? size : strlen(utf8);

		status = encoder->EncodeHeartbeat(utf8, utf8_size, lsn);
		if (!status.ok())
			ereport(WARNING,
					(errmsg("pgduplex: passing on a malformed \"%s\" message as a plain message",
							prefix),
					 errdetail("%s", status.message())));
	}
	else
		status = pgduplex::Status::Error("not a heartbeat");

	if (!status.ok())
	{
		pgduplex::MessageView message;

		message.prefix = server_to_utf8(prefix, strlen(prefix));
		message.content = content;
		message.content_size = size;
		message.transactional = transactional;
		message.lsn = lsn;
		status = encoder->EncodeMessage(message);
	}
	emit(ctx, state, status, true);

	MemoryContextSwitchTo(old);
	MemoryContextReset(state->change_cxt);
}

/* origins = none: drop everything that carries a replication origin. */
static bool
pgduplex_filter_by_origin(LogicalDecodingContext *ctx, RepOriginId origin_id)
{
	return plugin_state(ctx)->options.drop_origin_changes &&
		origin_id != InvalidRepOriginId;
}

void
_PG_output_plugin_init(OutputPluginCallbacks *cb)
{
	static_assert(std::is_same<decltype(&_PG_output_plugin_init), LogicalOutputPluginInit>::value,
				  "_PG_output_plugin_init has the wrong type");

	cb->startup_cb = pgduplex_startup;
	cb->begin_cb = pgduplex_begin;
	cb->change_cb = pgduplex_change;
	cb->truncate_cb = pgduplex_truncate;
	cb->commit_cb = pgduplex_commit;
	cb->message_cb = pgduplex_message;
	cb->filter_by_origin_cb = pgduplex_filter_by_origin;
	cb->shutdown_cb = pgduplex_shutdown;
	register_stream_callbacks(cb);
}
