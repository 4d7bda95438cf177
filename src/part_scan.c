/*-------------------------------------------------------------------------
 *
 * part_scan.c
 *		  Scans of the tables of a conversation's parts: messages, members,
 *		  topics, questions, action items, ... (see resource.c).
 *
 * The API serves a part per conversation only, so a scan needs the
 * conversations to ask for from the query: conversation_id = value, IN
 * (...), = ANY(array), or a join clause through a parameterized path.
 * Without one, planning fails with an error that says so: reading every
 * conversation of the account, one request each, is never what was meant.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/table.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/foreign.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"
#include "miscadmin.h"

#include "part_scan.h"
#include "compat.h"
#include "column_map.h"
#include "option.h"
#include "part_fetch.h"
#include "scan_shared.h"

/* what the planner assumes a conversation has of a part */
#define ROWS_PER_CONVERSATION 20.0
/* and how many conversations an array of unknown length holds */
#define IDS_PER_UNKNOWN_ARRAY 10.0

/* Indexes into a part scan's fdw_private */
enum PartPrivateIndex
{
	PartPrivateKind,			/* Integer: SYMBL_PLAN_PART */
	PartPrivateRetrieved,		/* Integer list: attnums to convert */
	PartPrivateIdsArray,		/* Boolean: fdw_exprs[0] is an array */
	PartPrivateById,			/* Boolean: the conversations table, read
								 * by GET /v1/conversations/{id} */
	PartPrivateReplay			/* Boolean: in a statement that writes, a
								 * rescan replays the first read */
};

static Expr *
strip_relabel(Expr *expr)
{
	while (expr != NULL && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	return expr;
}

static bool
is_conversation_id_var(Expr *expr, Index relid, AttrNumber attnum)
{
	Var		   *var = (Var *) strip_relabel(expr);

	return var != NULL && IsA(var, Var) && (Index) var->varno == relid &&
		var->varattno == attnum && var->varlevelsup == 0;
}

/*
 * Ids compare byte by byte in the API: a nondeterministic collation could
 * make the query match other spellings than the one asked for.
 */
static bool
is_bytewise_text_equality(Oid opno, Oid collation)
{
	return opno == TextEqualOperator &&
		(!OidIsValid(collation) || get_collation_isdeterministic(collation));
}

/*
 * The value expression of `conversation_id = value` or `conversation_id =
 * ANY(array)` (either side), computable without this relation's rows; NULL
 * if the clause is not one of these.
 */
Expr *
symbl_part_id_source(Expr *clause, Index relid, AttrNumber attnum, bool *is_array)
{
	Expr	   *value = NULL;

	if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2 &&
		is_bytewise_text_equality(((OpExpr *) clause)->opno,
								  ((OpExpr *) clause)->inputcollid))
	{
		OpExpr	   *op = (OpExpr *) clause;

		if (is_conversation_id_var(linitial(op->args), relid, attnum))
			value = lsecond(op->args);
		else if (is_conversation_id_var(lsecond(op->args), relid, attnum))
			value = linitial(op->args);
		*is_array = false;
	}
	else if (IsA(clause, ScalarArrayOpExpr) && ((ScalarArrayOpExpr *) clause)->useOr &&
			 is_bytewise_text_equality(((ScalarArrayOpExpr *) clause)->opno,
									   ((ScalarArrayOpExpr *) clause)->inputcollid))
	{
		ScalarArrayOpExpr *op = (ScalarArrayOpExpr *) clause;

		if (is_conversation_id_var(linitial(op->args), relid, attnum))
			value = lsecond(op->args);
		*is_array = true;
	}
	if (value == NULL ||
		bms_is_member(relid, pull_varnos(NULL, (Node *) value)) ||
		contain_volatile_functions((Node *) value))
		return NULL;
	return value;
}

/* The first clause of the list that gives conversation ids */
static RestrictInfo *
find_id_source(List *clauses, Index relid, AttrNumber attnum, bool outer_ok)
{
	ListCell   *lc;

	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst(lc);
		bool		is_array;
		Expr	   *value = symbl_part_id_source(rinfo->clause, relid, attnum, &is_array);

		if (value != NULL &&
			(outer_ok || bms_is_empty(pull_varnos(NULL, (Node *) value))))
			return rinfo;
	}
	return NULL;
}

