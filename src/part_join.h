/*-------------------------------------------------------------------------
 *
 * part_join.h
 *		  What part_join.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_PART_JOIN_H
#define SYMBL_PART_JOIN_H

#include "symbl_types.h"

extern void symbl_join_paths(PlannerInfo *root, RelOptInfo *joinrel,
							 RelOptInfo *outerrel, RelOptInfo *innerrel,
							 JoinType jointype, JoinPathExtraData *extra);
extern ForeignScan *symbl_join_plan(PlannerInfo *root, RelOptInfo *joinrel,
									ForeignPath *best_path, List *tlist,
									Plan *outer_plan);
extern void symbl_join_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *symbl_join_iterate(ForeignScanState *node);
extern void symbl_join_rescan(ForeignScanState *node);
extern void symbl_join_end(ForeignScanState *node);
extern void symbl_join_explain(ForeignScanState *node, struct ExplainState *es);

#endif							/* SYMBL_PART_JOIN_H */
