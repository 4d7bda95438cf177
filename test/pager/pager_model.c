/*-------------------------------------------------------------------------
 *
 * pager_model.c
 *		  Model-based property test of the paging state machine
 *		  (src/pager.c).
 *
 * The driver plays the scan's part: it tops up prefetch at random moments
 * (symbl_pager_next_ask with needed_now = false, a random number of times),
 * asks with needed_now = true only when it has no rows and nothing is in
 * flight, answers the oldest request from a model of the API, hands the
 * answer back with symbl_pager_page_done, drops what is in flight when the
 * pager sets drop_pending, and passes every row that its local quals
 * accept to symbl_pager_take_row.  What the scan returns must be the
 * model's answer: rows [first_offset, first_offset + max_rows) of the
 * unanchored order, then the local quals, then the local OFFSET and LIMIT.
 *
 * The model API is model_api.c: rows without startTime sorted first or
 * last, matched by an anchor or not (the four readings of the contract the
 * emulator offers).  The cases are pager_cases.c (random ones from a seed,
 * and fixed ones), and pager_faults.c checks the statuses of answers the
 * API must not give.
 *
 * The model API sorts by startTime only: each answer orders every tie
 * group in a random way of its own, as an API that ignores (or refuses)
 * conversation.id as a tie-breaker may.  The driver returns what the
 * pager's SymblPageUse says (held rows, the re-read of a tie group that
 * crossed a page boundary, sent and answered at once, the page's rows),
 * and checks:
 *	- no row is returned twice;
 *	- the rows returned have, in order, the startTimes of the window
 *	  [first_offset, first_offset + max_rows) of the order: each tie group
 *	  inside the window comes whole, one at its edge with as many rows as
 *	  the window holds (which of them, SQL leaves open too);
 *	- what the scan returned is those rows through the local quals, OFFSET
 *	  and LIMIT.
 *
 * Every request is checked as it goes out:
 *	- requests tile their sequence: each starts where the one before it
 *	  ended, but the first of an anchor (offset 0, after the requests in
 *	  flight were answered), the first after an anchored scan's end (at
 *	  the rows returned), and one sent with nothing in flight, which may
 *	  start at the rows held back; anchors only move forward;
 *	- 1 <= limit <= page_size; the first request asks for
 *	  min(row_goal + local_skip + 1, page_size) with a row goal, else
 *	  page_size (then capped by max_rows), and is what
 *	  symbl_pager_first_limit says; each later one doubles the last, up to
 *	  page_size, and the unanchored request after an anchored scan's end
 *	  asks for page_size (both capped by what max_rows leaves, counted in
 *	  rows returned: an anchor reads its tie group again);
 *	- at most `concurrency` requests are in flight, and a prefetch makes at
 *	  most one in flight, or as many as the full pages seen since the scan
 *	  began or switched to plain offsets;
 *	- nothing is asked for after a short unanchored page;
 *	- only a keyset scan from offset 0 anchors;
 *	- a short anchored page switches the scan to plain offsets once;
 *	- in a keyset scan from offset 0, until that switch, offsets stay
 *	  bounded however deep the scan goes: below
 *	  (SPAN + concurrency + 2) * page_size + the largest tie group (twice
 *	  under an inclusive reading: the group of the millisecond before the
 *	  anchor comes again, dropped).
 *
 * Usage: pager_model [--cases N]    fault and fixed cases, then seeds 1..N
 *		  pager_model --seed N       one random case, every request shown
 *		  pager_model --fixed I      one fixed case, every request shown
 *
 *-------------------------------------------------------------------------
 */
#include "pager_cases.h"
#include "pager_faults.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the longest scan a case can make (page size 1 over the largest data) */
#define MAX_STEPS 10000000

/* A request the driver sent, with where it must start in the data */
typedef struct SentAsk
{
	SymblPageAsk ask;
	int64_t		first_row;
} SentAsk;

