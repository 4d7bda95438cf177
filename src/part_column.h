/*-------------------------------------------------------------------------
 *
 * part_column.h
 *		  What part_column.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_PART_COLUMN_H
#define SYMBL_PART_COLUMN_H

#include "symbl_types.h"

extern bool symbl_parse_json_path(const char *text, SymblJsonPath *path);
extern SymblValueKind symbl_part_value_kind(Oid typid, bool conversation_id);

#endif							/* SYMBL_PART_COLUMN_H */
