/*
 * keyless_successors.cpp — what became of a row of a table without a key?
 * (extension 1.4)
 *
 * A table without a key (REPLICA IDENTITY FULL) has no row identity: an
 * incoming UPDATE or DELETE finds "a row with these values". When both
 * sides change the same row at once, the incoming change finds nothing here
 * (this side already changed the row), and without a memory of what the row
 * became, each side kept its own version (or, for two UPDATEs, both rows).
 *
 *   record_tombstone(), on a table without a key index, remembers each
 *   local DELETE and UPDATE of a row under its whole old value (the key is
 *   every stored column, in the root's column order, in the byte form of
 *   tombstones.cpp), with the whole new value as `successor` (NULL for a
 *   DELETE), in pgduplex.tombstones.
 *
 *   pgduplex.keyless_successor(relid oid, columns text[], vals text[])
 *     RETURNS TABLE (changed_at timestamptz, successor text[])
 *     follows those records from the row with the given values (all
 *     columns, by name): one row per link, in order, with the commit time
 *     of that local change and the values it left (text, in the order of
 *     `columns`; NULL for a DELETE, which ends the chain). No rows when
 *     nothing is remembered. A link is followed only when it is later than
 *     the one before (an older record of the same values is another row's
 *     history), at most 16 links. The worker takes the first link whose
 *     values a row holds now: values are not identities, and a later link
 *     may be another row's history that happens to pass through the same
 *     values.
 *
 *   pgduplex.keyless_alias(relid oid, columns text[], vals text[],
 *                          successor text[], at timestamptz)
 *     called by the worker when an incoming UPDATE lost here (the row was
 *     changed or deleted here later): the incoming new values, which this
 *     side never holds, lead to what the row is here (successor, NULL when
 *     deleted) as of `at`, so that the peer's next UPDATE of its version
 *     finds this side's row. Needs UPDATE on the table. The values are
 *     read (type input functions, domain checks) as the caller; only the
 *     insert into pgduplex.tombstones runs as that table's owner.
 *
 * The worker then decides by commit time like for a keyed row: the later of
 * the incoming change and the local chain wins, applied to the row the
 * chain ends at. tombstone_time() never reads these records (it looks up
 * key-index keys only), so INSERTs into such tables are judged as before.
 *
 * C in spirit, like plugin.cpp: no C++ object with a destructor lives in
 * these frames.
 */
extern "C" {
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/tuplestore.h"
#include "lib/stringinfo.h"
#include "port/pg_bswap.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/syscache.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(pgduplex_keyless_successor);
PG_FUNCTION_INFO_V1(pgduplex_keyless_alias);
}

#include "pg/tombstone_keys.h"

static const int kMaxLinks = 16;

/* A stored column of the key: not dropped, not generated. */
static bool
is_stored(Form_pg_attribute att)
{
	return !att->attisdropped && att->attgenerated == '\0';
}

/* The whole-row key of tuple (a row of rel) in root's column order. */
static bytea *
whole_row_key(Relation root, Relation rel, HeapTuple tuple)
{
	TupleDesc	root_desc = RelationGetDescr(root);
	StringInfoData key;

	initStringInfo(&key);
	for (int i = 0; i < root_desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(root_desc, i);
		AttrNumber	attnum;
		bool		isnull;
		Datum		value;

		if (!is_stored(att))
			continue;
		attnum = rel == root ? att->attnum : get_attnum(RelationGetRelid(rel), NameStr(att->attname));
		if (attnum == InvalidAttrNumber)
			return NULL;
		value = heap_getattr(tuple, attnum, RelationGetDescr(rel), &isnull);
		append_key_value(&key, att->atttypid, isnull, value);
	}
	return bytes_of(&key);
}

/* Does pgduplex.tombstones have the successor column (extension 1.4)? */
static bool
successors_kept(void)
{
	Oid			schema = get_namespace_oid("pgduplex", true);
	Oid			tombstones = OidIsValid(schema) ? get_relname_relid("tombstones", schema) : InvalidOid;

	return OidIsValid(tombstones) && get_attnum(tombstones, "successor") != InvalidAttrNumber;
}

void
remember_keyless_change(Relation rel, HeapTuple old_tuple, HeapTuple new_tuple)
{
	static SPIPlanPtr plan = NULL;
	Relation	root;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	Oid			types[3] = {OIDOID, BYTEAOID, BYTEAOID};
	bytea	   *old_key;
	bytea	   *new_key = NULL;

	if (OidIsValid(key_index_of(rel)) || !successors_kept())
		return;
	root = open_root(RelationGetRelid(rel));
	old_key = whole_row_key(root, rel, old_tuple);
	if (new_tuple != NULL)
		new_key = whole_row_key(root, rel, new_tuple);
	values[0] = ObjectIdGetDatum(RelationGetRelid(root));
	table_close(root, AccessShareLock);
	if (old_key == NULL || VARSIZE_ANY_EXHDR(old_key) == 0 || (new_tuple != NULL && new_key == NULL))
		return;					/* (an empty key is a TRUNCATE's) */
	values[1] = PointerGetDatum(old_key);
	values[2] = PointerGetDatum(new_key);
	if (new_key == NULL)
		nulls[2] = 'n';
	insert_with_kept_plan(&plan,
						  "INSERT INTO pgduplex.tombstones AS t (relid, key, successor) VALUES ($1, $2, $3) "
						  "ON CONFLICT (relid, key) DO UPDATE SET deleted_at = pg_catalog.clock_timestamp(), "
						  "successor = EXCLUDED.successor, changed_at = NULL",
						  3, types, values, nulls, "keyless tombstone");
}