typedef struct Scan
{
	const TestCase *tc;
	SymblPager	pager;
	uint64_t	rng;
	bool		verbose;

	/* requests in flight, oldest first */
	SentAsk    *sent;
	int64_t		sent_head;
	int64_t		sent_count;
	int64_t		asks;			/* requests sent in all */
	int64_t		asked_rows;		/* rows asked for in all */
	int64_t		received_rows;	/* rows answered in all */
	int64_t		taken;			/* rows handed to symbl_pager_take_row */
	int64_t		last_limit;
	bool		end_seen;		/* a short unanchored page arrived */
	bool		anchored_seen;	/* an anchored request was sent */
	int			tail_switches;	/* short anchored pages: to plain offsets */
	int64_t		tail_rows;		/* rows received after the switch */
	int64_t		full_pages;		/* of page_size rows, since the switch */
	int64_t    *ids;			/* an answer's rows */
	int64_t    *held;			/* the rows the pager holds back */
	int64_t		held_count;
	int64_t		rereads;		/* tie groups read again */
	bool		have_prev;		/* the last request sent, for tiling */
	SymblPageAsk prev;
	int64_t    *released;		/* every row given to the scan, in order */
	int64_t		released_count;

	/* rows received and not yet given to the scan's caller */
	int64_t    *buffer;
	int64_t		buffer_head;
	int64_t		buffer_count;
	bool	   *received;		/* by row id */

	/* what the scan returned */
	int64_t    *out;
	int64_t		out_count;
	bool		done;

	char		error[512];
} Scan;

/* ---- the scan ---- */

static bool
scan_fail(Scan *scan, const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	vsnprintf(scan->error, sizeof(scan->error), fmt, args);
	va_end(args);
	return false;
}

static void
scan_init(Scan *scan, const TestCase *tc, uint64_t seed, bool verbose)
{
	int64_t		n = tc->data.n;

	memset(scan, 0, sizeof(*scan));
	scan->tc = tc;
	scan->rng = seed ^ UINT64_C(0x5DEECE66D);
	scan->verbose = verbose;
	scan->sent = xcalloc(SYMBL_PAGER_MAX_PENDING + 1, sizeof(SentAsk));
	scan->ids = xcalloc((size_t) max64(1, max64(n, tc->cfg.page_size)), sizeof(int64_t));
	scan->held = xcalloc((size_t) max64(1, tc->cfg.page_size), sizeof(int64_t));
	scan->released = xcalloc((size_t) max64(1, n), sizeof(int64_t));
	/* n rows are enough: a row received twice stops the scan */
	scan->buffer = xcalloc((size_t) n, sizeof(int64_t));
	scan->received = xcalloc((size_t) n, sizeof(bool));
	scan->out = xcalloc((size_t) n, sizeof(int64_t));
	symbl_pager_init(&scan->pager, &tc->cfg);
}

static void
scan_free(Scan *scan)
{
	free(scan->sent);
	free(scan->ids);
	free(scan->held);
	free(scan->released);
	free(scan->buffer);
	free(scan->received);
	free(scan->out);
}

/* The first request's size: from the row goal, capped by the pushed LIMIT */
static int64_t
expected_first_limit(const SymblPagerConfig *cfg)
{
	int64_t		size = cfg->page_size;

	if (cfg->row_goal >= 0)
		size = min64(cfg->page_size, cfg->row_goal + cfg->local_skip + 1);
	if (cfg->max_rows >= 0)
		size = min64(size, cfg->max_rows);
	return size;
}

static bool
check_ask_size(Scan *scan, const SymblPageAsk *ask)
{
	const SymblPagerConfig *cfg = &scan->tc->cfg;
	int64_t		want;

	if (scan->asks == 0)
	{
		want = expected_first_limit(cfg);
		if (symbl_pager_first_limit(cfg) != want)
			return scan_fail(scan, "symbl_pager_first_limit says %" PRId64
							 ", expected %" PRId64,
							 symbl_pager_first_limit(cfg), want);
	}
	else
	{
		want = min64(cfg->page_size, 2 * scan->last_limit);
		/* a plan reading well past its row goal gets full pages */
		if (cfg->row_goal >= 0 &&
			scan->taken > 2 * (cfg->row_goal + cfg->local_skip))
			want = cfg->page_size;
		if (cfg->max_rows >= 0)
			want = min64(want, cfg->max_rows - scan->asked_rows);
	}
	if (want <= 0)
		return scan_fail(scan, "request %" PRId64 " sent after max_rows (%" PRId64
						 ") rows were asked for", scan->asks, cfg->max_rows);
	if (ask->limit < 1 || ask->limit > cfg->page_size)
		return scan_fail(scan, "request %" PRId64 " asks for %" PRId64
						 " rows, page_size is %" PRId64,
						 scan->asks, ask->limit, cfg->page_size);
	if (ask->limit != want)
		return scan_fail(scan, "request %" PRId64 " asks for %" PRId64
						 " rows, expected %" PRId64,
						 scan->asks, ask->limit, want);
	return true;
}

