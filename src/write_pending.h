/*-------------------------------------------------------------------------
 *
 * write_pending.h
 *		  What write_pending.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_WRITE_PENDING_H
#define SYMBL_WRITE_PENDING_H

#include "symbl_types.h"
#include "write_run.h"

extern void symbl_install_write_hooks(void);
extern PendingWrites *symbl_pending_writes_start(WriteRun *run, EState *estate,
												 int window);
extern void symbl_pending_writes_add(PendingWrites *p, RowWrite *row);
extern void symbl_pending_writes_finish(PendingWrites *p);

#endif							/* SYMBL_WRITE_PENDING_H */
