/*-------------------------------------------------------------------------
 *
 * symbl_fdw.c
 *		  Foreign-data wrapper callbacks for Symbl.ai conversations.
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
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "symbl_fdw.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(symbl_fdw_handler);

/* Cost model: one round trip per page, plus transfer and parse per row */
#define REQUEST_COST 100.0
#define ROW_COST 0.05

/* Indexes into a ForeignScan's fdw_private */
enum FdwPrivateIndex
{
	FdwPrivateStartTime,
	FdwPrivateEndTime,
	FdwPrivateFilter,
	FdwPrivateSort,
	FdwPrivateDescending
};

/* What planning learns about the relation, in baserel->fdw_private */
typedef struct SymblRelInfo
{
	SymblServerOptions *opts;
} SymblRelInfo;

typedef struct SymblScanState
{
	SymblConnection *conn;		/* NULL for EXPLAIN without ANALYZE */
	SymblRequest request;
	int			page_size;
	SymblColumn *columns;
	int			ncolumns;
	int			natts;

	MemoryContext page_cxt;		/* holds the current page; reset per page */
	SymblPage	page;
	int			next_row;
	int64		next_offset;
	int			pages_fetched;
	bool		exhausted;

	SymblScanStats stats;
} SymblScanState;

static void
symbl_get_foreign_rel_size(PlannerInfo *root, RelOptInfo *baserel,
						   Oid foreigntableid)
{
	Relation	rel = table_open(foreigntableid, NoLock);
	double		tuples = symbl_table_rows_estimate(foreigntableid);
	SymblRelInfo *info = palloc0(sizeof(SymblRelInfo));

	info->opts = symbl_server_options(GetForeignTable(foreigntableid)->serverid);
	baserel->fdw_private = info;

	/* refuse columns we cannot fill at plan time, naming them */
	(void) symbl_table_columns(foreigntableid, RelationGetDescr(rel));
	table_close(rel, NoLock);

	baserel->tuples = tuples;
	baserel->rows = clamp_row_est(tuples *
								  clauselist_selectivity(root,
														 baserel->baserestrictinfo,
														 baserel->relid,
														 JOIN_INNER, NULL));
}

static void
symbl_get_foreign_paths(PlannerInfo *root, RelOptInfo *baserel,
						Oid foreigntableid)
{
	SymblRelInfo *info = baserel->fdw_private;
	double		pages;
	Cost		startup_cost = REQUEST_COST;
	Cost		total_cost;

	/* every row is fetched, so the cost follows the table, not the quals */
	pages = floor(baserel->tuples / info->opts->page_size) + 1;
	total_cost = startup_cost + pages * REQUEST_COST +
		baserel->tuples * (ROW_COST + cpu_tuple_cost);

	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup_cost, total_cost,
									 NIL, NULL, NULL, NIL));
}

static ForeignScan *
symbl_get_foreign_plan(PlannerInfo *root, RelOptInfo *baserel,
					   Oid foreigntableid, ForeignPath *best_path,
					   List *tlist, List *scan_clauses, Plan *outer_plan)
{
	SymblRequest request;
	List	   *fdw_private;

	symbl_default_request(&request);
	fdw_private = list_make5(makeString(pstrdup(request.start_time)),
							 makeString(request.end_time ? pstrdup(request.end_time) : ""),
							 makeString(request.filter ? pstrdup(request.filter) : ""),
							 makeString(pstrdup(request.sort)),
							 makeBoolean(request.descending));

	/* nothing is pushed down yet: PostgreSQL checks every qual */
	scan_clauses = extract_actual_clauses(scan_clauses, false);

	return make_foreignscan(tlist, scan_clauses, baserel->relid, NIL,
							fdw_private, NIL, NIL, outer_plan);
}

static char *
private_string(List *fdw_private, int index)
{
	char	   *value = strVal(list_nth(fdw_private, index));

	return value[0] != '\0' ? value : NULL;
}

static Oid
scan_user(ForeignScanState *node)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Index		rtindex = fsplan->scan.scanrelid;
	RangeTblEntry *rte = exec_rt_fetch(rtindex, estate);

	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
}