/*
 * See the header comment: why this bound.  Not for the plain offsets after
 * an anchored scan's end, nor when rows without startTime sort first.
 */
static bool
keyset_offset_bounded(const Scan *scan, int64_t *bound)
{
	const ModelData *data = &scan->tc->data;
	const SymblPagerConfig *cfg = &scan->tc->cfg;

	*bound = (SYMBL_PAGER_KEYSET_SPAN_PAGES + cfg->concurrency + 2) *
		cfg->page_size + data->largest_group * (data->inclusive ? 2 : 1) +
		(data->nulls_last ? data->nulls : 0);
	return cfg->keyset && cfg->first_offset == 0 && scan->tail_switches == 0 &&
		(data->nulls == 0 || data->nulls_last);
}

static bool
check_ask_offset(Scan *scan, const SymblPageAsk *ask)
{
	const SymblPagerConfig *cfg = &scan->tc->cfg;
	int64_t		depth = ask->anchored ? ask->offset : ask->offset - cfg->first_offset;
	int64_t		bound;

	if (ask->offset < 0)
		return scan_fail(scan, "request %" PRId64 " has offset %" PRId64,
						 scan->asks, ask->offset);
	if (ask->anchored && !cfg->keyset)
		return scan_fail(scan, "request %" PRId64 " is anchored in a scan"
						 " without keyset paging", scan->asks);
	if (ask->anchored && cfg->first_offset > 0)
		return scan_fail(scan, "request %" PRId64 " is anchored in a scan"
						 " from offset %" PRId64, scan->asks, cfg->first_offset);
	if (ask->anchored && scan->tail_switches > 0)
		return scan_fail(scan, "request %" PRId64 " is anchored after the"
						 " anchored scan's end", scan->asks);
	if (keyset_offset_bounded(scan, &bound) && depth >= bound)
		return scan_fail(scan, "request %" PRId64 " has offset %" PRId64
						 " (%s), at or above the bound %" PRId64,
						 scan->asks, ask->offset,
						 ask->anchored ? "anchored" : "not yet anchored", bound);
	return true;
}

/*
 * Requests tile their sequence: each one starts where the one before it
 * ended, but the first, the first of an anchor (at offset 0) and the first
 * after an anchored scan's end (at the rows returned).
 */
static bool
check_ask_tiles(Scan *scan, const SymblPageAsk *ask)
{
	int64_t		want;

	if (!scan->have_prev)
		want = scan->tc->cfg.first_offset;
	else if (ask->anchored && (!scan->prev.anchored || ask->anchor != scan->prev.anchor))
		want = 0;
	else if (!ask->anchored && scan->prev.anchored)
		want = scan->released_count;
	else
		want = scan->prev.offset + scan->prev.limit;
	/* nothing in flight: it may start at the rows held (then dropped) */
	if (ask->offset == want - scan->held_count && scan->sent_count == 0 &&
		scan->held_count > 0 && scan->held_count < ask->limit)
		want = ask->offset;
	if (ask->offset != want)
		return scan_fail(scan, "request %" PRId64 " (limit %" PRId64
						 ", offset %" PRId64 "%s) should start at offset %" PRId64,
						 scan->asks, ask->limit, ask->offset,
						 ask->anchored ? ", anchored" : "", want);
	if (ask->anchored && scan->have_prev && scan->prev.anchored &&
		ask->anchor < scan->prev.anchor)
		return scan_fail(scan, "request %" PRId64 " anchors before the last anchor",
						 scan->asks);
	return true;
}

