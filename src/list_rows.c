/*-------------------------------------------------------------------------
 *
 * list_rows.c
 *		  The rows a list scan returns, page after page (see list_rows.h).
 *
 * A page's rows stay where the conversion put them: the page before the
 * current one is kept, in a context of its own, as long as its last rows
 * are held back, and a tie group read again lives in a third.  So nothing
 * is copied, and a scan holds at most two pages and one tie group.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "list_rows.h"
#include "api_call.h"
#include "deparse.h"
#include "column_map.h"
#include "option.h"
#include "pager.h"
#include "response.h"

void
symbl_list_rows_init(SymblListRows *rows, MemoryContext parent)
{
	memset(rows, 0, sizeof(*rows));
	rows->cxts[0] = AllocSetContextCreate(parent, "symbl_fdw page",
										  ALLOCSET_DEFAULT_SIZES);
	rows->cxts[1] = AllocSetContextCreate(parent, "symbl_fdw page before",
										  ALLOCSET_DEFAULT_SIZES);
	rows->reread_cxt = AllocSetContextCreate(parent, "symbl_fdw tie group",
											 ALLOCSET_DEFAULT_SIZES);
}

/*
 * The page to convert the next answer into (in *cxt, reset): the one
 * before the last goes, the last becomes the one before.
 */
SymblPage *
symbl_list_rows_new_page(SymblListRows *rows, MemoryContext *cxt)
{
	rows->current = 1 - rows->current;
	MemoryContextReset(rows->cxts[rows->current]);
	MemoryContextReset(rows->reread_cxt);
	memset(&rows->pages[rows->current], 0, sizeof(SymblPage));
	rows->nruns = 0;
	rows->run = 0;
	*cxt = rows->cxts[rows->current];
	return &rows->pages[rows->current];
}

/* startTime in whole milliseconds, the API's precision (rounded down) */
static int64
key_millis(TimestampTz ts)
{
	return ts >= 0 ? ts / 1000 : -((-ts + 999) / 1000);
}

static void
page_keys(const SymblPage *page, AttrNumber key_attnum, int64 **keys,
		  bool **nulls)
{
	int			row;

	*keys = palloc(sizeof(int64) * Max(page->nrows, 1));
	*nulls = palloc(sizeof(bool) * Max(page->nrows, 1));
	for (row = 0; row < page->nrows; row++)
	{
		size_t		i = (size_t) row * page->natts + key_attnum - 1;

		(*nulls)[row] = page->nulls[i];
		(*keys)[row] = page->nulls[i] ? 0 : key_millis(DatumGetTimestampTz(page->values[i]));
	}
}

/* The pager's complaint about an answer, as an error */
static void
report_pager_status(SymblPagerStatus status, int64 limit, int nrows,
					int64 bad_row, const char *where)
{
	switch (status)
	{
		case SYMBL_PAGER_OK:
			break;
		case SYMBL_PAGER_TOO_MANY_ROWS:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Symbl API returned %d conversations for limit " INT64_FORMAT,
							nrows, limit),
					 errdetail("in %s", where)));
			break;
		case SYMBL_PAGER_OUT_OF_ORDER:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Symbl API returned conversations out of startTime order"),
					 errdetail("Conversation %d in %s.", (int) bad_row + 1, where),
					 errhint("The API documents its sort by startTime; the scan relies on it.")));
			break;
		case SYMBL_PAGER_TIE_TOO_LARGE:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("more than %d conversations with the same startTime cross a page boundary",
							SYMBL_PAGER_MAX_LIMIT),
					 errdetail("The API orders conversations of equal startTime its own way on every page, so such a group can only be read whole in one request, of at most %d, in %s.",
							   SYMBL_PAGER_MAX_LIMIT, where),
					 errhint("Narrow the query by start_time, or by a metadata key.")));
			break;
		case SYMBL_PAGER_REREAD_DIFFERS:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Symbl API answered a re-read of conversations with the same startTime differently"),
					 errdetail("%d conversations came back where " INT64_FORMAT " with that startTime were read before, in %s.",
							   nrows, limit, where),
					 errhint("The conversations changed while the scan read them; run the query again.")));
			break;
	}
}

/*
 * A tie group that crossed a page boundary, in one request now: its rows
 * go into rows->reread.
 */
