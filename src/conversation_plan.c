/*-------------------------------------------------------------------------
 *
 * conversation_plan.c
 *		  Planning a scan of the conversations list: its size, its paths
 *		  (plain, sorted, parameterized, by id), LIMIT and OFFSET as a final
 *		  upper path, and the plan's fdw_private (conversation_private.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/table.h"
#include "commands/explain.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "access/sysattr.h"
#include "optimizer/paths.h"
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "utils/lsyscache.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "symbl_types.h"
#include "cond_serialize.h"
#include "conversation_plan.h"
#include "column_map.h"
#include "option.h"
#include "scan_shared.h"
#include "shippable.h"
#include "list_rows.h"
#include "part_scan.h"
#include "compat.h"
#include "conversation_private.h"

#define REQUEST_COST SYMBL_REQUEST_COST
#define ROW_COST SYMBL_ROW_COST

/* What planning learns about the foreign relation, in baserel->fdw_private */
typedef struct SymblRelInfo
{
	SymblPlanKind kind;			/* SYMBL_PLAN_CONVERSATIONS */
	SymblServerOptions *opts;
	char	   *raw_filter;		/* table option filter, or NULL */
	List	   *columns;		/* SymblColumn */
	SymblPushdown pushdown;		/* of baserestrictinfo */
} SymblRelInfo;

static bool symbl_is_our_rel(RelOptInfo *rel);

/*
 * Which quals the API applies.  In a statement that writes, a request never
 * takes a value that changes from one rescan to the next (a correlated
 * subquery's parameter): that rescan would read after the statement's own
 * writes.  Those quals stay local instead, so that the scan reads once,
 * before the first write, and replays what it read (read_all_first): it
 * sees the table as it was when the statement started.
 */
static void
classify_quals(PlannerInfo *root, RelOptInfo *rel, SymblRelInfo *info,
			   List *quals, SymblPushdown *out)
{
	List	   *fixed = NIL;
	List	   *varying = NIL;
	ListCell   *lc;

	if (!symbl_feeds_writes(root))
	{
		symbl_classify_quals(rel, info->columns, info->raw_filter, info->opts,
							 false, quals, out);
		return;
	}
	foreach(lc, quals)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		if (symbl_contains_outer_row_param(root, (Node *) rinfo->clause))
			varying = lappend(varying, rinfo);
		else
			fixed = lappend(fixed, rinfo);
	}
	symbl_classify_quals(rel, info->columns, info->raw_filter, info->opts,
						 true, fixed, out);
	out->local_quals = list_concat(out->local_quals, varying);
}

void
symbl_conversation_rel_size(PlannerInfo *root, RelOptInfo *baserel,
							Oid foreigntableid)
{
	Relation	rel;
	SymblRelInfo *info;

	rel = table_open(foreigntableid, NoLock);
	info = palloc0(sizeof(SymblRelInfo));
	info->kind = SYMBL_PLAN_CONVERSATIONS;

	/* refuse columns we cannot fill at plan time, naming them */
	info->columns = symbl_table_columns(foreigntableid, RelationGetDescr(rel));
	table_close(rel, NoLock);
	info->opts = symbl_server_options(GetForeignTable(foreigntableid)->serverid);
	info->raw_filter = symbl_table_filter(foreigntableid);
	classify_quals(root, baserel, info, baserel->baserestrictinfo, &info->pushdown);
	baserel->fdw_private = info;

	/* pg_class.reltuples is ANALYZE's count; -1 until the first ANALYZE */
	if (symbl_never_analyzed(baserel->tuples, baserel->pages))
		baserel->tuples = symbl_table_rows_estimate(foreigntableid);
	baserel->rows = clamp_row_est(baserel->tuples *
								  clauselist_selectivity(root,
														 baserel->baserestrictinfo,
														 baserel->relid,
														 JOIN_INNER, NULL));
}

/*
 * The API sends what the pushed quals select (estimated as the remote
 * quals' selectivity); every page is a round trip.
 */
static void
estimate_costs(PlannerInfo *root, RelOptInfo *baserel, SymblRelInfo *info,
			   double rows_out, double fetched, Cost *startup, Cost *total)
{
	double		pages = floor(fetched / info->opts->page_size) + 1;

	/* the first row arrives once the whole first page is in and parsed */
	*startup = REQUEST_COST + Min(fetched, info->opts->page_size) * ROW_COST;
	*total = pages * REQUEST_COST + fetched * ROW_COST +
		fetched * cpu_tuple_cost +
		(fetched - rows_out) * cpu_operator_cost;
}