static void
print_ask(const Scan *scan, const SymblPageAsk *ask, bool needed_now,
		  int64_t first_row)
{
	printf("  ask %" PRId64 "%s: limit %" PRId64 " offset %" PRId64,
		   scan->asks, needed_now ? " (needed now)" : " (prefetch)",
		   ask->limit, ask->offset);
	if (ask->anchored)
		printf(" startTime>=%" PRId64, ask->anchor);
	printf(" -> the row at %" PRId64 "\n", first_row);
}

static bool
scan_send(Scan *scan, const SymblPageAsk *ask, bool needed_now)
{
	const SymblPagerConfig *cfg = &scan->tc->cfg;
	int64_t		first_row = model_row_at(&scan->tc->data, ask, ask->offset);
	SentAsk    *slot;

	if (scan->verbose)
		print_ask(scan, ask, needed_now, first_row);
	if (scan->end_seen)
		return scan_fail(scan, "request %" PRId64 " sent after a short page",
						 scan->asks);
	if (needed_now && scan->sent_count > 0)
		return scan_fail(scan, "needed_now with requests in flight");
	/* a restart at the rows held: a pushed LIMIT counts them once */
	if (scan->have_prev && scan->sent_count == 0 && scan->held_count > 0 &&
		ask->anchored == scan->prev.anchored && ask->anchor == scan->prev.anchor &&
		ask->offset == scan->prev.offset + scan->prev.limit - scan->held_count)
		scan->asked_rows -= scan->held_count;
	/* a new anchor: a pushed LIMIT counts from the rows returned */
	if (ask->anchored && (!scan->have_prev || !scan->prev.anchored ||
						  ask->anchor != scan->prev.anchor))
	{
		if (scan->sent_count > 0)
			return scan_fail(scan, "request %" PRId64 " anchors with requests in flight",
							 scan->asks);
		scan->asked_rows = scan->released_count;
	}
	if (!check_ask_size(scan, ask) || !check_ask_offset(scan, ask) ||
		!check_ask_tiles(scan, ask))
		return false;
	if (scan->sent_count >= max64(1, cfg->concurrency))
		return scan_fail(scan, "request %" PRId64 " makes %" PRId64
						 " in flight, concurrency is %d",
						 scan->asks, scan->sent_count + 1, cfg->concurrency);
	if (!needed_now && scan->sent_count >= max64(1, scan->full_pages))
		return scan_fail(scan, "request %" PRId64 " (prefetch) makes %" PRId64
						 " in flight after %" PRId64 " full pages%s",
						 scan->asks, scan->sent_count + 1, scan->full_pages,
						 scan->tail_switches > 0 ? " since the anchored end" : "");
	slot = &scan->sent[(scan->sent_head + scan->sent_count) % (SYMBL_PAGER_MAX_PENDING + 1)];
	slot->ask = *ask;
	slot->first_row = first_row;
	scan->sent_count++;
	scan->asks++;
	scan->asked_rows += ask->limit;
	scan->last_limit = ask->limit;
	scan->anchored_seen |= ask->anchored;
	scan->have_prev = true;
	scan->prev = *ask;
	return true;
}

/* Prefetch at a random moment: a random number of times, or until refused */
static bool
scan_top_up(Scan *scan)
{
	int64_t		times = rng_chance(&scan->rng, 20) ? SYMBL_PAGER_MAX_PENDING + 1 :
		rng_range(&scan->rng, 1, 4);
	SymblPageAsk ask;

	while (times-- > 0 && symbl_pager_next_ask(&scan->pager, false, &ask))
	{
		if (!scan_send(scan, &ask, false))
			return false;
	}
	return true;
}

/* A row the pager lets the scan return joins its buffer; none twice */
static bool
scan_release(Scan *scan, int64_t id)
{
	int64_t		n = scan->tc->data.n;

	if (scan->received[id])
		return scan_fail(scan, "row %" PRId64 " returned twice", id);
	scan->received[id] = true;
	scan->buffer[(scan->buffer_head + scan->buffer_count) % n] = id;
	scan->buffer_count++;
	scan->released[scan->released_count++] = id;
	return true;
}

