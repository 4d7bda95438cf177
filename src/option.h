/*-------------------------------------------------------------------------
 *
 * option.h
 *		  What option.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_OPTION_H
#define SYMBL_OPTION_H

#include "symbl_types.h"

extern SymblServerOptions *symbl_server_options(Oid serverid);
extern SymblConnection *symbl_get_connection(Oid foreigntableid, Oid userid);
extern SymblConnection *symbl_server_connection(Oid serverid, Oid userid);
extern char *symbl_qualified_name(Relation rel);
extern List *symbl_table_columns(Oid foreigntableid, TupleDesc tupdesc);
extern SymblColumn symbl_start_time_key_column(AttrNumber attnum);
extern double symbl_table_rows_estimate(Oid foreigntableid);
extern char *symbl_table_filter(Oid foreigntableid);
extern bool symbl_table_updatable(Oid foreigntableid);
extern const SymblResource *symbl_table_resource(Oid foreigntableid);
extern List *symbl_part_columns(Oid foreigntableid, TupleDesc tupdesc,
								const SymblResource *resource);

#endif							/* SYMBL_OPTION_H */
