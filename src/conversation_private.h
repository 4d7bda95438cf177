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

/* conversation_plan.c: planning a conversations table (symbl_fdw.c) */
extern void symbl_conversation_rel_size(PlannerInfo *root, RelOptInfo *baserel,
										Oid foreigntableid);
extern void symbl_conversation_paths(PlannerInfo *root, RelOptInfo *baserel,
									 Oid foreigntableid);
extern ForeignScan *symbl_conversation_plan(PlannerInfo *root, RelOptInfo *foreignrel,
											Oid foreigntableid, ForeignPath *best_path,
											List *tlist, List *scan_clauses,
											Plan *outer_plan);
extern void symbl_get_foreign_upper_paths(PlannerInfo *root, UpperRelationKind stage,
										  RelOptInfo *input_rel, RelOptInfo *output_rel,
										  void *extra);

/* conversation_scan.c: the scan's methods (scan_methods.c) */
extern void symbl_conversation_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *symbl_conversation_iterate(ForeignScanState *node);
extern void symbl_conversation_rescan(ForeignScanState *node);
extern void symbl_conversation_end(ForeignScanState *node);
extern void symbl_conversation_explain(ForeignScanState *node, ExplainState *es);
extern char *symbl_conversation_request_text(ForeignScanState *node);
extern SymblScanStats *symbl_conversation_stats(ForeignScanState *node);
extern bool symbl_conversation_plan_columns(ForeignScan *fscan, List *attnums);

#endif							/* SYMBL_CONVERSATION_PRIVATE_H */
