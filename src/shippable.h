/*-------------------------------------------------------------------------
 *
 * shippable.h
 *		  What shippable.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_SHIPPABLE_H
#define SYMBL_SHIPPABLE_H

#include "symbl_types.h"

extern void symbl_classify_quals(RelOptInfo *baserel, List *columns,
								 const char *raw_filter,
								 const SymblServerOptions *opts, bool writes,
								 List *quals,
								 SymblPushdown *out);
extern char *symbl_text_selector(Expr *expr, RelOptInfo *baserel,
								 List *columns);
extern int	symbl_sortable_prefix(RelOptInfo *baserel, List *columns,
								  List *pathkeys, char **sort,
								  bool *descending, List **attnums);

#endif							/* SYMBL_SHIPPABLE_H */
