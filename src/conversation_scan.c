/*-------------------------------------------------------------------------
 *
 * conversation_scan.c
 *		  Executing a scan of the conversations list: the request built from
 *		  the plan and the parameters' values, pages asked for by the pager
 *		  and parsed on the JSON worker, rows handed out whole tie groups at
 *		  a time, EXPLAIN; and the scan's entry points for a direct
 *		  modification and the join with a part.
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
#include "cond_serialize.h"
#include "api_call.h"
#include "conversation_scan.h"
#include "deparse.h"
#include "exchange.h"
#include "column_map.h"
#include "option.h"
#include "pager.h"
#include "response.h"
#include "scan_shared.h"
#include "selector_memory.h"
#include "shippable.h"
#include "list_rows.h"
#include "part_scan.h"
#include "compat.h"
#include "conversation_private.h"

struct SymblScanState
{
	SymblPlanKind kind;			/* SYMBL_PLAN_CONVERSATIONS */
	SymblConnection *conn;
	char	   *table_name;		/* qualified, for EXPLAIN */
	char	   *raw_filter;		/* table option filter, or NULL */
	List	   *conds;			/* SymblCond */
	List	   *value_states;	/* ExprState per fdw_exprs entry */
	int			limit_index;
	int			offset_index;
	int			row_goal;		/* rows the plan above wants, -1 unknown */
	List	   *sort_attnums;
	SymblRequest request;
	bool		request_built;	/* values known (not EXPLAIN placeholders) */
	ExprState  *remote_quals;	/* what the API applies, for the fallback */
	bool		check_locally;	/* the filter was not sent: check here */
	bool		dropped_selectors;	/* undocumented selectors left out: the
									 * server refused them */
	bool		selectors_retried;	/* this scan resent its first request
									 * without them */
	bool		no_rows;		/* the quals exclude every conversation */
	SymblPagerConfig paging;	/* from the request's LIMIT, OFFSET, goal */
	AttrNumber	key_attnum;		/* the startTime column paged by */

	SymblColumn *columns;
	int			ncolumns;
	int			natts;			/* of the foreign table */
	AttrNumber *slot_attnums;	/* per scan-slot column, its table attnum */
	int			slot_natts;

	MemoryContext request_cxt;	/* the request; rebuilt per rescan */
	MemoryContext calls_cxt;	/* parent of the requests in flight */

	/* requests in flight, in the pager's ring slots */
	SymblPager	pager;
	SymblListCall *calls[SYMBL_PAGER_MAX_PENDING];
	SymblPageParse *parses[SYMBL_PAGER_MAX_PENDING];	/* once arrived */

	SymblListRows rows;			/* the pages' rows to return */
	int			rows_taken;
	int			pages_fetched;
	bool		exhausted;

	SymblScanStats stats;

	/*
	 * A scan that feeds an UPDATE or DELETE reads every row before the
	 * first one is returned (and so before the first write), and a rescan
	 * replays them: the statement's own writes would shift offset paging.
	 */
	bool		read_all_first;
	Tuplestorestate *remembered;
	TupleTableSlot *remembered_slot;
};

static bool
contains_exec_param_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, contains_exec_param_walker, context);
}

static int64
limit_value(ForeignScanState *node, SymblScanState *state, int index,
			int64 if_null, const char *clause)
{
	ExprState  *es = list_nth(state->value_states, index);
	bool		isnull;
	Datum		value = ExecEvalExpr(es, node->ss.ps.ps_ExprContext, &isnull);
	int64		n;

	if (isnull)
		return if_null;
	n = DatumGetInt64(value);
	if (n < 0)
		ereport(ERROR,
				(errcode(strcmp(clause, "LIMIT") == 0 ?
						 ERRCODE_INVALID_ROW_COUNT_IN_LIMIT_CLAUSE :
						 ERRCODE_INVALID_ROW_COUNT_IN_RESULT_OFFSET_CLAUSE),
				 errmsg("%s must not be negative", clause)));
	return n;
}

/*
 * What a request may not exceed: servers commonly refuse URLs over 8 kB
 * (414), and the API takes offsets up to 2^31 - 1.
 */
