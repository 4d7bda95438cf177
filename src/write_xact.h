/*-------------------------------------------------------------------------
 *
 * write_xact.h
 *		  What write_xact.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_WRITE_XACT_H
#define SYMBL_WRITE_XACT_H

#include "symbl_types.h"

extern void symbl_note_applied_write(void);
extern void symbl_note_writes_reported(void);

#endif							/* SYMBL_WRITE_XACT_H */
