/*-------------------------------------------------------------------------
 *
 * symbl_fdw.c
 *		  Foreign-data wrapper callbacks for Symbl.ai conversations.
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

#include "symbl_fdw.h"
#include "list_rows.h"
#include "part_scan.h"
#include "compat.h"

PG_MODULE_MAGIC;

extern PGDLLEXPORT void _PG_init(void);

void
_PG_init(void)
{
	symbl_install_write_hooks();
}

PG_FUNCTION_INFO_V1(symbl_fdw_handler);

#define REQUEST_COST SYMBL_REQUEST_COST
#define ROW_COST SYMBL_ROW_COST

/* Indexes into a ForeignScan's fdw_private */
enum FdwPrivateIndex
{
	FdwPrivateKind,				/* Integer: SYMBL_PLAN_CONVERSATIONS */
	FdwPrivateConds,			/* serialized SymblConds */
	FdwPrivateSort,				/* String: the sort parameter */
	FdwPrivateDescending,		/* Boolean */
	FdwPrivateSortAttnums,		/* Integer list: pushed sort columns */
	FdwPrivateLimitIndex,		/* Integer: fdw_exprs index or -1 */
	FdwPrivateOffsetIndex,		/* Integer: fdw_exprs index or -1 */
	FdwPrivateRetrieved,		/* Integer list: attnums to convert */
	FdwPrivateKeyAttnum,		/* Integer: the timestamptz start_time column
								 * rows are paged by, 0: the scan adds one */
	FdwPrivateRowGoal,			/* Integer: rows wanted above, -1 unknown */
	FdwPrivateReadAllFirst		/* Boolean: feeds an UPDATE or DELETE (a
								 * plain scan's only) */
};

/* What planning learns about the foreign relation, in baserel->fdw_private */
typedef struct SymblRelInfo
{
	SymblPlanKind kind;			/* SYMBL_PLAN_CONVERSATIONS */
	SymblServerOptions *opts;
	char	   *raw_filter;		/* table option filter, or NULL */
	List	   *columns;		/* SymblColumn */
	SymblPushdown pushdown;		/* of baserestrictinfo */
} SymblRelInfo;

struct SymblScanState
{
	SymblPlanKind kind;			/* SYMBL_PLAN_CONVERSATIONS */
	SymblConnection *conn;
	char	   *table_name;		/* qualified, for EXPLAIN */
	char	   *raw_filter;		/* table option filter, or NULL */
	List	   *conds;			/* SymblCond */
	List	   *value_states;	/* ExprState per fdw_exprs entry */
	int			limit_index;
	int			offset_index;
	int			row_goal;		/* rows the plan above wants, -1 unknown */
	List	   *sort_attnums;
	SymblRequest request;
	bool		request_built;	/* values known (not EXPLAIN placeholders) */
	ExprState  *remote_quals;	/* what the API applies, for the fallback */
	bool		check_locally;	/* the filter was not sent: check here */
	bool		dropped_selectors;	/* undocumented selectors left out: the
									 * server refused them */
	bool		selectors_retried;	/* this scan resent its first request
									 * without them */
	bool		no_rows;		/* the quals exclude every conversation */
	SymblPagerConfig paging;	/* from the request's LIMIT, OFFSET, goal */
	AttrNumber	key_attnum;		/* the startTime column paged by */

	SymblColumn *columns;
	int			ncolumns;
	int			natts;			/* of the foreign table */
	AttrNumber *slot_attnums;	/* per scan-slot column, its table attnum */
	int			slot_natts;

	MemoryContext request_cxt;	/* the request; rebuilt per rescan */
	MemoryContext calls_cxt;	/* parent of the requests in flight */

	/* requests in flight, in the pager's ring slots */
	SymblPager	pager;
	SymblListCall *calls[SYMBL_PAGER_MAX_PENDING];
	SymblPageParse *parses[SYMBL_PAGER_MAX_PENDING];	/* once arrived */

	SymblListRows rows;			/* the pages' rows to return */
	int			rows_taken;
	int			pages_fetched;
	bool		exhausted;

	SymblScanStats stats;

	/*
	 * A scan that feeds an UPDATE or DELETE reads every row before the
	 * first one is returned (and so before the first write), and a rescan
	 * replays them: the statement's own writes would shift offset paging.
	 */
	bool		read_all_first;
	Tuplestorestate *remembered;
	TupleTableSlot *remembered_slot;
};

static bool symbl_is_our_rel(RelOptInfo *rel);

/*
 * Whether the expression takes a value from an outer query level (a
 * correlated subquery's parameter, set anew for each outer row).  An
 * initplan's result at this level, computed once, is no such value.  While
 * the level is planned, the levels above list what it asks of them
 * (plan_params); when its plan is made, those lists have been moved into
 * the subplan, and outer_params has them (with the outer levels'
 * initplans, which are then kept local too).
 */
static bool
contains_outer_row_param(Node *node, void *context);

bool
symbl_contains_outer_row_param(PlannerInfo *root, Node *node)
{
	return contains_outer_row_param(node, root);
}

