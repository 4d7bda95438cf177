/*-------------------------------------------------------------------------
 *
 * compat.h
 *		  What differs between the PostgreSQL major versions symbl_fdw
 *		  builds against (13 to 18), in one place.
 *
 * The code is written against the current API.  Things added since 13
 * that are easy to express with older ones are given to the older servers
 * under their upstream names; where an API changed shape, a symbl_
 * wrapper takes the arguments every version understands.  Where a newer
 * server does something better, the wrapper uses it there.
 *
 * Include it after the PostgreSQL headers a file needs: it includes what
 * it shims first, so that no macro below rewrites a declaration.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_COMPAT_H
#define SYMBL_COMPAT_H

#include "postgres.h"

#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/pg_list.h"
#include "nodes/plannodes.h"
#include "nodes/value.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/inherit.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "pgstat.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/timestamp.h"

#if PG_VERSION_NUM >= 140000
#include "optimizer/appendinfo.h"
#include "utils/wait_event.h"
#endif
#if PG_VERSION_NUM >= 150000
#include "common/pg_prng.h"
#endif
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#include "optimizer/paths.h"
#endif

/* ---- 13 ---- */

/*
 * pg_class of a table never analyzed: reltuples -1 since 14; 13 stores 0
 * there, with relpages 0 (an ANALYZE of a foreign table stores at least 1
 * page, see analyze.c), and planned such a table as empty
 */
#if PG_VERSION_NUM >= 140000
#define symbl_never_analyzed(reltuples, relpages) ((reltuples) < 0)
#else
#define symbl_never_analyzed(reltuples, relpages) \
	((reltuples) < 0 || ((reltuples) == 0 && (relpages) == 0))
#endif

#if PG_VERSION_NUM < 140000
/* 14 gave pull_varnos the PlannerInfo (for PlaceHolderVars) */
#define pull_varnos(root, node) pull_varnos(node)

/* 13 names fmgroids by C function; timestamptz's comparisons share timestamp's */
#define F_TIMESTAMPTZ_EQ 1152
#define F_TIMESTAMPTZ_NE 1153
#define F_TIMESTAMPTZ_LT 1154
#define F_TIMESTAMPTZ_LE 1155
#define F_TIMESTAMPTZ_GE 1156
#define F_TIMESTAMPTZ_GT 1157

#define list_make5(x1, x2, x3, x4, x5) lappend(list_make4(x1, x2, x3, x4), x5)

/*
 * Milliseconds from start to stop, rounded up, 0 if stop is not later:
 * 14's function (later 13 releases have it too, 13.0 has not).
 */
static inline long
symbl_timestamp_difference_ms(TimestampTz start, TimestampTz stop)
{
	return stop <= start ? 0 : (long) ((stop - start + 999) / 1000);
}
#define TimestampDifferenceMilliseconds(start, stop) \
	symbl_timestamp_difference_ms(start, stop)
#endif

/* ---- 13: UPDATE and DELETE (14 reworked how they are planned) ---- */

/*
 * AddForeignUpdateTargets: 14 passes the planner and the result relation's
 * index and takes row identity variables; 13 passes the rewritten query,
 * whose target list takes junk entries.  Written as
 * static void f(SYMBL_ADD_UPDATE_TARGETS_PARAMS), with SYMBL_TARGETS_RTINDEX
 * for the relation's index.
 */
#if PG_VERSION_NUM >= 140000
#define SYMBL_ADD_UPDATE_TARGETS_PARAMS \
	PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte, Relation target_relation
#define SYMBL_TARGETS_RTINDEX rtindex
#define symbl_targets_query(root) ((root)->parse)
#define symbl_add_row_identity(root, rtindex, var, name) \
	add_row_identity_var(root, var, rtindex, name)
#else
#define SYMBL_ADD_UPDATE_TARGETS_PARAMS \
	Query *root, RangeTblEntry *target_rte, Relation target_relation
