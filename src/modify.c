/*-------------------------------------------------------------------------
 *
 * modify.c
 *		  UPDATE and DELETE through the foreign tables: what each statement
 *		  may do, and the FDW callbacks that run it.  What a row sends and
 *		  what a failure says are in write_run.c; what an abort leaves
 *		  applied, in write_xact.c.
 *
 * Two ways to run a statement:
 *  - direct modification (PlanDirectModify) when the statement touches
 *    only the foreign table and every qual is either sent or rechecked
 *    here: the rows are read first (every matching one, only the columns
 *    needed), every new value is computed and checked, and then the
 *    writes go out with up to max_concurrent_requests in flight;
 *  - row by row (ExecForeignUpdate/Delete), e.g. for UPDATE ... FROM a
 *    local table, as the executor hands the rows over.  The scan below
 *    has read all of its rows before the first one came up (see
 *    conversation_scan.c), so writes cannot disturb its paging.  Each row's write
 *    is sent and the row returned at once, up to max_concurrent_requests
 *    in flight, finished by the end of the executor's run
 *    (write_pending.c); with RETURNING or AFTER ROW triggers, which need
 *    each row's answer, one write at a time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "write_run.h"
#include "compat.h"
#include "modify.h"
#include "write_checks.h"
#include "column_map.h"
#include "option.h"
#include "resource.h"
#include "scan_methods.h"
#include "write_pending.h"

/* the junk columns that carry a row to the write */
#define ID_JUNK "symbl_id"
#define CONVERSATION_JUNK "symbl_conversation_id"
#define ROW_JUNK "symbl_row"

/* ExecForeignUpdate/Delete */
typedef struct RowModifyState
{
	WriteRun   *run;
	AttrNumber	id_junk;
	AttrNumber	conversation_junk;	/* members */
	AttrNumber	row_junk;
	MemoryContext row_cxt;		/* reset per row */
	PendingWrites *pending;		/* NULL: one write at a time */
} RowModifyState;

/* Direct modification: the scan's own state, and the writes */
typedef struct DirectModifyState
{
	void	   *scan_state;		/* the scan's fdw_state (scan_methods.c) */
	WriteRun   *run;
	CmdType		operation;
	char	   *table_name;
	bool		explain_only;
	bool		set_processed;	/* the statement's row count is ours */
	List	   *set_exprs;		/* ExprState per SET column */
	List	   *set_attnums;
	ResultRelInfo *rinfo;
	TupleTableSlot *returning_slot;
	RowWrite  **rows;
	int			nrows;
	int			next_returned;
	bool		written;
} DirectModifyState;

/* ---------------------------------------------------------------------
 * Planning: the rows' identity and the plan (what a statement may do is
 * write_checks.c's)
 * ---------------------------------------------------------------------
 */

static Var *
column_var(Index rti, SymblColumn *col)
{
	return makeVar(rti, col->attnum, col->typid, col->typmod,
				   get_typcollation(col->typid), 0);
}

/*
 * The row reaches the write as its id (junk columns; a member's with its
 * conversation's); a DELETE ... RETURNING also needs the whole row read (an
 * UPDATE gets it anyway: since 14 as the planner's own "wholerow", before
 * as the new tuple), and a member's UPDATE the old email.
 */
static void
symbl_add_foreign_update_targets(SYMBL_ADD_UPDATE_TARGETS_PARAMS)
{
	Index		rti = SYMBL_TARGETS_RTINDEX;
	Query	   *parse = symbl_targets_query(root);
	WriteTable *t = symbl_write_table(target_relation);

	if (t->id == NULL || (t->target == TARGET_MEMBERS && t->conversation == NULL))
		(void) symbl_check_writes_allowed(target_relation, parse->commandType);
	symbl_add_row_identity(root, rti, column_var(rti, t->id), ID_JUNK);
	if (t->target == TARGET_MEMBERS)
		symbl_add_row_identity(root, rti, column_var(rti, t->conversation),
							   CONVERSATION_JUNK);
	if ((parse->commandType == CMD_DELETE && parse->returningList != NIL) ||
		t->target == TARGET_MEMBERS)
		symbl_add_row_identity(root, rti,
							   makeWholeRowVar(target_rte, rti, 0, false),
							   ROW_JUNK);
}