static double
ids_estimate(RestrictInfo *source, Index relid, AttrNumber attnum)
{
	bool		is_array;
	Expr	   *value = symbl_part_id_source(source->clause, relid, attnum, &is_array);

	if (!is_array)
		return 1.0;
	if (IsA(value, Const) && !((Const *) value)->constisnull)
	{
		ArrayType  *array = DatumGetArrayTypeP(((Const *) value)->constvalue);

		return Max(1, ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array)));
	}
	if (IsA(value, ArrayExpr))
		return Max(1, list_length(((ArrayExpr *) value)->elements));
	return IDS_PER_UNKNOWN_ARRAY;
}

static AttrNumber
conversation_id_attnum(List *columns)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		SymblColumn *col = lfirst(lc);

		if (col->kind == SYMBL_VALUE_CONVERSATION_ID)
			return col->attnum;
	}
	return InvalidAttrNumber;
}

void
symbl_part_rel_size(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					const SymblResource *resource)
{
	Relation	rel = table_open(foreigntableid, NoLock);
	SymblPartRelInfo *info = palloc0(sizeof(SymblPartRelInfo));
	RestrictInfo *source;
	double		conversations;

	info->kind = SYMBL_PLAN_PART;
	info->resource = resource;
	info->columns = symbl_part_columns(foreigntableid, RelationGetDescr(rel), resource);
	table_close(rel, NoLock);
	info->opts = symbl_server_options(GetForeignTable(foreigntableid)->serverid);
	info->conversation_attnum = conversation_id_attnum(info->columns);
	if (info->conversation_attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
				 errmsg("foreign table \"%s\" has no column for the conversation id",
						get_rel_name(foreigntableid)),
				 errdetail("Symbl serves %s per conversation: a query gives the conversations through that column.",
						   resource->table),
				 errhint("Add a column \"%s\" of type text, without a field option.",
						 SYMBL_CONVERSATION_ID_COLUMN)));
	if (symbl_table_filter(foreigntableid) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("foreign table \"%s\" has the option \"filter\", which only the conversations table takes",
						get_rel_name(foreigntableid)),
				 errdetail("Symbl serves %s per conversation, without a filter.", resource->table),
				 errhint("ALTER FOREIGN TABLE ... OPTIONS (DROP filter), and filter in the query.")));
	baserel->fdw_private = info;

	source = find_id_source(baserel->baserestrictinfo, baserel->relid,
							info->conversation_attnum, false);
	conversations = source != NULL ?
		ids_estimate(source, baserel->relid, info->conversation_attnum) :
		symbl_table_rows_estimate(foreigntableid) / ROWS_PER_CONVERSATION;
	baserel->tuples = conversations * ROWS_PER_CONVERSATION;
	baserel->rows = clamp_row_est(baserel->tuples *
								  clauselist_selectivity(root,
														 list_difference_ptr(baserel->baserestrictinfo,
																			 list_make1(source)),
														 baserel->relid, JOIN_INNER, NULL));
	info->has_ids = source != NULL;
	info->conversations = conversations;
}

/* A request per conversation, max_concurrent_requests at a time */
static void
part_costs(SymblPartRelInfo *info, double conversations, double rows,
		   Cost *startup, Cost *total)
{
	double		rounds = ceil(conversations / Max(1, info->opts->max_concurrent_requests));

	*startup = SYMBL_REQUEST_COST;
	*total = rounds * SYMBL_REQUEST_COST +
		conversations * ROWS_PER_CONVERSATION * (SYMBL_ROW_COST + cpu_tuple_cost) +
		rows * cpu_tuple_cost;
}

static bool
ec_member_is_conversation_id(PlannerInfo *root, RelOptInfo *rel,
							 EquivalenceClass *ec, EquivalenceMember *em, void *arg)
{
	SymblPartRelInfo *info = arg;

	return is_conversation_id_var(em->em_expr, rel->relid, info->conversation_attnum);
}

/*
 * For a join on conversation_id (with conversations, or a CRM table), one
 * request per outer row for that row's conversation.
 */
