/*-------------------------------------------------------------------------
 *
 * symbl_fdw.c
 *		  The foreign-data wrapper's handler and _PG_init, and IMPORT FOREIGN
 *		  SCHEMA: every resource of the resource table becomes a table.
 *		  Planning and scanning the conversations list live in
 *		  conversation_plan.c and conversation_scan.c, the part tables in
 *		  part_scan.c, their join in part_join.c, the writes in modify.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/table.h"
#include "commands/explain.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "access/sysattr.h"
#include "optimizer/paths.h"
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "utils/lsyscache.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "symbl_types.h"
#include "analyze.h"
#include "conversation_plan.h"
#include "modify.h"
#include "option.h"
#include "part_join.h"
#include "resource.h"
#include "write_pending.h"
#include "list_rows.h"
#include "part_scan.h"
#include "compat.h"
#include "conversation_private.h"
#include "scan_methods.h"

PG_MODULE_MAGIC;

extern PGDLLEXPORT void _PG_init(void);

void
_PG_init(void)
{
	symbl_install_write_hooks();
}

PG_FUNCTION_INFO_V1(symbl_fdw_handler);

/*
 * Planning, by what the relation is: a conversations table (the list, or
 * by id), a part table, a join of the two, or the LIMIT above a
 * conversations scan (an upper relation, planned with the scan).
 */
static void
symbl_get_foreign_rel_size(PlannerInfo *root, RelOptInfo *baserel,
						   Oid foreigntableid)
{
	const SymblResource *resource = symbl_table_resource(foreigntableid);

	if (symbl_resource_is_list(resource))
		symbl_conversation_rel_size(root, baserel, foreigntableid);
	else
		symbl_part_rel_size(root, baserel, foreigntableid, resource);
}

static void
symbl_get_foreign_paths(PlannerInfo *root, RelOptInfo *baserel,
						Oid foreigntableid)
{
	if (*(SymblPlanKind *) baserel->fdw_private == SYMBL_PLAN_PART)
		symbl_part_paths(root, baserel);
	else
		symbl_conversation_paths(root, baserel, foreigntableid);
}

static ForeignScan *
symbl_get_foreign_plan(PlannerInfo *root, RelOptInfo *foreignrel,
					   Oid foreigntableid, ForeignPath *best_path,
					   List *tlist, List *scan_clauses, Plan *outer_plan)
{
	if (IS_JOIN_REL(foreignrel))
		return symbl_join_plan(root, foreignrel, best_path, tlist, outer_plan);
	if (!IS_UPPER_REL(foreignrel) &&
		*(SymblPlanKind *) foreignrel->fdw_private == SYMBL_PLAN_PART)
		return symbl_part_plan(root, foreignrel, foreigntableid, best_path,
							   tlist, scan_clauses, outer_plan);
	return symbl_conversation_plan(root, foreignrel, foreigntableid, best_path,
								   tlist, scan_clauses, outer_plan);
}

/*
 * Every resource becomes a table: its columns and types from the resource
 * table, a part table with its resource option.  LIMIT TO and EXCEPT are
 * applied by PostgreSQL to the statements' table names.
 */
static List *
symbl_import_foreign_schema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	List	   *commands = NIL;
	int			r;

	if (strcmp(stmt->remote_schema, "symbl") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("Symbl has no schema \"%s\"", stmt->remote_schema),
				 errhint("Import the remote schema \"symbl\", which holds the table \"conversations\" and the tables of a conversation's parts.")));

	for (r = 0; r < symbl_num_resources; r++)
	{
		const SymblResource *resource = &symbl_resources[r];
		int			ncolumns = symbl_resource_ncolumns(resource);
		StringInfoData buf;
		int			c;

		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (",
						 quote_identifier(resource->table));
		for (c = 0; c < ncolumns; c++)
			appendStringInfo(&buf, "%s%s %s", c > 0 ? ", " : "",
							 quote_identifier(resource->columns[c].name),
							 resource->columns[c].sql_type);
		appendStringInfo(&buf, ") SERVER %s", quote_identifier(server->servername));
		if (!symbl_resource_is_list(resource))
			appendStringInfo(&buf, " OPTIONS (resource %s)",
							 quote_literal_cstr(resource->table));
		commands = lappend(commands, buf.data);
	}
	return commands;
}

Datum
symbl_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = symbl_get_foreign_rel_size;
	routine->GetForeignPaths = symbl_get_foreign_paths;
	routine->GetForeignPlan = symbl_get_foreign_plan;
	routine->BeginForeignScan = symbl_begin_foreign_scan;
	routine->IterateForeignScan = symbl_iterate_foreign_scan;
	routine->ReScanForeignScan = symbl_rescan_foreign_scan;
	routine->EndForeignScan = symbl_end_foreign_scan;
	routine->ExplainForeignScan = symbl_explain_foreign_scan;
	routine->ImportForeignSchema = symbl_import_foreign_schema;
	routine->AnalyzeForeignTable = symbl_analyze_foreign_table;
	routine->GetForeignUpperPaths = symbl_get_foreign_upper_paths;
	routine->GetForeignJoinPaths = symbl_join_paths;
	symbl_modify_routines(routine);

	PG_RETURN_POINTER(routine);
}
