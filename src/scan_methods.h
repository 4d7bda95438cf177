/*-------------------------------------------------------------------------
 *
 * scan_methods.h
 *		  The scan callbacks, dispatched by plan kind (scan_methods.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_SCAN_METHODS_H
#define SYMBL_SCAN_METHODS_H

#include "symbl_types.h"

extern void symbl_begin_foreign_scan(ForeignScanState *node, int eflags);
extern TupleTableSlot *symbl_iterate_foreign_scan(ForeignScanState *node);
extern void symbl_rescan_foreign_scan(ForeignScanState *node);
extern void symbl_end_foreign_scan(ForeignScanState *node);
extern void symbl_explain_foreign_scan(ForeignScanState *node, struct ExplainState *es);

extern void symbl_scan_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *symbl_scan_next(ForeignScanState *node);
extern void symbl_scan_end(ForeignScanState *node);
extern char *symbl_scan_request_text(ForeignScanState *node);
extern struct SymblScanStats *symbl_scan_stats(ForeignScanState *node);
extern bool symbl_scan_plan_columns(ForeignScan *fscan, List *attnums);

#endif							/* SYMBL_SCAN_METHODS_H */
