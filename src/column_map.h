/*-------------------------------------------------------------------------
 *
 * column_map.h
 *		  What column_map.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_COLUMN_MAP_H
#define SYMBL_COLUMN_MAP_H

#include "symbl_types.h"

extern List *symbl_table_columns(Oid foreigntableid, TupleDesc tupdesc);
extern SymblColumn symbl_start_time_key_column(AttrNumber attnum);
extern List *symbl_part_columns(Oid foreigntableid, TupleDesc tupdesc,
								const SymblResource *resource);

#endif							/* SYMBL_COLUMN_MAP_H */
