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
#include <string.h>

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

/* ---- the data ---- */

/* the first row with a startTime, and the row after the last */
static int64_t
first_with_start(const ModelData *data)
{
	return data->nulls_last ? 0 : data->nulls;
}

static int64_t
end_with_start(const ModelData *data)
{
	return data->nulls_last ? data->n - data->nulls : data->n;
}

bool
data_has_start(const ModelData *data, int64_t id)
{
	return id >= first_with_start(data) && id < end_with_start(data);
}

/* the emulator's keys for this data's reading of the contract */
const char *
data_readings(const ModelData *data)
{
	static const char *const readings[2][2][2] = {
		{{"missing_sort=low missing=nomatch", "missing_sort=low missing=match"},
		{"missing_sort=high missing=nomatch", "missing_sort=high missing=match"}},
		{{"missing_sort=low missing=nomatch inclusive", "missing_sort=low missing=match inclusive"},
		{"missing_sort=high missing=nomatch inclusive", "missing_sort=high missing=match inclusive"}},
	};

	return readings[data->inclusive][data->nulls_last][data->nulls_match];
}

/* ---- the model API ---- */

/* the first row with startTime >= t, among the rows that have one */
int64_t
model_lower_bound(const ModelData *data, int64_t t)
{
	int64_t		lo = first_with_start(data);
	int64_t		hi = end_with_start(data);

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

/* the first row an anchored request can get, among those with a startTime */
static int64_t
anchored_from(const ModelData *data, const SymblPageAsk *ask)
{
	return model_lower_bound(data, ask->anchor - (data->inclusive ? 1 : 0));
}

/* how many rows a request's whole sequence (before limit and offset) has */
static int64_t
sequence_length(const ModelData *data, const SymblPageAsk *ask)
{
	if (!ask->anchored)
		return data->n;
	return end_with_start(data) - anchored_from(data, ask) +
		(data->nulls_match ? data->nulls : 0);
}

/*
 * The row at a position of a request's sequence (its offset plus the row's
 * place in the answer).  Past the sequence's end the ids go on counting, so
 * that a request beyond the end still says which rows it stands for: under
 * missing=nomatch, sorted last, those are the rows without startTime that
 * the anchored request cannot return.
 */
int64_t
model_row_at(const ModelData *data, const SymblPageAsk *ask, int64_t position)
{
	int64_t		from;

	if (!ask->anchored)
		return position;
	from = anchored_from(data, ask);
	if (data->nulls_match && !data->nulls_last)
		return position < data->nulls ? position : from + position - data->nulls;
	return from + position;
}

/* Two rows tie: the same startTime, or neither has one */
bool
data_same_key(const ModelData *data, int64_t a, int64_t b)
{
	bool		has_a = data_has_start(data, a);

	if (has_a != data_has_start(data, b))
		return false;
	return !has_a || data->start[a] == data->start[b];
}

/* The ids of row id's tie group: [*lo, *hi) */
static void
tie_group(const ModelData *data, int64_t id, int64_t *lo, int64_t *hi)
{
	*lo = id;
	*hi = id + 1;
	while (*lo > 0 && data_same_key(data, *lo - 1, id))
		(*lo)--;
	while (*hi < data->n && data_same_key(data, *hi, id))
		(*hi)++;
}

/*
 * This answer's order of each tie group it touches: a random permutation
 * of the group's rows over the group's positions (a group's rows are
 * consecutive ids, at consecutive positions).
 */
static void
shuffle_ties(const ModelData *data, int64_t *ids, int64_t nrows, uint64_t *rng)
{
	int64_t		i = 0;

	while (i < nrows)
	{
		int64_t		lo;
		int64_t		hi;
		int64_t		n;
		int64_t    *perm;
		int64_t		j;

		tie_group(data, ids[i], &lo, &hi);
		n = hi - lo;
		if (n == 1)
		{
			i++;
			continue;
		}
		perm = xcalloc((size_t) n, sizeof(int64_t));
		for (j = 0; j < n; j++)
			perm[j] = lo + j;
		for (j = n - 1; j > 0; j--)
		{
			int64_t		k = rng_range(rng, 0, j);
			int64_t		t = perm[j];

			perm[j] = perm[k];
			perm[k] = t;
		}
		for (; i < nrows && ids[i] >= lo && ids[i] < hi; i++)
			ids[i] = perm[ids[i] - lo];
		free(perm);
	}
}

/*
 * The ids a request gets, in the order it gets them (ids may be NULL:
 * then only their count); returns their count.
 */
int64_t
model_answer(const ModelData *data, const SymblPageAsk *ask, int64_t *ids,
			 uint64_t *rng)
{
	int64_t		nrows = min64(ask->limit,
							  max64(0, sequence_length(data, ask) - ask->offset));
	int64_t		i;

	if (ids == NULL)
		return nrows;
	for (i = 0; i < nrows; i++)
		ids[i] = model_row_at(data, ask, ask->offset + i);
	shuffle_ties(data, ids, nrows, rng);
	return nrows;
}

/* ---- test data ---- */

/* the rows in the largest group of equal startTimes */
static int64_t
largest_group(const ModelData *data)
{
	int64_t		largest = 0;
	int64_t		size = 0;
	int64_t		i;

	for (i = first_with_start(data); i < end_with_start(data); i++)
	{
		size = i > first_with_start(data) && data->start[i] == data->start[i - 1] ?
			size + 1 : 1;
		largest = max64(largest, size);
	}
	return largest;
}

/* Rows in tie groups: a group is one row, or with tie_percent 1..max_group */
void
data_generate(ModelData *data, uint64_t *rng, int64_t n, int tie_percent,
			  int64_t max_group)
{
	int64_t		t = rng_range(rng, -1000000, 1000000);
	int64_t		i = 0;

	memset(data, 0, sizeof(*data));
	data->n = n;
	data->start = xcalloc((size_t) n, sizeof(int64_t));
	while (i < n)
	{
		int64_t		size = rng_chance(rng, tie_percent) ? rng_range(rng, 1, max_group) : 1;
		int64_t		j;

		size = min64(size, n - i);
		for (j = 0; j < size; j++)
			data->start[i++] = t;
		/* often a millisecond apart: what an inclusive anchor adds */
		t += rng_chance(rng, 30) ? 1 : rng_range(rng, 2, 1000);
	}
	data->largest_group = largest_group(data);
}

/*
 * The first (last: sorted last) rows lose their startTime.  Sorted first,
 * a keyset scan meets them before it could anchor, and stays with offsets.
 * Sorted last, the scan has anchored long before: under missing=match the
 * anchored requests return them after the rest, under missing=nomatch only
 * the unanchored request after the anchored scan's end can.
 */
void
data_add_nulls(ModelData *data, int64_t nulls, bool last, bool match)
{
	int64_t		i;

	data->nulls = min64(nulls, data->n);
	data->nulls_last = last;
	data->nulls_match = match;
	for (i = 0; i < data->n; i++)
	{
		if (!data_has_start(data, i))
			data->start[i] = 0;
	}
	data->largest_group = largest_group(data);
}

/* n rows of distinct startTimes but for one group of group_size at group_at */
void
data_one_group(ModelData *data, int64_t n, int64_t group_at, int64_t group_size)
{
	int64_t		i;
	int64_t		t = 0;

	memset(data, 0, sizeof(*data));
	data->n = n;
	data->start = xcalloc((size_t) n, sizeof(int64_t));
	for (i = 0; i < n; i++)
	{
		if (i <= group_at || i >= group_at + group_size)
			t += 1000;
		data->start[i] = t;
	}
	data->largest_group = largest_group(data);
}

/* a row inside a tie group, not its first, or -1 if there is none */
int64_t
data_pick_inside_group(const ModelData *data, uint64_t *rng)
{
	int			attempt;

	for (attempt = 0; attempt < 50 && data->n > 1; attempt++)
	{
		int64_t		i = rng_range(rng, 1, data->n - 1);

		if (data_has_start(data, i) && data_has_start(data, i - 1) &&
			data->start[i] == data->start[i - 1])
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