#define SYMBL_TARGETS_RTINDEX ((Index) root->resultRelation)
#define symbl_targets_query(root) (root)
static inline void
symbl_add_row_identity(Query *parse, Index rtindex, Var *var, const char *name)
{
	parse->targetList = lappend(parse->targetList,
								makeTargetEntry((Expr *) var,
												list_length(parse->targetList) + 1,
												pstrdup(name), true));
}
#endif

/* A ModifyTable's plan (and state) below it: 14 made it one */
#if PG_VERSION_NUM >= 140000
#define symbl_modify_subplan(plan, index) outerPlan(plan)
#define symbl_modify_subplan_state(mtstate, index) outerPlanState(mtstate)
#else
#define symbl_modify_subplan(plan, index) ((Plan *) list_nth((plan)->plans, (index)))
#define symbl_modify_subplan_state(mtstate, index) ((mtstate)->mt_plans[(index)])
#endif

/*
 * Where an UPDATE's new value of a column is in the target list below the
 * ModifyTable: since 14 that list holds the changed columns in the order
 * of update_colnos, in 13 every column at its attribute number.  0: the
 * column is not set.
 */
static inline AttrNumber
symbl_update_resno(PlannerInfo *root, AttrNumber attno)
{
#if PG_VERSION_NUM >= 140000
	ListCell   *lc;

	foreach(lc, root->update_colnos)
		if (lfirst_int(lc) == attno)
			return (AttrNumber) (foreach_current_index(lc) + 1);
	return 0;
#else
	return attno;
#endif
}

/* A direct modification's result relation: 14 gave the node its own */
#if PG_VERSION_NUM >= 140000
#define symbl_direct_result_rel(node) ((node)->resultRelInfo)
#define symbl_set_direct_result_relation(fscan, rti) ((fscan)->resultRelation = (rti))
#else
#define symbl_direct_result_rel(node) ((node)->ss.ps.state->es_result_relation_info)
#define symbl_set_direct_result_relation(fscan, rti) ((void) 0)
#endif

/* ---- 13, 14 ---- */

#if PG_VERSION_NUM < 150000
/* 15 split Value into String, Integer, Float and added Boolean */
typedef Value String;

/* an Integer stands in for a Boolean in fdw_private (copyable all the same) */
#define makeBoolean(b) makeInteger((b) ? 1 : 0)
#define boolVal(v) (intVal(v) != 0)

static inline List *
list_copy_head(const List *list, int len)
{
	return list_truncate(list_copy(list), len);
}
#endif

/* A number in [0, 1) for retry jitter: pg_prng since 15, random() before */
static inline double
symbl_random_fraction(void)
{
#if PG_VERSION_NUM >= 150000
	return pg_prng_double(&pg_global_prng_state);
#else
	return (double) random() / ((double) MAX_RANDOM_VALUE + 1.0);
#endif
}

/* A reservoir sampler's random fraction: 15 made its state a pg_prng_state */
#if PG_VERSION_NUM >= 150000
#define symbl_reservoir_fraction(rs) sampler_random_fract(&(rs)->randstate)
#else
#define symbl_reservoir_fraction(rs) sampler_random_fract((rs)->randstate)
#endif

/* ---- 16 ---- */

/*
 * 16 marks a Var with the outer joins that can make it NULL; a Var of a
 * join's own clause has fewer marks than the same column in its output.
 */
static inline void
symbl_copy_nullingrels(Var *dst, const Var *src)
{
#if PG_VERSION_NUM >= 160000
	dst->varnullingrels = bms_copy(src->varnullingrels);
#endif
}

/*
 * The user a scan runs as, InvalidOid for the current one.  16 moved it from
 * the range table entry to the plan node.
 */
static inline Oid
symbl_scan_check_as_user(ForeignScanState *node, Index rtindex)
{
#if PG_VERSION_NUM >= 160000
	return ((ForeignScan *) node->ss.ps.plan)->checkAsUser;
#else
	return exec_rt_fetch(rtindex, node->ss.ps.state)->checkAsUser;
#endif
}