/* The rows the API sends: those its conditions select, exact or wider */
static double
rows_fetched_estimate(PlannerInfo *root, RelOptInfo *baserel,
					  SymblPushdown *pushdown)
{
	List	   *sent = list_concat(list_copy(pushdown->remote_quals),
								   pushdown->superset_quals);

	return clamp_row_est(baserel->tuples *
						 clauselist_selectivity(root, sent, baserel->relid,
												JOIN_INNER, NULL));
}

static bool
ec_member_is_sendable(PlannerInfo *root, RelOptInfo *rel,
					  EquivalenceClass *ec, EquivalenceMember *em, void *arg)
{
	SymblRelInfo *info = arg;

	return symbl_text_selector(em->em_expr, rel, info->columns) != NULL;
}

/*
 * Parameterized paths: for a join on a sendable column (most usefully
 * metadata->>'customerId' = crm.customer_id), one request per outer row
 * asks only for that row's conversations.
 */
static void
add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel,
						SymblRelInfo *info)
{
	List	   *clauses;
	ListCell   *lc;

	/* a rescan with other values would read after the statement's writes */
	if (symbl_feeds_writes(root))
		return;
	clauses = symbl_join_clauses(root, baserel, ec_member_is_sendable, info);
	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst(lc);
		Relids		required_outer;
		SymblPushdown pushdown;
		ParamPathInfo *ppi;
		double		fetched;
		Cost		startup;
		Cost		total;

		required_outer = symbl_required_outer(rinfo, baserel);
		if (required_outer == NULL)
			continue;
		symbl_classify_quals(baserel, info->columns, info->raw_filter,
							 info->opts, false,
							 list_concat(list_make1(rinfo),
										 baserel->baserestrictinfo),
							 &pushdown);
		if (!list_member_ptr(pushdown.remote_quals, rinfo) &&
			!list_member_ptr(pushdown.superset_quals, rinfo))
			continue;

		ppi = get_baserel_parampathinfo(root, baserel, required_outer);
		fetched = rows_fetched_estimate(root, baserel, &pushdown);
		estimate_costs(root, baserel, info, ppi->ppi_rows, fetched, &startup, &total);
		add_path(baserel, (Path *)
				 symbl_create_foreignscan_path(root, baserel, NULL, ppi->ppi_rows,
										 startup, total, NIL, required_outer,
										 NULL, NIL));
	}
}

void
symbl_conversation_paths(PlannerInfo *root, RelOptInfo *baserel,
						 Oid foreigntableid)
{
	SymblRelInfo *info = baserel->fdw_private;
	double		fetched;
	Cost		startup;
	Cost		total;
	char	   *sort;
	bool		descending;
	int			nsorted;

	/*
	 * Ids the query gives are read with GET /v1/conversations/{id}, which is
	 * documented and exact.  The list cannot be sent an id, so it would read
	 * the whole account, whatever its estimate says: it is not offered.
	 * (This also adds the by-id paths of join clauses on id, either way.)
	 */
	if (symbl_by_id_paths(root, baserel, info->columns, info->opts,
						  symbl_feeds_writes(root)))
		return;

	fetched = rows_fetched_estimate(root, baserel, &info->pushdown);
	estimate_costs(root, baserel, info, baserel->rows, fetched, &startup, &total);
	add_path(baserel, (Path *)
			 symbl_create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total, NIL, NULL, NULL, NIL));

	/*
	 * The API sorts: offer the longest prefix of the query's order it can
	 * produce, and let an Incremental Sort finish the rest.
	 */
	nsorted = symbl_sortable_prefix(baserel, info->columns, root->query_pathkeys,
									&sort, &descending, NULL);
	if (nsorted > 0)
		add_path(baserel, (Path *)
				 symbl_create_foreignscan_path(root, baserel, NULL, baserel->rows,
										 startup, total * 1.001,
										 list_copy_head(root->query_pathkeys, nsorted),
										 NULL, NULL, NIL));

	add_parameterized_paths(root, baserel, info);
}

/*
 * The table's timestamptz start_time column, which rows are paged by (the
 * pager holds back and re-reads tie groups by it), or 0: the scan then
 * converts the field into a column of its own.
 */