static bool
contains_outer_row_param(Node *node, void *context)
{
	PlannerInfo *root = context;

	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
	{
		PlannerInfo *level;
		ListCell   *lc;

		if (bms_is_member(((Param *) node)->paramid, root->outer_params))
			return true;
		for (level = root->parent_root; level != NULL; level = level->parent_root)
		{
			foreach(lc, level->plan_params)
			{
				if (((PlannerParamItem *) lfirst(lc))->paramId == ((Param *) node)->paramid)
					return true;
			}
		}
		return false;
	}
	return expression_tree_walker(node, contains_outer_row_param, context);
}

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

		if (contains_outer_row_param((Node *) rinfo->clause, root))
			varying = lappend(varying, rinfo);
		else
			fixed = lappend(fixed, rinfo);
	}
	symbl_classify_quals(rel, info->columns, info->raw_filter, info->opts,
						 true, fixed, out);
	out->local_quals = list_concat(out->local_quals, varying);
}

static void
symbl_get_foreign_rel_size(PlannerInfo *root, RelOptInfo *baserel,
						   Oid foreigntableid)
{
	const SymblResource *resource = symbl_table_resource(foreigntableid);
	Relation	rel;
	SymblRelInfo *info;

	if (!symbl_resource_is_list(resource))
	{
		symbl_part_rel_size(root, baserel, foreigntableid, resource);
		return;
	}
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
	if (baserel->tuples < 0)
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
/*
 * The join clauses a parameterized scan of the relation could take: its
 * own, and those equivalence classes imply for the members `usable` likes.
 */
List *
symbl_join_clauses(PlannerInfo *root, RelOptInfo *baserel,
				   ec_matches_callback_type usable, void *arg)
{
	List	   *clauses = list_copy(baserel->joininfo);

	if (baserel->has_eclass_joins)
		clauses = list_concat(clauses,
							  generate_implied_equalities_for_column(root, baserel,
																	 usable, arg,
																	 baserel->lateral_referencers));
	return clauses;
}

/*
 * The other relations a scan with this join clause needs rows of first;
 * NULL when it needs none (the clause is then no join clause here).
 */
Relids
symbl_required_outer(RestrictInfo *rinfo, RelOptInfo *baserel)
{
	Relids		required_outer;

	if (!join_clause_is_movable_to(rinfo, baserel))
		return NULL;
	required_outer = bms_union(rinfo->clause_relids, baserel->lateral_relids);
	required_outer = bms_del_members(required_outer, baserel->relids);
	return bms_is_empty(required_outer) ? NULL : required_outer;
}

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

static void
symbl_get_foreign_paths(PlannerInfo *root, RelOptInfo *baserel,
						Oid foreigntableid)
{
	SymblRelInfo *info = baserel->fdw_private;
	double		fetched;
	Cost		startup;
	Cost		total;
	char	   *sort;
	bool		descending;
	int			nsorted;

	if (info->kind == SYMBL_PLAN_PART)
	{
		symbl_part_paths(root, baserel);
		return;
	}

	/*
	 * Ids the query gives are read with GET /v1/conversations/{id}, which is
	 * documented and exact.  The list cannot be sent an id, so it would read
	 * the whole account, whatever its estimate says: it is not offered.
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
	(void) symbl_by_id_paths(root, baserel, info->columns, info->opts,
							 symbl_feeds_writes(root));
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

/*
 * The attnums of the columns the plan reads (make_fdw_private adds the
 * ones paging needs): converting a jsonb column nobody reads, or asking the
 * API for words nobody reads, would be wasted work.
 */
List *
symbl_retrieved_attnums(Index relid, List *columns, Node *used)
{
	Bitmapset  *attrs = NULL;
	List	   *result = NIL;
	ListCell   *lc;
	bool		whole_row;

	pull_varattnos(used, relid, &attrs);
	whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	foreach(lc, columns)
	{
		SymblColumn *col = lfirst(lc);

		if (whole_row ||
			bms_is_member(col->attnum - FirstLowInvalidHeapAttributeNumber, attrs))
			result = lappend_int(result, col->attnum);
	}
	return result;
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

static ForeignScan *
symbl_get_foreign_plan(PlannerInfo *root, RelOptInfo *foreignrel,
					   Oid foreigntableid, ForeignPath *best_path,
					   List *tlist, List *scan_clauses, Plan *outer_plan)
{
	List	   *fdw_exprs = NIL;
	List	   *fdw_private;

	if (IS_JOIN_REL(foreignrel))
		return symbl_join_plan(root, foreignrel, best_path, tlist, outer_plan);
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
	else if (*(SymblPlanKind *) foreignrel->fdw_private == SYMBL_PLAN_PART)
		return symbl_part_plan(root, foreignrel, foreigntableid, best_path,
							   tlist, scan_clauses, outer_plan);
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

static void
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

Oid
symbl_scan_user(ForeignScanState *node, Index rtindex)
{
	Oid			user = symbl_scan_check_as_user(node, rtindex);

	return OidIsValid(user) ? user : GetUserId();
}

static bool
contains_exec_param_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, contains_exec_param_walker, context);
}

static int64
limit_value(ForeignScanState *node, SymblScanState *state, int index,
			int64 if_null, const char *clause)
{
	ExprState  *es = list_nth(state->value_states, index);
	bool		isnull;
	Datum		value = ExecEvalExpr(es, node->ss.ps.ps_ExprContext, &isnull);
	int64		n;

	if (isnull)
		return if_null;
	n = DatumGetInt64(value);
	if (n < 0)
		ereport(ERROR,
				(errcode(strcmp(clause, "LIMIT") == 0 ?
						 ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE :
						 ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE),
				 errmsg("%s must not be negative", clause)));
	return n;
}

/*
 * What a request may not exceed: servers commonly refuse URLs over 8 kB
 * (414), and the API takes offsets up to 2^31 - 1.
 */
#define SYMBL_MAX_QUERY_LEN 6000
#define SYMBL_MAX_API_OFFSET INT64CONST(2147483647)

/*
 * When the values make the request too long to send (a long IN list from
 * a parameter, a huge literal), send only the time window and the table's
 * own filter, and check the pushed quals here instead; a pushed LIMIT and
 * OFFSET are then applied here too, since the API would count rows that
 * this scan rejects.  An OFFSET beyond what the API takes is likewise
 * skipped here.
 */
static void
check_request_fits(SymblScanState *state)
{
	SymblPagerConfig *paging = &state->paging;
	char	   *query;
	bool		too_long;

	state->check_locally = false;
	paging->local_skip = 0;
	paging->local_limit = -1;
	if (state->no_rows)
		return;

	query = symbl_request_query(&state->request, state->paging.page_size, 0);
	too_long = strlen(query) > SYMBL_MAX_QUERY_LEN;
	pfree(query);
	if (!too_long && !state->dropped_selectors &&
		paging->first_offset <= SYMBL_MAX_API_OFFSET)
		return;

	if (too_long)
		state->request.filter = state->raw_filter ?
			symbl_wire_text(state->raw_filter) : NULL;
	/* a verified selector left out no longer narrows: check it here too */
	if (too_long || state->dropped_selectors)
		state->check_locally = true;
	paging->local_skip = paging->first_offset;
	paging->local_limit = paging->max_rows;
	paging->first_offset = 0;
	paging->max_rows = -1;
}

/* Whether a condition goes into the filter on a selector Symbl never documented */
static bool
is_undocumented_filter_cond(const SymblCond *cond)
{
	return cond->target == SYMBL_TARGET_FILTER &&
		!symbl_selector_is_documented(cond->selector);
}

/*
 * The conditions to send: all of them, unless this server refused a
 * selector Symbl never documented; those conditions are then left out
 * (they were a superset PostgreSQL rechecks, or are checked here).
 */
static List *
conds_to_send(SymblScanState *state)
{
	List	   *kept = NIL;
	ListCell   *lc;

	state->dropped_selectors = false;
	if (!symbl_server_rejects_selectors(state->conn->serverid))
		return state->conds;
	foreach(lc, state->conds)
	{
		SymblCond  *cond = lfirst(lc);

		if (is_undocumented_filter_cond(cond))
			state->dropped_selectors = true;
		else
			kept = lappend(kept, cond);
	}
	return kept;
}

/* Whether the request now built sends an undocumented selector */
static bool
sends_undocumented_selector(SymblScanState *state)
{
	ListCell   *lc;

	if (symbl_server_rejects_selectors(state->conn->serverid))
		return false;
	foreach(lc, state->conds)
		if (is_undocumented_filter_cond(lfirst(lc)))
			return true;
	return false;
}

/*
 * Evaluate the values of the pushed conditions (constants, now(), $1, the
 * current outer row) and build the request from them.
 */
static void
build_request(ForeignScanState *node, SymblScanState *state)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	int			n = list_length(state->value_states);
	Datum	   *values;
	bool	   *nulls;
	ListCell   *lc;
	int			i = 0;
	char	   *sort = state->request.sort;
	bool		descending = state->request.descending;
	SymblPagerConfig *paging = &state->paging;
	MemoryContext oldcxt;

	MemoryContextReset(state->request_cxt);
	oldcxt = MemoryContextSwitchTo(state->request_cxt);
	values = palloc0(sizeof(Datum) * (n + 1));
	nulls = palloc0(sizeof(bool) * (n + 1));
	foreach(lc, state->value_states)
	{
		values[i] = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &nulls[i]);
		i++;
	}

	state->no_rows = !symbl_build_request(&state->request, conds_to_send(state),
										  state->raw_filter, values, nulls);
	state->request.sort = sort;
	state->request.descending = descending;

	memset(paging, 0, sizeof(*paging));
	paging->page_size = state->conn->opts.page_size;
	paging->concurrency = Min(state->conn->opts.max_concurrent_requests,
							  SYMBL_PAGER_MAX_PENDING);
	paging->keyset = !descending;
	paging->descending = descending;
	paging->row_goal = state->row_goal;
	paging->first_offset = state->offset_index >= 0 ?
		limit_value(node, state, state->offset_index, 0, "OFFSET") : 0;
	paging->max_rows = state->limit_index >= 0 ?
		limit_value(node, state, state->limit_index, -1, "LIMIT") : -1;
	if (paging->max_rows == 0)
		state->no_rows = true;
	state->request_built = true;
	check_request_fits(state);
	symbl_pager_init(&state->pager, paging);
	MemoryContextSwitchTo(oldcxt);
}