/* The answer's startTimes, as the scan hands them to the pager */
static void
answer_keys(const Scan *scan, const int64_t *ids, int64_t nrows,
			int64_t **keys, bool **nulls)
{
	const ModelData *data = &scan->tc->data;
	int64_t		i;

	*keys = xcalloc((size_t) nrows, sizeof(int64_t));
	*nulls = xcalloc((size_t) nrows, sizeof(bool));
	for (i = 0; i < nrows; i++)
	{
		(*nulls)[i] = !data_has_start(data, ids[i]);
		(*keys)[i] = (*nulls)[i] ? 0 : data->start[ids[i]];
	}
}

/* The re-read of a tie group: sent now, its rows all returned */
static bool
scan_reread(Scan *scan, const SymblPageAsk *ask)
{
	int64_t    *ids;
	int64_t		nrows;
	int64_t    *keys;
	bool	   *nulls;
	int64_t		bad_row;
	SymblPagerStatus status;
	int64_t		i;
	bool		ok = true;

	if (scan->verbose)
		printf("  re-read: limit %" PRId64 " offset %" PRId64 "%s\n",
			   ask->limit, ask->offset, ask->anchored ? " anchored" : "");
	if (ask->limit < 2 || ask->limit > SYMBL_PAGER_MAX_LIMIT)
		return scan_fail(scan, "a re-read asks for %" PRId64 " rows", ask->limit);
	ids = xcalloc((size_t) ask->limit, sizeof(int64_t));
	nrows = model_answer(&scan->tc->data, ask, ids, &scan->rng);
	answer_keys(scan, ids, nrows, &keys, &nulls);
	status = symbl_pager_reread_done(&scan->pager, nrows, keys, nulls, &bad_row);
	if (status != SYMBL_PAGER_OK)
		ok = scan_fail(scan, "reread_done status %d (row %" PRId64 ")",
					   (int) status, bad_row);
	for (i = 0; ok && i < nrows; i++)
		ok = scan_release(scan, ids[i]);
	scan->rereads++;
	free(ids);
	free(keys);
	free(nulls);
	return ok;
}

/*
 * Return what the pager says of a page: the rows held from the page
 * before (or none: they are dropped), a re-read, this page's rows
 * [from, to); the rest is held.
 */
static bool
scan_use(Scan *scan, const SymblPageUse *use, int64_t nrows)
{
	int64_t		i;

	if (use->release_held != 0 && use->release_held != scan->held_count)
		return scan_fail(scan, "%" PRId64 " held rows released, %" PRId64 " held",
						 use->release_held, scan->held_count);
	for (i = 0; i < use->release_held; i++)
		if (!scan_release(scan, scan->held[i]))
			return false;
	scan->held_count = 0;
	if (use->reread && !scan_reread(scan, &use->reread_ask))
		return false;
	if (use->from < 0 || use->from > use->to || use->to > nrows)
		return scan_fail(scan, "rows [%" PRId64 ", %" PRId64 ") of %" PRId64,
						 use->from, use->to, nrows);
	for (i = use->from; i < use->to; i++)
		if (!scan_release(scan, scan->ids[i]))
			return false;
	for (i = use->to; i < nrows; i++)
		scan->held[scan->held_count++] = scan->ids[i];
	return true;
}

static bool
same_ask(const SymblPageAsk *a, const SymblPageAsk *b)
{
	return a->limit == b->limit && a->offset == b->offset &&
		a->anchored == b->anchored && (!a->anchored || a->anchor == b->anchor);
}

/*
 * The pager has set drop_pending: a short unanchored page ends the scan, a
 * short anchored one switches it, once, to plain offsets from the rows
 * received on, with a full page.
 */
static bool
scan_drop(Scan *scan, const SymblPageAsk *short_ask)
{
	scan->end_seen = scan->pager.end_known;
	if (!scan->end_seen && !short_ask->anchored)
		return scan_fail(scan, "a short unanchored page did not end the scan");
	if (!scan->end_seen && ++scan->tail_switches > 1)
		return scan_fail(scan, "a second switch to plain offsets");
	symbl_pager_cancel(&scan->pager);
	scan->sent_count = 0;
	if (scan->held_count > 0)
		return scan_fail(scan, "rows held at the end of a sequence");
	scan->asked_rows = scan->released_count;
	if (!scan->end_seen)
		scan->last_limit = scan->tc->cfg.page_size;
	scan->full_pages = 0;
	return true;
}