static int
key_column(SymblRelInfo *info)
{
	ListCell   *lc;

	foreach(lc, info->columns)
	{
		SymblColumn *col = lfirst(lc);

		if (col->field == SYMBL_FIELD_START_TIME && col->typid == TIMESTAMPTZOID)
			return col->attnum;
	}
	return 0;
}

static List *
make_fdw_private(SymblPushdown *pushdown, List **fdw_exprs, RelOptInfo *baserel,
				 SymblRelInfo *info, List *pathkeys, Expr *limit, Expr *offset,
				 int row_goal, List *retrieved)
{
	char	   *sort;
	bool		descending;
	int			limit_index = -1;
	int			offset_index = -1;
	List	   *serialized = symbl_serialize_conds(pushdown->conds, fdw_exprs);
	List	   *private;
	List	   *sorted_attnums;
	int			key_attnum;

	(void) symbl_sortable_prefix(baserel, info->columns, pathkeys, &sort,
								 &descending, &sorted_attnums);
	if (pathkeys == NIL)
		sort = "conversation.startTime";
	if (limit != NULL)
	{
		*fdw_exprs = lappend(*fdw_exprs, limit);
		limit_index = list_length(*fdw_exprs) - 1;
	}
	if (offset != NULL)
	{
		*fdw_exprs = lappend(*fdw_exprs, offset);
		offset_index = list_length(*fdw_exprs) - 1;
	}
	/* in the order of enum FdwPrivateIndex */
	private = list_make5(makeInteger(SYMBL_PLAN_CONVERSATIONS), serialized,
						 makeString(sort), makeBoolean(descending),
						 sorted_attnums);
	private = lappend(private, makeInteger(limit_index));
	private = lappend(private, makeInteger(offset_index));

	/* sorted columns are checked for presence, the key one pages */
	retrieved = list_union_int(retrieved, sorted_attnums);
	key_attnum = key_column(info);
	if (key_attnum > 0)
		retrieved = list_append_unique_int(retrieved, key_attnum);
	private = lappend(private, retrieved);
	private = lappend(private, makeInteger(key_attnum));
	return lappend(private, makeInteger(row_goal));
}

static List *
retrieved_attnums(RelOptInfo *baserel, SymblRelInfo *info, Node *used)
{
	return symbl_retrieved_attnums(baserel->relid, info->columns, used);
}

static RelOptInfo *
single_base_rel(PlannerInfo *root)
{
	int			relid;

	if (!bms_get_singleton_member(root->all_baserels, &relid))
		return NULL;
	return root->simple_rel_array[relid];
}

/*
 * The scan is the query's only relation, or a member of it (an inheritance
 * child, a partition, a UNION ALL branch): the LIMIT above applies to it.
 */
static bool
rel_is_whole_query(PlannerInfo *root, RelOptInfo *rel)
{
	RelOptInfo *top = single_base_rel(root);
	Index		relid = rel->relid;

	if (top == NULL)
		return false;
	while (relid != top->relid && root->append_rel_array != NULL &&
		   root->append_rel_array[relid] != NULL)
		relid = root->append_rel_array[relid]->parent_relid;
	return relid == top->relid;
}

/*
 * The rows to ask for first when a LIMIT above the scan wants `limit_tuples`
 * rows (LIMIT + OFFSET) of the query's only relation: the planner sets
 * limit_tuples only when nothing in between (grouping, aggregates,
 * DISTINCT, windows, SRFs) changes the count.  Quals checked here reject
 * some of what the API sends, as the estimates say.  A Sort above an
 * unsorted scan reads every row; an Incremental Sort above a sorted one
 * only a little past the goal.  -1 when unknown.
 */
static int
plan_row_goal(PlannerInfo *root, RelOptInfo *rel, Path *path,
			  SymblPushdown *pushdown)
{
	double		goal;

	if (!rel_is_whole_query(root, rel) || root->limit_tuples <= 0 ||
		(root->sort_pathkeys != NIL && path->pathkeys == NIL))
		return -1;
	goal = ceil(root->limit_tuples *
				rows_fetched_estimate(root, rel, pushdown) / Max(rel->rows, 1));
	return goal > PG_INT32_MAX ? -1 : (int) goal;
}

