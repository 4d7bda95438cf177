/*-------------------------------------------------------------------------
 *
 * response.h
 *		  What response.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_RESPONSE_H
#define SYMBL_RESPONSE_H

#include "symbl_types.h"

extern SymblPageParse *symbl_page_parse_start(const char *body, size_t len,
											  bool in_background);
extern void symbl_page_convert(SymblPageParse *parse,
							   const SymblColumn *columns, int ncolumns,
							   int natts, const char *where,
							   SymblPage *page);
extern void symbl_parse_page(const char *body, size_t len,
							 const SymblColumn *columns, int ncolumns,
							 int natts, const char *where,
							 SymblPage *page);
extern void symbl_conversation_convert(SymblPageParse *parse,
									   const SymblColumn *columns, int ncolumns,
									   int natts, const char *where,
									   SymblPage *page);
extern void symbl_part_convert(SymblPageParse *parse,
							   const SymblResource *resource,
							   const SymblColumn *columns, int ncolumns,
							   int natts, Datum conversation_id,
							   const char *where, SymblPage *page);

#endif							/* SYMBL_RESPONSE_H */