static void
init_scan_columns(SymblScanState *state, Relation rel, List *retrieved,
				  AttrNumber *slot_attnums, int slot_natts)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	List	   *columns = symbl_table_columns(RelationGetRelid(rel), tupdesc);
	ListCell   *lc;
	int			i = 0;

	state->columns = palloc(sizeof(SymblColumn) * (list_length(columns) + 1));
	foreach(lc, columns)
	{
		SymblColumn *col = lfirst(lc);

		if (list_member_int(retrieved, col->attnum))
			state->columns[i++] = *col;
	}
	state->ncolumns = i;
	state->natts = tupdesc->natts;
	symbl_list_key_column(state->columns, &state->ncolumns, &state->natts,
						  &state->key_attnum);
	state->slot_attnums = slot_attnums;
	state->slot_natts = slot_natts;
}

/*
 * Per column of the scan slot, the table attnum it shows (0: none, a
 * column of the other side of a join): the table's own columns for a scan
 * of the table, else the Vars of fdw_scan_tlist (a pushed LIMIT).
 */
static AttrNumber *
scan_slot_attnums(ForeignScan *fsplan, TupleDesc slot_desc)
{
	AttrNumber *attnums = palloc0(sizeof(AttrNumber) * Max(slot_desc->natts, 1));
	ListCell   *lc;
	int			i = 0;

	if (fsplan->scan.scanrelid > 0)
		for (i = 0; i < slot_desc->natts; i++)
			attnums[i] = i + 1;
	else
		foreach(lc, fsplan->fdw_scan_tlist)
			attnums[i++] = ((Var *) ((TargetEntry *) lfirst(lc))->expr)->varattno;
	return attnums;
}

