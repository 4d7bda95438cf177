/*-------------------------------------------------------------------------
 *
 * pager_cases.c
 *		  The scans the pager model test plays (see pager_cases.h).
 *
 * Random cases: 0 to 3,000 rows in tie groups of 1 to 60 (none, some, most
 * of them); in a quarter of them 1 to 30 rows (or up to 300) without
 * startTime; each case draws where the API sorts those (first or last) and
 * whether an anchor matches them; pages of 1 to 1,000 rows; 1 to 16 in
 * flight; OFFSET often inside a tie group; LIMIT, row goal, local quals,
 * OFFSET and LIMIT, keyset paging on or off.
 *
 *-------------------------------------------------------------------------
 */
#include "pager_cases.h"

#include <inttypes.h>
#include <string.h>

bool
case_rejects(const TestCase *tc, int64_t id)
{
	return tc->reject_mod > 0 &&
		((uint64_t) id * UINT64_C(2654435761)) % (uint64_t) tc->reject_mod == 0;
}

static int64_t
random_page_size(uint64_t *rng)
{
	int64_t		pick = rng_range(rng, 0, 99);

	if (pick < 10)
		return 1;
	if (pick < 40)
		return rng_range(rng, 2, 8);
	if (pick < 70)
		return rng_range(rng, 1, 64);
	if (pick < 90)
		return rng_range(rng, 1, 300);
	return 1000;
}

static int64_t
random_size(uint64_t *rng)
{
	int64_t		pick = rng_range(rng, 0, 99);

	if (pick < 20)
		return rng_range(rng, 0, 20);
	if (pick < 50)
		return rng_range(rng, 0, 300);
	return rng_range(rng, 0, 3000);
}

static int64_t
random_first_offset(const ModelData *data, uint64_t *rng)
{
	int64_t		pick = rng_range(rng, 0, 99);
	int64_t		inside;

	if (pick < 35)
		return 0;
	if (pick < 75 && (inside = data_pick_inside_group(data, rng)) >= 0)
		return inside;
	return rng_range(rng, 0, data->n + 5);
}

/* -1 (none) with probability none_percent, else small or up to near n */
static int64_t
random_count(uint64_t *rng, int none_percent, int64_t n)
{
	if (rng_chance(rng, none_percent))
		return -1;
	if (rng_chance(rng, 50))
		return rng_range(rng, 0, 50);
	return rng_range(rng, 0, n + 5);
}

void
case_random(TestCase *tc, uint64_t seed)
{
	static const int tie_percents[] = {0, 10, 50, 90};
	uint64_t	rng = seed;
	SymblPagerConfig *cfg = &tc->cfg;
	bool		nulls_last;
	bool		nulls_match;

	memset(tc, 0, sizeof(*tc));
	snprintf(tc->name, sizeof(tc->name), "seed %" PRIu64, seed);
	tc->expect_anchor = -1;
	data_generate(&tc->data, &rng, random_size(&rng),
				  tie_percents[rng_range(&rng, 0, 3)], 60);
	nulls_last = rng_chance(&rng, 50);
	nulls_match = rng_chance(&rng, 50);
	if (rng_chance(&rng, 25))
		data_add_nulls(&tc->data,
					   rng_range(&rng, 1, rng_chance(&rng, 70) ? 30 : 300),
					   nulls_last, nulls_match);
	else
		data_add_nulls(&tc->data, 0, nulls_last, nulls_match);
	tc->data.inclusive = rng_chance(&rng, 50);
	cfg->page_size = random_page_size(&rng);
	cfg->concurrency = (int) rng_range(&rng, 1, 16);
	cfg->first_offset = random_first_offset(&tc->data, &rng);
	cfg->max_rows = random_count(&rng, 50, tc->data.n);
	cfg->row_goal = random_count(&rng, 60, tc->data.n);
	cfg->keyset = rng_chance(&rng, 70);
	cfg->local_skip = rng_chance(&rng, 70) ? 0 : rng_range(&rng, 0, 60);
	cfg->local_limit = random_count(&rng, 70, tc->data.n);
	tc->reject_mod = rng_chance(&rng, 80) ? 0 : (int) rng_range(&rng, 2, 5);
}

/*
 * OFFSET into a tie group: re-anchoring at that group once skipped only
 * the rows of it the scan had received, not the ones OFFSET had skipped,
 * so the anchored requests returned rows the scan already had.  Scans with
 * an OFFSET now keep plain offsets (these must not anchor).  At page 1000
 * a scan would re-anchor after 16 pages: long past the 25-row group,
 * inside the 20000-row one.
 *
 * Rows without startTime, in scans from offset 0 with pages small enough
 * to anchor: sorted last, an anchor that matches them returns them after
 * the rest; one that does not stops short of them, and the request
 * without the anchor after the anchored end must bring them (more of them
 * than a page, with 16 in flight to drop; a LIMIT that ends among them;
 * pages of 1).  Sorted first, they come with the first page, and the scan
 * keeps plain offsets.  Without any, the anchored end still asks once more.
 */
