/*
 * value_claims.cpp — which unique values did local rows give up, and when
 * were they last held? What last-write-wins needs to decide a row with a
 * second unique constraint the same way on both clusters.
 *
 *   pgduplex.value_claims (relid, indexrelid, value, held_at)   extension 1.3
 *     filled by pgduplex.record_tombstone() (tombstones.cpp) on a local
 *     UPDATE that changes, or a DELETE that removes, a value of a unique
 *     index other than the key index: held_at is the commit time of the row
 *     version that still held it (its xmin), the decisive time of its last
 *     write.
 *   pgduplex.claim_time(relid oid, columns text[], vals text[]) RETURNS timestamptz
 *     the latest held_at among the values the given columns form.
 *
 * Why. The rule for a row whose unique value another row holds is "the
 * later row keeps it, the older one is removed". On the cluster where the
 * older row was written, the later row arrives while the older one still
 * holds the value; on the other, the later row may already have given the
 * value up (updated or deleted later) when the older one arrives, and
 * without this memory the older row would go in there and stay there only.
 * A row from the peer older than a local claim of one of its values is
 * held back instead, as if the holder were still there.
 *
 * Only local writes fire the trigger (the apply session runs as replica),
 * which is enough: rows from one cluster never contend with each other for
 * a value (that cluster's unique index kept them apart), only with the
 * other cluster's.
 *
 * Values use the key byte form of tombstone_keys.h. NULLs never conflict
 * and are not remembered. A value held only inside the transaction that
 * gives it up, or by a row whose commit time is unknown (commit timestamps
 * off, frozen xmin), is not remembered either.
 */
extern "C" {
#include "postgres.h"

#include "access/commit_ts.h"
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
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
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(pgduplex_claim_time);
}

#include "pg/tombstone_keys.h"

/* An index whose values can be claimed: unique, plain columns, no predicate. */
static bool
is_claim_index(Relation index, Oid key_index)
{
	if (RelationGetRelid(index) == key_index || !index->rd_index->indisunique)
		return false;
	if (RelationGetIndexPredicate(index) != NIL)
		return false;
	for (int i = 0; i < index->rd_index->indnkeyatts; i++)
		if (index->rd_index->indkey.values[i] <= 0)
			return false;
	return true;
}

/* The index the value is kept under: the partition tree root's. */
static Oid
root_index_of(Relation index)
{
	if (!index->rd_rel->relispartition)
		return RelationGetRelid(index);
	return llast_oid(get_partition_ancestors(RelationGetRelid(index)));
}

/* The value of index in tuple, or NULL when a column is NULL. */
static bytea *
value_of_tuple(Relation rel, Relation index, HeapTuple tuple)
{
	StringInfoData value;

	initStringInfo(&value);
	for (int i = 0; i < index->rd_index->indnkeyatts; i++)
	{
		AttrNumber	attnum = index->rd_index->indkey.values[i];
		bool		isnull;
		Datum		datum = heap_getattr(tuple, attnum, RelationGetDescr(rel), &isnull);

		if (isnull)
			return NULL;
		append_key_value(&value, TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid, false, datum);
	}
	return bytes_of(&value);
}

static bool
same_bytes(bytea *a, bytea *b)
{
	return b != NULL && VARSIZE(a) == VARSIZE(b) && memcmp(VARDATA(a), VARDATA(b), VARSIZE(a) - VARHDRSZ) == 0;
}

static void
remember_claim(Oid relid, Oid indexrelid, bytea *value, TimestampTz held_at)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[4] = {ObjectIdGetDatum(relid), ObjectIdGetDatum(indexrelid), PointerGetDatum(value),
							 TimestampTzGetDatum(held_at)};
	Oid			types[4] = {OIDOID, OIDOID, BYTEAOID, TIMESTAMPTZOID};

	insert_with_kept_plan(&plan,
						  "INSERT INTO pgduplex.value_claims AS c (relid, indexrelid, value, held_at) "
						  "VALUES ($1, $2, $3, $4) ON CONFLICT (relid, indexrelid, value) DO UPDATE "
						  "SET held_at = GREATEST(c.held_at, EXCLUDED.held_at)",
						  4, types, values, NULL, "value claim");
}

static bool
claims_kept(void)
{
	Oid			schema = get_namespace_oid("pgduplex", true);

	return OidIsValid(schema) && OidIsValid(get_relname_relid("value_claims", schema));
}

