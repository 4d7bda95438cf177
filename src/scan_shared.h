/*-------------------------------------------------------------------------
 *
 * scan_shared.h
 *		  What scan_shared.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_SCAN_SHARED_H
#define SYMBL_SCAN_SHARED_H

#include "symbl_types.h"

extern bool symbl_contains_outer_row_param(PlannerInfo *root, Node *node);
extern bool symbl_feeds_writes(PlannerInfo *root);
extern Oid	symbl_scan_user(ForeignScanState *node, Index rtindex);
extern List *symbl_retrieved_attnums(Index relid, List *columns, Node *used);
extern List *symbl_join_clauses(PlannerInfo *root, RelOptInfo *baserel,
								ec_matches_callback_type usable, void *arg);
extern Relids symbl_required_outer(RestrictInfo *rinfo, RelOptInfo *baserel);

#endif							/* SYMBL_SCAN_SHARED_H */