/*
 * Start a scan of conversations for a plan node: the table's own scan, a
 * pushed LIMIT, or the conversations side of a join.  priv: the
 * conversations' fdw_private; the first nvalues of fdw_exprs are its
 * values, fdw_recheck_quals what the API applies.  The rows go into the
 * node's scan slot, column i from table attnum slot_attnums[i].
 */
SymblScanState *
symbl_conversation_scan_begin(ForeignScanState *node, List *priv, int nvalues,
							  Relation rel, Oid userid, int eflags,
							  AttrNumber *slot_attnums, int slot_natts)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	SymblScanState *state = palloc0(sizeof(SymblScanState));

	state->kind = SYMBL_PLAN_CONVERSATIONS;
	state->conds = symbl_deserialize_conds(list_nth(priv, FdwPrivateConds));
	state->request.sort = strVal(list_nth(priv, FdwPrivateSort));
	state->request.descending = boolVal(list_nth(priv, FdwPrivateDescending));
	state->sort_attnums = list_nth(priv, FdwPrivateSortAttnums);
	state->limit_index = intVal(list_nth(priv, FdwPrivateLimitIndex));
	state->offset_index = intVal(list_nth(priv, FdwPrivateOffsetIndex));
	state->key_attnum = intVal(list_nth(priv, FdwPrivateKeyAttnum));
	state->row_goal = intVal(list_nth(priv, FdwPrivateRowGoal));
	state->read_all_first = list_length(priv) > FdwPrivateReadAllFirst &&
		boolVal(list_nth(priv, FdwPrivateReadAllFirst)) &&
		!contains_exec_param_walker((Node *) fsplan->fdw_exprs, NULL);
	state->value_states = ExecInitExprList(list_copy_head(fsplan->fdw_exprs, nvalues),
										   (PlanState *) node);
	state->remote_quals = ExecInitQual(fsplan->fdw_recheck_quals, (PlanState *) node);
	/* like postgres_fdw, EXPLAIN alone needs no user mapping */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
	{
		state->conn = palloc0(sizeof(SymblConnection));
		state->conn->opts = *symbl_server_options(GetForeignTable(RelationGetRelid(rel))->serverid);
	}
	else
		state->conn = symbl_get_connection(RelationGetRelid(rel), userid);
	state->paging.page_size = state->conn->opts.page_size;
	state->raw_filter = symbl_table_filter(RelationGetRelid(rel));
	state->table_name = symbl_qualified_name(rel);
	state->request_cxt = AllocSetContextCreate(estate->es_query_cxt,
											   "symbl_fdw request",
											   ALLOCSET_SMALL_SIZES);
	symbl_list_rows_init(&state->rows, estate->es_query_cxt);
	state->calls_cxt = AllocSetContextCreate(estate->es_query_cxt,
											 "symbl_fdw requests",
											 ALLOCSET_SMALL_SIZES);
	init_scan_columns(state, rel, list_nth(priv, FdwPrivateRetrieved),
					  slot_attnums, slot_natts);

	/*
	 * Values of outer-row parameters are not known before the first row is
	 * asked for; the request is built then.  EXPLAIN shows what it can know
	 * now, and $n for the rest.
	 */
	if (contains_exec_param_walker((Node *) list_copy_head(fsplan->fdw_exprs, nvalues), NULL))
		symbl_describe_request(&state->request, state->conds, state->raw_filter);
	else
		build_request(node, state);
	return state;
}

