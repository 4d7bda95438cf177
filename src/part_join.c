/*-------------------------------------------------------------------------
 *
 * part_join.c
 *		  conversations JOIN a part ON part.conversation_id = conversations.id
 *		  as one foreign scan.
 *
 * Left to PostgreSQL, such a join is a nested loop: one part request per
 * conversation, one after another.  Here the list of conversations is read
 * with its usual pushdown, and each conversation's part request goes out as
 * soon as the conversation arrives, max_concurrent_requests at a time.  A
 * few conversations wait in a queue for their answers; memory stays bounded
 * by the queue, not by the number of conversations.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/table.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/foreign.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "part_scan.h"
#include "compat.h"
#include "conversation_plan.h"
#include "conversation_scan.h"
#include "option.h"
#include "part_fetch.h"
#include "part_join.h"
#include "scan_shared.h"

/* Indexes into a join's fdw_private */
enum JoinPrivateIndex
{
	JoinPrivateKind,			/* Integer: SYMBL_PLAN_JOIN */
	JoinPrivateConversations,	/* the conversations' fdw_private */
	JoinPrivateNumValues,		/* Integer: its values in fdw_exprs */
	JoinPrivateConversationsOid,	/* Oid of the conversations table */
	JoinPrivatePartOid,			/* Oid of the part's table */
	JoinPrivatePartRetrieved,	/* Integer list: part attnums to convert */
	JoinPrivateConversationAttnums, /* Integer list per scan column */
	JoinPrivatePartAttnums,		/* Integer list per scan column */
	JoinPrivateLeft				/* Boolean: conversations LEFT JOIN part */
};

/* After the conversations' values, fdw_exprs holds these three */
enum JoinExprIndex
{
	JoinExprId,					/* the id to ask for, from a conversation */
	JoinExprPairQuals,			/* a conversation with one of its items */
	JoinExprConversationQuals	/* a conversation alone */
};

/* What planning learns about the join, in joinrel->fdw_private */
typedef struct SymblJoinRelInfo
{
	SymblPlanKind kind;			/* SYMBL_PLAN_JOIN */
	RelOptInfo *conversations;
	RelOptInfo *part;
	bool		left;			/* conversations LEFT JOIN part */
	Expr	   *id_value;		/* conversation_id = this, from conversations */
	List	   *pair_quals;		/* Expr: checked per conversation and item */
	List	   *output_quals;	/* Expr: checked on the rows returned */
} SymblJoinRelInfo;

static SymblPlanKind
rel_kind(RelOptInfo *rel)
{
	if (rel->reloptkind != RELOPT_BASEREL || rel->fdw_private == NULL)
		return 0;
	return *(SymblPlanKind *) rel->fdw_private;
}

/*
 * Vars the join computes from: only plain columns of the two tables (no
 * whole-row or system columns, no placeholders) can be filled in here.
 */
static bool
only_plain_columns(Node *node)
{
	List	   *vars = pull_var_clause(node, PVC_INCLUDE_PLACEHOLDERS);
	ListCell   *lc;

	foreach(lc, vars)
	{
		Var		   *var = lfirst(lc);

		if (!IsA(var, Var) || var->varattno <= 0)
			return false;
	}
	return true;
}

/* The clause giving each conversation's id, and that value */
static RestrictInfo *
find_id_clause(List *restrictlist, RelOptInfo *conversations,
			   RelOptInfo *part, Expr **value)
{
	SymblPartRelInfo *pinfo = part->fdw_private;
	ListCell   *lc;

	foreach(lc, restrictlist)
	{
		RestrictInfo *rinfo = lfirst(lc);
		bool		is_array;
		Expr	   *v = symbl_part_id_source(rinfo->clause, part->relid,
											 pinfo->conversation_attnum, &is_array);

		if (v != NULL && !is_array &&
			bms_is_subset(pull_varnos(NULL, (Node *) v), conversations->relids) &&
			!contain_subplans((Node *) v))
		{
			*value = v;
			return rinfo;
		}
	}
	return NULL;
}

