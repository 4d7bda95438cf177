/*-------------------------------------------------------------------------
 *
 * deparse.h
 *		  What deparse.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_DEPARSE_H
#define SYMBL_DEPARSE_H

#include "symbl_types.h"

extern bool symbl_build_request(SymblRequest *request, List *conds,
								const char *raw_filter,
								const Datum *values, const bool *nulls);
extern void symbl_describe_request(SymblRequest *request, List *conds,
								   const char *raw_filter);
extern char *symbl_request_query(const SymblRequest *request,
								 int64 limit, int64 offset);
extern bool symbl_format_time(TimestampTz ts, char *buf, size_t len);
extern char *symbl_wire_text(const char *text);
extern char *symbl_path_segment(const char *value);
extern char *symbl_page_query(const SymblRequest *request,
							  const SymblPageAsk *ask);

#endif							/* SYMBL_DEPARSE_H */