static int
symbl_is_foreign_rel_updatable(Relation rel)
{
	/* our own errors say why (and which option): see check_writes_allowed */
	return (1 << CMD_UPDATE) | (1 << CMD_DELETE) | (1 << CMD_INSERT);
}

static List *
symbl_plan_foreign_modify(PlannerInfo *root, ModifyTable *plan,
						  Index resultRelation, int subplan_index)
{
	symbl_check_statement(root, resultRelation, plan->operation);
	return NIL;
}

/* A copy of the slot's values, that outlives the slot's own tuple */
static void
copy_slot_values(TupleTableSlot *slot, Datum **values, bool **isnull)
{
	TupleDesc	desc = slot->tts_tupleDescriptor;
	int			i;

	slot_getallattrs(slot);
	*values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	*isnull = palloc(sizeof(bool) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		(*isnull)[i] = slot->tts_isnull[i];
		(*values)[i] = slot->tts_isnull[i] ? (Datum) 0 :
			datumCopy(slot->tts_values[i], att->attbyval, att->attlen);
	}
}

/*
 * The request pattern, and how many go out together: the server's
 * max_concurrent_requests, or one when each row's answer is needed before
 * the next row comes.
 */
static void
explain_write_request(Relation rel, CmdType operation, bool one_at_a_time,
					  ExplainState *es)
{
	const char *pattern;
	int			n;

	if (!es->verbose)
		return;
	if (symbl_write_table(rel)->target == TARGET_MEMBERS)
		pattern = "PUT " SYMBL_API_PATH "/{conversation_id}/members/{id}";
	else
		pattern = operation == CMD_DELETE ? "DELETE " SYMBL_API_PATH "/{id}" :
			"PUT " SYMBL_API_PATH "/{id}";
	n = one_at_a_time ? 1 :
		symbl_server_options(GetForeignTable(RelationGetRelid(rel))->serverid)->max_concurrent_requests;
	ExplainPropertyText("Symbl Request",
						n == 1 ? psprintf("%s per row, one at a time", pattern) :
						psprintf("%s per row, up to %d at a time", pattern, n), es);
}

/* AFTER ROW triggers and transition tables see each row as written */
static bool
triggers_see_rows(TriggerDesc *trig, CmdType operation)
{
	if (trig == NULL)
		return false;
	if (operation == CMD_UPDATE)
		return trig->trig_update_after_row || trig->trig_update_old_table ||
			trig->trig_update_new_table;
	return trig->trig_delete_after_row || trig->trig_delete_old_table;
}

/*
 * Whether a row may be returned before its answer: nothing above needs
 * that answer, and the count corrected at the end of the run is the
 * statement's own.  (RETURNING and the transition tables are not set up
 * yet when BeginForeignModify runs: the plan and the triggers say.)
 */
static bool
can_answer_later(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	CmdType		operation = mtstate->operation;

	return mtstate->canSetTag &&
		((ModifyTable *) mtstate->ps.plan)->returningLists == NIL &&
		!triggers_see_rows(rinfo->ri_TrigDesc, operation) &&
		!triggers_see_rows(mtstate->resultRelInfo->ri_TrigDesc, operation) &&
		(mtstate->rootResultRelInfo == NULL ||
		 !triggers_see_rows(mtstate->rootResultRelInfo->ri_TrigDesc, operation));
}

static SymblConnection *
write_connection(Relation rel, ResultRelInfo *rinfo, EState *estate)
{
	return symbl_get_connection(RelationGetRelid(rel),
								symbl_result_rel_user(rinfo, estate));
}

