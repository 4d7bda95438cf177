/*-------------------------------------------------------------------------
 *
 * conversation_private.h
 *		  The layout of a conversations scan's fdw_private, which planning
 *		  (conversation_plan.c) writes and the scan (conversation_scan.c) reads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_CONVERSATION_PRIVATE_H
#define SYMBL_CONVERSATION_PRIVATE_H

#include "symbl_fdw.h"

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

/* conversation_plan.c: the callbacks */
extern void symbl_get_foreign_rel_size(PlannerInfo *root, RelOptInfo *baserel,
									   Oid foreigntableid);
extern void symbl_get_foreign_paths(PlannerInfo *root, RelOptInfo *baserel,
									Oid foreigntableid);
extern ForeignScan *symbl_get_foreign_plan(PlannerInfo *root, RelOptInfo *foreignrel,
										   Oid foreigntableid, ForeignPath *best_path,
										   List *tlist, List *scan_clauses,
										   Plan *outer_plan);
extern void symbl_get_foreign_upper_paths(PlannerInfo *root, UpperRelationKind stage,
										  RelOptInfo *input_rel, RelOptInfo *output_rel,
										  void *extra);

/* conversation_scan.c: the callbacks */
extern void symbl_begin_foreign_scan(ForeignScanState *node, int eflags);
extern TupleTableSlot *symbl_iterate_foreign_scan(ForeignScanState *node);
extern void symbl_rescan_foreign_scan(ForeignScanState *node);
extern void symbl_end_foreign_scan(ForeignScanState *node);
extern void symbl_explain_foreign_scan(ForeignScanState *node, ExplainState *es);

#endif							/* SYMBL_CONVERSATION_PRIVATE_H */
