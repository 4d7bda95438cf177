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

/* json-c's (not included: its json_object collides with utils/builtins.h) */
struct json_object;

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

extern struct json_object *symbl_page_parse_result(SymblPageParse *parse,
												  const char *where);
extern void symbl_page_parse_free_tree(SymblPageParse *parse);

#endif							/* SYMBL_RESPONSE_H */