static void
add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel,
						SymblPartRelInfo *info)
{
	List	   *clauses = symbl_join_clauses(root, baserel,
											 ec_member_is_conversation_id, info);
	ListCell   *lc;

	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst(lc);
		bool		is_array;
		Relids		required_outer;
		ParamPathInfo *ppi;
		Cost		startup;
		Cost		total;

		required_outer = symbl_required_outer(rinfo, baserel);
		if (required_outer == NULL ||
			symbl_part_id_source(rinfo->clause, baserel->relid,
								 info->conversation_attnum, &is_array) == NULL)
			continue;
		ppi = get_baserel_parampathinfo(root, baserel, required_outer);
		part_costs(info, is_array ? IDS_PER_UNKNOWN_ARRAY : 1, ppi->ppi_rows,
				   &startup, &total);
		add_path(baserel, (Path *)
				 symbl_create_foreignscan_path(root, baserel, NULL, ppi->ppi_rows,
											   startup, total, NIL, required_outer,
											   NULL, NIL));
	}
}

void
symbl_part_paths(PlannerInfo *root, RelOptInfo *baserel)
{
	SymblPartRelInfo *info = baserel->fdw_private;
	Cost		startup;
	Cost		total;

	/* without conversation ids, a path that fails if it is ever chosen */
	if (!info->has_ids)
		add_path(baserel, (Path *) symbl_create_last_resort_path(root, baserel,
																 baserel->rows));
	else
	{
		part_costs(info, info->conversations, baserel->rows, &startup, &total);
		add_path(baserel, (Path *)
				 symbl_create_foreignscan_path(root, baserel, NULL, baserel->rows,
											   startup, total, NIL, NULL, NULL, NIL));
	}
	add_parameterized_paths(root, baserel, info);
}

void
symbl_part_require_ids(const SymblResource *resource, const char *table)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("a query of \"%s\" must say which conversations to read", table),
			 errdetail("Symbl serves %s one conversation at a time; without conversation ids every conversation of the account would be read.",
					   resource->table),
			 errhint("Add WHERE conversation_id = '...', conversation_id IN (...), conversation_id = ANY($1) or conversation_id = ANY(ARRAY(SELECT id FROM conversations WHERE ...)), or join ON %s.conversation_id = conversations.id.",
					 table)));
}

/*
 * The plan of a scan by ids: of a part, or of the conversations table read
 * one conversation at a time (by_id).
 */
static ForeignScan *
ids_plan(RelOptInfo *rel, List *columns, RestrictInfo *source,
		 AttrNumber id_attnum, bool by_id, bool replay, List *tlist,
		 List *scan_clauses, Plan *outer_plan)
{
	List	   *private;
	List	   *local_exprs = extract_actual_clauses(scan_clauses, false);
	bool		is_array;
	Expr	   *value;
	List	   *retrieved;

	value = symbl_part_id_source(source->clause, rel->relid, id_attnum, &is_array);
	retrieved = symbl_retrieved_attnums(rel->relid, columns,
										(Node *) list_make2(rel->reltarget->exprs,
															local_exprs));

	/*
	 * Every clause stays a local qual: the rows carry the id they were
	 * asked for, so rechecking the id source costs a comparison and makes
	 * its collation PostgreSQL's own.
	 */
	private = list_make4(makeInteger(SYMBL_PLAN_PART), retrieved,
						 makeBoolean(is_array), makeBoolean(by_id));
	private = lappend(private, makeBoolean(replay));
	return make_foreignscan(tlist, local_exprs, rel->relid, list_make1(value),
							private, NIL, NIL, outer_plan);
}

ForeignScan *
symbl_part_plan(PlannerInfo *root, RelOptInfo *rel, Oid foreigntableid,
				ForeignPath *best_path, List *tlist, List *scan_clauses,
				Plan *outer_plan)
{
	SymblPartRelInfo *info = rel->fdw_private;
	RestrictInfo *source = find_id_source(scan_clauses, rel->relid,
										  info->conversation_attnum, true);

	if (source == NULL)
		symbl_part_require_ids(info->resource, get_rel_name(foreigntableid));
	return ids_plan(rel, info->columns, source, info->conversation_attnum, false,
					false, tlist, scan_clauses, outer_plan);
}

