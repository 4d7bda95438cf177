/*-------------------------------------------------------------------------
 *
 * model_api.h
 *		  A model of the Symbl API's paging for test/pager/pager_model.c:
 *		  ordered rows in tie groups, and the rows a request gets.
 *
 * Rows are sorted by (startTime, id), ids unique (here: the row number).
 * A request (limit, offset, anchored, anchor) gets the rows with
 * startTime >= anchor when anchored (all rows otherwise), in that order,
 * sliced [offset, offset + limit).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MODEL_API_H
#define MODEL_API_H

#include "pager.h"

#include <stddef.h>

typedef struct ModelData
{
	int64_t		n;
	int64_t    *start;			/* startTime of row i, ascending */
	int64_t		nulls;			/* the first rows have none (sorted first) */
	int64_t		largest_group;	/* rows in the largest tie group */
} ModelData;

static inline int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static inline int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* random numbers: one seed replays one case */
extern uint64_t rng_next(uint64_t *state);
extern int64_t rng_range(uint64_t *state, int64_t lo, int64_t hi);
extern bool rng_chance(uint64_t *state, int percent);

extern void *xcalloc(size_t count, size_t size);

/* the API */
extern int64_t model_lower_bound(const ModelData *data, int64_t t);
extern int64_t model_first_row(const ModelData *data, const SymblPageAsk *ask);
extern int64_t model_answer_rows(const ModelData *data, const SymblPageAsk *ask);

/* its data */
extern void data_generate(ModelData *data, uint64_t *rng, int64_t n,
						  int tie_percent, int64_t max_group);
extern void data_add_nulls(ModelData *data, int64_t nulls);
extern void data_one_group(ModelData *data, int64_t n, int64_t group_at,
						   int64_t group_size);
extern int64_t data_pick_inside_group(const ModelData *data, uint64_t *rng);
extern void data_free(ModelData *data);

#endif							/* MODEL_API_H */
