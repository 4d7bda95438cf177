/*-------------------------------------------------------------------------
 *
 * pager_faults.c
 *		  Answers the API must not give, and the status the pager gives them.
 *
 *-------------------------------------------------------------------------
 */
#include "pager_faults.h"

#include <inttypes.h>
#include <stdio.h>

static void
fault_pager(SymblPager *pager, int64_t page_size, bool keyset)
{
	SymblPagerConfig cfg = {
		.page_size = page_size,
		.concurrency = 1,
		.max_rows = -1,
		.row_goal = -1,
		.keyset = keyset,
		.local_limit = -1,
	};

	symbl_pager_init(pager, &cfg);
}

/* One page of nrows rows with startTimes start, start + step, ... */
static SymblPagerStatus
fault_page(SymblPager *pager, int64_t nrows, int64_t start, int64_t step,
		   bool null_last, int64_t *bad_row)
{
	int64_t		starts[8];
	bool		nulls[8] = {false};
	SymblPageAsk ask;
	SymblPageUse use;
	int64_t		i;

	if (!symbl_pager_next_ask(pager, true, &ask))
		return (SymblPagerStatus) -1;
	for (i = 0; i < nrows; i++)
		starts[i] = start + i * step;
	nulls[nrows - 1] = null_last;
	return symbl_pager_page_done(pager, nrows, starts, nulls, &use, bad_row);
}

/* The next page of fault_page's rows must get status want, naming want_row */
static bool
fault_expect(const char *what, SymblPager *pager, int64_t nrows, int64_t start,
			 int64_t step, bool null_last, SymblPagerStatus want,
			 int64_t want_row)
{
	int64_t		bad_row;
	SymblPagerStatus got = fault_page(pager, nrows, start, step, null_last,
									  &bad_row);

	if (got == want && bad_row == want_row)
		return true;
	fprintf(stderr, "pager_model: fault case \"%s\" FAILED: status %d row %"
			PRId64 ", expected status %d row %" PRId64 "\n",
			what, (int) got, bad_row, (int) want, want_row);
	return false;
}

/*
 * A tie group across pages is read again: an answer that is not the group
 * again, with as many rows, means the conversations changed meanwhile.
 */
static int
reread_faults(void)
{
	static const struct
	{
		const char *what;
		int64_t		nrows;
		int64_t		keys[4];
		SymblPagerStatus want;
		int64_t		want_row;
	}			cases[] =
	{
		{"a short re-read", 2, {7, 7}, SYMBL_PAGER_REREAD_DIFFERS, -1},
		{"a long re-read", 4, {7, 7, 7, 7}, SYMBL_PAGER_TOO_MANY_ROWS, -1},
		{"a re-read of other rows", 3, {7, 8, 7}, SYMBL_PAGER_REREAD_DIFFERS, 1},
	};
	bool		nulls[4] = {false};
	int			failed = 0;
	int			i;

	for (i = 0; i < (int) (sizeof(cases) / sizeof(cases[0])); i++)
	{
		SymblPager	pager;
		int64_t		bad_row;
		SymblPagerStatus got;

		/* pages (7, 7) and (7, 8): the group of 7 is read again, 3 rows */
		fault_pager(&pager, 2, false);
		fault_page(&pager, 2, 7, 0, false, &bad_row);
		fault_page(&pager, 2, 7, 1, false, &bad_row);
		got = symbl_pager_reread_done(&pager, cases[i].nrows, cases[i].keys,
									  nulls, &bad_row);
		if (got != cases[i].want || bad_row != cases[i].want_row)
		{
			fprintf(stderr, "pager_model: fault case \"%s\" FAILED: status %d row %"
					PRId64 ", expected status %d row %" PRId64 "\n", cases[i].what,
					(int) got, bad_row, (int) cases[i].want, cases[i].want_row);
			failed++;
		}
	}
	return failed;
}

/*
 * More rows than asked for, startTime going backwards in a page or from one
 * page to the next: the pager names the status and the row, for the
 * scan's error.  A row without startTime once anchored only ends
 * re-anchoring.
 */
int
fault_cases_failed(void)
{
	SymblPager	pager;
	int64_t		bad_row;
	int64_t		i;
	int			failed = 0;

	fault_pager(&pager, 4, true);
	failed += !fault_expect("5 rows for limit 4", &pager, 5, 0, 1, false,
							SYMBL_PAGER_TOO_MANY_ROWS, -1);
	fault_pager(&pager, 4, true);
	failed += !fault_expect("backwards in a page", &pager, 4, 10, -1, false,
							SYMBL_PAGER_OUT_OF_ORDER, 1);
	fault_pager(&pager, 2, true);
	fault_page(&pager, 2, 10, 1, false, &bad_row);
	failed += !fault_expect("backwards across pages", &pager, 2, 5, 1, false,
							SYMBL_PAGER_OUT_OF_ORDER, 0);
	fault_pager(&pager, 4, false);
	failed += !fault_expect("backwards without keyset", &pager, 4, 10, -1, false,
							SYMBL_PAGER_OUT_OF_ORDER, 1);
	failed += reread_faults();
	fault_pager(&pager, 1, true);
	for (i = 0; i <= SYMBL_PAGER_KEYSET_SPAN_PAGES; i++)
		fault_page(&pager, 1, i, 1, false, &bad_row);
	failed += !fault_expect("no startTime once anchored", &pager, 1, 99, 1, true,
							SYMBL_PAGER_OK, -1);
	if (pager.keyset)
	{
		printf("no startTime once anchored: re-anchoring still on\n");
		failed++;
	}
	return failed;
}
