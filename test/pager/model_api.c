/*-------------------------------------------------------------------------
 *
 * model_api.c
 *		  A model of the Symbl API's paging (see model_api.h).
 *
 *-------------------------------------------------------------------------
 */
#include "model_api.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- random numbers (splitmix64) ---- */

uint64_t
rng_next(uint64_t *state)
{
	uint64_t	z = (*state += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* uniform in [lo, hi] */
int64_t
rng_range(uint64_t *state, int64_t lo, int64_t hi)
{
	return lo + (int64_t) (rng_next(state) % (uint64_t) (hi - lo + 1));
}

/* true with probability percent / 100 */
bool
rng_chance(uint64_t *state, int percent)
{
	return rng_range(state, 0, 99) < percent;
}

void *
xcalloc(size_t count, size_t size)
{
	void	   *p = calloc(count ? count : 1, size);

	if (p == NULL)
	{
		fprintf(stderr, "pager_model: out of memory\n");
		exit(2);
	}
	return p;
}
/* ---- the model API ---- */

/* the first row with startTime >= t (a missing startTime is never >=) */
int64_t
model_lower_bound(const ModelData *data, int64_t t)
{
	int64_t		lo = data->nulls;
	int64_t		hi = data->n;

	while (lo < hi)
	{
		int64_t		mid = lo + (hi - lo) / 2;

		if (data->start[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* where a request's answer starts in the whole ordered data */
int64_t
model_first_row(const ModelData *data, const SymblPageAsk *ask)
{
	int64_t		base = ask->anchored ? model_lower_bound(data, ask->anchor) : 0;

	return base + ask->offset;
}

int64_t
model_answer_rows(const ModelData *data, const SymblPageAsk *ask)
{
	int64_t		first = model_first_row(data, ask);

	if (first >= data->n)
		return 0;
	return min64(ask->limit, data->n - first);
}

/* ---- test data ---- */

/* Rows in tie groups: a group is one row, or with tie_percent 1..max_group */
void
data_generate(ModelData *data, uint64_t *rng, int64_t n, int tie_percent,
			  int64_t max_group)
{
	int64_t		t = rng_range(rng, -1000000, 1000000);
	int64_t		i = 0;

	data->n = n;
	data->start = xcalloc((size_t) n, sizeof(int64_t));
	data->largest_group = 0;
	while (i < n)
	{
		int64_t		size = rng_chance(rng, tie_percent) ? rng_range(rng, 1, max_group) : 1;
		int64_t		j;

		size = min64(size, n - i);
		for (j = 0; j < size; j++)
			data->start[i++] = t;
		data->largest_group = max64(data->largest_group, size);
		t += rng_range(rng, 1, 1000);
	}
}

/*
 * Some rows without a startTime, sorted first: a keyset scan that meets
 * one must fall back to offsets (an anchored request never returns them).
 * The API does not say where it sorts them; sorted last, re-anchoring
 * would lose them, which the pager cannot see.
 */
void
data_add_nulls(ModelData *data, int64_t nulls)
{
	int64_t		i;

	data->nulls = min64(nulls, data->n);
	for (i = 0; i < data->nulls; i++)
		data->start[i] = INT64_MIN;
}

/* n rows of distinct startTimes but for one group of group_size at group_at */
void
data_one_group(ModelData *data, int64_t n, int64_t group_at, int64_t group_size)
{
	int64_t		i;
	int64_t		t = 0;

	data->n = n;
	data->start = xcalloc((size_t) n, sizeof(int64_t));
	for (i = 0; i < n; i++)
	{
		if (i <= group_at || i >= group_at + group_size)
			t += 1000;
		data->start[i] = t;
	}
	data->largest_group = max64(1, min64(group_size, n - group_at));
}

/* a row inside a tie group, not its first, or -1 if there is none */
int64_t
data_pick_inside_group(const ModelData *data, uint64_t *rng)
{
	int			attempt;

	for (attempt = 0; attempt < 50 && data->n > 1; attempt++)
	{
		int64_t		i = rng_range(rng, 1, data->n - 1);

		if (data->start[i] == data->start[i - 1])
			return i;
	}
	return -1;
}

void
data_free(ModelData *data)
{
	free(data->start);
	data->start = NULL;
}
