/*-------------------------------------------------------------------------
 *
 * analyze.h
 *		  What analyze.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_ANALYZE_H
#define SYMBL_ANALYZE_H

#include "symbl_types.h"

extern bool symbl_analyze_foreign_table(Relation relation,
										AcquireSampleRowsFunc *func,
										BlockNumber *totalpages);

#endif							/* SYMBL_ANALYZE_H */