void
remember_released_values(Relation rel, HeapTuple old_tuple, HeapTuple new_tuple)
{
	TransactionId xmin = HeapTupleHeaderGetXmin(old_tuple->t_data);
	TimestampTz held_at;
	Oid			key_index;
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *cell;

	/*
	 * Every local DELETE of a synced table comes here: the cheap relcache
	 * test first, the commit timestamp (an SLRU read) last.
	 */
	if (list_length(indexes) < 2 || !track_commit_timestamp || !TransactionIdIsNormal(xmin) ||
		TransactionIdIsCurrentTransactionId(xmin) || !claims_kept() ||
		!TransactionIdGetCommitTsData(xmin, &held_at, NULL))
		return;
	key_index = key_index_of(rel);
	foreach(cell, indexes)
	{
		Relation	index = index_open(lfirst_oid(cell), AccessShareLock);

		if (is_claim_index(index, key_index))
		{
			bytea	   *held = value_of_tuple(rel, index, old_tuple);

			if (held != NULL && !(new_tuple && same_bytes(held, value_of_tuple(rel, index, new_tuple))))
				remember_claim(root_of(rel), root_index_of(index), held, held_at);
		}
		index_close(index, AccessShareLock);
	}
}

/* The value of index among the named text values; NULL when a column is missing or NULL. */
static bytea *
value_of_text(Relation rel, Relation index, const NamedValues *nv)
{
	StringInfoData value;

	initStringInfo(&value);
	for (int i = 0; i < index->rd_index->indnkeyatts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), index->rd_index->indkey.values[i] - 1);
		int			found = -1;
		Oid			input;
		Oid			ioparam;

		for (int n = 0; n < nv->n && found < 0; n++)
			if (!nv->names_null[n] && strcmp(TextDatumGetCString(nv->names[n]), NameStr(att->attname)) == 0)
				found = n;
		if (found < 0 || nv->texts_null[found])
			return NULL;
		getTypeInputInfo(att->atttypid, &input, &ioparam);
		append_key_value(&value, att->atttypid, false,
						 OidInputFunctionCall(input, TextDatumGetCString(nv->texts[found]), ioparam,
											  att->atttypmod));
	}
	return bytes_of(&value);
}

/* The latest of `latest` and the held_at of the claim (relid, indexrelid, value). */
static TimestampTz
latest_claim(Relation claims, Oid pkey, Oid relid, Oid indexrelid, bytea *value, TimestampTz latest)
{
	ScanKeyData keys[3];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(indexrelid));
	ScanKeyInit(&keys[2], 3, BTEqualStrategyNumber, F_BYTEAEQ, PointerGetDatum(value));
	scan = systable_beginscan(claims, pkey, true, GetActiveSnapshot(), 3, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		bool		isnull;
		TimestampTz held_at = DatumGetTimestampTz(heap_getattr(tuple, 4, RelationGetDescr(claims), &isnull));

		if (!isnull && held_at > latest)
			latest = held_at;
	}
	systable_endscan(scan);
	return latest;
}

extern "C" Datum
pgduplex_claim_time(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Oid			claims_oid;
	Oid			pkey;
	Oid			key_index;
	NamedValues nv;
	Relation	rel;
	Relation	claims;
	List	   *indexes;
	ListCell   *cell;
	TimestampTz latest = DT_NOBEGIN;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	check_lookup("claim_time", relid, "value_claims", &claims_oid, &pkey);
	named_values("claim_time", PG_GETARG_ARRAYTYPE_P(1), PG_GETARG_ARRAYTYPE_P(2), &nv);
	rel = open_root(relid);
	relid = RelationGetRelid(rel);
	claims = table_open(claims_oid, AccessShareLock);
	indexes = RelationGetIndexList(rel);
	key_index = key_index_of(rel);
	foreach(cell, indexes)
	{
		Relation	index = index_open(lfirst_oid(cell), AccessShareLock);

		if (is_claim_index(index, key_index))
		{
			bytea	   *value = value_of_text(rel, index, &nv);

			if (value != NULL)
				latest = latest_claim(claims, pkey, relid, RelationGetRelid(index), value, latest);
		}
		index_close(index, AccessShareLock);
	}
	table_close(claims, AccessShareLock);
	table_close(rel, AccessShareLock);
	if (TIMESTAMP_IS_NOBEGIN(latest))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(latest);
}