/* ----------------------------------------------------------------
 * The conversations table by id
 *
 * Symbl documents one exact way to read a conversation by id, GET
 * /v1/conversations/{id} (404: none); nothing it published shows
 * conversation.id in a filter.  `id = v`, `id IN (...)`, `id = ANY(...)`
 * and a join on id therefore read each conversation by itself, through the
 * same fetch as the parts, and every qual (the id's too) stays a local
 * check on the rows.
 * ----------------------------------------------------------------
 */

/* the marker of a by-id path in its fdw_private */
#define BY_ID_MARKER "conversations by id"

bool
symbl_is_by_id_path(ForeignPath *path)
{
	return path->fdw_private != NIL && IsA(linitial(path->fdw_private), String) &&
		strcmp(strVal(linitial(path->fdw_private)), BY_ID_MARKER) == 0;
}

/* The conversations table's id column; 0 when it has none */
static AttrNumber
id_column_attnum(List *columns)
{
	ListCell   *lc;

	foreach(lc, columns)
		if (((SymblColumn *) lfirst(lc))->field == SYMBL_FIELD_ID)
			return ((SymblColumn *) lfirst(lc))->attnum;
	return InvalidAttrNumber;
}

static void
by_id_costs(const SymblServerOptions *opts, double ids, Cost *startup, Cost *total)
{
	double		rounds = ceil(ids / Max(1, opts->max_concurrent_requests));

	*startup = SYMBL_REQUEST_COST;
	*total = rounds * SYMBL_REQUEST_COST + ids * (SYMBL_ROW_COST + cpu_tuple_cost);
}

static bool
ec_member_is_id(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
				EquivalenceMember *em, void *arg)
{
	return is_conversation_id_var(em->em_expr, rel->relid, *(AttrNumber *) arg);
}

/*
 * Paths that read the conversations by id: one for ids the query gives
 * (constants, $1, an InitPlan's array), and in a read-only statement one
 * per join clause on id (a request per outer row).  In a statement that
 * writes, a rescan with another outer row would read after the writes.
 * Returns whether the first kind was added.
 */
bool
symbl_by_id_paths(PlannerInfo *root, RelOptInfo *baserel, List *columns,
				  const SymblServerOptions *opts, bool writes)
{
	AttrNumber	id_attnum = id_column_attnum(columns);
	RestrictInfo *source;
	ListCell   *lc;
	Cost		startup;
	Cost		total;

	if (id_attnum == InvalidAttrNumber)
		return false;

	source = find_id_source(baserel->baserestrictinfo, baserel->relid, id_attnum,
							false);
	/* in a statement that writes, the ids may not change between rescans */
	if (source != NULL && writes &&
		symbl_contains_outer_row_param(root, (Node *) source->clause))
		source = NULL;
	if (source != NULL)
	{
		by_id_costs(opts, ids_estimate(source, baserel->relid, id_attnum),
					&startup, &total);
		add_path(baserel, (Path *)
				 symbl_create_foreignscan_path(root, baserel, NULL, baserel->rows,
											   startup, total, NIL, NULL, NULL,
											   list_make1(makeString(BY_ID_MARKER))));
	}
	if (writes)
		return source != NULL;
	foreach(lc, symbl_join_clauses(root, baserel, ec_member_is_id, &id_attnum))
	{
		RestrictInfo *rinfo = lfirst(lc);
		bool		is_array;
		Relids		required_outer = symbl_required_outer(rinfo, baserel);
		ParamPathInfo *ppi;

		if (required_outer == NULL ||
			symbl_part_id_source(rinfo->clause, baserel->relid, id_attnum,
								 &is_array) == NULL)
			continue;
		ppi = get_baserel_parampathinfo(root, baserel, required_outer);
		by_id_costs(opts, is_array ? IDS_PER_UNKNOWN_ARRAY : 1, &startup, &total);
		add_path(baserel, (Path *)
				 symbl_create_foreignscan_path(root, baserel, NULL, ppi->ppi_rows,
											   startup, total, NIL, required_outer,
											   NULL,
											   list_make1(makeString(BY_ID_MARKER))));
	}
	return source != NULL;
}

