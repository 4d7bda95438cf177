/*-------------------------------------------------------------------------
 *
 * pager_cases.h
 *		  The scans test/pager/pager_model.c plays: random ones from a seed,
 *		  fixed ones, and the rows each must return.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PAGER_CASES_H
#define PAGER_CASES_H

#include "model_api.h"

#include <stdio.h>

typedef struct TestCase
{
	char		name[128];
	SymblPagerConfig cfg;
	ModelData	data;
	int			reject_mod;		/* local quals reject some rows; 0: none */
	int			expect_anchor;	/* the scan must anchor: 1, must not: 0,
								 * either: -1 */
} TestCase;

extern const int case_fixed_count;

extern void case_random(TestCase *tc, uint64_t seed);
extern void case_fixed(TestCase *tc, int i);
extern void case_free(TestCase *tc);
extern void case_print(const TestCase *tc, FILE *out);
extern bool case_rejects(const TestCase *tc, int64_t id);

#endif							/* PAGER_CASES_H */
