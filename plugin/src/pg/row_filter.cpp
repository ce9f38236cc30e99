/*
 * row_filter.cpp — compiling and evaluating a row filter (see row_filter.h).
 */
extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/pg_proc.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_clause.h"
#include "parser/parse_collate.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
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

static Expr *
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
	return expression_planner((Expr *) expr);
}

static RowFilter *
compile(Relation rel, const char *expression)
{
	RowFilter  *filter = (RowFilter *) palloc0(sizeof(RowFilter));
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	Expr	   *expr = transform_expression(rel, parse_expression(expression));

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

/* Compiles, turning any error into one that names the table. */
RowFilter *
row_filter_compile(Relation rel, const char *expression)
{
	MemoryContext cxt = CurrentMemoryContext;
	RowFilter  *volatile filter = NULL;
	ErrorData  *edata = NULL;

	PG_TRY();
	{
		filter = compile(rel, expression);
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
	return filter;
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