static const struct
{
	const char *name;
	int64_t		n;				/* rows, those without startTime included */
	int64_t		group_at;
	int64_t		group_size;
	int64_t		page_size;
	int			concurrency;
	int64_t		first_offset;
	int64_t		max_rows;
	int64_t		nulls;
	bool		nulls_last;
	bool		nulls_match;
	int			expect_anchor;
}			fixed_cases[] =
{
	{"offset 5 rows into a 25-row group, page 1, LIMIT 40",
	200, 30, 25, 1, 1, 35, 40, 0, false, false, 0},
	{"the same, prefetching 16",
	200, 30, 25, 1, 16, 35, 40, 0, false, false, 0},
	{"the same at page 1000, 17+ pages past it",
	40000, 30, 25, 1000, 4, 35, -1, 0, false, false, 0},
	{"offset 5 rows into a 20000-row group, page 1000",
	40000, 30, 20000, 1000, 4, 35, -1, 0, false, false, 0},
	{"offset at a group's first row, page 1",
	200, 30, 25, 1, 2, 30, 40, 0, false, false, 0},
	{"7 without startTime sorted last, matched, after a 10-row group, page 4",
	207, 190, 10, 4, 3, 0, -1, 7, true, true, 1},
	{"7 without startTime sorted last, not matched, after a 10-row group, page 4",
	207, 190, 10, 4, 3, 0, -1, 7, true, false, 1},
	{"30 without startTime sorted last, not matched, page 4, prefetching 16",
	230, 100, 30, 4, 16, 0, -1, 30, true, false, 1},
	{"7 without startTime sorted last, not matched, LIMIT ends among them",
	207, 190, 10, 4, 2, 0, 203, 7, true, false, 1},
	{"1 without startTime sorted last, not matched, page 1",
	101, 50, 5, 1, 1, 0, -1, 1, true, false, 1},
	{"7 without startTime sorted first, matched, page 4",
	207, 190, 10, 4, 3, 0, -1, 7, false, true, 0},
	{"every row with a startTime, page 4: the anchored end asks once more",
	100, 50, 5, 4, 3, 0, -1, 0, false, false, 1},
};

const int	case_fixed_count = (int) (sizeof(fixed_cases) / sizeof(fixed_cases[0]));

void
case_fixed(TestCase *tc, int i)
{
	SymblPagerConfig *cfg = &tc->cfg;

	memset(tc, 0, sizeof(*tc));
	snprintf(tc->name, sizeof(tc->name), "fixed %d (%s)", i, fixed_cases[i].name);
	data_one_group(&tc->data, fixed_cases[i].n, fixed_cases[i].group_at,
				   fixed_cases[i].group_size);
	data_add_nulls(&tc->data, fixed_cases[i].nulls, fixed_cases[i].nulls_last,
				   fixed_cases[i].nulls_match);
	tc->data.inclusive = i % 2 == 1;
	tc->expect_anchor = fixed_cases[i].expect_anchor;
	cfg->page_size = fixed_cases[i].page_size;
	cfg->concurrency = fixed_cases[i].concurrency;
	cfg->first_offset = fixed_cases[i].first_offset;
	cfg->max_rows = fixed_cases[i].max_rows;
	cfg->row_goal = -1;
	cfg->keyset = true;
	cfg->local_skip = 0;
	cfg->local_limit = -1;
}

void
case_free(TestCase *tc)
{
	data_free(&tc->data);
}

void
case_print(const TestCase *tc, FILE *out)
{
	const SymblPagerConfig *cfg = &tc->cfg;

	fprintf(out,
			"  data: %" PRId64 " rows, %" PRId64 " without startTime (%s)"
			", largest tie group %" PRId64 "\n"
			"  page_size %" PRId64 ", concurrency %d, first_offset %" PRId64
			", max_rows %" PRId64 ", row_goal %" PRId64 ", keyset %s\n"
			"  local_skip %" PRId64 ", local_limit %" PRId64 ", ",
			tc->data.n, tc->data.nulls, data_readings(&tc->data),
			tc->data.largest_group,
			cfg->page_size, cfg->concurrency, cfg->first_offset,
			cfg->max_rows, cfg->row_goal, cfg->keyset ? "on" : "off",
			cfg->local_skip, cfg->local_limit);
	if (tc->reject_mod > 0)
		fprintf(out, "local quals reject id * 2654435761 %% %d == 0\n",
				tc->reject_mod);
	else
		fprintf(out, "no local quals\n");
	if (cfg->first_offset < tc->data.n &&
		data_has_start(&tc->data, cfg->first_offset))
	{
		int64_t		first = model_lower_bound(&tc->data,
											  tc->data.start[cfg->first_offset]);

		fprintf(out, "  first_offset is %" PRId64 " rows into its tie group\n",
				cfg->first_offset - first);
	}
}