ForeignScan *
symbl_by_id_plan(RelOptInfo *rel, List *columns, List *tlist,
				 List *scan_clauses, Plan *outer_plan, bool writes)
{
	AttrNumber	id_attnum = id_column_attnum(columns);
	RestrictInfo *source;

	source = find_id_source(scan_clauses, rel->relid, id_attnum, true);
	if (source == NULL)
		elog(ERROR, "a by-id scan of conversations has lost its ids");
	return ids_plan(rel, columns, source, id_attnum, true, writes, tlist,
					scan_clauses, outer_plan);
}

/* The retrieved columns of a part table, in a fresh array */
SymblColumn *
symbl_part_scan_columns(Relation rel, const SymblResource *resource,
						List *retrieved, int *ncolumns)
{
	List	   *columns = resource->single_object ?
		symbl_table_columns(RelationGetRelid(rel), RelationGetDescr(rel)) :
		symbl_part_columns(RelationGetRelid(rel), RelationGetDescr(rel), resource);
	SymblColumn *result = palloc(sizeof(SymblColumn) * Max(list_length(columns), 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, columns)
	{
		SymblColumn *col = lfirst(lc);

		if (list_member_int(retrieved, col->attnum))
			result[n++] = *col;
	}
	*ncolumns = n;
	return result;
}

typedef struct SymblPartScanState
{
	SymblPlanKind kind;			/* SYMBL_PLAN_PART */
	char	   *table_name;
	const SymblResource *resource;
	ExprState  *ids_expr;
	bool		ids_array;
	bool		ids_ready;		/* this (re)scan's ids are known */
	int			nids;
	Datum	   *ids;
	int			next_id;		/* the next to queue */
	MemoryContext ids_cxt;		/* the ids; reset per rescan */
	MemoryContext page_cxt;		/* one conversation's rows */
	SymblPartFetch fetch;
	SymblPage	page;
	int			next_row;

	/*
	 * In a statement that writes, the rows of the first read, which a
	 * rescan (a correlated subquery's) hands out again: asked anew, the
	 * API would answer after the statement's own writes.
	 */
	bool		replay;
	bool		read_complete;
	bool		replaying;
	Tuplestorestate *remembered;
	TupleTableSlot *replay_slot;
} SymblPartScanState;

void
symbl_part_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Relation	rel = node->ss.ss_currentRelation;
	SymblPartScanState *state = palloc0(sizeof(SymblPartScanState));
	SymblConnection *conn;
	SymblColumn *columns;
	int			ncolumns;

	bool		by_id = list_length(fsplan->fdw_private) > PartPrivateById &&
		boolVal(list_nth(fsplan->fdw_private, PartPrivateById));

	node->fdw_state = state;
	state->kind = SYMBL_PLAN_PART;
	state->resource = by_id ? &symbl_conversation_by_id :
		symbl_table_resource(RelationGetRelid(rel));
	state->table_name = symbl_qualified_name(rel);
	state->ids_expr = ExecInitExpr(linitial(fsplan->fdw_exprs), (PlanState *) node);
	state->ids_array = boolVal(list_nth(fsplan->fdw_private, PartPrivateIdsArray));
	state->replay = list_length(fsplan->fdw_private) > PartPrivateReplay &&
		boolVal(list_nth(fsplan->fdw_private, PartPrivateReplay));
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
	{
		conn = palloc0(sizeof(SymblConnection));
		conn->opts = *symbl_server_options(GetForeignTable(RelationGetRelid(rel))->serverid);
	}
	else
		conn = symbl_get_connection(RelationGetRelid(rel),
									symbl_scan_user(node, fsplan->scan.scanrelid));
	columns = symbl_part_scan_columns(rel, state->resource,
									  list_nth(fsplan->fdw_private, PartPrivateRetrieved),
									  &ncolumns);
	state->ids_cxt = AllocSetContextCreate(estate->es_query_cxt, "symbl_fdw ids",
										   ALLOCSET_SMALL_SIZES);
	state->page_cxt = AllocSetContextCreate(estate->es_query_cxt, "symbl_fdw part",
											ALLOCSET_DEFAULT_SIZES);
	symbl_part_fetch_init(&state->fetch, conn, state->resource, columns, ncolumns,
						  RelationGetDescr(rel)->natts, estate->es_query_cxt);
}

