/*-------------------------------------------------------------------------
 *
 * pager.h
 *		  Which pages a scan asks the API for: sizes, offsets, prefetch,
 *		  keyset re-anchoring and the local LIMIT/OFFSET fallback.
 *
 * A pure state machine with no PostgreSQL headers, so that
 * test/pager/pager_model.c can compare it with a model of the API over
 * random page sizes, offsets, tie groups, prefetch depths and re-anchors.
 * The scan (conversation_scan.c) sends what symbl_pager_next_ask says, hands each
 * answer back in order with symbl_pager_page_done, returns the rows it is
 * told to (SymblPageUse), and asks symbl_pager_take_row for every row it
 * would return.
 *
 * A row's key is its startTime in whole milliseconds (the API's
 * precision), or missing.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_PAGER_H
#define SYMBL_PAGER_H

#include <stdbool.h>
#include <stdint.h>

/* the most requests in flight at once (max_concurrent_requests' maximum) */
#define SYMBL_PAGER_MAX_PENDING 16

/*
 * Keyset paging: every this many pages, requests re-anchor at the startTime
 * of the last row received, so offsets stay small however deep the scan
 * goes (offset paging costs the server O(offset) a page).
 */
#define SYMBL_PAGER_KEYSET_SPAN_PAGES 16

/* the largest limit the API takes: a tie group re-read must fit in it */
#define SYMBL_PAGER_MAX_LIMIT 65536

typedef struct SymblPagerConfig
{
	int64_t		page_size;		/* rows of a full request */
	int			concurrency;	/* requests in flight at most */
	int64_t		first_offset;	/* the pushed OFFSET */
	int64_t		max_rows;		/* the pushed LIMIT, -1 for none */
	int64_t		row_goal;		/* rows the plan above wants, -1 unknown */
	bool		keyset;			/* rows come in ascending startTime; anchors
								 * only from offset 0 */
	bool		descending;		/* rows come in descending startTime */
	int64_t		local_skip;		/* OFFSET rows the scan skips itself */
	int64_t		local_limit;	/* LIMIT the scan applies itself, -1 none */
} SymblPagerConfig;

/*
 * One request: its limit and offset, and the anchor it carries.  An
 * anchored request asks for the rows whose startTime is at or after the
 * anchor, with the documented startTime parameter one millisecond before
 * it (the API may read that bound as exclusive or inclusive: the rows of
 * that millisecond, all received already, are dropped).
 */
typedef struct SymblPageAsk
{
	int64_t		limit;
	int64_t		offset;
	bool		anchored;
	int64_t		anchor;			/* milliseconds */
} SymblPageAsk;

/*
 * What the scan returns, in this order, once a page has arrived: the last
 * release_held rows of the page before (held back because the rows after
 * them might tie with them), then, if reread, every row of reread_ask
 * (sent now: a group of equal startTimes that crossed a page boundary, in
 * one answer), then this page's rows [from, to).  Rows [to, nrows) are
 * held back in their turn.
 */
typedef struct SymblPageUse
{
	int64_t		release_held;
	bool		reread;
	SymblPageAsk reread_ask;
	int64_t		from;
	int64_t		to;
} SymblPageUse;

typedef enum SymblPagerStatus
{
	SYMBL_PAGER_OK,
	SYMBL_PAGER_TOO_MANY_ROWS,	/* more rows than the limit asked for */
	SYMBL_PAGER_OUT_OF_ORDER,	/* startTime went against the order */
	SYMBL_PAGER_TIE_TOO_LARGE,	/* a tie group to re-read exceeds a limit */
	SYMBL_PAGER_REREAD_DIFFERS	/* a re-read is not the tie group it was */
} SymblPagerStatus;

/* What the scan does with a row that passed its quals */
typedef enum SymblRowFate
{
	SYMBL_ROW_SKIP,				/* a local OFFSET takes it */
	SYMBL_ROW_RETURN,
	SYMBL_ROW_RETURN_LAST		/* the local LIMIT is reached with it */
} SymblRowFate;

typedef struct SymblPager
{
	SymblPagerConfig cfg;

	/* requests in flight, oldest first (a ring) */
	SymblPageAsk pending[SYMBL_PAGER_MAX_PENDING];
	int			pending_head;
	int			pending_count;

	int64_t		asked_total;	/* rows asked for in all */
	int64_t		released_total; /* rows given to the scan (distinct) */
	int64_t		returned_total; /* rows the scan returned (passed its quals) */
	int64_t		span_asked;		/* rows asked for since the anchor */
	int64_t		last_limit;		/* of the last request, while ramping */
	int			full_pages;		/* of page_size rows, seen so far */
	bool		end_known;		/* a short page has shown the end */
	bool		drop_pending;	/* the requests in flight are not needed */

	/* the order, checked: the last startTime received */
	bool		have_last;
	int64_t		last_key;

	/*
	 * The run of equal startTimes (or of missing ones) at the end of what
	 * was received: its position in the current sequence (anchored or not),
	 * its length, whether it crossed a page boundary (then one request
	 * re-reads it whole when it ends), and its rows the scan holds back.
	 */
	bool		have_run;
	bool		run_null;
	int64_t		run_key;
	int64_t		run_first;
	int64_t		run_len;
	bool		run_spans;
	int64_t		held;
	int64_t		reread_limit;	/* the re-read asked for, 0: none */
	bool		reread_null;
	int64_t		reread_key;

	/* keyset paging */
	bool		keyset;			/* still possible */
	bool		anchored;
	int64_t		anchor;
	bool		below_anchor;	/* rows before the anchor may still come */

	/* local LIMIT/OFFSET */
	int64_t		skip_left;
	int64_t		return_left;	/* -1: no local LIMIT */
} SymblPager;

extern void symbl_pager_init(SymblPager *pager, const SymblPagerConfig *cfg);
extern bool symbl_pager_next_ask(SymblPager *pager, bool needed_now,
								 SymblPageAsk *ask);
extern const SymblPageAsk *symbl_pager_oldest(const SymblPager *pager);
extern SymblPagerStatus symbl_pager_page_done(SymblPager *pager, int64_t nrows,
											  const int64_t *keys,
											  const bool *key_nulls,
											  SymblPageUse *use,
											  int64_t *bad_row);
extern SymblPagerStatus symbl_pager_reread_done(SymblPager *pager, int64_t nrows,
												const int64_t *keys,
												const bool *key_nulls,
												int64_t *bad_row);
extern void symbl_pager_cancel(SymblPager *pager);
extern bool symbl_pager_finished(const SymblPager *pager);
extern SymblRowFate symbl_pager_take_row(SymblPager *pager);
extern int64_t symbl_pager_first_limit(const SymblPagerConfig *cfg);

#endif							/* SYMBL_PAGER_H */
