/*-------------------------------------------------------------------------
 *
 * conversation_scan.h
 *		  What conversation_scan.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_CONVERSATION_SCAN_H
#define SYMBL_CONVERSATION_SCAN_H

#include "symbl_types.h"

extern SymblScanState *symbl_conversation_scan_begin(ForeignScanState *node,
													 List *priv, int nvalues,
													 Relation rel, Oid userid,
													 int eflags,
													 AttrNumber *slot_attnums,
													 int slot_natts);
extern TupleTableSlot *symbl_conversation_scan_next(ForeignScanState *node,
													SymblScanState *state,
													TupleTableSlot *slot);
extern void symbl_conversation_scan_rescan(SymblScanState *state);
extern void symbl_conversation_scan_end(SymblScanState *state);
extern void symbl_conversation_scan_explain(SymblScanState *state,
											bool show_table, struct ExplainState *es);
extern void symbl_conversation_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *symbl_conversation_iterate(ForeignScanState *node);
extern void symbl_conversation_rescan(ForeignScanState *node);
extern void symbl_conversation_end(ForeignScanState *node);
extern void symbl_conversation_explain(ForeignScanState *node, struct ExplainState *es);
extern char *symbl_conversation_request_text(ForeignScanState *node);
extern SymblScanStats *symbl_conversation_stats(ForeignScanState *node);
extern bool symbl_conversation_plan_columns(ForeignScan *fscan, List *attnums);

#endif							/* SYMBL_CONVERSATION_SCAN_H */
