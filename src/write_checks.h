/*-------------------------------------------------------------------------
 *
 * write_checks.h
 *		  What write_checks.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_WRITE_CHECKS_H
#define SYMBL_WRITE_CHECKS_H

#include "nodes/pathnodes.h"
#include "utils/relcache.h"

#include "symbl_types.h"
#include "write_run.h"

extern void symbl_refuse_insert(Relation rel);
extern WriteTable *symbl_write_table(Relation rel);
extern WriteTable *symbl_check_writes_allowed(Relation rel, CmdType operation);
extern WriteTable *symbl_check_statement(PlannerInfo *root, Index rti,
										 CmdType operation);

#endif							/* SYMBL_WRITE_CHECKS_H */