static void
symbl_begin_foreign_scan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	List	   *priv = fsplan->fdw_private;
	Index		rtindex;
	TupleDesc	slot_desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;

	switch ((SymblPlanKind) intVal(linitial(priv)))
	{
		case SYMBL_PLAN_PART:
			symbl_part_begin(node, eflags);
			return;
		case SYMBL_PLAN_JOIN:
			symbl_join_begin(node, eflags);
			return;
		case SYMBL_PLAN_CONVERSATIONS:
			break;
	}
	/* setrefs has renumbered these; a LIMIT scan has no scanrelid */
	rtindex = fsplan->scan.scanrelid > 0 ? fsplan->scan.scanrelid :
		(Index) bms_next_member(fsplan->fs_relids, -1);
	node->fdw_state =
		symbl_conversation_scan_begin(node, priv, list_length(fsplan->fdw_exprs),
									  symbl_scan_relation(estate, rtindex),
									  symbl_scan_user(node, rtindex), eflags,
									  scan_slot_attnums(fsplan, slot_desc),
									  slot_desc->natts);
}

/*
 * The API was asked to sort by these columns; a conversation without one of
 * them has no place PostgreSQL would agree on (nothing says where the API
 * puts it), so the order cannot be trusted.  Only start_time, which every
 * conversation has in practice, is ever sent as a sort key.
 */
static void
check_sort_fields_present(SymblScanState *state, const SymblPage *page,
						  const char *where)
{
	ListCell   *lc;
	int			row;

	foreach(lc, state->sort_attnums)
	{
		int			att = lfirst_int(lc) - 1;

		for (row = 0; row < page->nrows; row++)
			if (page->nulls[(size_t) row * state->natts + att])
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("Symbl API returned a conversation without the field it was asked to sort by"),
						 errdetail("Conversation %d in %s has no value for column %d.",
								   row + 1, where, att + 1),
						 errhint("Sort in PostgreSQL instead, for example ORDER BY start_time + interval '0'.")));
	}
}

/* Send the next request the pager wants, if any; true if one went out */
static bool
launch_page(SymblScanState *state, bool needed_now)
{
	int			slot = (state->pager.pending_head + state->pager.pending_count) %
		SYMBL_PAGER_MAX_PENDING;
	SymblPageAsk ask;
	char	   *query;

	if (!symbl_pager_next_ask(&state->pager, needed_now, &ask))
		return false;
	query = symbl_page_query(&state->request, &ask);
	state->calls[slot] = symbl_api_list_start(state->conn, query, state->calls_cxt);
	state->parses[slot] = NULL;
	pfree(query);
	return true;
}

/*
 * Keep requests in flight ahead of the page being read, as many as the
 * pager wants, so that later pages' round trips overlap with the transfer
 * and conversion of this one.
 */
static void
top_up_pending(SymblScanState *state)
{
	bool		launched = false;

	while (launch_page(state, false))
		launched = true;
	if (launched)
		symbl_api_progress();
}

static void
cancel_pending(SymblScanState *state)
{
	SymblPager *pager = &state->pager;
	int			i;

	for (i = 0; i < pager->pending_count; i++)
	{
		int			slot = (pager->pending_head + i) % SYMBL_PAGER_MAX_PENDING;

		/* sent, though unread (a page parsed ahead was counted then) */
		if (state->parses[slot] == NULL)
			state->stats.requests++;
		symbl_api_list_release(state->calls[slot]);
	}
	symbl_pager_cancel(pager);
}

/* Wait for a page's answer and start parsing it on the JSON worker */
static bool
start_parse(SymblScanState *state, int slot)
{
	SymblListCall *call = state->calls[slot];
	MemoryContext oldcxt = MemoryContextSwitchTo(symbl_api_list_memory(call));
	const char *body;
	size_t		len;
	bool		rejected = false;

	/*
	 * Before its first row, a scan whose filter holds a selector Symbl
	 * never documented can do without it: a 400 naming the filter is then
	 * no error but a reason to ask again.
	 */
	body = symbl_api_list_finish_checked(call, &len, &state->stats, NULL,
										 state->pages_fetched == 0 &&
										 !state->selectors_retried &&
										 sends_undocumented_selector(state) ?
										 &rejected : NULL);
	if (!rejected)
		state->parses[slot] = symbl_page_parse_start(body, len,
													 state->conn->opts.parse_thread);
	MemoryContextSwitchTo(oldcxt);
	return !rejected;
}

/*
 * The API refused the first request's filter: remember that for the
 * server, drop what is in flight, and ask again without the undocumented
 * selectors.
 */
static void
resend_without_undocumented(ForeignScanState *node, SymblScanState *state)
{
	symbl_remember_rejected_selectors(state->conn->serverid);
	/* (the refused request was counted when its answer came) */
	state->stats.requests--;
	cancel_pending(state);
	state->selectors_retried = true;
	build_request(node, state);
}

/*
 * If the page after this slot's has already arrived, have the worker parse
 * it while this one is converted.  Only an answer that is there and a 200:
 * anything else (waiting, retrying, an error) is left for when the scan
 * gets to it.
 * Without the worker, parsing ahead would only do the work sooner (or for
 * a page a LIMIT never reads).
 */
