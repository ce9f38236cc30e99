/*
 * tombstones.cpp — when was a row deleted here? The memory last-write-wins
 * needs to decide an UPDATE or INSERT whose row is gone.
 *
 *   pgduplex.record_tombstone() RETURNS trigger      (LANGUAGE C, SECURITY DEFINER)
 *     AFTER DELETE ... FOR EACH ROW: remembers (table, key) of the row;
 *     AFTER TRUNCATE ... FOR EACH STATEMENT: remembers (table, '') — every
 *     key of the table; fired on a partition (TRUNCATE of one partition;
 *     the worker puts this trigger on every partition too), remembers
 *     (root, partition marker) — every key routed to that partition.
 *     AFTER UPDATE ... FOR EACH ROW: only the unique values the row gave
 *     up (value_claims.cpp). On a table without a key index, a DELETE or
 *     UPDATE is remembered under the whole old row instead, with what it
 *     became (keyless_successors.cpp, extension 1.4).
 *   pgduplex.has_tombstones(relid oid) RETURNS boolean             (extension 1.4)
 *     whether anything of the table (its partition tree) is remembered:
 *     the worker asks once per INSERT statement and looks up each row's
 *     key only when it is.
 *   pgduplex.tombstone_time(relid oid, columns text[], key text[]) RETURNS timestamptz
 *     the commit time of the latest local delete of that key, or of a
 *     TRUNCATE of the table, or of the partition the key goes into, if
 *     later; NULL when there is none.
 *
 * The worker creates the triggers on its target tables under
 * last-write-wins. Its own session runs with session_replication_role =
 * replica, where ordinary triggers do not fire: only local deletes leave a
 * tombstone. That is all a two-cluster decision needs, since every
 * incoming change comes from the peer, and a delete the peer made has the
 * peer's history.
 *
 * The decisive time is the commit timestamp of the tombstone row's xmin,
 * the deleting transaction (an upsert keeps only the latest delete of a
 * key); deleted_at (the clock at the delete) stands in when commit
 * timestamps are off or the xmin is frozen, and serves the purge.
 *
 * The key is the row's replica identity index (or primary key) columns, in
 * index order, each as its type's binary send output prefixed by a 4-byte
 * length (-1 for NULL). Binary output does not depend on DateStyle,
 * TimeZone or extra_float_digits, so tombstone_time can rebuild the same
 * bytes from the text values the source sent (typinput, then typsend). A
 * row deleted in a partition is remembered under the partition tree's root,
 * the table the worker applies to. A partition marker is 0xFFFFFFFE (a
 * length no value has) and the partition's OID, 4 bytes each, big-endian:
 * tombstone_time finds the markers of a root by one index range scan (none
 * in the common case) and checks each partition's bounds against the key
 * (partition_membership.cpp).
 *
 * Who may read. The table grants nothing; tombstone_time reads it by index,
 * and only for a table its caller may SELECT from (the worker, or the table
 * owner the worker is acting as).
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

PG_FUNCTION_INFO_V1(pgduplex_record_tombstone);
PG_FUNCTION_INFO_V1(pgduplex_tombstone_time);
PG_FUNCTION_INFO_V1(pgduplex_has_tombstones);
}

#include "pg/tombstone_keys.h"

/* The key of a deleted row; NULL when the table has no key index. */
static bytea *
key_of_tuple(Relation rel, HeapTuple tuple)
{
	Oid			index_oid = key_index_of(rel);
	Relation	index;
	StringInfoData key;

	if (!OidIsValid(index_oid))
		return NULL;
	initStringInfo(&key);
	index = index_open(index_oid, AccessShareLock);
	for (int i = 0; i < index->rd_index->indnkeyatts; i++)
	{
		AttrNumber	attnum = index->rd_index->indkey.values[i];
		bool		isnull;
		Datum		value;

		if (attnum <= 0)		/* an expression: not a replica identity */
		{
			index_close(index, AccessShareLock);
			return NULL;
		}
		value = heap_getattr(tuple, attnum, RelationGetDescr(rel), &isnull);
		append_key_value(&key, TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid,
						 isnull, value);
	}
	index_close(index, AccessShareLock);
	return bytes_of(&key);
}

/* The first 4 bytes of a partition marker: a length no value has. */
static const uint32 kPartitionMarker = 0xFFFFFFFE;

