/*-------------------------------------------------------------------------
 *
 * pager.c
 *		  Which pages a scan asks the API for (see pager.h).
 *
 * The API pages by limit and offset only, sorted by the scan's sort with
 * the unique conversation.id last, so consecutive requests tile one
 * ordered sequence.  Three things shape the requests:
 *
 *	- Sizes.  Without a row goal every request is a full page.  With one
 *	  (a LIMIT above the scan that could not be pushed exactly), the first
 *	  request asks for just the goal and each later one for twice the last,
 *	  up to a full page: rows that PostgreSQL's recheck rejects, or that an
 *	  Incremental Sort reads past the goal, cost one small request more,
 *	  not a page.  A plan that reads more than twice the goal has no LIMIT
 *	  right above the scan (a Sort that older planners put over a sorted
 *	  scan, say) and gets full pages from then on.
 *	- Prefetch.  Once requests are full pages, after each full page one
 *	  more is kept in flight, up to `concurrency`: most scans fit in a page
 *	  or two, and requests beyond the end are wasted.
 *	- Keyset re-anchoring.  Offset paging costs the server O(offset) per
 *	  page.  In an ascending (startTime, id) scan, every KEYSET_SPAN_PAGES
 *	  pages the requests restart at the last received row's startTime
 *	  (conversation.startTime=ge=T) with an offset that skips the rows with
 *	  that startTime already received.  Only scans that start at offset 0
 *	  re-anchor: they have seen every row before the anchor, so the count
 *	  of equal startTimes is whole, and a conversation without startTime
 *	  that the API sorts first has been seen (and has switched the scan to
 *	  plain offsets) before any anchor could miscount it.  Anchors only see
 *	  conversations that have a startTime: when an anchored scan ends, one
 *	  more request without the anchor asks for whatever follows all the
 *	  rows received (nothing, unless such conversations sort last).
 *
 *-------------------------------------------------------------------------
 */
#include "pager.h"

#include <string.h>

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

void
symbl_pager_init(SymblPager *pager, const SymblPagerConfig *cfg)
{
	memset(pager, 0, sizeof(*pager));
	pager->cfg = *cfg;
	if (pager->cfg.concurrency < 1)
		pager->cfg.concurrency = 1;
	if (pager->cfg.concurrency > SYMBL_PAGER_MAX_PENDING)
		pager->cfg.concurrency = SYMBL_PAGER_MAX_PENDING;
	pager->keyset = cfg->keyset && cfg->first_offset == 0;
	pager->skip_left = cfg->local_skip;
	pager->return_left = cfg->local_limit;
}

/* The size of the next request before the pushed LIMIT is applied */
static int64_t
next_size(const SymblPager *pager)
{
	const SymblPagerConfig *cfg = &pager->cfg;

	/*
	 * A plan that reads well past the goal has no LIMIT right above the scan
	 * (a Sort, say): it reads everything, in full pages.
	 */
	if (pager->last_limit > 0 && cfg->row_goal >= 0 &&
		pager->returned_total > 2 * (cfg->row_goal + cfg->local_skip))
		return cfg->page_size;
	if (pager->last_limit > 0)
		return min64(cfg->page_size, pager->last_limit * 2);
	if (cfg->row_goal >= 0)
		return max64(1, min64(cfg->page_size, cfg->row_goal + cfg->local_skip));
	return cfg->page_size;
}

/* The first request's limit, as EXPLAIN shows it */
int64_t
symbl_pager_first_limit(const SymblPagerConfig *cfg)
{
	SymblPager	pager;

	symbl_pager_init(&pager, cfg);
	if (cfg->max_rows >= 0)
		return min64(next_size(&pager), cfg->max_rows);
	return next_size(&pager);
}

static int64_t
rows_in_flight(const SymblPager *pager)
{
	int64_t		rows = 0;
	int			i;

	for (i = 0; i < pager->pending_count; i++)
		rows += pager->pending[(pager->pending_head + i) % SYMBL_PAGER_MAX_PENDING].limit;
	return rows;
}

/*
 * Restart the requests at the last received row.  The requests in flight
 * cover the rows right after it, so the new offsets start past them and no
 * answer needs to be waited for.
 */
static void
maybe_reanchor(SymblPager *pager)
{
	if (!pager->keyset || !pager->have_tail ||
		pager->span_asked < (int64_t) SYMBL_PAGER_KEYSET_SPAN_PAGES * pager->cfg.page_size)
		return;
	pager->anchored = true;
	pager->anchor = pager->tail_start;
	pager->anchor_skip = pager->tail_ties;
	pager->span_asked = rows_in_flight(pager);
}

/*
 * The next request to send, if one should go now.  needed_now: the scan
 * has no rows left and nothing in flight.  Otherwise this is prefetch,
 * which waits until requests are full pages and full pages have been seen.
 */
