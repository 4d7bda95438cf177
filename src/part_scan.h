/*-------------------------------------------------------------------------
 *
 * part_scan.h
 *		  Planning and scanning the tables of a conversation's parts.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_PART_SCAN_H
#define SYMBL_PART_SCAN_H

#include "commands/explain.h"
#include "nodes/execnodes.h"
#include "nodes/plannodes.h"
#include "utils/relcache.h"

#include "symbl_types.h"
#include "part_fetch.h"
/* ExplainState's header on 18 */
#include "compat.h"

/* What planning learns about a part table, in baserel->fdw_private */
typedef struct SymblPartRelInfo
{
	SymblPlanKind kind;			/* SYMBL_PLAN_PART */
	const SymblResource *resource;
	List	   *columns;		/* SymblColumn */
	AttrNumber	conversation_attnum;	/* 0: the table has no such column */
	SymblServerOptions *opts;
	bool		has_ids;		/* its own quals give conversation ids */
	double		conversations;	/* estimated, for the unparameterized scan */
} SymblPartRelInfo;

extern void symbl_part_rel_size(PlannerInfo *root, RelOptInfo *baserel,
								Oid foreigntableid,
								const SymblResource *resource);
extern void symbl_part_paths(PlannerInfo *root, RelOptInfo *baserel);
extern ForeignScan *symbl_part_plan(PlannerInfo *root, RelOptInfo *rel,
									Oid foreigntableid, ForeignPath *best_path,
									List *tlist, List *scan_clauses,
									Plan *outer_plan);
extern void symbl_part_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *symbl_part_iterate(ForeignScanState *node);
extern void symbl_part_rescan(ForeignScanState *node);
extern void symbl_part_end(ForeignScanState *node);
extern void symbl_part_explain(ForeignScanState *node, struct ExplainState *es);

/* the conversations table read by GET /v1/conversations/{id} */
extern bool symbl_by_id_paths(PlannerInfo *root, RelOptInfo *baserel,
							  List *columns, const SymblServerOptions *opts,
							  bool writes);
extern bool symbl_is_by_id_path(ForeignPath *path);
extern bool symbl_by_id_plan_columns(ForeignScan *fscan, List *attnums);
extern char *symbl_part_request_text(ForeignScanState *node);
extern SymblScanStats *symbl_part_scan_stats(ForeignScanState *node);
extern ForeignScan *symbl_by_id_plan(RelOptInfo *rel, List *columns,
									 List *tlist, List *scan_clauses,
									 Plan *outer_plan, bool writes);

/* shared with the join of conversations and a part */
extern Expr *symbl_part_id_source(Expr *clause, Index relid, AttrNumber attnum,
								  bool *is_array);
extern void symbl_part_require_ids(const SymblResource *resource,
								   const char *table);
extern SymblColumn *symbl_part_scan_columns(Relation rel,
											const SymblResource *resource,
											List *retrieved, int *ncolumns);
extern int	symbl_eval_ids(ExprState *expr, bool is_array, ExprContext *econtext,
						   Datum **ids);
extern void symbl_part_explain_fetch(SymblPartFetch *fetch, struct ExplainState *es,
									 const char *label);

#endif							/* SYMBL_PART_SCAN_H */