#define SYMBL_MAX_QUERY_LEN 6000
#define SYMBL_MAX_API_OFFSET INT64CONST(2147483647)

/*
 * When the values make the request too long to send (a long IN list from
 * a parameter, a huge literal), send only the time window and the table's
 * own filter, and check the pushed quals here instead; a pushed LIMIT and
 * OFFSET are then applied here too, since the API would count rows that
 * this scan rejects.  An OFFSET beyond what the API takes is likewise
 * skipped here.
 */
static void
check_request_fits(SymblScanState *state)
{
	SymblPagerConfig *paging = &state->paging;
	char	   *query;
	bool		too_long;

	state->check_locally = false;
	paging->local_skip = 0;
	paging->local_limit = -1;
	if (state->no_rows)
		return;

	query = symbl_request_query(&state->request, state->paging.page_size, 0);
	too_long = strlen(query) > SYMBL_MAX_QUERY_LEN;
	pfree(query);
	if (!too_long && !state->dropped_selectors &&
		paging->first_offset <= SYMBL_MAX_API_OFFSET)
		return;

	if (too_long)
		state->request.filter = state->raw_filter ?
			symbl_wire_text(state->raw_filter) : NULL;
	/* a verified selector left out no longer narrows: check it here too */
	if (too_long || state->dropped_selectors)
		state->check_locally = true;
	paging->local_skip = paging->first_offset;
	paging->local_limit = paging->max_rows;
	paging->first_offset = 0;
	paging->max_rows = -1;
}

/* Whether a condition goes into the filter on a selector Symbl never documented */
static bool
is_undocumented_filter_cond(const SymblCond *cond)
{
	return cond->target == SYMBL_TARGET_FILTER &&
		!symbl_selector_is_documented(cond->selector);
}

/*
 * The conditions to send: all of them, unless this server refused a
 * selector Symbl never documented; those conditions are then left out
 * (they were a superset PostgreSQL rechecks, or are checked here).
 */
static List *
conds_to_send(SymblScanState *state)
{
	List	   *kept = NIL;
	ListCell   *lc;

	state->dropped_selectors = false;
	if (!symbl_server_rejects_selectors(state->conn->serverid))
		return state->conds;
	foreach(lc, state->conds)
	{
		SymblCond  *cond = lfirst(lc);

		if (is_undocumented_filter_cond(cond))
			state->dropped_selectors = true;
		else
			kept = lappend(kept, cond);
	}
	return kept;
}

/* Whether the request now built sends an undocumented selector */
static bool
sends_undocumented_selector(SymblScanState *state)
{
	ListCell   *lc;

	if (symbl_server_rejects_selectors(state->conn->serverid))
		return false;
	foreach(lc, state->conds)
		if (is_undocumented_filter_cond(lfirst(lc)))
			return true;
	return false;
}

/*
 * Evaluate the values of the pushed conditions (constants, now(), $1, the
 * current outer row) and build the request from them.
 */
static void
build_request(ForeignScanState *node, SymblScanState *state)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	int			n = list_length(state->value_states);
	Datum	   *values;
	bool	   *nulls;
	ListCell   *lc;
	int			i = 0;
	char	   *sort = state->request.sort;
	bool		descending = state->request.descending;
	SymblPagerConfig *paging = &state->paging;
	MemoryContext oldcxt;

	MemoryContextReset(state->request_cxt);
	oldcxt = MemoryContextSwitchTo(state->request_cxt);
	values = palloc0(sizeof(Datum) * (n + 1));
	nulls = palloc0(sizeof(bool) * (n + 1));
	foreach(lc, state->value_states)
	{
		values[i] = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &nulls[i]);
		i++;
	}

	state->no_rows = !symbl_build_request(&state->request, conds_to_send(state),
										  state->raw_filter, values, nulls);
	state->request.sort = sort;
	state->request.descending = descending;

	memset(paging, 0, sizeof(*paging));
	paging->page_size = state->conn->opts.page_size;
	paging->concurrency = Min(state->conn->opts.max_concurrent_requests,
							  SYMBL_PAGER_MAX_PENDING);
	paging->keyset = !descending;
	paging->descending = descending;
	paging->row_goal = state->row_goal;
	paging->first_offset = state->offset_index >= 0 ?
		limit_value(node, state, state->offset_index, 0, "OFFSET") : 0;
	paging->max_rows = state->limit_index >= 0 ?
		limit_value(node, state, state->limit_index, -1, "LIMIT") : -1;
	if (paging->max_rows == 0)
		state->no_rows = true;
	state->request_built = true;
	check_request_fits(state);
	symbl_pager_init(&state->pager, paging);
	MemoryContextSwitchTo(oldcxt);
}

