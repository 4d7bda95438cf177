/*-------------------------------------------------------------------------
 *
 * pager.c
 *		  Which pages a scan asks the API for (see pager.h).
 *
 * The API pages by limit and offset only, sorted by startTime, the one
 * sort field it documents.  Consecutive requests tile that order, except
 * for rows with the same startTime: how the API orders those is its own
 * and may differ from one request to the next (it may ignore, or refuse,
 * conversation.id as a tie-breaker), so two pages can split a tie group
 * differently, repeating some of its rows and missing others.  Hence:
 *
 *	- Ties.  The rows at the end of a page that share its last startTime
 *	  are held back until the next page shows whether the group goes on.
 *	  If it does not, they are returned.  If it does, the group crossed the
 *	  boundary: once it ends, one request re-reads the positions it holds
 *	  (the held rows' first to the group's last) and those rows are
 *	  returned instead, from one answer, so each exactly once.  A group's
 *	  positions do not depend on the API's tie order, only its rows do.
 *	  A request sent with nothing in flight starts at the held rows
 *	  instead (they are dropped), so that their group comes whole.
 *	- Sizes.  Without a row goal every request is a full page.  With one
 *	  (a LIMIT above the scan that could not be pushed exactly), the first
 *	  request asks for the goal and one row more (the page's last row is
 *	  held back as a possible tie: the goal's rows still come out of one
 *	  request) and each later one for twice the last,
 *	  up to a full page: rows that PostgreSQL's recheck rejects, or that an
 *	  Incremental Sort reads past the goal, cost one small request more,
 *	  not a page.  A plan that reads more than twice the goal has no LIMIT
 *	  right above the scan (a Sort that older planners put over a sorted
 *	  scan, say) and gets full pages from then on.
 *	- Prefetch.  Once requests are full pages, after each full page one
 *	  more is kept in flight, up to `concurrency`: most scans fit in a page
 *	  or two, and requests beyond the end are wasted.
 *	- Keyset re-anchoring.  Offset paging costs the server O(offset) per
 *	  page.  In an ascending scan from offset 0, after KEYSET_SPAN_PAGES
 *	  pages the requests in flight are let finish, and the requests go on
 *	  from offset 0 of the rows whose startTime is at or after the last
 *	  startTime received, the anchor (the documented startTime parameter,
 *	  one millisecond early: an exclusive reading of it then still has the
 *	  anchor's rows, an inclusive one also the millisecond before, which
 *	  are dropped).  The anchor's tie group is read again whole, so the
 *	  rows of it held back are dropped.  Anchors only see conversations
 *	  that have a startTime: when an anchored scan ends, one more request
 *	  without the anchor asks for whatever follows all the rows returned
 *	  (nothing, unless conversations without one sort last).  A scan that
 *	  meets a row without startTime first (sorted first) stays with
 *	  offsets.
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

void
symbl_pager_init(SymblPager *pager, const SymblPagerConfig *cfg)
{
	memset(pager, 0, sizeof(*pager));
	pager->cfg = *cfg;
	if (pager->cfg.concurrency < 1)
		pager->cfg.concurrency = 1;
	if (pager->cfg.concurrency > SYMBL_PAGER_MAX_PENDING)
		pager->cfg.concurrency = SYMBL_PAGER_MAX_PENDING;
	pager->keyset = cfg->keyset && !cfg->descending && cfg->first_offset == 0;
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
		return min64(cfg->page_size, cfg->row_goal + cfg->local_skip + 1);
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

/*
 * Time to re-anchor: a keyset scan deep enough into its span, with a last
 * startTime later than the anchor (a tie group longer than a span gives
 * none: offsets go on).
 */
static bool
reanchor_due(const SymblPager *pager)
{
	return pager->keyset && pager->have_last &&
		pager->span_asked >= (int64_t) SYMBL_PAGER_KEYSET_SPAN_PAGES * pager->cfg.page_size &&
		(!pager->anchored || pager->last_key > pager->anchor);
}

/*
 * Go on from offset 0 at the last startTime received.  Its tie group will
 * be read again whole: the rows of it held back are not returned, and the
 * run starts over.
 */
static void
reanchor(SymblPager *pager)
{
	pager->anchored = true;
	pager->anchor = pager->last_key;
	pager->below_anchor = true;
	pager->span_asked = 0;
	pager->have_run = false;
	pager->held = 0;
	/* a pushed LIMIT counts the rows returned, not those asked twice */
	pager->asked_total = pager->released_total;
}

/*
 * With nothing in flight, the next request may as well start at the rows
 * held back: their group then comes whole in one answer (no re-read), and
 * they are dropped.  Only a group shorter than the request, or it would
 * fill the request again and again.
 */