/* ---------------------------------------------------------------------
 * Row by row
 * ---------------------------------------------------------------------
 */

static void
symbl_begin_foreign_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
						   List *fdw_private, int subplan_index, int eflags)
{
	RowModifyState *state = palloc0(sizeof(RowModifyState));
	EState	   *estate = mtstate->ps.state;
	Relation	rel = rinfo->ri_RelationDesc;
	Plan	   *subplan = symbl_modify_subplan_state(mtstate, subplan_index)->plan;

	rinfo->ri_FdwState = state;
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	/* the option may have changed since the plan was made */
	state->run = symbl_new_write_run(rel, symbl_check_writes_allowed(rel, mtstate->operation),
									 mtstate->operation,
									 write_connection(rel, rinfo, estate), estate);
	state->row_cxt = AllocSetContextCreate(estate->es_query_cxt,
										   "symbl_fdw row write",
										   ALLOCSET_SMALL_SIZES);
	state->id_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, ID_JUNK);
	state->conversation_junk = ExecFindJunkAttributeInTlist(subplan->targetlist,
															CONVERSATION_JUNK);
	state->row_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, ROW_JUNK);
	if (!AttributeNumberIsValid(state->id_junk))
		elog(ERROR, "symbl_fdw: the conversation id is missing from the rows to write");
	if (can_answer_later(mtstate, rinfo))
		state->pending = symbl_pending_writes_start(state->run, estate,
													state->run->conn->opts.max_concurrent_requests);
}

static char *
junk_text(TupleTableSlot *planSlot, AttrNumber junk)
{
	bool		isnull;
	Datum		value = ExecGetJunkAttribute(planSlot, junk, &isnull);

	return isnull ? NULL : TextDatumGetCString(value);
}

static char *
row_id(RowModifyState *state, TupleTableSlot *planSlot)
{
	return junk_text(planSlot, state->id_junk);
}

/* The row as read (the ROW_JUNK whole-row value), or NULL */
static HeapTuple
row_as_read(RowModifyState *state, Relation rel, TupleTableSlot *planSlot)
{
	bool		isnull;
	Datum		whole;
	HeapTuple	tuple;

	if (!AttributeNumberIsValid(state->row_junk))
		return NULL;
	whole = ExecGetJunkAttribute(planSlot, state->row_junk, &isnull);
	if (isnull)
		return NULL;
	tuple = MemoryContextAlloc(state->row_cxt, sizeof(HeapTupleData));
	tuple->t_data = DatumGetHeapTupleHeader(whole);
	tuple->t_len = HeapTupleHeaderGetDatumLength(tuple->t_data);
	ItemPointerSetInvalid(&tuple->t_self);
	tuple->t_tableOid = RelationGetRelid(rel);
	return tuple;
}

/*
 * Write one row: false when it is known not to have been written (it was
 * gone).  A row whose answer may come later is counted now, and taken off
 * the count then if it was gone.
 */
static bool
write_row(RowModifyState *state, RowWrite *row)
{
	if (state->pending != NULL)
	{
		symbl_pending_writes_add(state->pending, row);
		return true;
	}
	symbl_send_writes(state->run, &row, 1, 1);
	return row->outcome == WRITE_APPLIED;
}