/*
 * Which side of a join holds the conversations and which the part: false
 * unless it is one of each, joined so that the conversations side never
 * gets NULLs added, as the same user of the same server.
 */
static bool
join_sides(RelOptInfo *outerrel, RelOptInfo *innerrel, JoinType jointype,
		   RelOptInfo **conversations, RelOptInfo **part)
{
	if (rel_kind(outerrel) == SYMBL_PLAN_CONVERSATIONS && rel_kind(innerrel) == SYMBL_PLAN_PART)
	{
		*conversations = outerrel;
		*part = innerrel;
	}
	else if (rel_kind(outerrel) == SYMBL_PLAN_PART && rel_kind(innerrel) == SYMBL_PLAN_CONVERSATIONS)
	{
		*conversations = innerrel;
		*part = outerrel;
	}
	else
		return false;
	if (!(jointype == JOIN_INNER ||
		  (jointype == JOIN_LEFT && *conversations == outerrel) ||
		  (jointype == JOIN_RIGHT && *conversations == innerrel)))
		return false;
	return outerrel->serverid == innerrel->serverid &&
		outerrel->userid == innerrel->userid &&
		bms_is_empty((*conversations)->lateral_relids) &&
		bms_is_empty((*part)->lateral_relids);
}

/*
 * Sort the join's clauses: the part's own quals and the join clauses
 * choose among a conversation's items (pair quals); of a left join's, the
 * pushed-down ones filter its output.  False if any cannot be evaluated
 * by the join scan (a pseudoconstant, a subplan, a non-plain column).
 */
static bool
sort_join_quals(SymblJoinRelInfo *info, RelOptInfo *joinrel,
				JoinPathExtraData *extra)
{
	ListCell   *lc;

	info->pair_quals = extract_actual_clauses(info->part->baserestrictinfo, false);
	foreach(lc, extra->restrictlist)
	{
		RestrictInfo *rinfo = lfirst(lc);

		if (rinfo->pseudoconstant)
			return false;
		if (info->left && RINFO_IS_PUSHED_DOWN(rinfo, joinrel->relids))
			info->output_quals = lappend(info->output_quals, rinfo->clause);
		else
			info->pair_quals = lappend(info->pair_quals, rinfo->clause);
	}
	return only_plain_columns((Node *) joinrel->reltarget->exprs) &&
		only_plain_columns((Node *) extract_actual_clauses(info->conversations->baserestrictinfo, false)) &&
		only_plain_columns((Node *) info->pair_quals) &&
		only_plain_columns((Node *) info->output_quals) &&
		only_plain_columns((Node *) info->id_value) &&
		!contain_subplans((Node *) info->pair_quals) &&
		!contain_subplans((Node *) info->output_quals);
}

void
symbl_join_paths(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
				 RelOptInfo *innerrel, JoinType jointype,
				 JoinPathExtraData *extra)
{
	SymblJoinRelInfo *info;
	RelOptInfo *conversations;
	RelOptInfo *part;
	Expr	   *id_value;
	SymblPartRelInfo *pinfo;
	Cost		startup;
	Cost		total;
	Path	   *conv_path;

	if (joinrel->fdw_private != NULL || root->parse->commandType != CMD_SELECT ||
		root->parse->rowMarks != NIL || !bms_is_empty(joinrel->lateral_relids))
		return;
	if (!join_sides(outerrel, innerrel, jointype, &conversations, &part))
		return;
	if (find_id_clause(extra->restrictlist, conversations, part, &id_value) == NULL)
		return;

	info = palloc0(sizeof(SymblJoinRelInfo));
	info->kind = SYMBL_PLAN_JOIN;
	info->conversations = conversations;
	info->part = part;
	info->left = jointype != JOIN_INNER;
	info->id_value = id_value;
	if (!sort_join_quals(info, joinrel, extra))
		return;

	/*
	 * The list of conversations as a scan of it costs, then a request per
	 * conversation, max_concurrent_requests at a time: never more round
	 * trips than a nested loop over the conversations (a request per
	 * conversation, one after another), and fewer as soon as several go out
	 * at once, so priced a little under it even for one.
	 */
	pinfo = part->fdw_private;
	conv_path = conversations->cheapest_total_path;
	startup = conv_path->startup_cost + SYMBL_REQUEST_COST;
	total = conv_path->total_cost +
		Max(1.0, conversations->rows / Max(1, pinfo->opts->max_concurrent_requests)) *
		SYMBL_REQUEST_COST * 0.99 +
		joinrel->rows * cpu_tuple_cost;
	joinrel->fdw_private = info;
	add_path(joinrel, (Path *)
			 symbl_create_foreign_join_path(root, joinrel, NULL, joinrel->rows,
											startup, total, NIL, NULL, NULL, NIL));
}

