/*-------------------------------------------------------------------------
 *
 * analyze.c
 *		  ANALYZE of a Symbl foreign table: count the conversations the
 *		  table holds and keep a random sample of them for the column
 *		  statistics, so that the planner works on real numbers instead
 *		  of the table option `rows`.
 *
 * The API has no count and no sampling, so ANALYZE reads the whole table:
 * the request a full scan sends (startTime at the epoch, the table's own
 * filter, sorted by startTime and id), paged with limit/offset until a short
 * page, one request at a time.  Each page is converted as a scan converts it
 * and lives in its own memory context, reset before the next one; only the
 * rows kept in the sample outlive their page.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "commands/progress.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "optimizer/plancat.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/sampling.h"

#include "symbl_types.h"
#include "analyze.h"
#include "api_call.h"
#include "deparse.h"
#include "column_map.h"
#include "option.h"
#include "pager.h"
#include "resource.h"
#include "response.h"
#include "list_rows.h"
#include "compat.h"

/* Vitter's reservoir over every conversation read, as postgres_fdw keeps */
typedef struct SampleState
{
	HeapTuple  *rows;			/* the sample, targrows slots */
	int			targrows;
	int			numrows;		/* slots filled */
	double		seen;			/* conversations read so far */
	double		rowstoskip;		/* before the next replacement; -1: draw */
	ReservoirStateData rstate;
	TupleDesc	tupdesc;
	MemoryContext cxt;			/* where sampled rows live (the caller's) */
} SampleState;

/* The table being read, and how far */
typedef struct AnalyzeScan
{
	SymblConnection *conn;
	SymblRequest request;
	SymblColumn *columns;		/* every column of the table */
	int			ncolumns;
	int			natts;
	AttrNumber	key_attnum;		/* the startTime column paged by */
	SymblPager	pager;			/* which page next: one at a time */
	SymblListRows rows;			/* the rows of the pages, ties whole */
	int			pages;			/* fetched so far */
	SymblScanStats stats;
} AnalyzeScan;