/*
 * The conversations side of a join with a part: its fdw_private (its
 * values appended to fdw_exprs), and the quals the API applies and those
 * left to check here.  `used`: what the join reads of its columns.
 */
List *
symbl_conversation_plan_private(PlannerInfo *root, RelOptInfo *rel,
								List **fdw_exprs, Node *used,
								List **remote_exprs, List **local_exprs)
{
	SymblRelInfo *info = rel->fdw_private;

	*remote_exprs = extract_actual_clauses(info->pushdown.remote_quals, false);
	*local_exprs = extract_actual_clauses(info->pushdown.local_quals, false);
	return make_fdw_private(&info->pushdown, fdw_exprs, rel, info, NIL, NULL,
							NULL, -1,
							retrieved_attnums(rel, info,
											  (Node *) list_make3(used, *remote_exprs,
																  *local_exprs)));
}

ForeignScan *
symbl_conversation_plan(PlannerInfo *root, RelOptInfo *foreignrel,
						Oid foreigntableid, ForeignPath *best_path,
						List *tlist, List *scan_clauses, Plan *outer_plan)
{
	List	   *fdw_exprs = NIL;
	List	   *fdw_private;

	if (IS_UPPER_REL(foreignrel))
	{
		/* LIMIT/OFFSET pushed: every qual of the base relation is exact */
		RelOptInfo *baserel = single_base_rel(root);
		SymblRelInfo *info = baserel->fdw_private;
		List	   *scan_tlist = NIL;
		ListCell   *lc;
		List	   *limit = best_path->fdw_private;
		List	   *remote_exprs = extract_actual_clauses(info->pushdown.remote_quals, false);

		fdw_private = make_fdw_private(&info->pushdown, &fdw_exprs, baserel,
									   info, best_path->path.pathkeys,
									   linitial(limit), lsecond(limit), -1,
									   retrieved_attnums(baserel, info,
														 (Node *) list_make2(tlist, remote_exprs)));
		foreach(lc, info->columns)
		{
			SymblColumn *col = lfirst(lc);

			scan_tlist = lappend(scan_tlist,
								 makeTargetEntry((Expr *) makeVar(baserel->relid, col->attnum,
																  col->typid, col->typmod,
																  get_typcollation(col->typid), 0),
												 list_length(scan_tlist) + 1, NULL, false));
		}
		return make_foreignscan(tlist, NIL, 0, fdw_exprs, fdw_private,
								scan_tlist, remote_exprs, outer_plan);
	}
	else if (symbl_is_by_id_path(best_path))
		return symbl_by_id_plan(foreignrel,
								((SymblRelInfo *) foreignrel->fdw_private)->columns,
								tlist, scan_clauses, outer_plan,
								symbl_feeds_writes(root));
	else
	{
		SymblRelInfo *info = foreignrel->fdw_private;
		SymblPushdown pushdown;
		List	   *local_exprs;
		List	   *remote_exprs;

		/* scan_clauses include the join clauses of a parameterized path */
		classify_quals(root, foreignrel, info, scan_clauses, &pushdown);
		local_exprs = extract_actual_clauses(pushdown.local_quals, false);
		remote_exprs = extract_actual_clauses(pushdown.remote_quals, false);
		fdw_private = make_fdw_private(&pushdown, &fdw_exprs, foreignrel,
									   info, best_path->path.pathkeys, NULL, NULL,
									   plan_row_goal(root, foreignrel, &best_path->path,
												 &pushdown),
									   retrieved_attnums(foreignrel, info,
														 (Node *) list_make3(foreignrel->reltarget->exprs,
																			 local_exprs,
																			 remote_exprs)));
		fdw_private = lappend(fdw_private, makeBoolean(symbl_feeds_writes(root)));

		/*
		 * The quals the API applies go into fdw_recheck_quals: should a
		 * request grow too long to send them, the scan checks them itself.
		 */
		return make_foreignscan(tlist, local_exprs, foreignrel->relid, fdw_exprs,
								fdw_private, NIL, remote_exprs, outer_plan);
	}
}

/* A LIMIT or OFFSET value the scan can compute when it starts */
static bool
is_per_scan_value(Expr *expr)
{
	return expr == NULL ||
		(bms_is_empty(pull_varnos(NULL, (Node *) expr)) &&
		 !contain_volatile_functions((Node *) expr) &&
		 !contain_subplans((Node *) expr));
}