static Oid
rel_oid(PlannerInfo *root, RelOptInfo *rel)
{
	return planner_rt_fetch(rel->relid, root)->relid;
}

/*
 * A column is one column of the scan, whatever the clause that reads it:
 * the Vars of the join's own clauses take the outer-join marks the same
 * column has in the join's output (16), so that each matches its entry.
 */
static Node *
match_output_vars_mutator(Node *node, List *output_tlist)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) copyObject(node);
		ListCell   *lc;

		foreach(lc, output_tlist)
		{
			Var		   *out = (Var *) ((TargetEntry *) lfirst(lc))->expr;

			if (out->varno == var->varno && out->varattno == var->varattno &&
				out->varlevelsup == var->varlevelsup)
			{
				symbl_copy_nullingrels(var, out);
				break;
			}
		}
		return (Node *) var;
	}
	return expression_tree_mutator(node, match_output_vars_mutator, output_tlist);
}

static void *
match_output_vars(void *node, List *output_tlist)
{
	return match_output_vars_mutator((Node *) node, output_tlist);
}

ForeignScan *
symbl_join_plan(PlannerInfo *root, RelOptInfo *joinrel, ForeignPath *best_path,
				List *tlist, Plan *outer_plan)
{
	SymblJoinRelInfo *info = joinrel->fdw_private;
	SymblPartRelInfo *pinfo = info->part->fdw_private;
	List	   *fdw_exprs = NIL;
	List	   *remote_exprs;
	List	   *local_exprs;
	List	   *conv_private;
	List	   *scan_tlist;
	List	   *conv_attnums = NIL;
	List	   *part_attnums = NIL;
	List	   *used;
	List	   *private;
	List	   *pair_quals;
	List	   *output_quals;
	Expr	   *id_value;
	ListCell   *lc;
	int			nvalues;

	/* every column read, by the output or a qual, is a column of the scan */
	scan_tlist = add_to_flat_tlist(NIL, pull_var_clause((Node *) joinrel->reltarget->exprs,
														PVC_RECURSE_PLACEHOLDERS));
	pair_quals = match_output_vars(info->pair_quals, scan_tlist);
	output_quals = match_output_vars(info->output_quals, scan_tlist);
	id_value = match_output_vars(info->id_value, scan_tlist);

	used = list_make4(joinrel->reltarget->exprs, pair_quals, output_quals, id_value);
	conv_private = symbl_conversation_plan_private(root, info->conversations,
												   &fdw_exprs, (Node *) used,
												   &remote_exprs, &local_exprs);
	remote_exprs = match_output_vars(remote_exprs, scan_tlist);
	local_exprs = match_output_vars(local_exprs, scan_tlist);
	nvalues = list_length(fdw_exprs);
	fdw_exprs = lappend(fdw_exprs, id_value);
	fdw_exprs = lappend(fdw_exprs, pair_quals);
	fdw_exprs = lappend(fdw_exprs, local_exprs);
	scan_tlist = add_to_flat_tlist(scan_tlist,
								   pull_var_clause((Node *) list_make4(pair_quals,
																	   output_quals,
																	   id_value,
																	   list_make2(local_exprs,
																				  remote_exprs)),
												   PVC_RECURSE_PLACEHOLDERS));
	foreach(lc, scan_tlist)
	{
		Var		   *var = (Var *) ((TargetEntry *) lfirst(lc))->expr;
		bool		conv = bms_is_member(var->varno, info->conversations->relids);

		conv_attnums = lappend_int(conv_attnums, conv ? var->varattno : 0);
		part_attnums = lappend_int(part_attnums, conv ? 0 : var->varattno);
	}

	private = list_make5(makeInteger(SYMBL_PLAN_JOIN), conv_private,
						 makeInteger(nvalues),
						 makeInteger((int) rel_oid(root, info->conversations)),
						 makeInteger((int) rel_oid(root, info->part)));
	private = lappend(private, symbl_retrieved_attnums(info->part->relid, pinfo->columns,
													(Node *) used));
	private = lappend(private, conv_attnums);
	private = lappend(private, part_attnums);
	private = lappend(private, makeBoolean(info->left));

	/*
	 * Quals on the rows returned go to the plan (ExecScan checks them); the
	 * quals the API applies to conversations to fdw_recheck_quals, for the
	 * conversations scan to check itself if its request cannot carry them.
	 */
	return make_foreignscan(tlist, output_quals, 0, fdw_exprs, private,
							scan_tlist, remote_exprs, outer_plan);
}

