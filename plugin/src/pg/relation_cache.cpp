/*
 * relation_cache.cpp — per-relation state of a stream (see relation_cache.h).
 */
#include "core/change_view.h"

extern "C" {
#include "postgres.h"

#include "catalog/dependency.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "commands/extension.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
}

#include "pg/relation_cache.h"
#include "pg/row_filter.h"
#include "pg/table_rules.h"

/*
 * The cache of the decoding session in progress, or NULL. Invalidation
 * callbacks cannot be unregistered and outlive any one session, so they are
 * registered once per backend and do nothing while this is NULL.
 */
static HTAB *relation_cache = NULL;
static MemoryContext relation_cache_cxt = NULL;

static void
invalidate_entry(RelationEntry *entry)
{
	entry->valid = false;
	entry->relation_sent = false;
	entry->stream_sent_xid = InvalidTransactionId;
}

static void
relation_invalidated(Datum arg, Oid relid)
{
	if (relation_cache == NULL)
		return;
	if (OidIsValid(relid))
	{
		RelationEntry *entry = (RelationEntry *)
			hash_search(relation_cache, &relid, HASH_FIND, NULL);

		if (entry != NULL)
			invalidate_entry(entry);
	}
	else
	{
		HASH_SEQ_STATUS status;
		RelationEntry *entry;

		hash_seq_init(&status, relation_cache);
		while ((entry = (RelationEntry *) hash_seq_search(&status)) != NULL)
			invalidate_entry(entry);
	}
}

/* A schema or type changed (renamed, ...): names in Relation records may be
 * stale, so every relation is described again. */
static void
catalog_names_invalidated(Datum arg, int cacheid, uint32 hashvalue)
{
	relation_invalidated(arg, InvalidOid);
}