bool
symbl_pager_next_ask(SymblPager *pager, bool needed_now, SymblPageAsk *ask)
{
	int64_t		limit = next_size(pager);
	SymblPageAsk *slot;

	if (pager->end_known || pager->return_left == 0 ||
		pager->pending_count >= SYMBL_PAGER_MAX_PENDING)
		return false;
	if (needed_now ? pager->pending_count > 0 :
		(limit < pager->cfg.page_size ||
		 pager->pending_count >= min64(pager->cfg.concurrency, pager->full_pages)))
		return false;
	if (pager->cfg.max_rows >= 0)
		limit = min64(limit, pager->cfg.max_rows - pager->asked_total);
	if (limit <= 0)
		return false;

	maybe_reanchor(pager);
	ask->limit = limit;
	ask->anchored = pager->anchored;
	ask->anchor = pager->anchor;
	ask->offset = (pager->anchored ? pager->anchor_skip : pager->cfg.first_offset) +
		pager->span_asked;
	slot = &pager->pending[(pager->pending_head + pager->pending_count) % SYMBL_PAGER_MAX_PENDING];
	*slot = *ask;
	pager->pending_count++;
	pager->span_asked += limit;
	pager->asked_total += limit;
	pager->last_limit = limit;
	return true;
}

const SymblPageAsk *
symbl_pager_oldest(const SymblPager *pager)
{
	return pager->pending_count > 0 ? &pager->pending[pager->pending_head] : NULL;
}

/*
 * Follow the startTime of the rows received, for the next anchor, and check
 * the order anchors rely on.
 */
static SymblPagerStatus
track_tail(SymblPager *pager, int64_t nrows, const int64_t *starts,
		   const bool *start_nulls, int64_t *bad_row)
{
	int64_t		row;

	for (row = 0; row < nrows; row++)
	{
		if (start_nulls[row])
		{
			/* nothing to anchor on: no anchor from here on */
			pager->keyset = false;
			return SYMBL_PAGER_OK;
		}
		if (pager->have_tail && starts[row] == pager->tail_start)
			pager->tail_ties++;
		else if (pager->have_tail && starts[row] < pager->tail_start)
		{
			*bad_row = row;
			return SYMBL_PAGER_OUT_OF_ORDER;
		}
		else
		{
			pager->tail_start = starts[row];
			pager->tail_ties = 1;
			pager->have_tail = true;
		}
	}
	return SYMBL_PAGER_OK;
}

/*
 * The end of an anchored scan: drop the anchor and ask, at the plain
 * offset, for whatever follows every row received.
 */
static void
ask_for_unanchored_tail(SymblPager *pager)
{
	pager->anchored = false;
	pager->keyset = false;
	pager->span_asked = pager->received_total;
	pager->asked_total = pager->received_total;
	pager->last_limit = pager->cfg.page_size;
	pager->full_pages = 0;		/* prefetch again only after a full page */
	pager->drop_pending = true;
}

/*
 * The oldest request's answer has arrived with nrows rows (starts and
 * start_nulls: their startTimes, used in a keyset scan).  A page shorter
 * than what was asked for is the last (or, anchored, the last with a
 * startTime): the pager then sets drop_pending, and the caller drops the
 * requests still in flight and calls symbl_pager_cancel.
 */
SymblPagerStatus
symbl_pager_page_done(SymblPager *pager, int64_t nrows, const int64_t *starts,
					  const bool *start_nulls, int64_t *bad_row)
{
	SymblPageAsk ask = pager->pending[pager->pending_head];
	SymblPagerStatus status = SYMBL_PAGER_OK;

	pager->pending_head = (pager->pending_head + 1) % SYMBL_PAGER_MAX_PENDING;
	pager->pending_count--;
	*bad_row = -1;
	if (nrows > ask.limit)
		return SYMBL_PAGER_TOO_MANY_ROWS;
	pager->received_total += nrows;
	if (pager->keyset)
		status = track_tail(pager, nrows, starts, start_nulls, bad_row);
	if (nrows < ask.limit && ask.anchored)
		ask_for_unanchored_tail(pager);
	else if (nrows < ask.limit)
	{
		pager->end_known = true;
		pager->drop_pending = true;
	}
	else if (ask.limit == pager->cfg.page_size)
		pager->full_pages++;
	return status;
}

/* The caller has dropped the requests in flight */
void
symbl_pager_cancel(SymblPager *pager)
{
	pager->pending_head = 0;
	pager->pending_count = 0;
	pager->drop_pending = false;
}

/* Nothing more will be asked for, and nothing is in flight */
bool
symbl_pager_finished(const SymblPager *pager)
{
	SymblPager	probe = *pager;
	SymblPageAsk ask;

	if (pager->pending_count > 0)
		return false;
	return !symbl_pager_next_ask(&probe, true, &ask);
}

/* A row passed the scan's quals: the local OFFSET and LIMIT decide */
SymblRowFate
symbl_pager_take_row(SymblPager *pager)
{
	pager->returned_total++;
	if (pager->skip_left > 0)
	{
		pager->skip_left--;
		return SYMBL_ROW_SKIP;
	}
	if (pager->return_left > 0 && --pager->return_left == 0)
		return SYMBL_ROW_RETURN_LAST;
	return SYMBL_ROW_RETURN;
}