static void
init_scan_columns(SymblScanState *state, Relation rel, List *retrieved,
				  AttrNumber *slot_attnums, int slot_natts)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	List	   *columns = symbl_table_columns(RelationGetRelid(rel), tupdesc);
	ListCell   *lc;
	int			i = 0;

	state->columns = palloc(sizeof(SymblColumn) * (list_length(columns) + 1));
	foreach(lc, columns)
	{
		SymblColumn *col = lfirst(lc);

		if (list_member_int(retrieved, col->attnum))
			state->columns[i++] = *col;
	}
	state->ncolumns = i;
	state->natts = tupdesc->natts;
	symbl_list_key_column(state->columns, &state->ncolumns, &state->natts,
						  &state->key_attnum);
	state->slot_attnums = slot_attnums;
	state->slot_natts = slot_natts;
}

/*
 * Per column of the scan slot, the table attnum it shows (0: none, a
 * column of the other side of a join): the table's own columns for a scan
 * of the table, else the Vars of fdw_scan_tlist (a pushed LIMIT).
 */
static AttrNumber *
scan_slot_attnums(ForeignScan *fsplan, TupleDesc slot_desc)
{
	AttrNumber *attnums = palloc0(sizeof(AttrNumber) * Max(slot_desc->natts, 1));
	ListCell   *lc;
	int			i = 0;

	if (fsplan->scan.scanrelid > 0)
		for (i = 0; i < slot_desc->natts; i++)
			attnums[i] = i + 1;
	else
		foreach(lc, fsplan->fdw_scan_tlist)
			attnums[i++] = ((Var *) ((TargetEntry *) lfirst(lc))->expr)->varattno;
	return attnums;
}

/*
 * Start a scan of conversations for a plan node: the table's own scan, a
 * pushed LIMIT, or the conversations side of a join.  priv: the
 * conversations' fdw_private; the first nvalues of fdw_exprs are its
 * values, fdw_recheck_quals what the API applies.  The rows go into the
 * node's scan slot, column i from table attnum slot_attnums[i].
 */
SymblScanState *
symbl_conversation_scan_begin(ForeignScanState *node, List *priv, int nvalues,
							  Relation rel, Oid userid, int eflags,
							  AttrNumber *slot_attnums, int slot_natts)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	SymblScanState *state = palloc0(sizeof(SymblScanState));

	state->kind = SYMBL_PLAN_CONVERSATIONS;
	state->conds = symbl_deserialize_conds(list_nth(priv, FdwPrivateConds));
	state->request.sort = strVal(list_nth(priv, FdwPrivateSort));
	state->request.descending = boolVal(list_nth(priv, FdwPrivateDescending));
	state->sort_attnums = list_nth(priv, FdwPrivateSortAttnums);
	state->limit_index = intVal(list_nth(priv, FdwPrivateLimitIndex));
	state->offset_index = intVal(list_nth(priv, FdwPrivateOffsetIndex));
	state->row_goal = intVal(list_nth(priv, FdwPrivateRowGoal));
	state->read_all_first = list_length(priv) > FdwPrivateReadAllFirst &&
		boolVal(list_nth(priv, FdwPrivateReadAllFirst)) &&
		!contains_exec_param_walker((Node *) fsplan->fdw_exprs, NULL);
	state->value_states = ExecInitExprList(list_copy_head(fsplan->fdw_exprs, nvalues),
										   (PlanState *) node);
	state->remote_quals = ExecInitQual(fsplan->fdw_recheck_quals, (PlanState *) node);
	/* like postgres_fdw, EXPLAIN alone needs no user mapping */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
	{
		state->conn = palloc0(sizeof(SymblConnection));
		state->conn->opts = *symbl_server_options(GetForeignTable(RelationGetRelid(rel))->serverid);
	}
	else
		state->conn = symbl_get_connection(RelationGetRelid(rel), userid);
	state->paging.page_size = state->conn->opts.page_size;
	state->raw_filter = symbl_table_filter(RelationGetRelid(rel));
	state->table_name = symbl_qualified_name(rel);
	state->request_cxt = AllocSetContextCreate(estate->es_query_cxt,
											   "symbl_fdw request",
											   ALLOCSET_SMALL_SIZES);
	symbl_list_rows_init(&state->rows, estate->es_query_cxt);
	state->calls_cxt = AllocSetContextCreate(estate->es_query_cxt,
											 "symbl_fdw requests",
											 ALLOCSET_SMALL_SIZES);
	init_scan_columns(state, rel, list_nth(priv, FdwPrivateRetrieved),
					  slot_attnums, slot_natts);

	/*
	 * Values of outer-row parameters are not known before the first row is
	 * asked for; the request is built then.  EXPLAIN shows what it can know
	 * now, and $n for the rest.
	 */
	if (contains_exec_param_walker((Node *) list_copy_head(fsplan->fdw_exprs, nvalues), NULL))
		symbl_describe_request(&state->request, state->conds, state->raw_filter);
	else
		build_request(node, state);
	return state;
}