/* Answer the oldest request from the model */
static bool
scan_answer_oldest(Scan *scan)
{
	SentAsk		sent = scan->sent[scan->sent_head];
	const SymblPageAsk *oldest = symbl_pager_oldest(&scan->pager);
	int64_t		nrows = model_answer(&scan->tc->data, &sent.ask, scan->ids, &scan->rng);
	int64_t		bad_row;
	int64_t    *keys;
	bool	   *nulls;
	SymblPageUse use;
	SymblPagerStatus status;
	int64_t		i;

	if (oldest == NULL || !same_ask(oldest, &sent.ask))
		return scan_fail(scan, "symbl_pager_oldest is not the oldest request sent");
	scan->sent_head = (scan->sent_head + 1) % (SYMBL_PAGER_MAX_PENDING + 1);
	scan->sent_count--;
	if (scan->verbose)
		printf("  page: %" PRId64 " rows from row %" PRId64 "\n", nrows,
			   nrows > 0 ? scan->ids[0] : sent.first_row);
	answer_keys(scan, scan->ids, nrows, &keys, &nulls);
	/* the millisecond before an anchor: rows returned already */
	for (i = 0; sent.ask.anchored && i < nrows && !nulls[i] &&
		 keys[i] < sent.ask.anchor; i++)
		scan->asked_rows--;
	status = symbl_pager_page_done(&scan->pager, nrows, keys, nulls, &use, &bad_row);
	free(keys);
	free(nulls);
	if (status != SYMBL_PAGER_OK)
		return scan_fail(scan, "page_done status %d (row %" PRId64 ")",
						 (int) status, bad_row);
	if (scan->verbose)
		printf("  use: release %" PRId64 ", reread %s, rows [%" PRId64 ", %" PRId64 ")\n",
			   use.release_held, use.reread ? "yes" : "no", use.from, use.to);
	if (!scan_use(scan, &use, nrows))
		return false;
	scan->received_rows += nrows;
	scan->full_pages += nrows == scan->tc->cfg.page_size;
	if (scan->tail_switches > 0)
		scan->tail_rows += nrows;
	if (scan->pager.drop_pending && nrows == sent.ask.limit)
		return scan_fail(scan, "drop_pending after a full page");
	if (scan->pager.drop_pending)
		return scan_drop(scan, &sent.ask);
	if (nrows < sent.ask.limit)
		return scan_fail(scan, "a short page did not end the scan");
	return true;
}

/* Give the caller a few rows, through the local quals, OFFSET and LIMIT */
static void
scan_consume(Scan *scan)
{
	int64_t		n = rng_range(&scan->rng, 1, 8);

	while (n-- > 0 && scan->buffer_count > 0 && !scan->done)
	{
		int64_t		id = scan->buffer[scan->buffer_head];

		scan->buffer_head = (scan->buffer_head + 1) % scan->tc->data.n;
		scan->buffer_count--;
		if (case_rejects(scan->tc, id))
			continue;
		scan->taken++;
		switch (symbl_pager_take_row(&scan->pager))
		{
			case SYMBL_ROW_SKIP:
				break;
			case SYMBL_ROW_RETURN:
				scan->out[scan->out_count++] = id;
				break;
			case SYMBL_ROW_RETURN_LAST:
				scan->out[scan->out_count++] = id;
				scan->done = true;
				break;
		}
	}
}

/* No rows and nothing in flight: ask now, or the scan is over */
static bool
scan_need_rows(Scan *scan)
{
	SymblPageAsk ask;

	if (symbl_pager_next_ask(&scan->pager, true, &ask))
		return scan_send(scan, &ask, true);
	if (!symbl_pager_finished(&scan->pager))
		return scan_fail(scan, "no request now, yet symbl_pager_finished is false");
	scan->done = true;
	return true;
}