static TupleTableSlot *
symbl_exec_foreign_update(EState *estate, ResultRelInfo *rinfo,
						  TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	RowModifyState *state = rinfo->ri_FdwState;
	WriteRun   *run = state->run;
	MemoryContext oldcxt;
	char	   *id;
	char	   *conversation = NULL;
	RowWrite   *row;
	Datum	   *values;
	bool	   *isnull;
	SymblColumn *metadata = run->table->metadata;

	MemoryContextReset(state->row_cxt);
	oldcxt = MemoryContextSwitchTo(state->row_cxt);
	id = row_id(state, planSlot);
	if (run->table->target == TARGET_MEMBERS)
		conversation = junk_text(planSlot, state->conversation_junk);
	if (id == NULL || (run->table->target == TARGET_MEMBERS && conversation == NULL))
	{
		MemoryContextSwitchTo(oldcxt);
		return NULL;
	}
	row = conversation ? symbl_new_row_write(run, conversation, id) : symbl_new_row_write(run, id, NULL);
	/* a row a join matched twice is written once, as PostgreSQL does */
	if (symbl_seen_before(run, row->id))
	{
		MemoryContextSwitchTo(oldcxt);
		return NULL;
	}
	copy_slot_values(slot, &values, &isnull);
	if (run->table->target == TARGET_MEMBERS)
		symbl_set_member_body(run, row, id, values, isnull,
							  row_as_read(state, rinfo->ri_RelationDesc, planSlot),
							  RelationGetDescr(rinfo->ri_RelationDesc));
	else
		symbl_set_metadata_body(run, row,
								symbl_checked_metadata(run, id, values[metadata->attnum - 1],
													   isnull[metadata->attnum - 1], metadata->typid));
	if (!write_row(state, row))
	{
		MemoryContextSwitchTo(oldcxt);
		return NULL;
	}
	if (rinfo->ri_projectReturning && run->table->target == TARGET_CONVERSATIONS)
		symbl_store_answer(run, row, slot, values, isnull);
	MemoryContextSwitchTo(oldcxt);
	return slot;
}

static TupleTableSlot *
symbl_exec_foreign_delete(EState *estate, ResultRelInfo *rinfo,
						  TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	RowModifyState *state = rinfo->ri_FdwState;
	MemoryContext oldcxt;
	char	   *id;

	MemoryContextReset(state->row_cxt);
	oldcxt = MemoryContextSwitchTo(state->row_cxt);
	id = row_id(state, planSlot);
	if (id == NULL || symbl_seen_before(state->run, id) ||
		!write_row(state, symbl_new_row_write(state->run, id, NULL)))
	{
		MemoryContextSwitchTo(oldcxt);
		return NULL;
	}
	MemoryContextSwitchTo(oldcxt);

	/* RETURNING shows the row as it was read (the slot keeps a pointer) */
	ExecClearTuple(slot);
	if (rinfo->ri_projectReturning)
	{
		HeapTuple	tuple = row_as_read(state, rinfo->ri_RelationDesc, planSlot);

		if (tuple != NULL)
			ExecForceStoreHeapTuple(tuple, slot, false);
	}
	return slot;
}

static void
symbl_end_foreign_modify(EState *estate, ResultRelInfo *rinfo)
{
	RowModifyState *state = rinfo->ri_FdwState;

	/* (finished when ExecutorRun returned; this is for an unusual caller) */
	if (state->pending != NULL)
		symbl_pending_writes_finish(state->pending);
}

static void
symbl_explain_foreign_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
							 List *fdw_private, int subplan_index,
							 ExplainState *es)
{
	RowModifyState *state = rinfo->ri_FdwState;

	explain_write_request(rinfo->ri_RelationDesc, mtstate->operation,
						  !can_answer_later(mtstate, rinfo), es);
	symbl_explain_write_counts(state ? state->run : NULL, es);
}

static void
symbl_begin_foreign_insert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	symbl_refuse_insert(rinfo->ri_RelationDesc);
}

static TupleTableSlot *
symbl_exec_foreign_insert(EState *estate, ResultRelInfo *rinfo,
						  TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	symbl_refuse_insert(rinfo->ri_RelationDesc);
	return NULL;
}

/* ---------------------------------------------------------------------
 * Direct modification
 * ---------------------------------------------------------------------
 */

static bool
is_safe_here(Node *expr)
{
	return !contain_subplans(expr) && !contain_volatile_functions(expr);
}