/*
 * The columns an UPDATE sets, and the user it runs as.  16 moved both
 * from the range table entry to its RTEPermissionInfo.
 */
static inline Bitmapset *
symbl_updated_columns(PlannerInfo *root, Index rti)
{
#if PG_VERSION_NUM >= 160000
	return get_rel_all_updated_cols(root, find_base_rel(root, rti));
#else
	return planner_rt_fetch(rti, root)->updatedCols;
#endif
}

static inline Oid
symbl_result_rel_user(ResultRelInfo *rinfo, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	Oid			user = ExecGetResultRelCheckAsUser(rinfo, estate);
#else
	Oid			user = exec_rt_fetch(rinfo->ri_RangeTableIndex, estate)->checkAsUser;
#endif

	return OidIsValid(user) ? user : GetUserId();
}

/* ---- 17 ---- */

/*
 * Paths with 16's arguments.  17 added fdw_restrictinfo (a foreign join's
 * quals; none for a scan or an upper path), 18 disabled_nodes (none here).
 */
/*
 * A path the planner must not take while any other works (a part scan
 * without conversation ids, which fails if chosen): 18 counts disabled
 * nodes before costs; before, a cost above any stack of disable_cost does.
 */
#if PG_VERSION_NUM >= 180000
#define symbl_create_last_resort_path(root, rel, rows) \
	create_foreignscan_path(root, rel, NULL, rows, 1, 1.0e15, 1.0e15, \
							NIL, NULL, NULL, NIL, NIL)
#elif PG_VERSION_NUM >= 170000
#define symbl_create_last_resort_path(root, rel, rows) \
	create_foreignscan_path(root, rel, NULL, rows, 1.0e15, 1.0e15, \
							NIL, NULL, NULL, NIL, NIL)
#else
#define symbl_create_last_resort_path(root, rel, rows) \
	create_foreignscan_path(root, rel, NULL, rows, 1.0e15, 1.0e15, \
							NIL, NULL, NULL, NIL)
#endif

#if PG_VERSION_NUM >= 180000
#define symbl_create_foreign_join_path(root, rel, target, rows, startup, total, \
									   pathkeys, required_outer, outerpath, private) \
	create_foreign_join_path(root, rel, target, rows, 0, startup, total, \
							 pathkeys, required_outer, outerpath, NIL, private)
#define symbl_create_foreignscan_path(root, rel, target, rows, startup, total, \
									  pathkeys, required_outer, outerpath, private) \
	create_foreignscan_path(root, rel, target, rows, 0, startup, total, \
							pathkeys, required_outer, outerpath, NIL, private)
#define symbl_create_foreign_upper_path(root, rel, target, rows, startup, total, \
										pathkeys, outerpath, private) \
	create_foreign_upper_path(root, rel, target, rows, 0, startup, total, \
							  pathkeys, outerpath, NIL, private)
#elif PG_VERSION_NUM >= 170000
#define symbl_create_foreign_join_path(root, rel, target, rows, startup, total, \
									   pathkeys, required_outer, outerpath, private) \
	create_foreign_join_path(root, rel, target, rows, startup, total, \
							 pathkeys, required_outer, outerpath, NIL, private)
#define symbl_create_foreignscan_path(root, rel, target, rows, startup, total, \
									  pathkeys, required_outer, outerpath, private) \
	create_foreignscan_path(root, rel, target, rows, startup, total, \
							pathkeys, required_outer, outerpath, NIL, private)
#define symbl_create_foreign_upper_path(root, rel, target, rows, startup, total, \
										pathkeys, outerpath, private) \
	create_foreign_upper_path(root, rel, target, rows, startup, total, \
							  pathkeys, outerpath, NIL, private)
#else
#define symbl_create_foreign_join_path create_foreign_join_path
#define symbl_create_foreignscan_path create_foreignscan_path
#define symbl_create_foreign_upper_path create_foreign_upper_path
#endif