/* Take one conversation into the sample, or pass it by */
static void
sample_row(SampleState *sample, Datum *values, bool *nulls)
{
	int			pos;
	MemoryContext oldcxt;

	sample->seen += 1;
	if (sample->numrows < sample->targrows)
		pos = sample->numrows++;
	else
	{
		if (sample->targrows == 0)
			return;
		if (sample->rowstoskip < 0)
			sample->rowstoskip = reservoir_get_next_S(&sample->rstate,
													  sample->seen,
													  sample->targrows);
		if (sample->rowstoskip <= 0)
		{
			pos = (int) (sample->targrows *
						 symbl_reservoir_fraction(&sample->rstate));
			heap_freetuple(sample->rows[pos]);
		}
		else
			pos = -1;
		sample->rowstoskip -= 1;
	}
	if (pos < 0)
		return;

	oldcxt = MemoryContextSwitchTo(sample->cxt);
	sample->rows[pos] = heap_form_tuple(sample->tupdesc, values, nulls);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Fetch and convert the next page, and offer the rows the pager lets go
 * of to the sample (see list_rows.h).  False when the pager has no page
 * left.
 */
static bool
analyze_next_page(AnalyzeScan *scan, SampleState *sample)
{
	SymblPageAsk ask;
	char	   *query;
	SymblListCall *call;
	const char *body;
	size_t		len;
	char	   *where;
	MemoryContext page_cxt;
	MemoryContext oldcxt;
	SymblPage  *page;
	SymblListSource source;
	Datum	   *values;
	bool	   *nulls;

	if (!symbl_pager_next_ask(&scan->pager, true, &ask))
		return false;
	page = symbl_list_rows_new_page(&scan->rows, &page_cxt);
	oldcxt = MemoryContextSwitchTo(page_cxt);
	query = symbl_page_query(&scan->request, &ask);
	call = symbl_api_list_start(scan->conn, query, page_cxt);
	where = psprintf("page %d (%s)", scan->pages + 1, symbl_api_list_what(call));
	body = symbl_api_list_finish(call, &len, &scan->stats);
	symbl_parse_page(body, len, scan->columns, scan->ncolumns, scan->natts,
					 where, page);
	scan->stats.rows_received += page->nrows;
	source.conn = scan->conn;
	source.request = &scan->request;
	source.columns = scan->columns;
	source.ncolumns = scan->ncolumns;
	source.natts = scan->natts;
	source.key_attnum = scan->key_attnum;
	source.stats = &scan->stats;
	symbl_list_rows_page_done(&scan->rows, &scan->pager, &source, where);
	MemoryContextSwitchTo(oldcxt);

	while (symbl_list_rows_next(&scan->rows, &values, &nulls))
		sample_row(sample, values, nulls);

	scan->pages++;
	pgstat_progress_update_param(PROGRESS_ANALYZE_BLOCKS_DONE, scan->pages);
	return true;
}

static void
init_analyze_scan(AnalyzeScan *scan, Relation relation)
{
	Oid			relid = RelationGetRelid(relation);
	List	   *columns;
	ListCell   *lc;
	int			i = 0;
	SymblPagerConfig paging = {0};

	memset(scan, 0, sizeof(AnalyzeScan));

	/* ANALYZE runs as the table's owner: that user's mapping, as postgres_fdw */
	scan->conn = symbl_get_connection(relid, GetUserId());
	scan->request.start_time = SYMBL_EPOCH_START_TIME;
	scan->request.filter = symbl_table_filter(relid);
	if (scan->request.filter != NULL)
		scan->request.filter = symbl_wire_text(scan->request.filter);
	scan->request.sort = "conversation.startTime";
	scan->request.descending = false;

	columns = symbl_table_columns(relid, RelationGetDescr(relation));
	scan->columns = palloc(sizeof(SymblColumn) * (list_length(columns) + 1));
	foreach(lc, columns)
		scan->columns[i++] = *(SymblColumn *) lfirst(lc);
	scan->ncolumns = i;
	scan->natts = RelationGetDescr(relation)->natts;
	symbl_list_key_column(scan->columns, &scan->ncolumns, &scan->natts,
						  &scan->key_attnum);

	/*
	 * The whole table, one page after the other (a scan's paging, without
	 * prefetch).
	 */
	paging.page_size = scan->conn->opts.page_size;
	paging.concurrency = 1;
	paging.max_rows = -1;
	paging.row_goal = -1;
	paging.local_limit = -1;
	paging.keyset = true;
	symbl_pager_init(&scan->pager, &paging);
}

/*
 * The AcquireSampleRowsFunc: every conversation counted, up to targrows of
 * them sampled uniformly into rows[] (allocated in the caller's context).
 */
static int
symbl_acquire_sample_rows(Relation relation, int elevel, HeapTuple *rows,
						  int targrows, double *totalrows,
						  double *totaldeadrows)
{
	AnalyzeScan scan;
	SampleState sample;
	MemoryContext work_cxt;

	init_analyze_scan(&scan, relation);

	memset(&sample, 0, sizeof(SampleState));
	sample.rows = rows;
	sample.targrows = targrows;
	sample.rowstoskip = -1;
	sample.tupdesc = RelationGetDescr(relation);
	sample.cxt = CurrentMemoryContext;
	reservoir_init_selection_state(&sample.rstate, targrows);

	work_cxt = AllocSetContextCreate(CurrentMemoryContext, "symbl_fdw analyze",
									 ALLOCSET_SMALL_SIZES);
	symbl_list_rows_init(&scan.rows, work_cxt);
	while (analyze_next_page(&scan, &sample))
		;
	MemoryContextDelete(work_cxt);

	ereport(elevel,
			(errmsg("\"%s\": the Symbl API returned %.0f conversations in " INT64_FORMAT " requests, %d rows in sample",
					RelationGetRelationName(relation), sample.seen,
					scan.stats.requests, sample.numrows)));

	*totalrows = sample.seen;
	*totaldeadrows = 0;
	return sample.numrows;
}

/*
 * pg_class.relpages for the table, in blocks as for any table: the size the
 * last ANALYZE found (or the `rows` option) at the columns' average width.
 * ANALYZE of an inheritance tree shares the sample out by it, so it is
 * never 0.  What is read now is not known before reading it.
 */
static BlockNumber
estimated_blocks(Relation relation)
{
	double		rows = relation->rd_rel->reltuples;
	double		width;
	double		blocks;

	if (symbl_never_analyzed(rows, relation->rd_rel->relpages))
		rows = symbl_table_rows_estimate(RelationGetRelid(relation));
	width = get_rel_data_width(relation, NULL) + MAXALIGN(SizeofHeapTupleHeader);
	blocks = ceil(rows * width / BLCKSZ);
	return (BlockNumber) Max(1.0, Min(blocks, (double) MaxBlockNumber));
}

bool
symbl_analyze_foreign_table(Relation relation, AcquireSampleRowsFunc *func,
							BlockNumber *totalpages)
{
	/* a part can only be read for given conversations: nothing to sample */
	if (!symbl_resource_is_list(symbl_table_resource(RelationGetRelid(relation))))
		return false;
	*func = symbl_acquire_sample_rows;
	*totalpages = estimated_blocks(relation);
	return true;
}
