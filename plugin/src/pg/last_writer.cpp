/*
 * last_writer.cpp — may a change committed at `ts` overwrite this row
 * version? The per-row question last-write-wins asks on the fast path
 * (extension 1.4).
 *
 *   pgduplex.written_before(row_xmin xid, ts timestamptz, ties boolean,
 *                           origin oid, copy_origins oid[]) RETURNS boolean
 *     true when the row version's writer (its xmin's commit timestamp and
 *     replication origin) is `origin` or one of `copy_origins` (the
 *     incoming direction's own history), its commit time is unknown (frozen,
 *     or written while track_commit_timestamp was off), or it committed
 *     before `ts` (or at `ts`, when `ties`).
 *
 * The same answer as the SQL expression the worker used before
 * (a subquery over pg_xact_commit_timestamp_origin(t.xmin)), without a
 * subplan and a function scan per row.
 */
extern "C" {
#include "postgres.h"

#include "access/commit_ts.h"
#include "access/transam.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(pgduplex_written_before);
}

static bool
is_copy_origin(ArrayType *copy_origins, RepOriginId writer)
{
	Datum	   *ids;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(copy_origins) == 0)
		return false;
	deconstruct_array(copy_origins, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &ids, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i] && DatumGetObjectId(ids[i]) == (Oid) writer)
			return true;
	return false;
}

extern "C" Datum
pgduplex_written_before(PG_FUNCTION_ARGS)
{
	TransactionId xmin;
	TimestampTz ts;
	TimestampTz committed;
	RepOriginId writer;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(true);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_NULL();
	xmin = DatumGetTransactionId(PG_GETARG_DATUM(0));
	ts = PG_GETARG_TIMESTAMPTZ(1);
	if (!TransactionIdIsNormal(xmin) || !track_commit_timestamp ||
		!TransactionIdGetCommitTsData(xmin, &committed, &writer) || committed == 0)
		PG_RETURN_BOOL(true);	/* unknown: counts as older */
	if ((Oid) writer == PG_GETARG_OID(3) ||
		(!PG_ARGISNULL(4) && is_copy_origin(PG_GETARG_ARRAYTYPE_P(4), writer)))
		PG_RETURN_BOOL(true);	/* the same history */
	PG_RETURN_BOOL(PG_GETARG_BOOL(2) ? committed <= ts : committed < ts);
}