void
symbl_conversation_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	List	   *priv = fsplan->fdw_private;
	Index		rtindex;
	TupleDesc	slot_desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;

	/* setrefs has renumbered these; a LIMIT scan has no scanrelid */
	rtindex = fsplan->scan.scanrelid > 0 ? fsplan->scan.scanrelid :
		(Index) bms_next_member(fsplan->fs_relids, -1);
	node->fdw_state =
		symbl_conversation_scan_begin(node, priv, list_length(fsplan->fdw_exprs),
									  symbl_scan_relation(estate, rtindex),
									  symbl_scan_user(node, rtindex), eflags,
									  scan_slot_attnums(fsplan, slot_desc),
									  slot_desc->natts);
}

/*
 * The API was asked to sort by these columns; a conversation without one of
 * them has no place PostgreSQL would agree on (nothing says where the API
 * puts it), so the order cannot be trusted.  Only start_time, which every
 * conversation has in practice, is ever sent as a sort key.
 */
static void
check_sort_fields_present(SymblScanState *state, const SymblPage *page,
						  const char *where)
{
	ListCell   *lc;
	int			row;

	foreach(lc, state->sort_attnums)
	{
		int			att = lfirst_int(lc) - 1;

		for (row = 0; row < page->nrows; row++)
			if (page->nulls[(size_t) row * state->natts + att])
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("Symbl API returned a conversation without the field it was asked to sort by"),
						 errdetail("Conversation %d in %s has no value for column %d.",
								   row + 1, where, att + 1),
						 errhint("Sort in PostgreSQL instead, for example ORDER BY start_time + interval '0'.")));
	}
}

/* Send the next request the pager wants, if any; true if one went out */
static bool
launch_page(SymblScanState *state, bool needed_now)
{
	int			slot = (state->pager.pending_head + state->pager.pending_count) %
		SYMBL_PAGER_MAX_PENDING;
	SymblPageAsk ask;
	char	   *query;

	if (!symbl_pager_next_ask(&state->pager, needed_now, &ask))
		return false;
	query = symbl_page_query(&state->request, &ask);
	state->calls[slot] = symbl_api_list_start(state->conn, query, state->calls_cxt);
	state->parses[slot] = NULL;
	pfree(query);
	return true;
}

/*
 * Keep requests in flight ahead of the page being read, as many as the
 * pager wants, so that later pages' round trips overlap with the transfer
 * and conversion of this one.
 */
static void
top_up_pending(SymblScanState *state)
{
	bool		launched = false;

	while (launch_page(state, false))
		launched = true;
	if (launched)
		symbl_api_progress();
}

static void
cancel_pending(SymblScanState *state)
{
	SymblPager *pager = &state->pager;
	int			i;

	for (i = 0; i < pager->pending_count; i++)
	{
		int			slot = (pager->pending_head + i) % SYMBL_PAGER_MAX_PENDING;

		/* sent, though unread (a page parsed ahead was counted then) */
		if (state->parses[slot] == NULL)
			state->stats.requests++;
		symbl_api_list_release(state->calls[slot]);
	}
	symbl_pager_cancel(pager);
}