static void
remember(Oid relid, bytea *key)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[2] = {ObjectIdGetDatum(relid), PointerGetDatum(key)};
	Oid			types[2] = {OIDOID, BYTEAOID};

	insert_with_kept_plan(&plan,
						  "INSERT INTO pgduplex.tombstones AS t (relid, key) VALUES ($1, $2) "
						  "ON CONFLICT (relid, key) DO UPDATE SET deleted_at = pg_catalog.clock_timestamp()",
						  2, types, values, NULL, "tombstone");
}

/* The key of a TRUNCATE of one partition (see the top). */
static bytea *
partition_marker(Oid partition)
{
	StringInfoData key;
	uint32		word = pg_hton32(kPartitionMarker);

	initStringInfo(&key);
	appendBinaryStringInfo(&key, (const char *) &word, 4);
	word = pg_hton32((uint32) partition);
	appendBinaryStringInfo(&key, (const char *) &word, 4);
	return bytes_of(&key);
}

extern "C" Datum
pgduplex_record_tombstone(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	bytea	   *key;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("pgduplex.record_tombstone() must be fired AFTER DELETE FOR EACH ROW or AFTER TRUNCATE")));
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) && TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
	{
		remember_released_values(trigdata->tg_relation, trigdata->tg_trigtuple, trigdata->tg_newtuple);
		remember_keyless_change(trigdata->tg_relation, trigdata->tg_trigtuple, trigdata->tg_newtuple);
		return PointerGetDatum(NULL);
	}
	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		if (trigdata->tg_relation->rd_rel->relispartition)
			key = partition_marker(RelationGetRelid(trigdata->tg_relation));
		else
		{
			key = (bytea *) palloc(VARHDRSZ);
			SET_VARSIZE(key, VARHDRSZ);
		}
	}
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) && TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
	{
		remember_released_values(trigdata->tg_relation, trigdata->tg_trigtuple, NULL);
		key = key_of_tuple(trigdata->tg_relation, trigdata->tg_trigtuple);
		if (key == NULL)
		{
			remember_keyless_change(trigdata->tg_relation, trigdata->tg_trigtuple, NULL);
			return PointerGetDatum(NULL);
		}
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("pgduplex.record_tombstone() must be fired AFTER DELETE FOR EACH ROW or AFTER TRUNCATE")));
	remember(root_of(trigdata->tg_relation), key);
	return PointerGetDatum(NULL);
}

/*
 * The key bytes of a row given as text values of named columns of relid,
 * in relid's key index order; NULL when relid has no key index or a key
 * column is not among the names.
 */
static bytea *
key_of_text(Relation rel, ArrayType *columns, ArrayType *values)
{
	Datum	   *names;
	bool	   *names_null;
	int			nnames;
	Datum	   *texts;
	bool	   *texts_null;
	int			ntexts;
	Oid			index_oid = key_index_of(rel);
	Relation	index;
	StringInfoData key;
	bytea	   *result = NULL;

	if (!OidIsValid(index_oid))
		return NULL;
	deconstruct_array(columns, TEXTOID, -1, false, TYPALIGN_INT, &names, &names_null, &nnames);
	deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT, &texts, &texts_null, &ntexts);
	if (nnames != ntexts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex.tombstone_time: %d column names but %d values", nnames, ntexts)));
	initStringInfo(&key);
	index = index_open(index_oid, AccessShareLock);
	for (int i = 0; i < index->rd_index->indnkeyatts; i++)
	{
		AttrNumber	attnum = index->rd_index->indkey.values[i];
		Form_pg_attribute att;
		int			found = -1;

		if (attnum <= 0)
			break;
		att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
		for (int n = 0; n < nnames && found < 0; n++)
			if (!names_null[n] && strcmp(TextDatumGetCString(names[n]), NameStr(att->attname)) == 0)
				found = n;
		if (found < 0)
			break;
		if (texts_null[found])
			append_key_value(&key, att->atttypid, true, (Datum) 0);
		else
		{
			Oid			input;
			Oid			ioparam;

			getTypeInputInfo(att->atttypid, &input, &ioparam);
			append_key_value(&key, att->atttypid, false,
							 OidInputFunctionCall(input, TextDatumGetCString(texts[found]),
												  ioparam, att->atttypmod));
		}
		if (i == index->rd_index->indnkeyatts - 1)
			result = bytes_of(&key);
	}
	index_close(index, AccessShareLock);
	return result;
}