/*
 * The ids to ask for: the value of `= value`, or the elements of the array
 * of `= ANY(array)`, each once.
 */
int
symbl_eval_ids(ExprState *expr, bool is_array, ExprContext *econtext,
			   Datum **ids)
{
	bool		isnull;
	Datum		value = ExecEvalExpr(expr, econtext, &isnull);
	bool	   *nulls = NULL;
	int			n;

	if (isnull)
		return 0;
	if (!is_array)
	{
		*ids = palloc(sizeof(Datum));
		(*ids)[0] = PointerGetDatum(PG_DETOAST_DATUM_COPY(value));
		return 1;
	}
	else
	{
		ArrayType  *array = DatumGetArrayTypePCopy(value);
		int16		typlen;
		bool		typbyval;
		char		typalign;

		get_typlenbyvalalign(ARR_ELEMTYPE(array), &typlen, &typbyval, &typalign);
		deconstruct_array(array, ARR_ELEMTYPE(array), typlen, typbyval, typalign,
						  ids, &nulls, &n);
	}
	return symbl_unique_ids(*ids, nulls, n);
}

static void
start_ids(ForeignScanState *node, SymblPartScanState *state)
{
	MemoryContext oldcxt;

	MemoryContextReset(state->ids_cxt);
	symbl_part_fetch_cancel(&state->fetch);
	oldcxt = MemoryContextSwitchTo(state->ids_cxt);
	state->ids = NULL;
	state->nids = symbl_eval_ids(state->ids_expr, state->ids_array,
								 node->ss.ps.ps_ExprContext, &state->ids);
	MemoryContextSwitchTo(oldcxt);
	state->next_id = 0;
	state->ids_ready = true;
}

/* Queue the next conversations while there is room */
static void
queue_ids(SymblPartScanState *state)
{
	while (state->next_id < state->nids && symbl_part_fetch_has_room(&state->fetch))
		symbl_part_fetch_push(&state->fetch, state->ids[state->next_id++], false);
}

static TupleTableSlot *fetch_row(ForeignScanState *node,
								 SymblPartScanState *state);

/* Keep a row read in a statement that writes, for a rescan to replay */
static void
remember_row(ForeignScanState *node, SymblPartScanState *state,
			 TupleTableSlot *slot)
{
	if (state->remembered == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(node->ss.ps.state->es_query_cxt);

		state->remembered = tuplestore_begin_heap(true, false, work_mem);
		state->replay_slot = MakeSingleTupleTableSlot(slot->tts_tupleDescriptor,
													  &TTSOpsMinimalTuple);
		MemoryContextSwitchTo(oldcxt);
	}
	tuplestore_puttupleslot(state->remembered, slot);
}

TupleTableSlot *
symbl_part_iterate(ForeignScanState *node)
{
	SymblPartScanState *state = node->fdw_state;
	TupleTableSlot *slot;

	if (state->replaying)
	{
		slot = node->ss.ss_ScanTupleSlot;
		if (state->remembered == NULL ||
			!tuplestore_gettupleslot(state->remembered, true, false,
									 state->replay_slot))
			return ExecClearTuple(slot);
		return ExecCopySlot(slot, state->replay_slot);
	}
	slot = fetch_row(node, state);
	if (TupIsNull(slot))
		state->read_complete = true;
	else if (state->replay)
		remember_row(node, state, slot);
	return slot;
}