/* Wait for a page's answer and start parsing it on the JSON worker */
static bool
start_parse(SymblScanState *state, int slot)
{
	SymblListCall *call = state->calls[slot];
	MemoryContext oldcxt = MemoryContextSwitchTo(symbl_api_list_memory(call));
	const char *body;
	size_t		len;
	bool		rejected = false;

	/*
	 * Before its first row, a scan whose filter holds a selector Symbl
	 * never documented can do without it: a 400 naming the filter is then
	 * no error but a reason to ask again.
	 */
	body = symbl_api_list_finish_checked(call, &len, &state->stats, NULL,
										 state->pages_fetched == 0 &&
										 !state->selectors_retried &&
										 sends_undocumented_selector(state) ?
										 &rejected : NULL);
	if (!rejected)
		state->parses[slot] = symbl_page_parse_start(body, len,
													 state->conn->opts.parse_thread);
	MemoryContextSwitchTo(oldcxt);
	return !rejected;
}

/*
 * The API refused the first request's filter: remember that for the
 * server, drop what is in flight, and ask again without the undocumented
 * selectors.
 */
static void
resend_without_undocumented(ForeignScanState *node, SymblScanState *state)
{
	symbl_remember_rejected_selectors(state->conn->serverid);
	/* (the refused request was counted when its answer came) */
	state->stats.requests--;
	cancel_pending(state);
	state->selectors_retried = true;
	build_request(node, state);
}

/*
 * If the page after this slot's has already arrived, have the worker parse
 * it while this one is converted.  Only an answer that is there and a 200:
 * anything else (waiting, retrying, an error) is left for when the scan
 * gets to it.
 * Without the worker, parsing ahead would only do the work sooner (or for
 * a page a LIMIT never reads).
 */
static void
parse_ahead(SymblScanState *state, int slot)
{
	int			next = (slot + 1) % SYMBL_PAGER_MAX_PENDING;

	if (!state->conn->opts.parse_thread || state->pager.pending_count < 2 ||
		state->parses[next] != NULL)
		return;
	symbl_api_progress();		/* read what has come in meanwhile */
	if (state->pages_fetched > 0 && symbl_api_list_arrived(state->calls[next]))
		(void) start_parse(state, next);
}

/*
 * Take the oldest requested page, and line up the rows to return of it
 * (and of the page before, and of a tie group read again): see
 * list_rows.h.  A page shorter than what was asked for is the last.
 */
static void
fetch_next_page(ForeignScanState *node, SymblScanState *state)
{
	MemoryContext page_cxt;
	MemoryContext oldcxt;
	SymblPage  *page;
	SymblListSource source;
	int			slot;
	char	   *where;

	page = symbl_list_rows_new_page(&state->rows, &page_cxt);
	if (!launch_page(state, true) && state->pager.pending_count == 0)
	{
		state->exhausted = true;
		return;
	}
	slot = state->pager.pending_head;

	oldcxt = MemoryContextSwitchTo(page_cxt);
	where = psprintf("page %d (%s)", state->pages_fetched + 1,
					 symbl_api_list_what(state->calls[slot]));
	if (state->parses[slot] == NULL && !start_parse(state, slot))
	{
		MemoryContextSwitchTo(oldcxt);
		resend_without_undocumented(node, state);
		return;
	}
	parse_ahead(state, slot);
	symbl_page_convert(state->parses[slot], state->columns, state->ncolumns,
					   state->natts, where, page);
	symbl_api_list_release(state->calls[slot]);
	state->stats.rows_received += page->nrows;
	source.conn = state->conn;
	source.request = &state->request;
	source.columns = state->columns;
	source.ncolumns = state->ncolumns;
	source.natts = state->natts;
	source.key_attnum = state->key_attnum;
	source.stats = &state->stats;
	symbl_list_rows_page_done(&state->rows, &state->pager, &source, where);
	MemoryContextSwitchTo(oldcxt);

	check_sort_fields_present(state, page, where);
	state->pages_fetched++;
	/* past the end (or an anchored scan's end): what is in flight is empty */
	if (state->pager.drop_pending)
		cancel_pending(state);
	if (symbl_pager_finished(&state->pager))
		state->exhausted = true;
	else
		top_up_pending(state);
}