/* A conversation waiting for its part: its columns, copied */
typedef struct QueuedConversation
{
	MemoryContext cxt;
	Datum	   *values;
	bool	   *nulls;
} QueuedConversation;

typedef struct SymblJoinScanState
{
	SymblPlanKind kind;			/* SYMBL_PLAN_JOIN */
	SymblScanState *conversations;
	bool		conversations_done;
	bool		left;
	int			natts;			/* of the scan slot */
	AttrNumber *conv_attnums;	/* per scan column: a conversation column */
	AttrNumber *part_attnums;	/* per scan column: a part column */
	ExprState  *id_expr;
	ExprState  *pair_quals;
	ExprState  *conversation_quals;
	char	   *tables;			/* for EXPLAIN */

	SymblPartFetch fetch;
	QueuedConversation queued[SYMBL_PART_QUEUE];	/* as fetch's queue */

	QueuedConversation *current;	/* the conversation being joined */
	bool		matched;		/* it has given a row */
	SymblPage	page;			/* its items */
	int			next_row;
	MemoryContext page_cxt;
} SymblJoinScanState;

static AttrNumber *
attnum_array(List *list)
{
	AttrNumber *result = palloc0(sizeof(AttrNumber) * Max(list_length(list), 1));
	ListCell   *lc;
	int			i = 0;

	foreach(lc, list)
		result[i++] = (AttrNumber) lfirst_int(lc);
	return result;
}

/* The range table index of a table among the scan's relations */
static Index
scan_rtindex(ForeignScan *fsplan, EState *estate, Oid relid)
{
	int			rti = -1;

	while ((rti = bms_next_member(fsplan->fs_relids, rti)) >= 0)
	{
		RangeTblEntry *rte = exec_rt_fetch(rti, estate);

		if (rte->rtekind == RTE_RELATION && rte->relid == relid)
			return rti;
	}
	elog(ERROR, "symbl_fdw: relation %u is not in the join", relid);
	return 0;
}