static void
read_tie_group(SymblListRows *rows, SymblPager *pager,
			   const SymblListSource *source, const SymblPageAsk *ask,
			   const char *where)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(rows->reread_cxt);
	char	   *query = symbl_page_query(source->request, ask);
	SymblListCall *call = symbl_api_list_start(source->conn, query, rows->reread_cxt);
	char	   *what = psprintf("the re-read of a tie group after %s (%s)",
								where, symbl_api_list_what(call));
	const char *body;
	size_t		len;
	int64	   *keys;
	bool	   *nulls;
	int64		bad_row;

	body = symbl_api_list_finish(call, &len, source->stats);
	symbl_parse_page(body, len, source->columns, source->ncolumns,
					 source->natts, what, &rows->reread);
	symbl_api_list_release(call);
	source->stats->tie_rereads++;
	source->stats->rows_received += rows->reread.nrows;
	page_keys(&rows->reread, source->key_attnum, &keys, &nulls);
	report_pager_status(symbl_pager_reread_done(pager, rows->reread.nrows,
												keys, nulls, &bad_row),
						ask->limit, rows->reread.nrows, bad_row, what);
	MemoryContextSwitchTo(oldcxt);
}

static void
add_run(SymblListRows *rows, const SymblPage *page, int from, int to)
{
	if (from >= to)
		return;
	rows->runs[rows->nruns].page = page;
	rows->runs[rows->nruns].next = from;
	rows->runs[rows->nruns].end = to;
	rows->nruns++;
}

/*
 * The page just converted (symbl_list_rows_new_page's) is the oldest
 * request's answer: tell the pager, read a tie group again if it says so,
 * and line up the rows to return.
 */
void
symbl_list_rows_page_done(SymblListRows *rows, SymblPager *pager,
						  const SymblListSource *source, const char *where)
{
	SymblPage  *page = &rows->pages[rows->current];
	const SymblPage *before = &rows->pages[1 - rows->current];
	int64		limit = symbl_pager_oldest(pager)->limit;
	MemoryContext oldcxt = MemoryContextSwitchTo(rows->cxts[rows->current]);
	SymblPageUse use;
	int64	   *keys;
	bool	   *nulls;
	int64		bad_row;

	page_keys(page, source->key_attnum, &keys, &nulls);
	report_pager_status(symbl_pager_page_done(pager, page->nrows, keys, nulls,
											  &use, &bad_row),
						limit, page->nrows, bad_row, where);
	MemoryContextSwitchTo(oldcxt);

	add_run(rows, before, before->nrows - (int) use.release_held, before->nrows);
	if (use.reread)
	{
		read_tie_group(rows, pager, source, &use.reread_ask, where);
		add_run(rows, &rows->reread, 0, rows->reread.nrows);
	}
	add_run(rows, page, (int) use.from, (int) use.to);
}

/* The next row to return: its values and nulls (natts of each) */
bool
symbl_list_rows_next(SymblListRows *rows, Datum **values, bool **nulls)
{
	while (rows->run < rows->nruns)
	{
		SymblRowRun *run = &rows->runs[rows->run];

		if (run->next < run->end)
		{
			size_t		base = (size_t) run->next++ * run->page->natts;

			*values = run->page->values + base;
			*nulls = run->page->nulls + base;
			return true;
		}
		rows->run++;
	}
	return false;
}

/* Nothing more is wanted of the rows lined up */
void
symbl_list_rows_stop(SymblListRows *rows)
{
	rows->run = rows->nruns;
}

/* A rescan: no page, nothing held */
void
symbl_list_rows_reset(SymblListRows *rows)
{
	int			i;

	for (i = 0; i < 2; i++)
	{
		MemoryContextReset(rows->cxts[i]);
		memset(&rows->pages[i], 0, sizeof(SymblPage));
	}
	MemoryContextReset(rows->reread_cxt);
	memset(&rows->reread, 0, sizeof(SymblPage));
	rows->nruns = 0;
	rows->run = 0;
}

/*
 * The column rows are paged by: the table's timestamptz start_time column
 * if the scan converts it, else one more, after the table's, that no slot
 * shows (columns has room for it).
 */
void
symbl_list_key_column(SymblColumn *columns, int *ncolumns, int *natts,
					  AttrNumber *key_attnum)
{
	int			i;

	for (i = 0; i < *ncolumns; i++)
	{
		if (columns[i].field == SYMBL_FIELD_START_TIME &&
			columns[i].typid == TIMESTAMPTZOID)
		{
			*key_attnum = columns[i].attnum;
			return;
		}
	}
	(*natts)++;
	columns[(*ncolumns)++] = symbl_start_time_key_column(*natts);
	*key_attnum = *natts;
}
