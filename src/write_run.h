/*-------------------------------------------------------------------------
 *
 * write_run.h
 *		  The writes of one statement to one table (write_run.c), and what
 *		  an abort leaves applied (write_xact.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_WRITE_RUN_H
#define SYMBL_WRITE_RUN_H

#include "access/htup.h"
#include "commands/explain.h"
#include "nodes/execnodes.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"

#include "symbl_types.h"
/* ExplainState's header on 18 */
#include "compat.h"

typedef enum WriteOutcome
{
	WRITE_PENDING,
	WRITE_APPLIED,				/* the API changed (or deleted) the row */
	WRITE_GONE,					/* the row was not there any more */
	WRITE_FAILED				/* refused, or the echo did not match */
} WriteOutcome;

/* What a table writes to */
typedef enum WriteTarget
{
	TARGET_CONVERSATIONS,		/* PUT {id} (metadata), DELETE {id} */
	TARGET_MEMBERS				/* PUT {conversation_id}/members/{id} */
} WriteTarget;

/* The columns a write needs, by what they hold */
typedef struct WriteTable
{
	WriteTarget target;
	List	   *columns;		/* SymblColumn, every column */
	SymblColumn *id;			/* the conversation's, or the member's */
	SymblColumn *conversation;	/* members: the conversation id */
	SymblColumn *metadata;		/* conversations */
	SymblColumn *name;			/* members */
	SymblColumn *email;			/* members */
} WriteTable;

/* One row's write */
typedef struct RowWrite
{
	char	   *id;
	char	   *path;
	char	   *body;			/* JSON on the wire (UTF-8); NULL: DELETE */
	Jsonb	   *sent;			/* the metadata a PUT asked to store */
	Datum		new_value;		/* the metadata column's new value */
	HeapTuple	row;			/* the row read (direct modification) */
	SymblApiCall *call;
	WriteOutcome outcome;
	long		status;
	char	   *answer;			/* a PUT's 200 answer, NUL-terminated */
	size_t		answer_len;
	char	   *problem;		/* why it failed, for the error */
	char	   *problem_hint;
	bool		echo_mismatch;
} RowWrite;

/* The writes of one statement to one table */
typedef struct WriteRun
{
	SymblConnection *conn;
	CmdType		operation;
	char	   *table_name;		/* qualified */
	MemoryContext cxt;			/* lives as long as the statement */
	WriteTable *table;
	List	   *columns;		/* SymblColumn, every column */
	SymblColumn *column_array;
	int			ncolumns;
	int			natts;
	AttrNumber	id_attnum;
	AttrNumber	metadata_attnum;
	HTAB	   *seen;			/* ids this statement has written */
	List	   *applied_ids;
	int64		applied;
	int64		gone;
	bool		reported;		/* an error has said how far it got */
	SymblScanStats stats;
} WriteRun;

/*
 * Writes in flight, oldest first: at most `size`, awaited in the order they
 * were sent, so that an error can say which rows went before it.
 */
typedef struct WriteWindow
{
	WriteRun   *run;
	RowWrite  **rows;
	int			count;
	int			size;
	RowWrite   *failed;			/* the first refusal */
	uint64	   *counted;		/* the executor's row count, for rows it
								 * counted before their answer came (and
								 * whose payload is then dropped) */
} WriteWindow;

/* write_run.c */
extern WriteRun *symbl_new_write_run(Relation rel, WriteTable *table,
									 CmdType operation, SymblConnection *conn,
									 EState *estate);
extern RowWrite *symbl_new_row_write(WriteRun *run, const char *conversation_id,
									 const char *member_id);
extern Jsonb *symbl_checked_metadata(WriteRun *run, const char *id, Datum value,
									 bool isnull, Oid typid);
extern void symbl_set_metadata_body(WriteRun *run, RowWrite *row,
									Jsonb *metadata);
extern void symbl_set_member_body(WriteRun *run, RowWrite *row,
								  const char *member_id, Datum *values,
								  bool *isnull, HeapTuple old, TupleDesc desc);
extern bool symbl_seen_before(WriteRun *run, const char *id);
extern void symbl_window_init(WriteWindow *w, WriteRun *run, int size);
extern void symbl_window_add(WriteWindow *w, RowWrite *row);
extern void symbl_window_drain(WriteWindow *w);
extern char *symbl_window_settle(WriteWindow *w, bool await);
extern void symbl_window_warn_cut_off(WriteWindow *w);
extern void symbl_send_writes(WriteRun *run, RowWrite **rows, int nrows,
							  int window);
extern void symbl_store_answer(WriteRun *run, RowWrite *row,
							   TupleTableSlot *slot, Datum *values,
							   bool *isnull);
extern void symbl_explain_write_counts(WriteRun *run, struct ExplainState *es);

typedef struct PendingWrites PendingWrites;

#endif							/* SYMBL_WRITE_RUN_H */
