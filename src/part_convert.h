/*-------------------------------------------------------------------------
 *
 * part_convert.h
 *		  What part_convert.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_PART_CONVERT_H
#define SYMBL_PART_CONVERT_H

#include "symbl_types.h"
#include "resource.h"

extern void symbl_part_convert(SymblPageParse *parse,
							   const SymblResource *resource,
							   const SymblColumn *columns, int ncolumns,
							   int natts, Datum conversation_id,
							   const char *where, SymblPage *page);

#endif							/* SYMBL_PART_CONVERT_H */
