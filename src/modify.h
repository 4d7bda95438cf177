/*-------------------------------------------------------------------------
 *
 * modify.h
 *		  What modify.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_MODIFY_H
#define SYMBL_MODIFY_H

#include "symbl_types.h"

extern void symbl_modify_routines(FdwRoutine *routine);

#endif							/* SYMBL_MODIFY_H */