/*
 * The whole-row key of the named text values in root's column order, and
 * for each stored column of root (in that order) the index of its name in
 * `names` (position[]); NULL when a stored column is not named.
 */
static bytea *
key_of_values(Relation root, const NamedValues *nv, int *position)
{
	TupleDesc	desc = RelationGetDescr(root);
	StringInfoData key;
	int			stored = 0;

	initStringInfo(&key);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		int			found = -1;

		if (!is_stored(att))
			continue;
		for (int k = 0; k < nv->n && found < 0; k++)
			if (!nv->names_null[k] && strcmp(TextDatumGetCString(nv->names[k]), NameStr(att->attname)) == 0)
				found = k;
		if (found < 0)
			return NULL;
		position[stored++] = found;
		if (nv->texts_null[found])
			append_key_value(&key, att->atttypid, true, (Datum) 0);
		else
		{
			Oid			input;
			Oid			ioparam;

			getTypeInputInfo(att->atttypid, &input, &ioparam);
			append_key_value(&key, att->atttypid, false,
							 OidInputFunctionCall(input, TextDatumGetCString(nv->texts[found]), ioparam,
												  att->atttypmod));
		}
	}
	return bytes_of(&key);
}

/* The text values (in `names` order, n of them) of a whole-row key of root. */
static ArrayType *
values_of_key(Relation root, bytea *key, const int *position, int n)
{
	TupleDesc	desc = RelationGetDescr(root);
	Datum	   *texts = (Datum *) palloc0(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = (bool *) palloc(sizeof(bool) * Max(n, 1));
	const char *cursor = VARDATA_ANY(key);
	const char *end = cursor + VARSIZE_ANY_EXHDR(key);
	int			stored = 0;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int k = 0; k < n; k++)
		nulls[k] = true;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		uint32		len;

		if (!is_stored(att))
			continue;
		if (end - cursor < 4)
			elog(ERROR, "pgduplex: a keyless tombstone of %s is shorter than its columns",
				 RelationGetRelationName(root));
		memcpy(&len, cursor, 4);
		len = pg_ntoh32(len);
		cursor += 4;
		if (len != (uint32) -1)
		{
			StringInfoData buf;
			Oid			receive;
			Oid			ioparam;
			Oid			output;
			bool		varlena;
			Datum		value;

			if ((uint32) (end - cursor) < len)
				elog(ERROR, "pgduplex: a keyless tombstone of %s is shorter than its columns",
					 RelationGetRelationName(root));
			initStringInfo(&buf);
			appendBinaryStringInfo(&buf, cursor, (int) len);
			cursor += len;
			getTypeBinaryInputInfo(att->atttypid, &receive, &ioparam);
			value = OidReceiveFunctionCall(receive, &buf, ioparam, att->atttypmod);
			getTypeOutputInfo(att->atttypid, &output, &varlena);
			texts[position[stored]] = CStringGetTextDatum(OidOutputFunctionCall(output, value));
			nulls[position[stored]] = false;
		}
		stored++;
	}
	return construct_md_array(texts, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT);
}

/* The tombstone (relid, key): true and its time and successor (NULL: none). */
static bool
find_link(Relation tombstones, Oid index_oid, Oid relid, bytea *key, TimestampTz *at, bytea **successor)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		found = false;

	ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&keys[1], 2, BTEqualStrategyNumber, F_BYTEAEQ, PointerGetDatum(key));
	scan = systable_beginscan(tombstones, index_oid, true, GetActiveSnapshot(), 2, keys);
	if (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		TupleDesc	desc = RelationGetDescr(tombstones);
		bool		isnull;
		Datum		next = heap_getattr(tuple, get_attnum(RelationGetRelid(tombstones), "successor"), desc,
										&isnull);

		found = true;
		*at = tombstone_written_at(tuple, desc);
		*successor = isnull ? NULL : DatumGetByteaPCopy(next);
	}
	systable_endscan(scan);
	return found;
}