/*
 * Under an UPDATE or DELETE: the first call reads every row (each page
 * while the API still holds what it held when the statement started), the
 * next ones hand them out.  The rows are kept in a tuplestore (memory up
 * to work_mem, then a temporary file).
 */
static TupleTableSlot *
next_remembered_row(ForeignScanState *node, SymblScanState *state,
					TupleTableSlot *slot)
{
	if (state->remembered == NULL)
	{
		EState	   *estate = node->ss.ps.state;
		MemoryContext oldcxt = MemoryContextSwitchTo(estate->es_query_cxt);

		state->remembered = tuplestore_begin_heap(false, false, work_mem);
		state->remembered_slot =
			MakeSingleTupleTableSlot(slot->tts_tupleDescriptor,
									 &TTSOpsMinimalTuple);
		MemoryContextSwitchTo(oldcxt);
		state->read_all_first = false;
		for (;;)
		{
			TupleTableSlot *row = symbl_conversation_scan_next(node, state, slot);

			if (TupIsNull(row))
				break;
			tuplestore_puttupleslot(state->remembered, row);
		}
		state->read_all_first = true;
	}
	if (!tuplestore_gettupleslot(state->remembered, true, false,
								 state->remembered_slot))
		return ExecClearTuple(slot);
	return ExecCopySlot(slot, state->remembered_slot);
}

/*
 * The next conversation into `slot` (the node's scan slot), or an empty
 * slot at the end.
 */
TupleTableSlot *
symbl_conversation_scan_next(ForeignScanState *node, SymblScanState *state,
							 TupleTableSlot *slot)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	if (state->read_all_first)
		return next_remembered_row(node, state, slot);
	ExecClearTuple(slot);
	if (!state->request_built)
		build_request(node, state);
	if (state->no_rows || state->pager.return_left == 0)
		return slot;

	for (;;)
	{
		Datum	   *values;
		bool	   *nulls;
		int			i;

		while (!symbl_list_rows_next(&state->rows, &values, &nulls))
		{
			if (state->exhausted)
				return slot;
			fetch_next_page(node, state);
		}

		for (i = 0; i < state->slot_natts; i++)
		{
			int			att = state->slot_attnums[i] - 1;

			if (att < 0)
			{
				slot->tts_values[i] = (Datum) 0;
				slot->tts_isnull[i] = true;
				continue;
			}
			slot->tts_values[i] = values[att];
			slot->tts_isnull[i] = nulls[att];
		}
		state->rows_taken++;
		/* now and then, let the requests ahead make progress */
		if (state->pager.pending_count > 0 && (state->rows_taken & 63) == 0)
			symbl_api_progress();
		ExecStoreVirtualTuple(slot);

		if (state->check_locally)
		{
			econtext->ecxt_scantuple = slot;
			if (!ExecQual(state->remote_quals, econtext))
			{
				ExecClearTuple(slot);
				continue;
			}
		}
		switch (symbl_pager_take_row(&state->pager))
		{
			case SYMBL_ROW_SKIP:
				ExecClearTuple(slot);
				continue;
			case SYMBL_ROW_RETURN_LAST:
				/* the last row the local LIMIT wants: stop fetching */
				state->exhausted = true;
				symbl_list_rows_stop(&state->rows);
				cancel_pending(state);
				return slot;
			case SYMBL_ROW_RETURN:
				return slot;
		}
	}
}

TupleTableSlot *
symbl_conversation_iterate(ForeignScanState *node)
{
	SymblScanState *state = node->fdw_state;

	return symbl_conversation_scan_next(node, state, node->ss.ss_ScanTupleSlot);
}

void
symbl_conversation_scan_rescan(SymblScanState *state)
{
	/* the rows read before the statement's first write, once more */
	if (state->remembered != NULL)
	{
		tuplestore_rescan(state->remembered);
		return;
	}

	/*
	 * Build the request anew: outer-row parameters may have changed, and a
	 * local LIMIT/OFFSET (see check_request_fits) starts counting again.
	 */
	state->request_built = false;
	cancel_pending(state);
	MemoryContextReset(state->calls_cxt);
	symbl_list_rows_reset(&state->rows);
	state->pages_fetched = 0;
	state->exhausted = false;
}