static void
add_attnums(Node *expr, Index rti, List **attnums, bool *whole_row)
{
	Bitmapset  *attrs = NULL;
	int			i = -1;

	pull_varattnos(expr, rti, &attrs);
	while ((i = bms_next_member(attrs, i)) >= 0)
	{
		AttrNumber	attno = i + FirstLowInvalidHeapAttributeNumber;

		if (attno == 0)
			*whole_row = true;
		else if (attno > 0)
			*attnums = list_append_unique_int(*attnums, attno);
	}
}

/*
 * The whole statement in the scan's node, when nothing but the foreign
 * table takes part: its quals and the new values are computed here per row
 * (so they must be neither volatile nor subqueries), RETURNING from the
 * answers.
 */
static bool
symbl_plan_direct_modify(PlannerInfo *root, ModifyTable *plan,
						 Index resultRelation, int subplan_index)
{
	CmdType		operation = plan->operation;
	Plan	   *subplan;
	ForeignScan *fscan;
	List	   *set_attnums = NIL;
	List	   *set_resnos = NIL;
	List	   *attnums = NIL;
	List	   *returning = NIL;
	bool		whole_row = false;
	WriteTable *t;
	ListCell   *lc;

	if (operation != CMD_UPDATE && operation != CMD_DELETE)
		return false;
	t = symbl_check_statement(root, resultRelation, operation);

	/* (a member's writes go row by row) */
	subplan = symbl_modify_subplan(plan, subplan_index);
	if (t->target != TARGET_CONVERSATIONS || !IsA(subplan, ForeignScan))
		return false;
	fscan = (ForeignScan *) subplan;
	if (fscan->scan.scanrelid != resultRelation ||
		!is_safe_here((Node *) fscan->scan.plan.qual))
		return false;

	if (operation == CMD_UPDATE)
	{
		SymblColumn *metadata = t->metadata;
		AttrNumber	resno = metadata ? symbl_update_resno(root, metadata->attnum) : 0;
		TargetEntry *tle;

		if (resno <= 0 || resno > list_length(fscan->scan.plan.targetlist))
			return false;
		tle = list_nth(fscan->scan.plan.targetlist, resno - 1);
		if (!is_safe_here((Node *) tle->expr))
			return false;
		set_attnums = list_make1_int(metadata->attnum);
		set_resnos = list_make1_int(resno);
		add_attnums((Node *) tle->expr, resultRelation, &attnums, &whole_row);
	}
	if (plan->returningLists)
		returning = list_nth(plan->returningLists, subplan_index);

	/* the columns to read: the id, what the quals, SET and RETURNING use */
	attnums = lappend_int(attnums, t->id->attnum);
	add_attnums((Node *) fscan->scan.plan.qual, resultRelation, &attnums, &whole_row);
	add_attnums((Node *) returning, resultRelation, &attnums, &whole_row);
	if (whole_row)
		foreach(lc, t->columns)
			attnums = list_append_unique_int(attnums, ((SymblColumn *) lfirst(lc))->attnum);
	if (!symbl_scan_plan_columns(fscan, attnums))
		return false;

	fscan->operation = operation;
	symbl_set_direct_result_relation(fscan, resultRelation);
	fscan->fdw_private = lappend(fscan->fdw_private,
								 list_make3(set_attnums, set_resnos,
											makeBoolean(plan->canSetTag)));
	return true;
}

/* Run a scan callback on the node with the scan's own state in place */
#define WITH_SCAN_STATE(node, dm, call) \
	do { \
		(node)->fdw_state = (dm)->scan_state; \
		call; \
		(node)->fdw_state = (dm); \
	} while (0)