void
symbl_join_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	List	   *priv = fsplan->fdw_private;
	SymblJoinScanState *state = palloc0(sizeof(SymblJoinScanState));
	int			nvalues = intVal(list_nth(priv, JoinPrivateNumValues));
	Oid			conv_oid = (Oid) intVal(list_nth(priv, JoinPrivateConversationsOid));
	Oid			part_oid = (Oid) intVal(list_nth(priv, JoinPrivatePartOid));
	Index		conv_rti = scan_rtindex(fsplan, estate, conv_oid);
	Index		part_rti = scan_rtindex(fsplan, estate, part_oid);
	Relation	conv_rel = symbl_scan_relation(estate, conv_rti);
	Relation	part_rel = symbl_scan_relation(estate, part_rti);
	const SymblResource *resource = symbl_table_resource(part_oid);
	SymblConnection *conn;
	SymblColumn *columns;
	int			ncolumns;
	int			i;

	node->fdw_state = state;
	state->kind = SYMBL_PLAN_JOIN;
	state->natts = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor->natts;
	state->left = boolVal(list_nth(priv, JoinPrivateLeft));
	state->conv_attnums = attnum_array(list_nth(priv, JoinPrivateConversationAttnums));
	state->part_attnums = attnum_array(list_nth(priv, JoinPrivatePartAttnums));
	state->id_expr = ExecInitExpr(list_nth(fsplan->fdw_exprs, nvalues + JoinExprId),
								  (PlanState *) node);
	state->pair_quals = ExecInitQual(list_nth(fsplan->fdw_exprs, nvalues + JoinExprPairQuals),
									 (PlanState *) node);
	state->conversation_quals =
		ExecInitQual(list_nth(fsplan->fdw_exprs, nvalues + JoinExprConversationQuals),
					 (PlanState *) node);
	state->tables = psprintf("%s, %s", symbl_qualified_name(conv_rel),
							 symbl_qualified_name(part_rel));
	state->conversations =
		symbl_conversation_scan_begin(node, list_nth(priv, JoinPrivateConversations),
									  nvalues, conv_rel,
									  symbl_scan_user(node, conv_rti), eflags,
									  state->conv_attnums, state->natts);

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
	{
		conn = palloc0(sizeof(SymblConnection));
		conn->opts = *symbl_server_options(GetForeignTable(part_oid)->serverid);
	}
	else
		conn = symbl_get_connection(part_oid, symbl_scan_user(node, part_rti));
	columns = symbl_part_scan_columns(part_rel, resource,
									  list_nth(priv, JoinPrivatePartRetrieved),
									  &ncolumns);
	symbl_part_fetch_init(&state->fetch, conn, resource, columns, ncolumns,
						  RelationGetDescr(part_rel)->natts, estate->es_query_cxt);
	state->page_cxt = AllocSetContextCreate(estate->es_query_cxt, "symbl_fdw part",
											ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < SYMBL_PART_QUEUE; i++)
	{
		state->queued[i].cxt = AllocSetContextCreate(estate->es_query_cxt,
													 "symbl_fdw queued conversation",
													 ALLOCSET_SMALL_SIZES);
		state->queued[i].values = MemoryContextAlloc(estate->es_query_cxt,
													 sizeof(Datum) * Max(state->natts, 1));
		state->queued[i].nulls = MemoryContextAlloc(estate->es_query_cxt,
													sizeof(bool) * Max(state->natts, 1));
	}
}

/* Keep a conversation's columns (the slot's) until its part is joined */
static void
keep_conversation(SymblJoinScanState *state, QueuedConversation *q,
				  TupleTableSlot *slot)
{
	TupleDesc	desc = slot->tts_tupleDescriptor;
	MemoryContext oldcxt;
	int			i;

	MemoryContextReset(q->cxt);
	oldcxt = MemoryContextSwitchTo(q->cxt);
	for (i = 0; i < state->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(desc, i);

		q->nulls[i] = state->conv_attnums[i] == 0 || slot->tts_isnull[i];
		q->values[i] = q->nulls[i] ? (Datum) 0 :
			datumCopy(slot->tts_values[i], attr->attbyval, attr->attlen);
	}
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Read conversations while the queue has room, asking for each one's part
 * as it comes.
 */
static void
queue_conversations(ForeignScanState *node, SymblJoinScanState *state)
{
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	while (!state->conversations_done && symbl_part_fetch_has_room(&state->fetch))
	{
		QueuedConversation *q;
		bool		isnull;
		Datum		id;

		/* (TupIsNull evaluates its argument twice) */
		symbl_conversation_scan_next(node, state->conversations, slot);
		if (TupIsNull(slot))
		{
			state->conversations_done = true;
			break;
		}
		econtext->ecxt_scantuple = slot;
		if (!ExecQual(state->conversation_quals, econtext))
			continue;
		id = ExecEvalExpr(state->id_expr, econtext, &isnull);
		/* no item matches a NULL id: only a LEFT JOIN keeps the row */
		if (isnull && !state->left)
			continue;
		q = &state->queued[state->fetch.next_add % SYMBL_PART_QUEUE];
		keep_conversation(state, q, slot);
		if (!isnull)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(q->cxt);

			id = PointerGetDatum(PG_DETOAST_DATUM_COPY(id));
			MemoryContextSwitchTo(oldcxt);
		}
		symbl_part_fetch_push(&state->fetch, id, isnull);
	}
}