void
symbl_conversation_rescan(ForeignScanState *node)
{
	symbl_conversation_scan_rescan(node->fdw_state);
}

void
symbl_conversation_scan_end(SymblScanState *state)
{
	/* stop whatever is still in flight: the executor wants no more rows */
	if (state != NULL && state->rows.cxts[0] != NULL)
	{
		cancel_pending(state);
		symbl_list_rows_reset(&state->rows);
	}
	if (state != NULL && state->remembered != NULL)
	{
		tuplestore_end(state->remembered);
		ExecDropSingleTupleTableSlot(state->remembered_slot);
		state->remembered = NULL;
	}
}

void
symbl_conversation_end(ForeignScanState *node)
{
	symbl_conversation_scan_end(node->fdw_state);
}

/* The scan's (first) request, for EXPLAIN */
static char *
scan_request_text(SymblScanState *state)
{
	int64		limit = state->paging.page_size;
	int64		offset = 0;

	if (state->request_built)
	{
		limit = symbl_pager_first_limit(&state->paging);
		offset = state->paging.first_offset;
	}
	/* (a request that cannot match has no startTime to print) */
	if (state->no_rows && state->request_built)
		return "none (no conversation can match)";
	return psprintf("GET %s?%s", SYMBL_API_PATH,
					symbl_request_query(&state->request, limit, offset));
}

void
symbl_conversation_scan_explain(SymblScanState *state, bool show_table,
								ExplainState *es)
{
	if (es->verbose && show_table)
		ExplainPropertyText("Symbl Table", state->table_name, es);
	if (es->verbose)
		ExplainPropertyText("Symbl Request", scan_request_text(state), es);
	if (es->analyze)
	{
		ExplainPropertyInteger("Symbl Requests", NULL, state->stats.requests, es);
		ExplainPropertyInteger("Symbl Retries", NULL, state->stats.retries, es);
		ExplainPropertyInteger("Symbl Rows Received", NULL, state->stats.rows_received, es);
		ExplainPropertyInteger("Symbl Bytes Received", NULL, state->stats.bytes_received, es);
		if (state->stats.tie_rereads > 0)
			ExplainPropertyInteger("Symbl Tie Groups Read Again", NULL,
								   state->stats.tie_rereads, es);
		if (state->selectors_retried)
			ExplainPropertyText("Symbl Filter Refused",
								"sent again without the selectors Symbl never documented", es);
	}
}

void
symbl_conversation_explain(ForeignScanState *node, ExplainState *es)
{
	symbl_conversation_scan_explain(node->fdw_state,
									((ForeignScan *) node->ss.ps.plan)->scan.scanrelid == 0,
									es);
}


/* The scan's (first) request and its counters, for a direct modification */
char *
symbl_conversation_request_text(ForeignScanState *node)
{
	return scan_request_text(node->fdw_state);
}

SymblScanStats *
symbl_conversation_stats(ForeignScanState *node)
{
	return &((SymblScanState *) node->fdw_state)->stats;
}

/*
 * A plain conversations scan planned for a direct modification converts
 * only the columns it needs (and those paging needs) and reads as it goes:
 * the modification itself reads every row before its first write.  False
 * for a scan planned otherwise (LIMIT pushed), which is left as it is.
 */
bool
symbl_conversation_plan_columns(ForeignScan *fscan, List *attnums)
{
	List	   *priv = fscan->fdw_private;
	List	   *retrieved;
	int			key;

	if (list_length(priv) <= FdwPrivateReadAllFirst)
		return false;
	retrieved = list_union_int(attnums, list_nth(priv, FdwPrivateSortAttnums));
	key = intVal(list_nth(priv, FdwPrivateKeyAttnum));
	if (key > 0)
		retrieved = list_append_unique_int(retrieved, key);
	list_nth_cell(priv, FdwPrivateRetrieved)->ptr_value = retrieved;
	list_nth_cell(priv, FdwPrivateReadAllFirst)->ptr_value = makeBoolean(false);
	return true;
}