static void
symbl_begin_direct_modify(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	DirectModifyState *dm = palloc0(sizeof(DirectModifyState));
	Relation	rel = node->ss.ss_currentRelation;
	List	   *modify = llast(fsplan->fdw_private);
	ListCell   *lc;

	symbl_scan_begin(node, eflags);
	dm->scan_state = node->fdw_state;
	node->fdw_state = dm;
	dm->operation = fsplan->operation;
	dm->table_name = symbl_qualified_name(rel);
	dm->explain_only = (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0;
	if (dm->explain_only)
		return;

	dm->rinfo = symbl_direct_result_rel(node);
	dm->run = symbl_new_write_run(rel, symbl_check_writes_allowed(rel, dm->operation), dm->operation,
								  write_connection(rel, dm->rinfo, estate), estate);
	dm->set_attnums = linitial(modify);
	foreach(lc, (List *) lsecond(modify))
	{
		TargetEntry *tle = list_nth(fsplan->scan.plan.targetlist, lfirst_int(lc) - 1);

		dm->set_exprs = lappend(dm->set_exprs, ExecInitExpr(tle->expr, &node->ss.ps));
	}
	dm->set_processed = boolVal(lthird(modify));
	dm->returning_slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel),
												&TTSOpsVirtual);
}

/*
 * Read every row the statement touches before the first write, compute
 * and check every new value: a bad value stops the statement before
 * anything is sent, and the writes cannot disturb the reading.
 */
static void
read_rows_to_write(ForeignScanState *node, DirectModifyState *dm)
{
	WriteRun   *run = dm->run;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	bool		returning = dm->rinfo->ri_projectReturning != NULL;
	int			allocated = 64;
	SymblColumn *metadata = run->table->metadata;

	dm->rows = MemoryContextAlloc(run->cxt, sizeof(RowWrite *) * allocated);
	for (;;)
	{
		TupleTableSlot *slot;
		bool		isnull;
		Datum		id;
		RowWrite   *row;
		MemoryContext oldcxt;

		ResetExprContext(econtext);
		WITH_SCAN_STATE(node, dm, slot = symbl_scan_next(node));
		if (TupIsNull(slot))
			break;
		econtext->ecxt_scantuple = slot;
		if (node->ss.ps.qual != NULL && !ExecQual(node->ss.ps.qual, econtext))
			continue;
		id = slot_getattr(slot, run->id_attnum, &isnull);
		if (isnull)
			continue;
		oldcxt = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		if (symbl_seen_before(run, TextDatumGetCString(id)))
		{
			MemoryContextSwitchTo(oldcxt);
			continue;
		}
		row = symbl_new_row_write(run, TextDatumGetCString(id), NULL);
		if (dm->operation == CMD_UPDATE)
		{
			Datum		value = ExecEvalExpr(linitial(dm->set_exprs), econtext, &isnull);
			int16		typlen;
			bool		typbyval;

			symbl_set_metadata_body(run, row,
									symbl_checked_metadata(run, row->id, value, isnull,
														   metadata->typid));
			get_typlenbyval(metadata->typid, &typlen, &typbyval);
			MemoryContextSwitchTo(run->cxt);
			row->new_value = datumCopy(value, typbyval, typlen);
		}
		MemoryContextSwitchTo(run->cxt);
		if (returning)
			row->row = ExecCopySlotHeapTuple(slot);
		MemoryContextSwitchTo(oldcxt);
		if (dm->nrows == allocated)
		{
			allocated *= 2;
			dm->rows = repalloc(dm->rows, sizeof(RowWrite *) * allocated);
		}
		dm->rows[dm->nrows++] = row;
	}
}

