/*-------------------------------------------------------------------------
 *
 * scan_methods.h
 *		  The scan callbacks, dispatched by plan kind (scan_methods.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_SCAN_METHODS_H
#define SYMBL_SCAN_METHODS_H

#include "symbl_fdw.h"

extern void symbl_begin_foreign_scan(ForeignScanState *node, int eflags);
extern TupleTableSlot *symbl_iterate_foreign_scan(ForeignScanState *node);
extern void symbl_rescan_foreign_scan(ForeignScanState *node);
extern void symbl_end_foreign_scan(ForeignScanState *node);
extern void symbl_explain_foreign_scan(ForeignScanState *node, ExplainState *es);

#endif							/* SYMBL_SCAN_METHODS_H */