/*
 * The wait event for an extension's wait: 17 lets it have its own name in
 * pg_stat_activity; before, every extension's waits show as "Extension".
 */
static inline uint32
symbl_wait_event(const char *name)
{
#if PG_VERSION_NUM >= 170000
	return WaitEventExtensionNew(name);
#else
	return PG_WAIT_EXTENSION;
#endif
}

/* ---- 18 ---- */

/* 18 asks whether the relation is a result relation (a scan's is not) */
#if PG_VERSION_NUM >= 180000
#define symbl_scan_relation(estate, rti) ExecGetRangeTableRelation(estate, rti, false)
#else
#define symbl_scan_relation(estate, rti) ExecGetRangeTableRelation(estate, rti)
#endif

/*
 * Whether a collation sorts by code point.  18 replaced lc_collate_is_c()
 * with the locale's own flag; collation 0 (none) is not C in either.
 */
static inline bool
symbl_collation_is_c(Oid collation)
{
#if PG_VERSION_NUM >= 180000
	return OidIsValid(collation) && pg_newlocale_from_collation(collation)->collate_is_c;
#else
	return lc_collate_is_c(collation);
#endif
}

/*
 * A sort key's direction, and its ordering operator for a type.  18 keeps
 * a CompareType in the PathKey instead of a btree strategy number.
 */
#if PG_VERSION_NUM >= 180000
#define symbl_pathkey_descending(pk) ((pk)->pk_cmptype == COMPARE_GT)
#define symbl_pathkey_operator(pk, type) \
	get_opfamily_member_for_cmptype((pk)->pk_opfamily, type, type, (pk)->pk_cmptype)
#else
#define symbl_pathkey_descending(pk) ((pk)->pk_strategy == BTGreaterStrategyNumber)
#define symbl_pathkey_operator(pk, type) \
	get_opfamily_member((pk)->pk_opfamily, type, type, (pk)->pk_strategy)
#endif

/*
 * The members of an equivalence class, with those of a child relation (an
 * inheritance or partition member): 18 keeps child members out of
 * ec_members and hands them out through an iterator.
 */
#if PG_VERSION_NUM >= 180000
typedef EquivalenceMemberIterator SymblMemberIterator;
#define symbl_members_start(it, ec, relids) setup_eclass_member_iterator((it), (ec), (relids))
#define symbl_members_next(it) eclass_member_iterator_next(it)
#else
typedef struct SymblMemberIterator
{
	List	   *members;
	int			next;
} SymblMemberIterator;

static inline void
symbl_members_start(SymblMemberIterator *it, EquivalenceClass *ec, Relids relids)
{
	it->members = ec->ec_members;
	it->next = 0;
}

static inline EquivalenceMember *
symbl_members_next(SymblMemberIterator *it)
{
	return it->next < list_length(it->members) ?
		(EquivalenceMember *) list_nth(it->members, it->next++) : NULL;
}
#endif

/* 18 dropped ExecutorRun's execute_once */
#if PG_VERSION_NUM >= 180000
#define SYMBL_EXECUTOR_RUN_PARAMS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count
#define SYMBL_EXECUTOR_RUN_ARGS queryDesc, direction, count
#else
#define SYMBL_EXECUTOR_RUN_PARAMS \
	QueryDesc *queryDesc, ScanDirection direction, uint64 count, bool execute_once
#define SYMBL_EXECUTOR_RUN_ARGS queryDesc, direction, count, execute_once
#endif

/* 16 folded the per-catalog ACL checks into object_aclcheck */
#if PG_VERSION_NUM >= 160000
#define symbl_server_usage_aclcheck(serverid, roleid) \
	object_aclcheck(ForeignServerRelationId, (serverid), (roleid), ACL_USAGE)
#else
#define symbl_server_usage_aclcheck(serverid, roleid) \
	pg_foreign_server_aclcheck((serverid), (roleid), ACL_USAGE)
#endif

#endif							/* SYMBL_COMPAT_H */