static TupleTableSlot *
fetch_row(ForeignScanState *node, SymblPartScanState *state)
{
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	int			natts = slot->tts_tupleDescriptor->natts;
	size_t		base;

	ExecClearTuple(slot);
	if (!state->ids_ready)
		start_ids(node, state);
	while (state->next_row >= state->page.nrows)
	{
		MemoryContext oldcxt;
		bool		more;

		MemoryContextReset(state->page_cxt);
		state->page.nrows = 0;
		state->next_row = 0;
		queue_ids(state);
		oldcxt = MemoryContextSwitchTo(state->page_cxt);
		more = symbl_part_fetch_next(&state->fetch, &state->page);
		MemoryContextSwitchTo(oldcxt);
		if (!more)
			return slot;
	}
	base = (size_t) state->next_row++ * natts;
	memcpy(slot->tts_values, state->page.values + base, sizeof(Datum) * natts);
	memcpy(slot->tts_isnull, state->page.nulls + base, sizeof(bool) * natts);
	return ExecStoreVirtualTuple(slot);
}

void
symbl_part_rescan(ForeignScanState *node)
{
	SymblPartScanState *state = node->fdw_state;

	if (state->replay && state->ids_ready)
	{
		/* the first read is finished before it is replayed */
		while (!state->replaying && !state->read_complete)
			(void) symbl_part_iterate(node);
		state->replaying = true;
		if (state->remembered != NULL)
			tuplestore_rescan(state->remembered);
		return;
	}
	symbl_part_fetch_cancel(&state->fetch);
	MemoryContextReset(state->page_cxt);
	state->page.nrows = 0;
	state->next_row = 0;
	state->ids_ready = false;
}

void
symbl_part_end(ForeignScanState *node)
{
	SymblPartScanState *state = node->fdw_state;

	if (state != NULL)
		symbl_part_fetch_cancel(&state->fetch);
}

/*
 * For a direct modification: a by-id scan of conversations converts the
 * columns the statement needs.  False for a part table's scan.
 */
bool
symbl_by_id_plan_columns(ForeignScan *fscan, List *attnums)
{
	List	   *priv = fscan->fdw_private;

	if (list_length(priv) <= PartPrivateById ||
		!boolVal(list_nth(priv, PartPrivateById)))
		return false;
	list_nth_cell(priv, PartPrivateRetrieved)->ptr_value =
		list_union_int(list_nth(priv, PartPrivateRetrieved), attnums);
	return true;
}

char *
symbl_part_request_text(ForeignScanState *node)
{
	SymblPartScanState *state = node->fdw_state;

	return psprintf("GET %s per conversation, up to %d at a time",
					symbl_part_path_template(state->fetch.resource->path, state->fetch.query),
					state->fetch.concurrency);
}

SymblScanStats *
symbl_part_scan_stats(ForeignScanState *node)
{
	return &((SymblPartScanState *) node->fdw_state)->fetch.stats;
}

/* What a part scan sends, and what it met; labels start with `label` */
void
symbl_part_explain_fetch(SymblPartFetch *fetch, ExplainState *es,
						 const char *label)
{
	const char *fallback = fetch->resource->fallback_path;

	if (es->verbose)
	{
		ExplainPropertyText(psprintf("%s Request", label),
							psprintf("GET %s per conversation, up to %d at a time",
									 symbl_part_path_template(fetch->resource->path,
															  fetch->query),
									 fetch->concurrency), es);
		if (fallback != NULL)
			ExplainPropertyText(psprintf("%s Fallback Request", label),
								psprintf("GET %s where the other path answers 404; the path that answered is asked first afterwards",
										 symbl_part_path_template(fallback, fetch->query)),
								es);
	}
	if (es->analyze)
	{
		ExplainPropertyInteger(psprintf("%s Requests", label), NULL, fetch->stats.requests, es);
		ExplainPropertyInteger(psprintf("%s Retries", label), NULL, fetch->stats.retries, es);
		if (fallback != NULL)
			ExplainPropertyInteger(psprintf("%s Other Path Requests", label), NULL,
								   fetch->other_path, es);
		ExplainPropertyInteger(psprintf("%s Not Found", label), NULL, fetch->not_found, es);
		ExplainPropertyInteger(psprintf("%s Rows Received", label), NULL, fetch->stats.rows_received, es);
	}
}

void
symbl_part_explain(ForeignScanState *node, ExplainState *es)
{
	SymblPartScanState *state = node->fdw_state;

	if (es->analyze && state->ids_ready)
		ExplainPropertyInteger("Symbl Conversations", NULL, state->nids, es);
	symbl_part_explain_fetch(&state->fetch, es, "Symbl");
}
