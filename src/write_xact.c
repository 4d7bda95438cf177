/*-------------------------------------------------------------------------
 *
 * write_xact.c
 *		  What an abort leaves applied: the writes sent per (sub)transaction,
 *		  and the warning of a rollback.
 *
 * The API has no transactions.  Writes go out while the statement runs
 * (RETURNING needs the API's answers), and stay applied whatever happens
 * to the transaction afterwards: an abort of a (sub)transaction that sent
 * writes warns how many stay.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"

#include "write_run.h"
#include "write_xact.h"

/* Writes sent per transaction nesting level (index 1 is the top level) */
static int64 *writes_at_level = NULL;
static int	levels_allocated = 0;
static bool callbacks_registered = false;

/* how many of them an error of their own statement has already listed */
static int64 writes_reported = 0;

/* ---------------------------------------------------------------------
 * Transactions: what an abort leaves applied
 * ---------------------------------------------------------------------
 */

static int64
writes_from_level(int level)
{
	int64		n = 0;
	int			i;

	for (i = Max(level, 1); i < levels_allocated; i++)
		n += writes_at_level[i];
	return n;
}

/* the writes of this level and deeper now count for the level above */
static void
fold_levels_into(int level)
{
	int64		n = writes_from_level(level + 1);
	int			i;

	for (i = level + 1; i < levels_allocated; i++)
		writes_at_level[i] = 0;
	if (level >= 1 && level < levels_allocated)
		writes_at_level[level] += n;
}

static void
xact_callback(XactEvent event, void *arg)
{
	int64		n = writes_from_level(1);

	if (n == 0)
		return;
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* a single statement whose error said it all: nothing to add */
			if (!IsTransactionBlock() && n == writes_reported)
				break;
			ereport(WARNING,
					(errcode(ERRCODE_WARNING),
					 errmsg_plural("%lld Symbl write of this transaction stays applied",
								   "%lld Symbl writes of this transaction stay applied",
								   n, (long long) n),
					 errdetail("The Symbl API has no transactions: ROLLBACK does not undo what was sent.")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			break;
		default:
			return;
	}
	memset(writes_at_level, 0, sizeof(int64) * levels_allocated);
	writes_reported = 0;
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	int64		n;

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;
	n = writes_from_level(level);
	if (n == 0)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg_plural("%lld Symbl write since the savepoint stays applied",
							   "%lld Symbl writes since the savepoint stay applied",
							   n, (long long) n),
				 errdetail("The Symbl API has no transactions: rolling back to a savepoint (or out of an exception block) does not undo what was sent.")));
	/* they stay applied in the transaction above, too */
	fold_levels_into(level - 1);
}

void
symbl_note_applied_write(void)
{
	int			level = GetCurrentTransactionNestLevel();

	if (!callbacks_registered)
	{
		RegisterXactCallback(xact_callback, NULL);
		RegisterSubXactCallback(subxact_callback, NULL);
		callbacks_registered = true;
	}
	if (level >= levels_allocated)
	{
		int			n = Max(level + 1, levels_allocated * 2);

		if (writes_at_level == NULL)
			writes_at_level = MemoryContextAllocZero(TopMemoryContext,
													 sizeof(int64) * n);
		else
		{
			writes_at_level = repalloc(writes_at_level, sizeof(int64) * n);
			memset(writes_at_level + levels_allocated, 0,
				   sizeof(int64) * (n - levels_allocated));
		}
		levels_allocated = n;
	}
	writes_at_level[level]++;
}

/* an error of the statement lists the writes so far: an abort need not */
void
symbl_note_writes_reported(void)
{
	writes_reported = writes_from_level(1);
}
