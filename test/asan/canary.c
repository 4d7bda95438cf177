/*-------------------------------------------------------------------------
 *
 * canary.c
 *		  A deliberate heap overflow, run by test/asan.sh after the suite:
 *		  "zero reports" means something only if a real one is reported.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(symbl_asan_canary);

Datum
symbl_asan_canary(PG_FUNCTION_ARGS)
{
	char	   *volatile p = malloc(8);

	p[PG_GETARG_INT32(0)] = 1;	/* called with 8: one past the end */
	free(p);
	PG_RETURN_VOID();
}
