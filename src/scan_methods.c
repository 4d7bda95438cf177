/*-------------------------------------------------------------------------
 *
 * scan_methods.c
 *		  The scans' methods, one row per plan kind: the conversations
 *		  list (conversation_scan.c), a part or conversations by id
 *		  (part_scan.c), and conversations joined with a part
 *		  (part_join.c).  The handler's callbacks and a direct
 *		  modification (modify.c) go through this table, so that no scan
 *		  needs to know the others.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/explain.h"
#include "foreign/fdwapi.h"

#include "symbl_types.h"
#include "conversation_scan.h"
#include "part_join.h"
#include "conversation_private.h"
#include "part_scan.h"
#include "scan_methods.h"

typedef struct ScanMethods
{
	void		(*begin) (ForeignScanState *node, int eflags);
	TupleTableSlot *(*iterate) (ForeignScanState *node);
	void		(*rescan) (ForeignScanState *node);
	void		(*end) (ForeignScanState *node);
	void		(*explain) (ForeignScanState *node, ExplainState *es);
	/* what a direct modification reads through; NULL where it never does */
	char	   *(*request_text) (ForeignScanState *node);
	SymblScanStats *(*stats) (ForeignScanState *node);
	bool		(*plan_columns) (ForeignScan *fscan, List *attnums);
} ScanMethods;

static const ScanMethods scan_methods[] = {
	[SYMBL_PLAN_CONVERSATIONS] = {
		symbl_conversation_begin, symbl_conversation_iterate,
		symbl_conversation_rescan, symbl_conversation_end,
		symbl_conversation_explain, symbl_conversation_request_text,
		symbl_conversation_stats, symbl_conversation_plan_columns
	},
	[SYMBL_PLAN_PART] = {
		symbl_part_begin, symbl_part_iterate, symbl_part_rescan,
		symbl_part_end, symbl_part_explain, symbl_part_request_text,
		symbl_part_scan_stats, symbl_by_id_plan_columns
	},
	[SYMBL_PLAN_JOIN] = {
		symbl_join_begin, symbl_join_iterate, symbl_join_rescan,
		symbl_join_end, symbl_join_explain, NULL, NULL, NULL
	},
};

/* A plan's kind is the first element of its fdw_private */
static const ScanMethods *
plan_methods(ForeignScan *fscan)
{
	return &scan_methods[intVal(linitial(fscan->fdw_private))];
}

/* A running scan's kind is the first member of its state */
static const ScanMethods *
state_methods(ForeignScanState *node)
{
	return &scan_methods[*(SymblPlanKind *) node->fdw_state];
}

void
symbl_begin_foreign_scan(ForeignScanState *node, int eflags)
{
	plan_methods((ForeignScan *) node->ss.ps.plan)->begin(node, eflags);
}

TupleTableSlot *
symbl_iterate_foreign_scan(ForeignScanState *node)
{
	return state_methods(node)->iterate(node);
}

void
symbl_rescan_foreign_scan(ForeignScanState *node)
{
	state_methods(node)->rescan(node);
}

void
symbl_end_foreign_scan(ForeignScanState *node)
{
	if (node->fdw_state != NULL)
		state_methods(node)->end(node);
}

void
symbl_explain_foreign_scan(ForeignScanState *node, ExplainState *es)
{
	state_methods(node)->explain(node, es);
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
	return state_methods(node)->request_text(node);
}

SymblScanStats *
symbl_scan_stats(ForeignScanState *node)
{
	return state_methods(node)->stats(node);
}

/*
 * Let a scan planned for a direct modification convert only the columns it
 * needs; false where the scan cannot (a join, a LIMIT pushed).
 */
bool
symbl_scan_plan_columns(ForeignScan *fscan, List *attnums)
{
	const ScanMethods *methods = plan_methods(fscan);

	return methods->plan_columns != NULL && methods->plan_columns(fscan, attnums);
}
