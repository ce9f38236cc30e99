/*
 * tombstone_keys.cpp — what tombstones.cpp, value_claims.cpp,
 * keyless_successors.cpp and partition_membership.cpp share (declared in
 * tombstone_keys.h): a table's key index and partition root, the byte form
 * of values, the lookup functions' argument checks, the kept-plan insert,
 * and when a tombstone was written.
 *
 * C in spirit, like plugin.cpp: no C++ object with a destructor lives in
 * these frames.
 */
extern "C" {
#include "postgres.h"

#include "access/commit_ts.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
}

#include "pg/tombstone_keys.h"

/* The key index of rel: its replica identity index, else its primary key. */
Oid
key_index_of(Relation rel)
{
	Oid			index = RelationGetReplicaIndex(rel);

	if (!OidIsValid(index))
		index = RelationGetPrimaryKeyIndex(rel);
	return index;
}

/* The root of rel's partition tree (rel itself when it is no partition). */
Oid
root_of(Relation rel)
{
	List	   *ancestors;

	if (!rel->rd_rel->relispartition)
		return RelationGetRelid(rel);
	ancestors = get_partition_ancestors(RelationGetRelid(rel));
	return llast_oid(ancestors);
}

void
named_values(const char *function, ArrayType *columns, ArrayType *values, NamedValues *out)
{
	int			ntexts;

	deconstruct_array(columns, TEXTOID, -1, false, TYPALIGN_INT, &out->names, &out->names_null, &out->n);
	deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT, &out->texts, &out->texts_null, &ntexts);
	if (out->n != ntexts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex.%s: %d column names but %d values", function, out->n, ntexts)));
}

Relation
open_root(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	Oid			root = root_of(rel);

	if (root == relid)
		return rel;
	table_close(rel, AccessShareLock);
	return table_open(root, AccessShareLock);
}

void
append_key_value(StringInfo key, Oid type, bool isnull, Datum value)
{
	Oid			send;
	bool		varlena;
	bytea	   *bytes;
	uint32		len;

	if (isnull)
	{
		len = pg_hton32((uint32) -1);
		appendBinaryStringInfo(key, (const char *) &len, 4);
		return;
	}
	getTypeBinaryOutputInfo(type, &send, &varlena);
	bytes = OidSendFunctionCall(send, value);
	len = pg_hton32((uint32) VARSIZE(bytes) - VARHDRSZ);
	appendBinaryStringInfo(key, (const char *) &len, 4);
	appendBinaryStringInfo(key, VARDATA(bytes), VARSIZE(bytes) - VARHDRSZ);
}

bytea *
bytes_of(StringInfo key)
{
	bytea	   *result = (bytea *) palloc(VARHDRSZ + key->len);

	SET_VARSIZE(result, VARHDRSZ + key->len);
	memcpy(VARDATA(result), key->data, key->len);
	return result;
}

void
check_lookup(const char *function, Oid relid, const char *table, Oid *table_oid, Oid *index_oid)
{
	Oid			schema = get_namespace_oid("pgduplex", false);
	char		index[NAMEDATALEN];

	snprintf(index, sizeof(index), "%s_pkey", table);
	*table_oid = get_relname_relid(table, schema);
	*index_oid = get_relname_relid(index, schema);
	if (!OidIsValid(*table_oid) || !OidIsValid(*index_oid))
		elog(ERROR, "pgduplex: table pgduplex.%s or its primary key is missing", table);
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("pgduplex.%s: permission denied for table %s", function,
						get_rel_name(relid) ? get_rel_name(relid) : "(dropped)")));
}

void
insert_with_kept_plan(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types, Datum *values, const char *nulls,
					  const char *what)
{
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "pgduplex: SPI_connect failed");
	if (*plan == NULL)
	{
		SPIPlanPtr	prepared = SPI_prepare(sql, nargs, types);

		if (prepared == NULL)
			elog(ERROR, "pgduplex: cannot prepare the %s insert: %s", what, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(prepared) != 0)
			elog(ERROR, "pgduplex: cannot keep the %s insert plan", what);
		*plan = prepared;
	}
	rc = SPI_execute_plan(*plan, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "pgduplex: cannot write a %s: %s", what, SPI_result_code_string(rc));
	SPI_finish();
}

TimestampTz
tombstone_written_at(HeapTuple tuple, TupleDesc desc)
{
	TransactionId xmin = HeapTupleHeaderGetXmin(tuple->t_data);
	TimestampTz ts;
	bool		isnull;

	/* changed_at (1.4): the time the worker gave a keyless alias */
	if (desc->natts >= 5)
	{
		Datum		at = heap_getattr(tuple, 5, desc, &isnull);

		if (!isnull)
			return DatumGetTimestampTz(at);
	}

	if (track_commit_timestamp && TransactionIdIsNormal(xmin) &&
		!TransactionIdIsCurrentTransactionId(xmin) &&
		TransactionIdGetCommitTsData(xmin, &ts, NULL))
		return ts;
	return DatumGetTimestampTz(heap_getattr(tuple, 3, desc, &isnull));
}
