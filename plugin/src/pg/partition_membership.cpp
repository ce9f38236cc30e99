/*
 * partition_membership.cpp — would a row with these column values go into
 * that partition of the tree? tombstone_time needs it for a TRUNCATE of one
 * partition: the tombstone covers the keys routed there, and nothing else.
 *
 * The answer comes from the partition's constraint (its bounds and its
 * ancestors', as the executor checks them on INSERT into a partition),
 * mapped to the root's columns and evaluated on a row built from the text
 * values given (typinput of the root's column types). When a column the
 * constraint reads is not among them, the answer is "no" (the caller then
 * keeps no tombstone for the row: the change goes in, as before partitions
 * were told apart). So is it when the bounds call a function or operator
 * that is not built in: this may run as the worker's role, and must not
 * run the table owner's code.
 *
 * C in spirit, like plugin.cpp: no C++ object with a destructor lives in
 * these frames.
 */
extern "C" {
#include "postgres.h"

#include "access/sysattr.h"
#include "access/transam.h"
#include "access/table.h"
#include "catalog/partition.h"
#include "executor/executor.h"
#include "nodes/bitmapset.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/rel.h"
}

#include "pg/tombstone_keys.h"

static bool
is_user_function(Oid funcid, void *context)
{
	return funcid >= FirstNormalObjectId;
}

/*
 * Does the expression call a function (or an operator's) that is not built
 * in? Such a partition bound is not evaluated here: the caller may be the
 * worker's own role, and the function its owner's code.
 */
static bool
calls_user_code(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, is_user_function, context))
		return true;
	return expression_tree_walker(node, reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(calls_user_code)),
								  context);
}

/* The attribute number of `name` in desc; InvalidAttrNumber when none. */
static AttrNumber
attnum_of(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	return InvalidAttrNumber;
}

/*
 * Fills slot (of root's descriptor) from the named text values; `given`
 * gets the attribute numbers set (offset like pull_varattnos).
 */
static void
fill_row(Relation root, TupleTableSlot *slot, ArrayType *columns, ArrayType *values, Bitmapset **given)
{
	TupleDesc	desc = RelationGetDescr(root);
	Datum	   *names;
	bool	   *names_null;
	int			nnames;
	Datum	   *texts;
	bool	   *texts_null;
	int			ntexts;

	deconstruct_array(columns, TEXTOID, -1, false, TYPALIGN_INT, &names, &names_null, &nnames);
	deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT, &texts, &texts_null, &ntexts);
	ExecClearTuple(slot);
	for (int i = 0; i < desc->natts; i++)
	{
		slot->tts_values[i] = (Datum) 0;
		slot->tts_isnull[i] = true;
	}
	for (int n = 0; n < nnames && n < ntexts; n++)
	{
		AttrNumber	attnum;
		Form_pg_attribute att;
		Oid			input;
		Oid			ioparam;

		if (names_null[n])
			continue;
		attnum = attnum_of(desc, TextDatumGetCString(names[n]));
		if (attnum == InvalidAttrNumber)
			continue;
		*given = bms_add_member(*given, attnum - FirstLowInvalidHeapAttributeNumber);
		if (texts_null[n])
			continue;
		att = TupleDescAttr(desc, attnum - 1);
		getTypeInputInfo(att->atttypid, &input, &ioparam);
		slot->tts_values[attnum - 1] = OidInputFunctionCall(input, TextDatumGetCString(texts[n]), ioparam,
															 att->atttypmod);
		slot->tts_isnull[attnum - 1] = false;
	}
	ExecStoreVirtualTuple(slot);
}

bool
row_belongs_to_partition(Relation root, Oid partition, ArrayType *columns, ArrayType *values)
{
	Relation	part;
	Expr	   *qual;
	List	   *quals;
	Bitmapset  *read = NULL;
	Bitmapset  *given = NULL;
	TupleTableSlot *slot;
	EState	   *estate;
	ExprContext *econtext;
	bool		inside;

	part = try_table_open(partition, AccessShareLock);
	if (part == NULL)
		return false;			/* dropped since */
	if (!part->rd_rel->relispartition ||
		!list_member_oid(get_partition_ancestors(partition), RelationGetRelid(root)))
	{
		table_close(part, AccessShareLock);
		return false;			/* detached since */
	}
	qual = get_partition_qual_relid(partition);
	if (qual == NULL)
	{
		table_close(part, AccessShareLock);
		return true;			/* no bounds: every row */
	}
	quals = map_partition_varattnos(list_make1(qual), 1, root, part);
	table_close(part, AccessShareLock);
	if (calls_user_code((Node *) quals, NULL))
		return false;

	slot = MakeSingleTupleTableSlot(RelationGetDescr(root), &TTSOpsVirtual);
	fill_row(root, slot, columns, values, &given);
	pull_varattnos((Node *) quals, 1, &read);
	if (!bms_is_subset(read, given))
	{
		ExecDropSingleTupleTableSlot(slot);
		return false;
	}
	estate = CreateExecutorState();
	econtext = GetPerTupleExprContext(estate);
	econtext->ecxt_scantuple = slot;
	inside = ExecCheck(ExecPrepareCheck(quals, estate), econtext);
	FreeExecutorState(estate);
	ExecDropSingleTupleTableSlot(slot);
	return inside;
}