/*
 * A scan above which nothing else runs produces the query's target from its
 * own columns: whole-row references and system columns are not among them.
 */
static bool
target_needs_more_than_columns(PlannerInfo *root, RelOptInfo *baserel)
{
	Bitmapset  *attrs = NULL;
	int			attno = -1;

	pull_varattnos((Node *) root->upper_targets[UPPERREL_FINAL]->exprs,
				   baserel->relid, &attrs);
	while ((attno = bms_next_member(attrs, attno)) >= 0)
		if (attno + FirstLowInvalidHeapAttributeNumber <= 0)
			return true;
	return false;
}

/*
 * LIMIT and OFFSET become the API's limit and offset, but only when the API
 * applies every qual exactly and produces the whole ORDER BY: otherwise the
 * API would count rows that PostgreSQL then throws away.
 */
static void
add_final_path(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *final_rel,
			   FinalPathExtraData *extra)
{
	Query	   *parse = root->parse;
	RelOptInfo *baserel = single_base_rel(root);
	SymblRelInfo *info;
	List	   *pathkeys = NIL;
	double		rows;
	Cost		startup;
	Cost		total;
	char	   *sort;
	bool		descending;

	/* the scan must be the whole query below the LIMIT */
	if (parse->commandType != CMD_SELECT || parse->rowMarks ||
		parse->hasTargetSRFs || parse->hasAggs || parse->hasWindowFuncs ||
		parse->groupClause != NIL || parse->groupingSets != NIL ||
		parse->havingQual != NULL || parse->distinctClause != NIL ||
		parse->setOperations != NULL || !extra->limit_needed ||
		parse->limitOption == LIMIT_OPTION_WITH_TIES ||
		baserel == NULL || !symbl_is_our_rel(baserel))
		return;
	info = baserel->fdw_private;
	if (info->pushdown.local_quals != NIL)
		return;
	if (!is_per_scan_value((Expr *) parse->limitCount) ||
		!is_per_scan_value((Expr *) parse->limitOffset) ||
		target_needs_more_than_columns(root, baserel))
		return;

	if (input_rel == baserel)
	{
		if (root->sort_pathkeys != NIL)
			return;
	}
	else if (input_rel->reloptkind == RELOPT_UPPER_REL &&
			 root->upper_rels[UPPERREL_ORDERED] != NIL &&
			 input_rel == fetch_upper_rel(root, UPPERREL_ORDERED, NULL))
	{
		if (symbl_sortable_prefix(baserel, info->columns, root->sort_pathkeys,
								  &sort, &descending, NULL) != list_length(root->sort_pathkeys))
			return;
		pathkeys = root->sort_pathkeys;
	}
	else
		return;

	rows = extra->count_est > 0 ? Min(extra->count_est, baserel->rows) : baserel->rows;
	estimate_costs(root, baserel, info, rows, rows, &startup, &total);
	add_path(final_rel, (Path *)
			 symbl_create_foreign_upper_path(root, final_rel,
									   root->upper_targets[UPPERREL_FINAL],
									   rows, startup, total, pathkeys, NULL,
									   list_make2(parse->limitCount,
												  parse->limitOffset)));
}

void
symbl_get_foreign_upper_paths(PlannerInfo *root, UpperRelationKind stage,
							  RelOptInfo *input_rel, RelOptInfo *output_rel,
							  void *extra)
{
	if (stage == UPPERREL_FINAL && output_rel->fdw_private == NULL)
	{
		output_rel->fdw_private = (void *) 1;	/* once per query level */
		add_final_path(root, input_rel, output_rel, (FinalPathExtraData *) extra);
	}
}


/*
 * A plain scan of one of our tables.  The parent of an inheritance tree is
 * a base relation with our routines too, but the planner never calls
 * GetForeignRelSize for it (it plans the Append of its members), so it has
 * no fdw_private; nor has a relation the planner proved empty (18).
 */
static bool
symbl_is_our_rel(RelOptInfo *rel)
{
	return rel->reloptkind == RELOPT_BASEREL && rel->fdwroutine != NULL &&
		rel->fdwroutine->GetForeignUpperPaths == symbl_get_foreign_upper_paths &&
		rel->fdw_private != NULL &&
		*(SymblPlanKind *) rel->fdw_private == SYMBL_PLAN_CONVERSATIONS;
}