static void
symbl_begin_foreign_scan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	Relation	rel = node->ss.ss_currentRelation;
	SymblScanState *state = palloc0(sizeof(SymblScanState));
	List	   *columns;
	ListCell   *lc;
	int			i = 0;

	node->fdw_state = state;
	state->request.start_time = private_string(fsplan->fdw_private, FdwPrivateStartTime);
	state->request.end_time = private_string(fsplan->fdw_private, FdwPrivateEndTime);
	state->request.filter = private_string(fsplan->fdw_private, FdwPrivateFilter);
	state->request.sort = private_string(fsplan->fdw_private, FdwPrivateSort);
	state->request.descending = boolVal(list_nth(fsplan->fdw_private, FdwPrivateDescending));

	state->conn = symbl_get_connection(RelationGetRelid(rel), scan_user(node));
	state->page_size = state->conn->opts.page_size;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	columns = symbl_table_columns(RelationGetRelid(rel), RelationGetDescr(rel));
	state->ncolumns = list_length(columns);
	state->columns = palloc(sizeof(SymblColumn) * Max(state->ncolumns, 1));
	foreach(lc, columns)
		state->columns[i++] = *(SymblColumn *) lfirst(lc);
	state->natts = RelationGetDescr(rel)->natts;

	state->page_cxt = AllocSetContextCreate(node->ss.ps.state->es_query_cxt,
											"symbl_fdw page",
											ALLOCSET_DEFAULT_SIZES);
}

/*
 * Fetch the next page into page_cxt, dropping the previous one.  A page
 * shorter than the limit is the last.
 */
static void
fetch_next_page(SymblScanState *state)
{
	MemoryContext oldcxt;
	char	   *query;
	char	   *where;
	char	   *body;
	size_t		len;

	MemoryContextReset(state->page_cxt);
	state->page.nrows = 0;
	state->next_row = 0;

	oldcxt = MemoryContextSwitchTo(state->page_cxt);
	query = symbl_request_query(&state->request, state->page_size,
								state->next_offset);
	where = psprintf("page %d (GET %s?%s)", state->pages_fetched + 1,
					 SYMBL_API_PATH, query);
	body = symbl_api_list(state->conn, query, state->page_cxt, &len,
						  &state->stats);
	symbl_parse_page(body, len, state->columns, state->ncolumns, state->natts,
					 where, &state->page);
	pfree(body);
	MemoryContextSwitchTo(oldcxt);

	if (state->page.nrows > state->page_size)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Symbl API returned %d conversations for limit %d",
						state->page.nrows, state->page_size),
				 errdetail("in %s", where)));

	state->pages_fetched++;
	state->stats.rows_received += state->page.nrows;
	state->next_offset += state->page.nrows;
	if (state->page.nrows < state->page_size)
		state->exhausted = true;
}

static TupleTableSlot *
symbl_iterate_foreign_scan(ForeignScanState *node)
{
	SymblScanState *state = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	size_t		base;

	ExecClearTuple(slot);
	while (state->next_row >= state->page.nrows)
	{
		if (state->exhausted)
			return slot;
		fetch_next_page(state);
	}

	base = (size_t) state->next_row * state->natts;
	memcpy(slot->tts_values, state->page.values + base,
		   sizeof(Datum) * state->natts);
	memcpy(slot->tts_isnull, state->page.nulls + base,
		   sizeof(bool) * state->natts);
	state->next_row++;
	return ExecStoreVirtualTuple(slot);
}

static void
symbl_rescan_foreign_scan(ForeignScanState *node)
{
	SymblScanState *state = node->fdw_state;

	MemoryContextReset(state->page_cxt);
	state->page.nrows = 0;
	state->next_row = 0;
	state->next_offset = 0;
	state->pages_fetched = 0;
	state->exhausted = false;
}

static void
symbl_end_foreign_scan(ForeignScanState *node)
{
	SymblScanState *state = node->fdw_state;

	if (state != NULL && state->page_cxt != NULL)
		MemoryContextReset(state->page_cxt);
}

static void
symbl_explain_foreign_scan(ForeignScanState *node, ExplainState *es)
{
	SymblScanState *state = node->fdw_state;

	if (es->verbose)
	{
		char	   *query = symbl_request_query(&state->request,
												state->page_size, 0);

		ExplainPropertyText("Symbl Request",
							psprintf("GET %s?%s", SYMBL_API_PATH, query), es);
	}
	if (es->analyze)
	{
		ExplainPropertyInteger("Symbl Requests", NULL, state->stats.requests, es);
		ExplainPropertyInteger("Symbl Retries", NULL, state->stats.retries, es);
		ExplainPropertyInteger("Symbl Rows Received", NULL, state->stats.rows_received, es);
		ExplainPropertyInteger("Symbl Bytes Received", NULL, state->stats.bytes_received, es);
	}
}

static List *
symbl_import_foreign_schema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);

	if (strcmp(stmt->remote_schema, "symbl") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("Symbl has no schema \"%s\"", stmt->remote_schema),
				 errhint("Import the remote schema \"symbl\", which holds the table \"conversations\".")));

	return list_make1(psprintf("CREATE FOREIGN TABLE conversations ("
							   "id text, type text, name text, "
							   "start_time timestamptz, end_time timestamptz, "
							   "members jsonb, metadata jsonb) SERVER %s",
							   quote_identifier(server->servername)));
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

	PG_RETURN_POINTER(routine);
}