extern "C" Datum
pgduplex_keyless_successor(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Oid			tombstones_oid;
	Oid			index_oid;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	NamedValues nv;
	int		   *position;
	Relation	root;
	Relation	tombstones;
	bytea	   *key;
	TimestampTz at = 0;
	bool		found = false;

	check_lookup("keyless_successor", relid, "tombstones", &tombstones_oid, &index_oid);
	InitMaterializedSRF(fcinfo, 0);
	named_values("keyless_successor", PG_GETARG_ARRAYTYPE_P(1), PG_GETARG_ARRAYTYPE_P(2), &nv);
	root = open_root(relid);
	position = (int *) palloc0(sizeof(int) * (RelationGetDescr(root)->natts + 1));
	key = key_of_values(root, &nv, position);
	tombstones = table_open(tombstones_oid, AccessShareLock);
	for (int link = 0; key != NULL && link < kMaxLinks; link++)
	{
		TimestampTz link_at;
		bytea	   *next = NULL;
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (!find_link(tombstones, index_oid, RelationGetRelid(root), key, &link_at, &next) ||
			(found && link_at < at))
			break;
		found = true;
		at = link_at;
		values[0] = TimestampTzGetDatum(at);
		if (next == NULL)
			nulls[1] = true;
		else
			values[1] = PointerGetDatum(values_of_key(root, next, position, nv.n));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		if (next != NULL && VARSIZE_ANY_EXHDR(next) == VARSIZE_ANY_EXHDR(key) &&
			memcmp(VARDATA_ANY(next), VARDATA_ANY(key), VARSIZE_ANY_EXHDR(key)) == 0)
			break;				/* an UPDATE that changed no value */
		key = next;
	}
	table_close(tombstones, AccessShareLock);
	table_close(root, AccessShareLock);
	return (Datum) 0;
}

/*
 * insert_with_kept_plan as the owner of pgduplex.tombstones (the caller
 * cannot write it), in a restricted security context; an ERROR restores
 * the user with the (sub)transaction.
 */
static void
insert_as_tombstones_owner(SPIPlanPtr *plan, const char *sql, int nargs, Oid *types, Datum *values,
						   const char *nulls, const char *what)
{
	Oid			tombstones = get_relname_relid("tombstones", get_namespace_oid("pgduplex", false));
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(tombstones));
	Oid			owner;
	Oid			save_userid;
	int			save_sec_context;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "pgduplex: table pgduplex.tombstones is missing");
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION);
	insert_with_kept_plan(plan, sql, nargs, types, values, nulls, what);
	SetUserIdAndSecContext(save_userid, save_sec_context);
}

extern "C" Datum
pgduplex_keyless_alias(PG_FUNCTION_ARGS)
{
	static SPIPlanPtr plan = NULL;
	Oid			relid;
	Relation	root;
	NamedValues nv;
	int		   *position;
	bytea	   *key;
	bytea	   *successor = NULL;
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	Oid			types[4] = {OIDOID, BYTEAOID, BYTEAOID, TIMESTAMPTZOID};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(4))
		PG_RETURN_VOID();
	relid = PG_GETARG_OID(0);
	if (pg_class_aclcheck(relid, GetUserId(), ACL_UPDATE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("pgduplex.keyless_alias: permission denied for table %s",
						get_rel_name(relid) ? get_rel_name(relid) : "(dropped)")));
	named_values("keyless_alias", PG_GETARG_ARRAYTYPE_P(1), PG_GETARG_ARRAYTYPE_P(2), &nv);
	root = open_root(relid);
	position = (int *) palloc0(sizeof(int) * (RelationGetDescr(root)->natts + 1));
	key = key_of_values(root, &nv, position);
	if (key != NULL && !PG_ARGISNULL(3))
	{
		Datum	   *next;
		bool	   *next_null;
		int			nnext;

		deconstruct_array(PG_GETARG_ARRAYTYPE_P(3), TEXTOID, -1, false, TYPALIGN_INT, &next, &next_null, &nnext);
		NamedValues then = nv;

		if (nnext != nv.n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pgduplex.keyless_alias: %d column names but %d successor values", nv.n, nnext)));
		then.texts = next;
		then.texts_null = next_null;
		successor = key_of_values(root, &then, position);
		if (successor == NULL)
			key = NULL;
	}
	values[0] = ObjectIdGetDatum(RelationGetRelid(root));
	table_close(root, AccessShareLock);
	if (key == NULL || VARSIZE_ANY_EXHDR(key) == 0)
		PG_RETURN_VOID();		/* a column is not named: nothing to remember */
	values[1] = PointerGetDatum(key);
	values[2] = PointerGetDatum(successor);
	if (successor == NULL)
		nulls[2] = 'n';
	values[3] = PG_GETARG_DATUM(4);
	insert_as_tombstones_owner(&plan,
						  "INSERT INTO pgduplex.tombstones AS t (relid, key, successor, changed_at) "
						  "VALUES ($1, $2, $3, $4) "
						  "ON CONFLICT (relid, key) DO UPDATE SET deleted_at = pg_catalog.clock_timestamp(), "
						  "successor = EXCLUDED.successor, changed_at = EXCLUDED.changed_at",
						  4, types, values, nulls, "keyless alias");
	PG_RETURN_VOID();
}