static bool
scan_step(Scan *scan)
{
	if (rng_chance(&scan->rng, 30) && !scan_top_up(scan))
		return false;
	if (scan->sent_count > 0 && symbl_pager_finished(&scan->pager))
		return scan_fail(scan, "symbl_pager_finished with requests in flight");
	if (scan->buffer_count > 0 &&
		(scan->sent_count == 0 || rng_chance(&scan->rng, 70)))
	{
		scan_consume(scan);
		return true;
	}
	if (scan->sent_count > 0)
		return scan_answer_oldest(scan);
	return scan_need_rows(scan);
}

static bool
scan_run(Scan *scan)
{
	int64_t		steps;

	for (steps = 0; !scan->done; steps++)
	{
		if (steps >= MAX_STEPS)
			return scan_fail(scan, "the scan does not end (%d steps)", MAX_STEPS);
		if (!scan_step(scan))
			return false;
	}
	return true;
}

/*
 * The rows given to the scan are the window of the unanchored order: the
 * same startTimes in the same order, so each tie group inside the window
 * whole (its rows are distinct) and, at the window's edges, as many of a
 * group's rows as the window holds (which ones, PostgreSQL leaves open
 * too).  A scan that its local LIMIT ended gives a prefix of it.
 */
static bool
scan_check_released(Scan *scan, bool limited)
{
	const TestCase *tc = scan->tc;
	const SymblPagerConfig *cfg = &tc->cfg;
	int64_t		end = tc->data.n;
	int64_t		nwant;
	int64_t		i;

	if (cfg->max_rows >= 0)
		end = min64(end, cfg->first_offset + cfg->max_rows);
	nwant = max64(0, end - cfg->first_offset);
	if (scan->held_count > 0 && !limited)
		return scan_fail(scan, "%" PRId64 " rows held at the end", scan->held_count);
	if (scan->released_count > nwant || (!limited && scan->released_count != nwant))
		return scan_fail(scan, "%" PRId64 " rows returned by the pager, expected %" PRId64,
						 scan->released_count, nwant);
	for (i = 0; i < scan->released_count; i++)
	{
		if (!data_same_key(&tc->data, scan->released[i], cfg->first_offset + i))
			return scan_fail(scan, "row %" PRId64 " given to the scan is %" PRId64
							 ", whose startTime is not that of row %" PRId64,
							 i, scan->released[i], cfg->first_offset + i);
	}
	return true;
}

/* What the scan returned: the released rows through quals, OFFSET, LIMIT */
static bool
scan_check_rows(Scan *scan)
{
	const TestCase *tc = scan->tc;
	const SymblPagerConfig *cfg = &tc->cfg;
	int64_t		skip = cfg->local_skip;
	int64_t		nwant = 0;
	bool		limited = false;
	int64_t		i;

	for (i = 0; i < scan->released_count && !limited; i++)
	{
		int64_t		id = scan->released[i];

		if (case_rejects(tc, id))
			continue;
		if (skip > 0)
		{
			skip--;
			continue;
		}
		if (nwant >= scan->out_count || scan->out[nwant] != id)
			return scan_fail(scan, "row %" PRId64 " returned is %" PRId64
							 ", expected %" PRId64, nwant,
							 nwant < scan->out_count ? scan->out[nwant] : -1, id);
		nwant++;
		limited = cfg->local_limit >= 0 && nwant >= cfg->local_limit;
	}
	if (scan->out_count != nwant)
		return scan_fail(scan, "%" PRId64 " rows returned, expected %" PRId64,
						 scan->out_count, nwant);
	return scan_check_released(scan, limited || cfg->local_limit == 0);
}

/* A fixed case says whether its scan must anchor (to test what it names) */
static bool
scan_check_anchoring(Scan *scan)
{
	if (scan->tc->expect_anchor > 0 && !scan->anchored_seen)
		return scan_fail(scan, "the scan never anchored");
	if (scan->tc->expect_anchor == 0 && scan->anchored_seen)
		return scan_fail(scan, "the scan anchored");
	return true;
}

/* ---- cases ---- */

/*
 * What the cases exercised, by reading (missing_sort, missing): scans over
 * rows without startTime that anchored, and those whose plain offsets after
 * the anchored end brought rows (the rows the anchor cannot see).
 */
typedef struct Coverage
{
	int64_t		anchored[2][2];
	int64_t		tail_rows[2][2];
	int64_t		reread_scans;	/* scans that read a tie group again */
	int64_t		rereads;
} Coverage;