static void
parse_ahead(SymblScanState *state, int slot)
{
	int			next = (slot + 1) % SYMBL_PAGER_MAX_PENDING;

	if (!state->conn->opts.parse_thread || state->pager.pending_count < 2 ||
		state->parses[next] != NULL)
		return;
	symbl_api_progress();		/* read what has come in meanwhile */
	if (state->pages_fetched > 0 && symbl_api_list_arrived(state->calls[next]))
		(void) start_parse(state, next);
}

/*
 * Take the oldest requested page, and line up the rows to return of it
 * (and of the page before, and of a tie group read again): see
 * list_rows.h.  A page shorter than what was asked for is the last.
 */
static void
fetch_next_page(ForeignScanState *node, SymblScanState *state)
{
	MemoryContext page_cxt;
	MemoryContext oldcxt;
	SymblPage  *page;
	SymblListSource source;
	int			slot;
	char	   *where;

	page = symbl_list_rows_new_page(&state->rows, &page_cxt);
	if (!launch_page(state, true) && state->pager.pending_count == 0)
	{
		state->exhausted = true;
		return;
	}
	slot = state->pager.pending_head;

	oldcxt = MemoryContextSwitchTo(page_cxt);
	where = psprintf("page %d (%s)", state->pages_fetched + 1,
					 symbl_api_list_what(state->calls[slot]));
	if (state->parses[slot] == NULL && !start_parse(state, slot))
	{
		MemoryContextSwitchTo(oldcxt);
		resend_without_undocumented(node, state);
		return;
	}
	parse_ahead(state, slot);
	symbl_page_convert(state->parses[slot], state->columns, state->ncolumns,
					   state->natts, where, page);
	symbl_api_list_release(state->calls[slot]);
	state->stats.rows_received += page->nrows;
	source.conn = state->conn;
	source.request = &state->request;
	source.columns = state->columns;
	source.ncolumns = state->ncolumns;
	source.natts = state->natts;
	source.key_attnum = state->key_attnum;
	source.stats = &state->stats;
	symbl_list_rows_page_done(&state->rows, &state->pager, &source, where);
	MemoryContextSwitchTo(oldcxt);

	check_sort_fields_present(state, page, where);
	state->pages_fetched++;
	/* past the end (or an anchored scan's end): what is in flight is empty */
	if (state->pager.drop_pending)
		cancel_pending(state);
	if (symbl_pager_finished(&state->pager))
		state->exhausted = true;
	else
		top_up_pending(state);
}

/*
 * Under an UPDATE or DELETE: the first call reads every row (each page
 * while the API still holds what it held when the statement started), the
 * next ones hand them out.  The rows are kept in a tuplestore (memory up
 * to work_mem, then a temporary file).
 */
static TupleTableSlot *
next_remembered_row(ForeignScanState *node, SymblScanState *state,
					TupleTableSlot *slot)
{
	if (state->remembered == NULL)
	{
		EState	   *estate = node->ss.ps.state;
		MemoryContext oldcxt = MemoryContextSwitchTo(estate->es_query_cxt);

		state->remembered = tuplestore_begin_heap(false, false, work_mem);
		state->remembered_slot =
			MakeSingleTupleTableSlot(slot->tts_tupleDescriptor,
									 &TTSOpsMinimalTuple);
		MemoryContextSwitchTo(oldcxt);
		state->read_all_first = false;
		for (;;)
		{
			TupleTableSlot *row = symbl_conversation_scan_next(node, state, slot);

			if (TupIsNull(row))
				break;
			tuplestore_puttupleslot(state->remembered, row);
		}
		state->read_all_first = true;
	}
	if (!tuplestore_gettupleslot(state->remembered, true, false,
								 state->remembered_slot))
		return ExecClearTuple(slot);
	return ExecCopySlot(slot, state->remembered_slot);
}

/*
 * The next conversation into `slot` (the node's scan slot), or an empty
 * slot at the end.
 */
TupleTableSlot *
symbl_conversation_scan_next(ForeignScanState *node, SymblScanState *state,
							 TupleTableSlot *slot)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	if (state->read_all_first)
		return next_remembered_row(node, state, slot);
	ExecClearTuple(slot);
	if (!state->request_built)
		build_request(node, state);
	if (state->no_rows || state->pager.return_left == 0)
		return slot;

	for (;;)
	{
		Datum	   *values;
		bool	   *nulls;
		int			i;

		while (!symbl_list_rows_next(&state->rows, &values, &nulls))
		{
			if (state->exhausted)
				return slot;
			fetch_next_page(node, state);
		}

		for (i = 0; i < state->slot_natts; i++)
		{
			int			att = state->slot_attnums[i] - 1;

			if (att < 0)
			{
				slot->tts_values[i] = (Datum) 0;
				slot->tts_isnull[i] = true;
				continue;
			}
			slot->tts_values[i] = values[att];
			slot->tts_isnull[i] = nulls[att];
		}
		state->rows_taken++;
		/* now and then, let the requests ahead make progress */
		if (state->pager.pending_count > 0 && (state->rows_taken & 63) == 0)
			symbl_api_progress();
		ExecStoreVirtualTuple(slot);

		if (state->check_locally)
		{
			econtext->ecxt_scantuple = slot;
			if (!ExecQual(state->remote_quals, econtext))
			{
				ExecClearTuple(slot);
				continue;
			}
		}
		switch (symbl_pager_take_row(&state->pager))
		{
			case SYMBL_ROW_SKIP:
				ExecClearTuple(slot);
				continue;
			case SYMBL_ROW_RETURN_LAST:
				/* the last row the local LIMIT wants: stop fetching */
				state->exhausted = true;
				symbl_list_rows_stop(&state->rows);
				cancel_pending(state);
				return slot;
			case SYMBL_ROW_RETURN:
				return slot;
		}
	}
}

