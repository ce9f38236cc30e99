/*
 * change_views.cpp — tuples and relations as core views (change_views.h).
 */
#include "core/change_view.h"

extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/sysattr.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/bitmapset.h"
#include "utils/builtins.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "utils/partcache.h"
#include "utils/ruleutils.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

#include "pg/change_views.h"

void
tuple_to_values(RelationEntry *entry, Relation rel, HeapTuple tuple,
				pgduplex::ValueView *out)
{
	heap_deform_tuple(tuple, RelationGetDescr(rel), entry->datums, entry->isnull);

	for (int i = 0; i < entry->ncolumns; i++)
	{
		int			a = entry->attidx[i];
		Datum		value = entry->datums[a];
		char	   *text;

		if (entry->isnull[a])
		{
			out[i].data = NULL;
			out[i].size = 0;
			out[i].kind = pgduplex::ValueKind::kNull;
			continue;
		}
		/*
		 * An on-disk TOAST pointer in a change means the value did not
		 * change and was not logged: say so, and never fetch it (the TOAST
		 * rows may be gone, and fetching would be slow anyway). Values that
		 * did change arrive reassembled in memory.
		 */
		if (entry->varlena[i] && VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(value)))
		{
			out[i].data = NULL;
			out[i].size = 0;
			out[i].kind = pgduplex::ValueKind::kUnchangedToast;
			continue;
		}
		text = OutputFunctionCall(&entry->out_funcs[i], value);
		out[i].data = text;
		out[i].size = (uint32_t) strlen(text);
		out[i].kind = pgduplex::ValueKind::kText;
	}
}

/*
 * Every server encoding is a superset of ASCII, so ASCII text needs no
 * conversion. That fast path also matters for correctness: a
 * non-transactional message (the heartbeat) is decoded outside any
 * transaction, where a real conversion cannot look up its function.
 */
static bool
is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
	{
		if ((unsigned char) s[i] >= 0x80)
			return false;
	}
	return true;
}

const char *
server_to_utf8(const char *s, size_t len)
{
	if (is_ascii(s, len))
		return s;
	return pg_server_to_any(s, (int) len, PG_UTF8);
}

static const char *
name_to_utf8(const char *s)
{
	return s == NULL ? NULL : server_to_utf8(s, strlen(s));
}

/*
 * The type as the target must spell it: format_type with the typmod,
 * schema-qualified unless it lives in pg_catalog (user-defined types have
 * different OIDs on the two clusters; the name is what matches).
 */
static char *
column_type_name(Oid type_oid, int32 typmod)
{
	HeapTuple	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(type_oid));
	bits16		flags = FORMAT_TYPE_TYPEMOD_GIVEN;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for type %u", type_oid);
	if (((Form_pg_type) GETSTRUCT(tuple))->typnamespace != PG_CATALOG_NAMESPACE)
		flags |= FORMAT_TYPE_FORCE_QUALIFY;
	ReleaseSysCache(tuple);
	return format_type_extended(type_oid, typmod, flags);
}

static bool
is_user_function(Oid func_id, void *context)
{
	return func_id >= FirstNormalObjectId;
}

/* Whether the expression calls a function or operator not built in. */
static bool
calls_user_function(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, is_user_function, context))
		return true;
	/* PostgreSQL 15 declares the walker as bool (*)() (K&R style). */
	return expression_tree_walker(node,
								  reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(calls_user_function)),
								  context);
}

/*
 * The partition's constraint (its bounds and its ancestors'), deparsed with
 * only pg_catalog on the search path so every other name comes qualified
 * (the text runs on the target, whatever the session's search_path here);
 * "true" when there is none (a default partition that is the only one),
 * "" when it cannot travel as text the target may run.
 */
static char *
partition_constraint(Relation rel)
{
	List	   *quals = RelationGetPartitionQual(rel);
	Oid			relid = RelationGetRelid(rel);
	OverrideSearchPath *path;
	char	   *text;

	if (quals == NIL)
		return pstrdup("true");
	/*
	 * Only built-in functions and operators: the text runs on the target,
	 * where a function of the same name may be someone else's. Unknown ("")
	 * makes the worker refuse such a TRUNCATE rather than guess.
	 */
	if (calls_user_function((Node *) quals, NULL))
		return pstrdup("");
	path = GetOverrideSearchPath(CurrentMemoryContext);
	path->schemas = NIL;
	path->addCatalog = true;
	path->addTemp = false;
	PushOverrideSearchPath(path);
	text = deparse_expression((Node *) make_ands_explicit(quals),
							  deparse_context_for(get_rel_name(relid), relid),
							  false, false);
	PopOverrideSearchPath();
	return text;
}

void
describe_relation(Relation rel, RelationEntry *entry, pgduplex::RelationView *view)
{
	TupleDesc	desc = RelationGetDescr(rel);
	char		identity = rel->rd_rel->relreplident;
	Bitmapset  *key_attrs = NULL;
	pgduplex::ColumnView *columns;

	if (identity == REPLICA_IDENTITY_DEFAULT || identity == REPLICA_IDENTITY_INDEX)
		key_attrs = RelationGetIdentityKeyBitmap(rel);

	columns = (pgduplex::ColumnView *)
		palloc(sizeof(pgduplex::ColumnView) * Max(entry->ncolumns, 1));
	for (int i = 0; i < entry->ncolumns; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, entry->attidx[i]);

		columns[i].name = name_to_utf8(NameStr(att->attname));
		columns[i].type_name = name_to_utf8(column_type_name(att->atttypid, att->atttypmod));
		columns[i].type_oid = att->atttypid;
		columns[i].typmod = att->atttypmod;
		columns[i].key = identity == REPLICA_IDENTITY_FULL ||
			bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber, key_attrs);
	}

	view->oid = RelationGetRelid(rel);
	view->schema = name_to_utf8(get_namespace_name(RelationGetNamespace(rel)));
	view->name = name_to_utf8(RelationGetRelationName(rel));
	view->columns = columns;
	view->column_count = (uint32_t) entry->ncolumns;
	switch (identity)
	{
		case REPLICA_IDENTITY_NOTHING:
			view->replica_identity = pgduplex::ReplicaIdentityKind::kNothing;
			break;
		case REPLICA_IDENTITY_FULL:
			view->replica_identity = pgduplex::ReplicaIdentityKind::kFull;
			break;
		case REPLICA_IDENTITY_INDEX:
			view->replica_identity = pgduplex::ReplicaIdentityKind::kIndex;
			break;
		default:
			view->replica_identity = pgduplex::ReplicaIdentityKind::kDefault;
			break;
	}

	view->root_oid = 0;
	view->root_schema = NULL;
	view->root_name = NULL;
	view->partition_constraint = NULL;
	if (rel->rd_rel->relispartition)
	{
		List	   *ancestors = get_partition_ancestors(RelationGetRelid(rel));

		if (ancestors != NIL)
		{
			Oid			root = llast_oid(ancestors);

			view->root_oid = root;
			view->root_schema = name_to_utf8(get_namespace_name(get_rel_namespace(root)));
			view->root_name = name_to_utf8(get_rel_name(root));
			view->partition_constraint = name_to_utf8(partition_constraint(rel));
		}
	}
}
