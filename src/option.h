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
extern double symbl_table_rows_estimate(Oid foreigntableid);
extern char *symbl_table_filter(Oid foreigntableid);
extern bool symbl_table_updatable(Oid foreigntableid);
extern const SymblResource *symbl_table_resource(Oid foreigntableid);

extern bool symbl_lookup_field(const char *name, SymblField *field);

#endif							/* SYMBL_OPTION_H */