static void
restart_at_held_run(SymblPager *pager, int64_t limit)
{
	if (!pager->have_run || pager->run_spans || pager->held == 0 ||
		pager->held >= limit)
		return;
	pager->span_asked -= pager->held;
	pager->asked_total -= pager->held;
	pager->have_run = false;
	pager->held = 0;
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
	if (reanchor_due(pager))
	{
		/* what is in flight is read first: the anchor is its last row */
		if (pager->pending_count > 0)
			return false;
		reanchor(pager);
	}
	else if (pager->pending_count == 0)
		restart_at_held_run(pager, limit);
	if (pager->cfg.max_rows >= 0)
		limit = min64(limit, pager->cfg.max_rows - pager->asked_total);
	if (limit <= 0)
		return false;

	ask->limit = limit;
	ask->anchored = pager->anchored;
	ask->anchor = pager->anchor;
	ask->offset = (pager->anchored ? 0 : pager->cfg.first_offset) + pager->span_asked;
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

static bool
same_key(int64_t key, bool null, int64_t other_key, bool other_null)
{
	return null ? other_null : (!other_null && key == other_key);
}

/*
 * Rows at the start of an anchored sequence from before the anchor (the
 * millisecond an inclusive reading of startTime adds): returned already.
 */
static int64_t
rows_below_anchor(const SymblPager *pager, int64_t nrows, const int64_t *keys,
				  const bool *key_nulls)
{
	int64_t		row = 0;

	if (!pager->anchored || !pager->below_anchor)
		return 0;
	while (row < nrows && !key_nulls[row] && keys[row] < pager->anchor)
		row++;
	return row;
}

/*
 * The API documents its sort by startTime: check it, for the rows that
 * have one (where it puts the others is not documented).  A keyset scan
 * that meets a row without startTime has nothing to anchor on from then.
 */
static SymblPagerStatus
check_order(SymblPager *pager, int64_t from, int64_t nrows,
			const int64_t *keys, const bool *key_nulls, int64_t *bad_row)
{
	int64_t		row;

	for (row = from; row < nrows; row++)
	{
		if (key_nulls[row])
		{
			pager->keyset = false;
			continue;
		}
		if (pager->have_last &&
			(pager->cfg.descending ? keys[row] > pager->last_key :
			 keys[row] < pager->last_key))
		{
			*bad_row = row;
			return SYMBL_PAGER_OUT_OF_ORDER;
		}
		pager->have_last = true;
		pager->last_key = keys[row];
	}
	return SYMBL_PAGER_OK;
}

/* The run that crossed into this page ended: one request re-reads it */
static SymblPagerStatus
ask_reread(SymblPager *pager, const SymblPageAsk *ask, int64_t extra,
		   SymblPageUse *use)
{
	int64_t		limit = pager->run_len + extra;

	if (limit > SYMBL_PAGER_MAX_LIMIT)
		return SYMBL_PAGER_TIE_TOO_LARGE;
	use->reread = true;
	use->reread_ask.limit = limit;
	use->reread_ask.offset = pager->run_first;
	use->reread_ask.anchored = ask->anchored;
	use->reread_ask.anchor = ask->anchor;
	pager->reread_limit = limit;
	pager->reread_null = pager->run_null;
	pager->reread_key = pager->run_key;
	return SYMBL_PAGER_OK;
}

/*
 * The rows [from, nrows) of a page: the run at their end is held back,
 * unless the page is the last of its sequence.
 */
static void
hold_last_run(SymblPager *pager, const SymblPageAsk *ask, int64_t from,
			  int64_t nrows, const int64_t *keys, const bool *key_nulls,
			  bool last, SymblPageUse *use)
{
	int64_t		first = nrows - 1;

	use->from = from;
	use->to = nrows;
	if (last || from >= nrows)
		return;
	while (first > from &&
		   same_key(keys[first - 1], key_nulls[first - 1],
					keys[nrows - 1], key_nulls[nrows - 1]))
		first--;
	pager->have_run = true;
	pager->run_null = key_nulls[nrows - 1];
	pager->run_key = keys[nrows - 1];
	pager->run_first = ask->offset + first;
	pager->run_len = nrows - first;
	pager->run_spans = false;
	pager->held = nrows - first;
	use->to = first;
}

/*
 * Which rows of a page to return (see SymblPageUse), given the run held
 * from the page before; rows before `from` are not (below the anchor).
 * last: no page of this sequence follows.
 */
static SymblPagerStatus
use_page(SymblPager *pager, const SymblPageAsk *ask, int64_t from,
		 int64_t nrows, const int64_t *keys, const bool *key_nulls, bool last,
		 SymblPageUse *use)
{
	int64_t		lead = 0;
	SymblPagerStatus status = SYMBL_PAGER_OK;

	memset(use, 0, sizeof(*use));
	if (!pager->have_run)
	{
		hold_last_run(pager, ask, from, nrows, keys, key_nulls, last, use);
		return SYMBL_PAGER_OK;
	}
	while (from + lead < nrows &&
		   same_key(keys[from + lead], key_nulls[from + lead],
					pager->run_key, pager->run_null))
		lead++;
	if (from + lead == nrows && !last)
	{
		/* the whole page goes on with the run: its re-read returns it */
		pager->run_len += lead;
		pager->run_spans = true;
		pager->held = 0;
		use->from = use->to = nrows;
		return SYMBL_PAGER_OK;
	}
	if (pager->run_spans || lead > 0)
		status = ask_reread(pager, ask, lead, use);
	else
		use->release_held = pager->held;
	pager->have_run = false;
	pager->held = 0;
	hold_last_run(pager, ask, from + lead, nrows, keys, key_nulls, last, use);
	return status;
}

/*
 * The end of an anchored scan: drop the anchor and ask, at the plain
 * offset, for whatever follows every row returned.
 */
static void
ask_for_unanchored_tail(SymblPager *pager)
{
	pager->anchored = false;
	pager->keyset = false;
	pager->span_asked = pager->released_total;
	pager->asked_total = pager->released_total;
	pager->last_limit = pager->cfg.page_size;
	pager->full_pages = 0;		/* prefetch again only after a full page */
	pager->drop_pending = true;
}

static int64_t
rows_released(const SymblPageUse *use)
{
	return use->release_held + (use->reread ? use->reread_ask.limit : 0) +
		(use->to - use->from);
}

/*
 * The oldest request's answer has arrived with nrows rows (keys and
 * key_nulls: their startTimes).  Fills *use: which rows the scan returns.
 * A page shorter than what was asked for is the last (or, anchored, the
 * last with a startTime): the pager then sets drop_pending, and the caller
 * drops the requests still in flight and calls symbl_pager_cancel.  With
 * use->reread, the caller sends that request now, before anything else,
 * and hands its answer to symbl_pager_reread_done.
 */
SymblPagerStatus
symbl_pager_page_done(SymblPager *pager, int64_t nrows, const int64_t *keys,
					  const bool *key_nulls, SymblPageUse *use,
					  int64_t *bad_row)
{
	SymblPageAsk ask = pager->pending[pager->pending_head];
	SymblPagerStatus status;
	bool		short_page = nrows < ask.limit;
	bool		last;
	int64_t		below;

	memset(use, 0, sizeof(*use));
	pager->pending_head = (pager->pending_head + 1) % SYMBL_PAGER_MAX_PENDING;
	pager->pending_count--;
	*bad_row = -1;
	if (nrows > ask.limit)
		return SYMBL_PAGER_TOO_MANY_ROWS;
	below = rows_below_anchor(pager, nrows, keys, key_nulls);
	if (below < nrows)
		pager->below_anchor = false;
	/* rows returned before: a pushed LIMIT does not count them again */
	pager->asked_total -= below;
	last = short_page || (pager->cfg.max_rows >= 0 && pager->pending_count == 0 &&
						  pager->asked_total >= pager->cfg.max_rows);
	status = check_order(pager, below, nrows, keys, key_nulls, bad_row);
	if (status != SYMBL_PAGER_OK)
		return status;
	status = use_page(pager, &ask, below, nrows, keys, key_nulls, last, use);
	if (status != SYMBL_PAGER_OK)
		return status;
	pager->released_total += rows_released(use);
	if (short_page && ask.anchored)
		ask_for_unanchored_tail(pager);
	else if (short_page)
	{
		pager->end_known = true;
		pager->drop_pending = true;
	}
	else if (ask.limit == pager->cfg.page_size)
		pager->full_pages++;
	return status;
}

/*
 * The re-read of a tie group has arrived: it must be the group again,
 * whole (else the conversations changed between the requests).
 */
SymblPagerStatus
symbl_pager_reread_done(SymblPager *pager, int64_t nrows, const int64_t *keys,
						const bool *key_nulls, int64_t *bad_row)
{
	int64_t		row;

	*bad_row = -1;
	if (nrows != pager->reread_limit)
		return nrows > pager->reread_limit ? SYMBL_PAGER_TOO_MANY_ROWS :
			SYMBL_PAGER_REREAD_DIFFERS;
	for (row = 0; row < nrows; row++)
	{
		if (!same_key(keys[row], key_nulls[row], pager->reread_key,
					  pager->reread_null))
		{
			*bad_row = row;
			return SYMBL_PAGER_REREAD_DIFFERS;
		}
	}
	pager->reread_limit = 0;
	return SYMBL_PAGER_OK;
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