void
relation_cache_create(MemoryContext parent)
{
	static bool callbacks_registered = false;
	HASHCTL		ctl;

	relation_cache_cxt = AllocSetContextCreate(parent, "pgduplex relation cache",
											   ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(RelationEntry);
	ctl.hcxt = relation_cache_cxt;
	relation_cache = hash_create("pgduplex relation cache", 128, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(relation_invalidated, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACEOID, catalog_names_invalidated, (Datum) 0);
		CacheRegisterSyscacheCallback(TYPEOID, catalog_names_invalidated, (Datum) 0);
		callbacks_registered = true;
	}
}

void
relation_cache_forget(void)
{
	relation_cache = NULL;
	relation_cache_cxt = NULL;
}

void
relation_cache_stream_ended(bool committed)
{
	HASH_SEQ_STATUS status;
	RelationEntry *entry;

	if (relation_cache == NULL)
		return;
	hash_seq_init(&status, relation_cache);
	while ((entry = (RelationEntry *) hash_seq_search(&status)) != NULL)
	{
		entry->stream_sent_xid = InvalidTransactionId;
		if (committed)
			entry->relation_sent = false;
	}
}

static bool
relation_included(Relation rel, const PluginOptions *options)
{
	char	   *schema;

	if (!options->filter_tables)
		return true;
	schema = get_namespace_name(RelationGetNamespace(rel));
	if (schema != NULL &&
		tables_option_matches(options, schema, RelationGetRelationName(rel)))
		return true;
	if (rel->rd_rel->relispartition)
	{
		ListCell   *lc;

		foreach(lc, get_partition_ancestors(RelationGetRelid(rel)))
		{
			Oid			ancestor = lfirst_oid(lc);
			char	   *ancestor_schema = get_namespace_name(get_rel_namespace(ancestor));
			char	   *ancestor_name = get_rel_name(ancestor);

			if (ancestor_schema != NULL && ancestor_name != NULL &&
				tables_option_matches(options, ancestor_schema, ancestor_name))
				return true;
		}
	}
	return false;
}

/*
 * A table of the extension pgduplex itself (conflicts, worker_status,
 * tombstones, ddl_log, ...): its rows are each cluster's own bookkeeping
 * and never travel as row changes. Only a superuser can create a table in
 * the extension's schema or make one a member; the membership check also
 * keeps a look-alike in a database without the extension from counting.
 */
static bool
relation_is_extension_member(Relation rel)
{
	char	   *schema;
	Oid			extension;

	schema = get_namespace_name(RelationGetNamespace(rel));
	if (schema == NULL || strcmp(schema, "pgduplex") != 0)
		return false;
	extension = get_extension_oid("pgduplex", true);
	return OidIsValid(extension) &&
		getExtensionOfObject(RelationRelationId, RelationGetRelid(rel)) == extension;
}

/* The entry's operations and row filter (compiled in entry->cxt). */
static void
build_table_rules(RelationEntry *entry, Relation rel, const PluginOptions *options)
{
	const TableRule *rule = entry->include ? find_table_rule(options, rel) : NULL;

	entry->operations = rule != NULL ? rule->operations : PGDUPLEX_OP_ALL;
	entry->row_filter = NULL;
	if (rule != NULL && rule->row_filter != NULL)
		entry->row_filter = row_filter_compile(rel, rule->row_filter);
}

static void
build_entry(RelationEntry *entry, Relation rel, const PluginOptions *options)
{
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext old;
	int			n = 0;

	if (entry->cxt == NULL)
		entry->cxt = AllocSetContextCreate(relation_cache_cxt, "pgduplex relation",
										   ALLOCSET_SMALL_SIZES);
	else
	{
		if (entry->row_filter != NULL)
			row_filter_free(entry->row_filter);
		entry->row_filter = NULL;
		MemoryContextReset(entry->cxt);
	}

	/* The DDL channel is the extension's ddl_log: its inserts are DDL records. */
	bool		member = relation_is_extension_member(rel);

	entry->is_ddl_log = member && strcmp(RelationGetRelationName(rel), "ddl_log") == 0;
	entry->include = !member && relation_included(rel, options);

	old = MemoryContextSwitchTo(entry->cxt);
	entry->desc_natts = desc->natts;
	entry->attidx = (int *) palloc(sizeof(int) * Max(desc->natts, 1));
	entry->out_funcs = (FmgrInfo *) palloc(sizeof(FmgrInfo) * Max(desc->natts, 1));
	entry->varlena = (bool *) palloc(sizeof(bool) * Max(desc->natts, 1));
	entry->datums = (Datum *) palloc(sizeof(Datum) * Max(desc->natts, 1));
	entry->isnull = (bool *) palloc(sizeof(bool) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Oid			output_function;
		bool		is_varlena;

		if (att->attisdropped || att->attgenerated)
			continue;
		getTypeOutputInfo(att->atttypid, &output_function, &is_varlena);
		fmgr_info_cxt(output_function, &entry->out_funcs[n], entry->cxt);
		entry->attidx[n] = i;
		entry->varlena[n] = att->attlen == -1;
		n++;
	}
	entry->ncolumns = n;
	build_table_rules(entry, rel, options);
	entry->new_values = (pgduplex::ValueView *) palloc(sizeof(pgduplex::ValueView) * Max(n, 1));
	entry->old_values = (pgduplex::ValueView *) palloc(sizeof(pgduplex::ValueView) * Max(n, 1));
	MemoryContextSwitchTo(old);

	entry->valid = true;
}

RelationEntry *
relation_cache_get(Relation rel, const PluginOptions *options)
{
	Oid			relid = RelationGetRelid(rel);
	RelationEntry *entry;
	bool		found;

	Assert(relation_cache != NULL);
	entry = (RelationEntry *) hash_search(relation_cache, &relid, HASH_ENTER, &found);
	if (!found)
	{
		entry->valid = false;
		entry->relation_sent = false;
		entry->stream_sent_xid = InvalidTransactionId;
		entry->include = false;
		entry->is_ddl_log = false;
		entry->row_filter = NULL;
		entry->cxt = NULL;
	}
	/* The descriptor check guards against a change we were not told of. */
	if (!entry->valid || entry->desc_natts != RelationGetDescr(rel)->natts)
	{
		entry->relation_sent = false;
		entry->stream_sent_xid = InvalidTransactionId;
		build_entry(entry, rel, options);
	}
	return entry;
}