static Coverage coverage;

static void
coverage_add(const Scan *scan)
{
	const ModelData *data = &scan->tc->data;

	coverage.reread_scans += scan->rereads > 0;
	coverage.rereads += scan->rereads;
	if (data->nulls == 0)
		return;
	coverage.anchored[data->nulls_last][data->nulls_match] += scan->anchored_seen;
	coverage.tail_rows[data->nulls_last][data->nulls_match] += scan->tail_rows > 0;
}

static void
coverage_print(void)
{
	int			last;
	int			match;

	printf("pager model: scans with rows without startTime that anchored"
		   " (and got rows after the anchored end):");
	for (last = 0; last < 2; last++)
		for (match = 0; match < 2; match++)
			printf(" %s/%s %" PRId64 " (%" PRId64 ")", last ? "high" : "low",
				   match ? "match" : "nomatch", coverage.anchored[last][match],
				   coverage.tail_rows[last][match]);
	printf("\npager model: %" PRId64 " scans read a tie group again (%" PRId64
		   " re-reads in all)\n", coverage.reread_scans, coverage.rereads);
}

static bool
run_case(const TestCase *tc, uint64_t seed, bool verbose)
{
	Scan		scan;
	bool		ok;

	if (verbose)
	{
		printf("%s\n", tc->name);
		case_print(tc, stdout);
	}
	scan_init(&scan, tc, seed, verbose);
	ok = scan_run(&scan) && scan_check_rows(&scan) && scan_check_anchoring(&scan);
	if (!ok)
	{
		fprintf(stderr, "pager_model: %s FAILED: %s\n", tc->name, scan.error);
		case_print(tc, stderr);
	}
	else if (verbose)
		printf("  ok: %" PRId64 " rows returned, %" PRId64 " requests, %" PRId64 " re-reads%s\n",
			   scan.out_count, scan.asks, scan.rereads,
			   scan.tail_switches > 0 ? ", plain offsets after the anchored end" : "");
	coverage_add(&scan);
	scan_free(&scan);
	return ok;
}

static bool
run_fixed(int i, bool verbose)
{
	TestCase	tc;
	bool		ok;

	case_fixed(&tc, i);
	ok = run_case(&tc, (uint64_t) i, verbose);
	if (!ok)
		fprintf(stderr, "  replay: test/pager/run.sh --fixed %d\n", i);
	case_free(&tc);
	return ok;
}

static bool
run_seed(uint64_t seed, bool verbose)
{
	TestCase	tc;
	bool		ok;

	case_random(&tc, seed);
	ok = run_case(&tc, seed, verbose);
	if (!ok)
		fprintf(stderr, "  replay: test/pager/run.sh --seed %" PRIu64 "\n", seed);
	case_free(&tc);
	return ok;
}

static int
run_all(uint64_t cases)
{
	int64_t		failed = 0;
	uint64_t	seed;
	int			i;

	failed += fault_cases_failed();
	for (i = 0; i < case_fixed_count; i++)
		failed += !run_fixed(i, false);
	for (seed = 1; seed <= cases && failed < 10; seed++)
		failed += !run_seed(seed, false);
	coverage_print();
	printf("symbl_fdw: pager model, %d fault, %d fixed and %" PRIu64
		   " random cases, %" PRId64 " failed\n",
		   FAULT_CASES, case_fixed_count, seed - 1, failed);
	return failed == 0 ? 0 : 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: pager_model [--cases N] | --seed N | --fixed I\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	if (argc == 1)
		return run_all(20000);
	if (argc != 3)
		usage();
	if (strcmp(argv[1], "--cases") == 0)
		return run_all(strtoull(argv[2], NULL, 10));
	if (strcmp(argv[1], "--seed") == 0)
		return run_seed(strtoull(argv[2], NULL, 10), true) ? 0 : 1;
	if (strcmp(argv[1], "--fixed") == 0)
	{
		int			i = atoi(argv[2]);

		if (i < 0 || i >= case_fixed_count)
			usage();
		return run_fixed(i, true) ? 0 : 1;
	}
	usage();
	return 2;
}