static TupleTableSlot *
symbl_iterate_foreign_scan(ForeignScanState *node)
{
	SymblScanState *state = node->fdw_state;

	switch (state->kind)
	{
		case SYMBL_PLAN_PART:
			return symbl_part_iterate(node);
		case SYMBL_PLAN_JOIN:
			return symbl_join_iterate(node);
		case SYMBL_PLAN_CONVERSATIONS:
			break;
	}
	return symbl_conversation_scan_next(node, state, node->ss.ss_ScanTupleSlot);
}

void
symbl_conversation_scan_rescan(SymblScanState *state)
{
	/* the rows read before the statement's first write, once more */
	if (state->remembered != NULL)
	{
		tuplestore_rescan(state->remembered);
		return;
	}

	/*
	 * Build the request anew: outer-row parameters may have changed, and a
	 * local LIMIT/OFFSET (see check_request_fits) starts counting again.
	 */
	state->request_built = false;
	cancel_pending(state);
	MemoryContextReset(state->calls_cxt);
	symbl_list_rows_reset(&state->rows);
	state->pages_fetched = 0;
	state->exhausted = false;
}

static void
symbl_rescan_foreign_scan(ForeignScanState *node)
{
	SymblScanState *state = node->fdw_state;

	switch (state->kind)
	{
		case SYMBL_PLAN_PART:
			symbl_part_rescan(node);
			break;
		case SYMBL_PLAN_JOIN:
			symbl_join_rescan(node);
			break;
		case SYMBL_PLAN_CONVERSATIONS:
			symbl_conversation_scan_rescan(state);
			break;
	}
}

void
symbl_conversation_scan_end(SymblScanState *state)
{
	/* stop whatever is still in flight: the executor wants no more rows */
	if (state != NULL && state->rows.cxts[0] != NULL)
	{
		cancel_pending(state);
		symbl_list_rows_reset(&state->rows);
	}
	if (state != NULL && state->remembered != NULL)
	{
		tuplestore_end(state->remembered);
		ExecDropSingleTupleTableSlot(state->remembered_slot);
		state->remembered = NULL;
	}
}

static void
symbl_end_foreign_scan(ForeignScanState *node)
{
	SymblScanState *state = node->fdw_state;

	if (state == NULL)
		return;
	switch (state->kind)
	{
		case SYMBL_PLAN_PART:
			symbl_part_end(node);
			break;
		case SYMBL_PLAN_JOIN:
			symbl_join_end(node);
			break;
		case SYMBL_PLAN_CONVERSATIONS:
			symbl_conversation_scan_end(state);
			break;
	}
}

/* The scan's (first) request, for EXPLAIN */
static char *
scan_request_text(SymblScanState *state)
{
	int64		limit = state->paging.page_size;
	int64		offset = 0;

	if (state->request_built)
	{
		limit = symbl_pager_first_limit(&state->paging);
		offset = state->paging.first_offset;
	}
	/* (a request that cannot match has no startTime to print) */
	if (state->no_rows && state->request_built)
		return "none (no conversation can match)";
	return psprintf("GET %s?%s", SYMBL_API_PATH,
					symbl_request_query(&state->request, limit, offset));
}

void
symbl_conversation_scan_explain(SymblScanState *state, bool show_table,
								ExplainState *es)
{
	if (es->verbose && show_table)
		ExplainPropertyText("Symbl Table", state->table_name, es);
	if (es->verbose)
		ExplainPropertyText("Symbl Request", scan_request_text(state), es);
	if (es->analyze)
	{
		ExplainPropertyInteger("Symbl Requests", NULL, state->stats.requests, es);
		ExplainPropertyInteger("Symbl Retries", NULL, state->stats.retries, es);
		ExplainPropertyInteger("Symbl Rows Received", NULL, state->stats.rows_received, es);
		ExplainPropertyInteger("Symbl Bytes Received", NULL, state->stats.bytes_received, es);
		if (state->stats.tie_rereads > 0)
			ExplainPropertyInteger("Symbl Tie Groups Read Again", NULL,
								   state->stats.tie_rereads, es);
		if (state->selectors_retried)
			ExplainPropertyText("Symbl Filter Refused",
								"sent again without the selectors Symbl never documented", es);
	}
}

