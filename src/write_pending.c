/*-------------------------------------------------------------------------
 *
 * write_pending.c
 *		  Row-by-row writes still in flight when the executor hands over the
 *		  next row, and finishing them before the statement's row count is
 *		  read.
 *
 * The executor counts a row as written as soon as ExecForeignUpdate or
 * ExecForeignDelete returns it, and reads the count (the command tag,
 * GET DIAGNOSTICS, SPI_processed) right after ExecutorRun.  To keep up to
 * max_concurrent_requests writes in flight, a row is returned before its
 * answer has come; the writes still out are finished when ExecutorRun
 * returns, and a row the API no longer had (a DELETE's 404) is taken off
 * the count there, before anyone reads it.  That is only done for the
 * statement's own count (no data-modifying WITH), and without RETURNING
 * or AFTER ROW triggers, which must see each row's answer.
 *
 * A statement that fails for another reason (an error in a SET expression,
 * a cancel noticed between two rows) while writes are in flight says in
 * its error how far it got, as a failed write's does: the writes in flight
 * are awaited first, except after a cancel, which names them as sent with
 * an unknown outcome.  Writes cut off without an error of the statement
 * saying so are named in a WARNING.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/executor.h"
#include "lib/ilist.h"
#include "lib/stringinfo.h"
#include "utils/memutils.h"

#include "write_run.h"
#include "compat.h"
#include "write_pending.h"

/* The writes in flight of one table in one executor run */
struct PendingWrites
{
	dlist_node	node;
	EState	   *estate;
	WriteWindow window;
	MemoryContextCallback cleanup;
};

/* every PendingWrites whose memory is alive */
static dlist_head pending = DLIST_STATIC_INIT(pending);

static ExecutorRun_hook_type prev_executor_run = NULL;

/*
 * The statement's memory is going: after a successful run nothing is in
 * flight any more; after a failure, the transfers have just been aborted.
 */
static void
pending_writes_gone(void *arg)
{
	PendingWrites *p = arg;

	dlist_delete(&p->node);
	if (p->window.count > 0)
		symbl_window_warn_cut_off(&p->window);
}

PendingWrites *
symbl_pending_writes_start(WriteRun *run, EState *estate, int window)
{
	PendingWrites *p = MemoryContextAllocZero(run->cxt, sizeof(PendingWrites));

	p->estate = estate;
	symbl_window_init(&p->window, run, window);
	p->window.counted = &estate->es_processed;
	p->cleanup.func = pending_writes_gone;
	p->cleanup.arg = p;
	MemoryContextRegisterResetCallback(run->cxt, &p->cleanup);
	dlist_push_tail(&pending, &p->node);
	return p;
}

void
symbl_pending_writes_add(PendingWrites *p, RowWrite *row)
{
	symbl_window_add(&p->window, row);
}

void
symbl_pending_writes_finish(PendingWrites *p)
{
	symbl_window_drain(&p->window);
}

static void
finish_writes_of(EState *estate)
{
	dlist_iter	iter;

	dlist_foreach(iter, &pending)
	{
		PendingWrites *p = dlist_container(PendingWrites, node, iter.cur);

		if (p->estate == estate)
			symbl_window_drain(&p->window);
	}
}

static bool
has_writes(EState *estate)
{
	dlist_iter	iter;

	dlist_foreach(iter, &pending)
	{
		if (dlist_container(PendingWrites, node, iter.cur)->estate == estate)
			return true;
	}
	return false;
}

/*
 * The run failed: settle the writes in flight, and add to the error how
 * far each table's writes got.
 */
static void
rethrow_with_writes_settled(EState *estate)
{
	ErrorData  *edata = CopyErrorData();
	StringInfoData detail;
	bool		told = false;
	dlist_iter	iter;

	FlushErrorState();
	initStringInfo(&detail);
	if (edata->detail)
		appendStringInfoString(&detail, edata->detail);
	dlist_foreach(iter, &pending)
	{
		PendingWrites *p = dlist_container(PendingWrites, node, iter.cur);
		char	   *progress;

		if (p->estate != estate ||
			(progress = symbl_window_settle(&p->window,
											edata->sqlerrcode != ERRCODE_QUERY_CANCELED)) == NULL)
			continue;
		appendStringInfo(&detail, "%s%s: %s", detail.len > 0 ? "\n" : "",
						 p->window.run->table_name, progress);
		told = true;
	}
	if (told)
		edata->detail = detail.data;
	ReThrowError(edata);
}

static void
run_executor(SYMBL_EXECUTOR_RUN_PARAMS)
{
	if (prev_executor_run)
		prev_executor_run(SYMBL_EXECUTOR_RUN_ARGS);
	else
		standard_ExecutorRun(SYMBL_EXECUTOR_RUN_ARGS);
}

static void
symbl_executor_run(SYMBL_EXECUTOR_RUN_PARAMS)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	/* (the tables' BeginForeignModify ran in ExecutorStart) */
	if (!has_writes(queryDesc->estate))
	{
		run_executor(SYMBL_EXECUTOR_RUN_ARGS);
		return;
	}
	PG_TRY();
	{
		run_executor(SYMBL_EXECUTOR_RUN_ARGS);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		rethrow_with_writes_settled(queryDesc->estate);
	}
	PG_END_TRY();
	finish_writes_of(queryDesc->estate);
}

void
symbl_install_write_hooks(void)
{
	prev_executor_run = ExecutorRun_hook;
	ExecutorRun_hook = symbl_executor_run;
}
