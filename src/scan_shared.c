/*-------------------------------------------------------------------------
 *
 * scan_shared.c
 *		  What the scans share, below every one of them: whether the
 *		  statement writes, a correlated subquery's values, the join clauses
 *		  a parameterized path can take, the columns a plan reads, and the
 *		  user a scan runs as.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"

#include "symbl_types.h"
#include "scan_shared.h"
#include "compat.h"

/* Whether the statement being planned (from its top level) writes */
bool
symbl_feeds_writes(PlannerInfo *root)
{
	while (root->parent_root != NULL)
		root = root->parent_root;
	return root->parse->commandType == CMD_UPDATE ||
		root->parse->commandType == CMD_DELETE;
}

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

Oid
symbl_scan_user(ForeignScanState *node, Index rtindex)
{
	Oid			user = symbl_scan_check_as_user(node, rtindex);

	return OidIsValid(user) ? user : GetUserId();
}