/* The latest of `latest` and the times of the tombstones (relid, key). */
static TimestampTz
latest_tombstone(Relation tombstones, Oid index_oid, Oid relid, bytea *key, TimestampTz latest)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_BYTEAEQ, PointerGetDatum(key));
	scan = systable_beginscan(tombstones, index_oid, true, GetActiveSnapshot(), 2, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		TimestampTz ts = tombstone_written_at(tuple, RelationGetDescr(tombstones));

		if (ts > latest)
			latest = ts;
	}
	systable_endscan(scan);
	return latest;
}

/* A marker's bytea bound: 0xFFFFFFFE (first) or 0xFFFFFFFF (past the last). */
static bytea *
marker_bound(uint32 word)
{
	StringInfoData key;

	word = pg_hton32(word);
	initStringInfo(&key);
	appendBinaryStringInfo(&key, (const char *) &word, 4);
	return bytes_of(&key);
}

/*
 * The latest of `latest` and the times of root's partition markers whose
 * partition the row (columns, values) goes into.
 */
static TimestampTz
latest_partition_truncate(Relation tombstones, Oid index_oid, Relation root, ArrayType *columns,
						  ArrayType *values, TimestampTz latest)
{
	ScanKeyData keys[3];
	SysScanDesc scan;
	HeapTuple	tuple;

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(RelationGetRelid(root)));
	ScanKeyInit(&keys[1], 2, BTGreaterEqualStrategyNumber, F_BYTEAGE,
				PointerGetDatum(marker_bound(kPartitionMarker)));
	ScanKeyInit(&keys[2], 2, BTLessStrategyNumber, F_BYTEALT, PointerGetDatum(marker_bound(0xFFFFFFFF)));
	scan = systable_beginscan(tombstones, index_oid, true, GetActiveSnapshot(), 3, keys);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		TimestampTz ts = tombstone_written_at(tuple, RelationGetDescr(tombstones));
		bool		isnull;
		bytea	   *key = DatumGetByteaPP(heap_getattr(tuple, 2, RelationGetDescr(tombstones), &isnull));
		uint32		partition;

		if (ts <= latest || isnull || VARSIZE_ANY_EXHDR(key) != 8)
			continue;
		memcpy(&partition, VARDATA_ANY(key) + 4, 4);
		if (row_belongs_to_partition(root, (Oid) pg_ntoh32(partition), columns, values))
			latest = ts;
	}
	systable_endscan(scan);
	return latest;
}

extern "C" Datum
pgduplex_tombstone_time(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Oid			tombstones_oid;
	Oid			index_oid;
	Relation	rel;
	Relation	tombstones;
	bytea	   *key;
	bytea	   *whole_table;
	TimestampTz latest = DT_NOBEGIN;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	check_lookup("tombstone_time", relid, "tombstones", &tombstones_oid, &index_oid);
	rel = open_root(relid);
	relid = RelationGetRelid(rel);
	key = key_of_text(rel, PG_GETARG_ARRAYTYPE_P(1), PG_GETARG_ARRAYTYPE_P(2));

	tombstones = table_open(tombstones_oid, AccessShareLock);
	if (key != NULL)
		latest = latest_tombstone(tombstones, index_oid, relid, key, latest);
	whole_table = (bytea *) palloc(VARHDRSZ);
	SET_VARSIZE(whole_table, VARHDRSZ);
	latest = latest_tombstone(tombstones, index_oid, relid, whole_table, latest);
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		latest = latest_partition_truncate(tombstones, index_oid, rel, PG_GETARG_ARRAYTYPE_P(1),
										   PG_GETARG_ARRAYTYPE_P(2), latest);
	table_close(tombstones, AccessShareLock);
	table_close(rel, AccessShareLock);
	if (TIMESTAMP_IS_NOBEGIN(latest))
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(latest);
}

extern "C" Datum
pgduplex_has_tombstones(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Oid			tombstones_oid;
	Oid			index_oid;
	Relation	rel;
	Relation	tombstones;
	ScanKeyData key;
	SysScanDesc scan;
	bool		found;

	check_lookup("has_tombstones", relid, "tombstones", &tombstones_oid, &index_oid);
	rel = open_root(relid);
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(RelationGetRelid(rel)));
	table_close(rel, AccessShareLock);
	tombstones = table_open(tombstones_oid, AccessShareLock);
	scan = systable_beginscan(tombstones, index_oid, true, GetActiveSnapshot(), 1, &key);
	found = HeapTupleIsValid(systable_getnext(scan));
	systable_endscan(scan);
	table_close(tombstones, AccessShareLock);
	PG_RETURN_BOOL(found);
}
