/*
 * row_filter.cpp — compiling and evaluating a row filter (see row_filter.h).
 */
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "access/transam.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_clause.h"
#include "parser/parse_collate.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(pgduplex_row_filter_columns);
}

#include "pg/row_filter.h"

struct RowFilter
{
	EState	   *estate;
	ExprState  *state;
	TupleTableSlot *slot;		/* virtual, of the relation's descriptor */
	int			natts;
};

/* The one expression of the text, or an ERROR: no other clause may follow. */
static Node *
parse_expression(const char *expression)
{
	List	   *stmts = raw_parser(expression, RAW_PARSE_PLPGSQL_EXPR);
	SelectStmt *select;
	ResTarget  *target;

	if (list_length(stmts) != 1 || !IsA(linitial(stmts), RawStmt) ||
		!IsA(((RawStmt *) linitial(stmts))->stmt, SelectStmt))
		elog(ERROR, "it is not one expression");
	select = (SelectStmt *) ((RawStmt *) linitial(stmts))->stmt;
	if (list_length(select->targetList) != 1 || select->distinctClause != NIL ||
		select->intoClause != NULL || select->fromClause != NIL ||
		select->whereClause != NULL || select->groupClause != NIL ||
		select->havingClause != NULL || select->windowClause != NIL ||
		select->sortClause != NIL || select->limitCount != NULL ||
		select->limitOffset != NULL || select->lockingClause != NIL ||
		select->withClause != NULL || select->op != SETOP_NONE)
		elog(ERROR, "it is not one expression");
	target = (ResTarget *) linitial(select->targetList);
	if (target->name != NULL || target->indirection != NIL)
		elog(ERROR, "it is not one expression");
	return target->val;
}

static bool
not_immutable_builtin(Oid funcid, void *context)
{
	if (funcid < FirstNormalObjectId && func_volatile(funcid) == PROVOLATILE_IMMUTABLE)
		return false;
	*(Oid *) context = funcid;
	return true;
}

/* Refuses what a row filter may not contain, with the reason. */
static bool
check_node(Node *node, void *context)
{
	Oid			funcid = InvalidOid;

	if (node == NULL)
		return false;
	if (IsA(node, SubLink) || IsA(node, Aggref) || IsA(node, WindowFunc) ||
		IsA(node, GroupingFunc) || IsA(node, Param))
		elog(ERROR, "subqueries, aggregates, window functions and parameters are not allowed");
	if (IsA(node, Var) && ((Var *) node)->varattno <= 0)
		elog(ERROR, "system columns and whole-row references are not allowed");
	if (check_functions_in_node(node, not_immutable_builtin, &funcid))
		elog(ERROR, "function %s is not an immutable built-in function",
			 quote_identifier(get_func_name(funcid) ? get_func_name(funcid) : "?"));
	return expression_tree_walker(node, (bool (*)()) (void (*)()) check_node, context);
}

static Node *
transform_expression(Relation rel, Node *raw)
{
	ParseState *pstate = make_parsestate(NULL);
	ParseNamespaceItem *nsitem;
	Node	   *expr;

	nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock, NULL, false, false);
	addNSItemToQuery(pstate, nsitem, false, true, true);
	expr = transformWhereClause(pstate, raw, EXPR_KIND_WHERE, "pgduplex row filter");
	assign_expr_collations(pstate, expr);
	check_node(expr, NULL);
	return expr;
}

/*
 * The filter's checked expression (not yet planned), or an ERROR that
 * names the table and the reason.
 */
static Node *
checked_expression(Relation rel, const char *expression)
{
	MemoryContext cxt = CurrentMemoryContext;
	Node	   *volatile expr = NULL;
	ErrorData  *edata = NULL;

	PG_TRY();
	{
		expr = transform_expression(rel, parse_expression(expression));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	if (edata != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pgduplex: invalid row filter for table \"%s.%s\": %s",
						get_namespace_name(RelationGetNamespace(rel)),
						RelationGetRelationName(rel), edata->message),
				 errdetail("The row filter is: %s", expression),
				 errhint("A row filter may use the table's own columns and immutable built-in functions and operators only.")));
	return expr;
}

