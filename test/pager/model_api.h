/*-------------------------------------------------------------------------
 *
 * model_api.h
 *		  A model of the Symbl API's paging for test/pager/pager_model.c:
 *		  ordered rows in tie groups, some without a startTime, and the rows
 *		  a request gets.
 *
 * Row ids are positions in the unanchored order: rows with a startTime
 * sorted by (startTime, id), and the rows without one before or after them
 * all (the contract does not say where: the emulator's missing_sort=low or
 * high).  An unanchored request (limit, offset) gets the rows at positions
 * [offset, offset + limit) of that order.  An anchored one (the startTime
 * parameter one millisecond before the anchor) gets the same slice of
 * another sequence: the rows whose startTime is >= anchor (or, when the
 * API reads the parameter as inclusive, >= anchor - 1), in order, and, if
 * the API lets it match a missing startTime (missing=match), the rows
 * without one where the sort puts them.  Under missing_sort=low and
 * missing=match that sequence is not one run of ids: the rows without
 * startTime, then a gap, then the rows from the anchor on.
 *
 * The API sorts by startTime only: every answer puts the rows of each tie
 * group (equal startTimes, or none) in an order of its own, drawn at
 * random per request, so the rows at a group's positions differ between
 * requests; the positions themselves do not.
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
	int64_t    *start;			/* startTime of row i (ascending among the
								 * rows that have one) */
	int64_t		nulls;			/* rows without startTime */
	bool		nulls_last;		/* missing_sort=high, else low (first) */
	bool		nulls_match;	/* missing=match: startTime=T matches them */
	bool		inclusive;		/* the startTime parameter is inclusive */
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

/* the data */
extern bool data_has_start(const ModelData *data, int64_t id);
extern const char *data_readings(const ModelData *data);

/* the API */
extern int64_t model_lower_bound(const ModelData *data, int64_t t);
extern int64_t model_row_at(const ModelData *data, const SymblPageAsk *ask,
							int64_t position);
extern int64_t model_answer(const ModelData *data, const SymblPageAsk *ask,
							int64_t *ids, uint64_t *rng);
extern bool data_same_key(const ModelData *data, int64_t a, int64_t b);

/* test data */
extern void data_generate(ModelData *data, uint64_t *rng, int64_t n,
						  int tie_percent, int64_t max_group);
extern void data_add_nulls(ModelData *data, int64_t nulls, bool last,
						   bool match);
extern void data_one_group(ModelData *data, int64_t n, int64_t group_at,
						   int64_t group_size);
extern int64_t data_pick_inside_group(const ModelData *data, uint64_t *rng);
extern void data_free(ModelData *data);

#endif							/* MODEL_API_H */
