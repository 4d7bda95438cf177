/*-------------------------------------------------------------------------
 *
 * conversation_plan.h
 *		  What conversation_plan.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_CONVERSATION_PLAN_H
#define SYMBL_CONVERSATION_PLAN_H

#include "symbl_types.h"

extern List *symbl_conversation_plan_private(PlannerInfo *root,
											 RelOptInfo *rel,
											 List **fdw_exprs, Node *used,
											 List **remote_exprs,
											 List **local_exprs);
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

#endif							/* SYMBL_CONVERSATION_PLAN_H */