static TupleTableSlot *
next_returning_row(ForeignScanState *node, DirectModifyState *dm)
{
	TupleTableSlot *scan_slot = node->ss.ss_ScanTupleSlot;
	EState	   *estate = node->ss.ps.state;

	while (dm->next_returned < dm->nrows)
	{
		RowWrite   *row = dm->rows[dm->next_returned++];
		Datum	   *values;
		bool	   *isnull;

		if (row->outcome != WRITE_APPLIED)
			continue;
		/* the row as read passes the quals PostgreSQL checks above */
		ExecForceStoreHeapTuple(row->row, scan_slot, false);
		ResetExprContext(node->ss.ps.ps_ExprContext);
		if (dm->operation == CMD_UPDATE)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(node->ss.ps.ps_ExprContext->ecxt_per_tuple_memory);

			copy_slot_values(scan_slot, &values, &isnull);
			values[dm->run->metadata_attnum - 1] = row->new_value;
			isnull[dm->run->metadata_attnum - 1] = false;
			symbl_store_answer(dm->run, row, dm->returning_slot, values, isnull);
			MemoryContextSwitchTo(oldcxt);
		}
		else
			ExecCopySlot(dm->returning_slot, scan_slot);
		dm->rinfo->ri_projectReturning->pi_exprContext->ecxt_scantuple = dm->returning_slot;
		if (dm->set_processed)
			estate->es_processed++;
		return scan_slot;
	}
	return ExecClearTuple(scan_slot);
}

static TupleTableSlot *
symbl_iterate_direct_modify(ForeignScanState *node)
{
	DirectModifyState *dm = node->fdw_state;

	if (!dm->written)
	{
		read_rows_to_write(node, dm);
		symbl_send_writes(dm->run, dm->rows, dm->nrows,
						  dm->run->conn->opts.max_concurrent_requests);
		dm->written = true;
		if (dm->rinfo->ri_projectReturning == NULL)
		{
			if (dm->set_processed)
				node->ss.ps.state->es_processed += dm->run->applied;
			if (node->ss.ps.instrument)
				node->ss.ps.instrument->tuplecount += dm->run->applied;
		}
	}
	if (dm->rinfo->ri_projectReturning == NULL)
		return ExecClearTuple(node->ss.ss_ScanTupleSlot);
	return next_returning_row(node, dm);
}

static void
symbl_end_direct_modify(ForeignScanState *node)
{
	DirectModifyState *dm = node->fdw_state;

	if (dm != NULL)
		WITH_SCAN_STATE(node, dm, symbl_scan_end(node));
}

static void
symbl_explain_direct_modify(ForeignScanState *node, ExplainState *es)
{
	DirectModifyState *dm = node->fdw_state;
	char	   *read;

	explain_write_request(node->ss.ss_currentRelation, dm->operation, false, es);
	if (es->verbose)
	{
		WITH_SCAN_STATE(node, dm, read = symbl_scan_request_text(node));
		ExplainPropertyText("Symbl Read", read, es);
	}
	if (es->analyze)
	{
		SymblScanStats *stats;

		WITH_SCAN_STATE(node, dm, stats = symbl_scan_stats(node));
		ExplainPropertyInteger("Symbl Read Requests", NULL, stats->requests, es);
		ExplainPropertyInteger("Symbl Read Retries", NULL, stats->retries, es);
		ExplainPropertyInteger("Symbl Rows Received", NULL, stats->rows_received, es);
	}
	symbl_explain_write_counts(dm->run, es);
}

void
symbl_modify_routines(FdwRoutine *routine)
{
	routine->AddForeignUpdateTargets = symbl_add_foreign_update_targets;
	routine->PlanForeignModify = symbl_plan_foreign_modify;
	routine->BeginForeignModify = symbl_begin_foreign_modify;
	routine->ExecForeignInsert = symbl_exec_foreign_insert;
	routine->ExecForeignUpdate = symbl_exec_foreign_update;
	routine->ExecForeignDelete = symbl_exec_foreign_delete;
	routine->EndForeignModify = symbl_end_foreign_modify;
	routine->BeginForeignInsert = symbl_begin_foreign_insert;
	routine->IsForeignRelUpdatable = symbl_is_foreign_rel_updatable;
	routine->ExplainForeignModify = symbl_explain_foreign_modify;
	routine->PlanDirectModify = symbl_plan_direct_modify;
	routine->BeginDirectModify = symbl_begin_direct_modify;
	routine->IterateDirectModify = symbl_iterate_direct_modify;
	routine->EndDirectModify = symbl_end_direct_modify;
	routine->ExplainDirectModify = symbl_explain_direct_modify;
}