RowFilter *
row_filter_compile(Relation rel, const char *expression)
{
	RowFilter  *filter = (RowFilter *) palloc0(sizeof(RowFilter));
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	Expr	   *expr = expression_planner((Expr *) checked_expression(rel, expression));

	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = AccessShareLock;
	filter->estate = CreateExecutorState();
	ExecInitRangeTable(filter->estate, list_make1(rte));
	filter->state = ExecPrepareExpr(expr, filter->estate);
	filter->slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(RelationGetDescr(rel)),
											&TTSOpsVirtual);
	filter->natts = RelationGetDescr(rel)->natts;
	return filter;
}

/*
 * pgduplex.row_filter_columns(rel regclass, filter text) RETURNS text[]:
 * the columns filter uses, checked as the plugin checks it (an ERROR naming
 * the table otherwise). Nothing of the filter runs. For precheck.
 */
extern "C" Datum
pgduplex_row_filter_columns(PG_FUNCTION_ARGS)
{
	Relation	rel = table_open(PG_GETARG_OID(0), AccessShareLock);
	Node	   *expr = checked_expression(rel, text_to_cstring(PG_GETARG_TEXT_PP(1)));
	Bitmapset  *attnos = NULL;
	Datum	   *names;
	int			n = 0;
	int			member = -1;

	pull_varattnos(expr, 1, &attnos);
	names = (Datum *) palloc(sizeof(Datum) * Max(bms_num_members(attnos), 1));
	while ((member = bms_next_member(attnos, member)) >= 0)
	{
		AttrNumber	attnum = member + FirstLowInvalidHeapAttributeNumber;
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);

		names[n++] = CStringGetTextDatum(NameStr(att->attname));
	}
	table_close(rel, AccessShareLock);
	PG_RETURN_ARRAYTYPE_P(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}

void
row_filter_free(RowFilter *filter)
{
	ExecDropSingleTupleTableSlot(filter->slot);
	FreeExecutorState(filter->estate);
}

/*
 * Whether tuple matches; an unchanged TOASTed value is taken from fill
 * (the old row) when that has the column.
 */
static bool
matches(RowFilter *filter, HeapTuple tuple, HeapTuple fill)
{
	TupleTableSlot *slot = filter->slot;
	ExprContext *econtext = GetPerTupleExprContext(filter->estate);
	Datum		result;
	bool		isnull;

	ExecClearTuple(slot);
	heap_deform_tuple(tuple, slot->tts_tupleDescriptor, slot->tts_values, slot->tts_isnull);
	for (int i = 0; fill != NULL && i < filter->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(slot->tts_tupleDescriptor, i);

		if (att->attlen == -1 && !slot->tts_isnull[i] &&
			VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(slot->tts_values[i])))
		{
			bool		old_null;
			Datum		old = heap_getattr(fill, i + 1, slot->tts_tupleDescriptor, &old_null);

			if (!old_null && !VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(old)))
				slot->tts_values[i] = old;
		}
	}
	ExecStoreVirtualTuple(slot);
	econtext->ecxt_scantuple = slot;
	result = ExecEvalExprSwitchContext(filter->state, econtext, &isnull);
	ResetExprContext(econtext);
	ExecClearTuple(slot);
	return !isnull && DatumGetBool(result);
}

bool
row_filter_judge(RowFilter *filter, ReorderBufferChange *change,
				 ReorderBufferChangeType *action)
{
	HeapTuple	newtuple = change->data.tp.newtuple ? &change->data.tp.newtuple->tuple : NULL;
	HeapTuple	oldtuple = change->data.tp.oldtuple ? &change->data.tp.oldtuple->tuple : NULL;
	bool		old_match;
	bool		new_match;

	*action = change->action;
	switch (change->action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			return newtuple != NULL && matches(filter, newtuple, NULL);
		case REORDER_BUFFER_CHANGE_DELETE:
			return oldtuple != NULL && matches(filter, oldtuple, NULL);
		case REORDER_BUFFER_CHANGE_UPDATE:
			if (newtuple == NULL)
				return false;
			new_match = matches(filter, newtuple, oldtuple);
			if (oldtuple == NULL)
				return new_match;
			old_match = matches(filter, oldtuple, NULL);
			if (old_match && !new_match)
				*action = REORDER_BUFFER_CHANGE_DELETE;
			else if (!old_match && new_match)
				*action = REORDER_BUFFER_CHANGE_INSERT;
			return old_match || new_match;
		default:
			return true;
	}
}
