/*-------------------------------------------------------------------------
 *
 * conversation_private.h
 *		  The layout of a conversations scan's fdw_private, which planning
 *		  (conversation_plan.c) writes and the scan (conversation_scan.c) reads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_CONVERSATION_PRIVATE_H
#define SYMBL_CONVERSATION_PRIVATE_H

#include "symbl_types.h"

/* Indexes into a ForeignScan's fdw_private */
enum FdwPrivateIndex
{
	FdwPrivateKind,				/* Integer: SYMBL_PLAN_CONVERSATIONS */
	FdwPrivateConds,			/* serialized SymblConds */
	FdwPrivateSort,				/* String: the sort parameter */
	FdwPrivateDescending,		/* Boolean */
	FdwPrivateSortAttnums,		/* Integer list: pushed sort columns */
	FdwPrivateLimitIndex,		/* Integer: fdw_exprs index or -1 */
	FdwPrivateOffsetIndex,		/* Integer: fdw_exprs index or -1 */
	FdwPrivateRetrieved,		/* Integer list: attnums to convert */
	FdwPrivateKeyAttnum,		/* Integer: the timestamptz start_time column
								 * rows are paged by, 0: the scan adds one */
	FdwPrivateRowGoal,			/* Integer: rows wanted above, -1 unknown */
	FdwPrivateReadAllFirst		/* Boolean: feeds an UPDATE or DELETE (a
								 * plain scan's only) */
};

#endif							/* SYMBL_CONVERSATION_PRIVATE_H */