static void
fill_row(SymblJoinScanState *state, TupleTableSlot *slot, int part_row)
{
	size_t		base = (size_t) part_row * state->page.natts;
	int			i;

	ExecClearTuple(slot);
	for (i = 0; i < state->natts; i++)
	{
		if (state->conv_attnums[i] != 0)
		{
			slot->tts_values[i] = state->current->values[i];
			slot->tts_isnull[i] = state->current->nulls[i];
		}
		else if (part_row >= 0 && state->part_attnums[i] != 0)
		{
			slot->tts_values[i] = state->page.values[base + state->part_attnums[i] - 1];
			slot->tts_isnull[i] = state->page.nulls[base + state->part_attnums[i] - 1];
		}
		else
		{
			slot->tts_values[i] = (Datum) 0;
			slot->tts_isnull[i] = true;
		}
	}
	ExecStoreVirtualTuple(slot);
}

TupleTableSlot *
symbl_join_iterate(ForeignScanState *node)
{
	SymblJoinScanState *state = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	for (;;)
	{
		MemoryContext oldcxt;
		bool		more;

		while (state->current != NULL && state->next_row < state->page.nrows)
		{
			fill_row(state, slot, state->next_row++);
			econtext->ecxt_scantuple = slot;
			if (ExecQual(state->pair_quals, econtext))
			{
				state->matched = true;
				return slot;
			}
		}
		if (state->current != NULL && state->left && !state->matched)
		{
			fill_row(state, slot, -1);
			state->matched = true;
			return slot;
		}

		queue_conversations(node, state);
		MemoryContextReset(state->page_cxt);
		state->page.nrows = 0;
		state->next_row = 0;
		state->current = &state->queued[state->fetch.next_take % SYMBL_PART_QUEUE];
		state->matched = false;
		oldcxt = MemoryContextSwitchTo(state->page_cxt);
		more = symbl_part_fetch_next(&state->fetch, &state->page);
		MemoryContextSwitchTo(oldcxt);
		if (!more)
		{
			state->current = NULL;
			return ExecClearTuple(slot);
		}
	}
}

void
symbl_join_rescan(ForeignScanState *node)
{
	SymblJoinScanState *state = node->fdw_state;

	symbl_part_fetch_cancel(&state->fetch);
	symbl_conversation_scan_rescan(state->conversations);
	MemoryContextReset(state->page_cxt);
	state->page.nrows = 0;
	state->next_row = 0;
	state->current = NULL;
	state->conversations_done = false;
}

void
symbl_join_end(ForeignScanState *node)
{
	SymblJoinScanState *state = node->fdw_state;

	symbl_part_fetch_cancel(&state->fetch);
	symbl_conversation_scan_end(state->conversations);
}

void
symbl_join_explain(ForeignScanState *node, ExplainState *es)
{
	SymblJoinScanState *state = node->fdw_state;

	if (es->verbose)
	{
		ExplainPropertyText("Symbl Join", psprintf("%s (%s)", state->left ? "left" : "inner",
												   state->tables), es);
	}
	symbl_conversation_scan_explain(state->conversations, false, es);
	symbl_part_explain_fetch(&state->fetch, es, "Symbl Part");
}