static void
symbl_explain_foreign_scan(ForeignScanState *node, ExplainState *es)
{
	SymblScanState *state = node->fdw_state;

	switch (state->kind)
	{
		case SYMBL_PLAN_PART:
			symbl_part_explain(node, es);
			break;
		case SYMBL_PLAN_JOIN:
			symbl_join_explain(node, es);
			break;
		case SYMBL_PLAN_CONVERSATIONS:
			symbl_conversation_scan_explain(state, ((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0,
											es);
			break;
	}
}

/*
 * Every resource becomes a table: its columns and types from the resource
 * table, a part table with its resource option.  LIMIT TO and EXCEPT are
 * applied by PostgreSQL to the statements' table names.
 */
static List *
symbl_import_foreign_schema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	List	   *commands = NIL;
	int			r;

	if (strcmp(stmt->remote_schema, "symbl") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("Symbl has no schema \"%s\"", stmt->remote_schema),
				 errhint("Import the remote schema \"symbl\", which holds the table \"conversations\" and the tables of a conversation's parts.")));

	for (r = 0; r < symbl_num_resources; r++)
	{
		const SymblResource *resource = &symbl_resources[r];
		int			ncolumns = symbl_resource_ncolumns(resource);
		StringInfoData buf;
		int			c;

		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (",
						 quote_identifier(resource->table));
		for (c = 0; c < ncolumns; c++)
			appendStringInfo(&buf, "%s%s %s", c > 0 ? ", " : "",
							 quote_identifier(resource->columns[c].name),
							 resource->columns[c].sql_type);
		appendStringInfo(&buf, ") SERVER %s", quote_identifier(server->servername));
		if (!symbl_resource_is_list(resource))
			appendStringInfo(&buf, " OPTIONS (resource %s)",
							 quote_literal_cstr(resource->table));
		commands = lappend(commands, buf.data);
	}
	return commands;
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
		rel->fdwroutine->GetForeignPlan == symbl_get_foreign_plan &&
		rel->fdw_private != NULL &&
		*(SymblPlanKind *) rel->fdw_private == SYMBL_PLAN_CONVERSATIONS;
}

/*
 * What a direct modification (modify.c) uses of the scan: it reads the
 * rows to write through the scan's own callbacks, on its own node.
 */
void
symbl_scan_begin(ForeignScanState *node, int eflags)
{
	symbl_begin_foreign_scan(node, eflags);
}

TupleTableSlot *
symbl_scan_next(ForeignScanState *node)
{
	return symbl_iterate_foreign_scan(node);
}

void
symbl_scan_end(ForeignScanState *node)
{
	symbl_end_foreign_scan(node);
}

char *
symbl_scan_request_text(ForeignScanState *node)
{
	if (*(SymblPlanKind *) node->fdw_state == SYMBL_PLAN_PART)
		return symbl_part_request_text(node);
	return scan_request_text(node->fdw_state);
}

SymblScanStats *
symbl_scan_stats(ForeignScanState *node)
{
	if (*(SymblPlanKind *) node->fdw_state == SYMBL_PLAN_PART)
		return symbl_part_scan_stats(node);
	return &((SymblScanState *) node->fdw_state)->stats;
}

/*
 * A plain conversations scan planned for a direct modification converts
 * only the columns it needs (and those paging needs) and reads as it goes:
 * the modification itself reads every row before its first write.  False
 * for any other scan (a part table's), which is left as it is.
 */
bool
symbl_scan_plan_columns(ForeignScan *fscan, List *attnums)
{
	List	   *priv = fscan->fdw_private;
	List	   *retrieved;
	int			key;

	if ((SymblPlanKind) intVal(list_nth(priv, FdwPrivateKind)) == SYMBL_PLAN_PART)
		return symbl_by_id_plan_columns(fscan, attnums);
	if ((SymblPlanKind) intVal(list_nth(priv, FdwPrivateKind)) != SYMBL_PLAN_CONVERSATIONS ||
		list_length(priv) <= FdwPrivateReadAllFirst)
		return false;
	retrieved = list_union_int(attnums, list_nth(priv, FdwPrivateSortAttnums));
	key = intVal(list_nth(priv, FdwPrivateKeyAttnum));
	if (key > 0)
		retrieved = list_append_unique_int(retrieved, key);
	list_nth_cell(priv, FdwPrivateRetrieved)->ptr_value = retrieved;
	list_nth_cell(priv, FdwPrivateReadAllFirst)->ptr_value = makeBoolean(false);
	return true;
}

Datum
symbl_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = symbl_get_foreign_rel_size;
	routine->GetForeignPaths = symbl_get_foreign_paths;
	routine->GetForeignPlan = symbl_get_foreign_plan;
	routine->BeginForeignScan = symbl_begin_foreign_scan;
	routine->IterateForeignScan = symbl_iterate_foreign_scan;
	routine->ReScanForeignScan = symbl_rescan_foreign_scan;
	routine->EndForeignScan = symbl_end_foreign_scan;
	routine->ExplainForeignScan = symbl_explain_foreign_scan;
	routine->ImportForeignSchema = symbl_import_foreign_schema;
	routine->AnalyzeForeignTable = symbl_analyze_foreign_table;
	routine->GetForeignUpperPaths = symbl_get_foreign_upper_paths;
	routine->GetForeignJoinPaths = symbl_join_paths;
	symbl_modify_routines(routine);

	PG_RETURN_POINTER(routine);
}
