/*-------------------------------------------------------------------------
 *
 * modify.c
 *		  UPDATE and DELETE through the foreign tables: what each statement
 *		  may do, what it sends to the API, and what a failure says.
 *		  Conversations: PUT {id} with new metadata, DELETE {id}; members:
 *		  PUT {conversation_id}/members/{id} with name and email.
 *
 * The API has no transactions.  Writes go out while the statement runs
 * (RETURNING needs the API's answers), and stay applied whatever happens
 * to the transaction afterwards: an abort of a (sub)transaction that sent
 * writes warns how many stay.  A statement that fails part-way says in its
 * error how many rows it applied, and which.
 *
 * Two ways to run a statement:
 *  - direct modification (PlanDirectModify) when the statement touches
 *    only the foreign table and every qual is either sent or rechecked
 *    here: the rows are read first (every matching one, only the columns
 *    needed), every new value is computed and checked, and then the
 *    writes go out with up to max_concurrent_requests in flight;
 *  - row by row (ExecForeignUpdate/Delete), e.g. for UPDATE ... FROM a
 *    local table: one write at a time, as the executor hands the rows
 *    over.  The scan below has read all of its rows before the first one
 *    came up (see symbl_fdw.c), so writes cannot disturb its paging.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "commands/explain.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "http.h"
#include "symbl_fdw.h"
#include "compat.h"

/* the junk columns that carry a row to the write */
#define ID_JUNK "symbl_id"
#define CONVERSATION_JUNK "symbl_conversation_id"
#define ROW_JUNK "symbl_row"

/* metadata values the API takes, in characters */
#define MAX_METADATA_VALUE_CHARS 128

/* ids listed in an error's detail */
#define MAX_LISTED_IDS 20

/* the API's words for an unknown conversation (with 404, or 400) */
#define UNKNOWN_CONVERSATION "either invalid or does not exist"

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
	SymblScanStats stats;
} WriteRun;

/* ExecForeignUpdate/Delete */
typedef struct RowModifyState
{
	WriteRun   *run;
	AttrNumber	id_junk;
	AttrNumber	conversation_junk;	/* members */
	AttrNumber	row_junk;
	MemoryContext row_cxt;		/* reset per row */
} RowModifyState;

/* Direct modification: the scan's own state, and the writes */
typedef struct DirectModifyState
{
	void	   *scan_state;		/* the scan's fdw_state (symbl_fdw.c) */
	WriteRun   *run;
	CmdType		operation;
	char	   *table_name;
	bool		explain_only;
	bool		set_processed;	/* the statement's row count is ours */
	List	   *set_exprs;		/* ExprState per SET column */
	List	   *set_attnums;
	ResultRelInfo *rinfo;
	TupleTableSlot *returning_slot;
	RowWrite  **rows;
	int			nrows;
	int			next_returned;
	bool		written;
} DirectModifyState;

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

static void
note_applied_write(void)
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

/* ---------------------------------------------------------------------
 * Planning: what a statement may do
 * ---------------------------------------------------------------------
 */

/* Whether the statement being planned (from its top level) writes */
bool
symbl_feeds_writes(PlannerInfo *root)
{
	while (root->parent_root != NULL)
		root = root->parent_root;
	return root->parse->commandType == CMD_UPDATE ||
		root->parse->commandType == CMD_DELETE;
}


static SymblColumn *
column_of_field(List *columns, SymblField field)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		SymblColumn *col = lfirst(lc);

		if (col->field == field)
			return col;
	}
	return NULL;
}

/* a part table's column that reads the item's top-level field `name` */
static SymblColumn *
column_of_item_field(List *columns, const char *name)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		SymblColumn *col = lfirst(lc);

		if (col->kind != SYMBL_VALUE_CONVERSATION_ID && col->path.nalts == 1 &&
			col->path.nsegs[0] == 1 && strcmp(col->path.segs[0][0], name) == 0)
			return col;
	}
	return NULL;
}

static char *
qualified_name(Relation rel)
{
	return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
}

/*
 * Which endpoint a table writes to, and its columns.  Conversations and
 * members can be changed; no other resource has a write endpoint.
 */
static WriteTable *
write_table(Relation rel)
{
	WriteTable *t = palloc0(sizeof(WriteTable));
	const SymblResource *resource = symbl_table_resource(RelationGetRelid(rel));
	ListCell   *lc;

	if (resource->path == NULL)
	{
		t->target = TARGET_CONVERSATIONS;
		t->columns = symbl_table_columns(RelationGetRelid(rel), RelationGetDescr(rel));
		t->id = column_of_field(t->columns, SYMBL_FIELD_ID);
		t->metadata = column_of_field(t->columns, SYMBL_FIELD_METADATA);
		return t;
	}
	if (strcmp(resource->table, "members") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("foreign table \"%s\" holds Symbl's %s, which cannot be changed",
						RelationGetRelationName(rel), resource->table),
				 errdetail("The Symbl API changes a conversation's metadata, deletes a conversation, and changes a member's name and email; nothing else.")));
	t->target = TARGET_MEMBERS;
	t->columns = symbl_part_columns(RelationGetRelid(rel), RelationGetDescr(rel),
									resource);
	foreach(lc, t->columns)
		if (((SymblColumn *) lfirst(lc))->kind == SYMBL_VALUE_CONVERSATION_ID)
			t->conversation = lfirst(lc);
	t->id = column_of_item_field(t->columns, "id");
	t->name = column_of_item_field(t->columns, "name");
	t->email = column_of_item_field(t->columns, "email");
	return t;
}

static void
refuse_insert(Relation rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot insert into foreign table \"%s\"",
					RelationGetRelationName(rel)),
			 errdetail("No Symbl endpoint creates a conversation (or a part of one) from a row: conversations come from processing audio, video or text."),
			 errhint("Submit the recording or text to Symbl's Async API; the conversation it makes then appears in this table.")));
}

static void
require_column(Relation rel, const char *verb, SymblColumn *col,
			   const char *what, const char *hint)
{
	if (col == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
				 errmsg("%s on foreign table \"%s\" needs a column for %s",
						verb, RelationGetRelationName(rel), what),
				 errhint("%s", hint)));
}

static WriteTable *
check_writes_allowed(Relation rel, CmdType operation)
{
	const char *verb = operation == CMD_UPDATE ? "UPDATE" : "DELETE";
	WriteTable *t;

	if (operation == CMD_INSERT)
		refuse_insert(rel);
	if (!symbl_table_updatable(RelationGetRelid(rel)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s on foreign table \"%s\" is off: its option updatable is not true",
						verb, RelationGetRelationName(rel)),
				 errdetail("Writes to Symbl need the option updatable on the foreign table or its server; a DELETE is permanent and takes the conversation's messages and insights with it."),
				 errhint("ALTER FOREIGN TABLE %s OPTIONS (ADD updatable 'true')",
						 qualified_name(rel))));
	t = write_table(rel);
	if (t->target == TARGET_CONVERSATIONS)
	{
		require_column(rel, verb, t->id, "the conversation id",
					   "Add a column named id, or one with OPTIONS (field 'id').");
		return t;
	}
	if (operation == CMD_DELETE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot delete from foreign table \"%s\": no Symbl endpoint deletes a member",
						RelationGetRelationName(rel)),
				 errhint("UPDATE can change a member's name and email; DELETE on the conversations table deletes a whole conversation.")));
	require_column(rel, verb, t->conversation, "the conversation id",
				   "Add the column conversation_id.");
	require_column(rel, verb, t->id, "the member id",
				   "Add the column id.");
	require_column(rel, verb, t->name, "the member's name",
				   "Add the column name: the API takes the name in every member update.");
	{
		SymblColumn *sent[] = {t->conversation, t->id, t->name, t->email};
		int			i;

		for (i = 0; i < (int) lengthof(sent); i++)
			if (sent[i] != NULL && sent[i]->typid != TEXTOID && sent[i]->typid != VARCHAROID)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("%s on foreign table \"%s\" needs column \"%s\" as text",
								verb, RelationGetRelationName(rel), sent[i]->attname),
						 errdetail("Its value goes into the request as a string.")));
	}
	return t;
}

/*
 * The API changes a conversation's metadata, or a member's name and email,
 * and nothing else: an UPDATE setting any other column is refused at plan
 * time, naming it.
 */
static void
check_updated_columns(PlannerInfo *root, Index rti, Relation rel, WriteTable *t)
{
	Bitmapset  *cols = symbl_updated_columns(root, rti);
	int			i = -1;

	while ((i = bms_next_member(cols, i)) >= 0)
	{
		AttrNumber	attno = i + FirstLowInvalidHeapAttributeNumber;
		ListCell   *lc;

		foreach(lc, t->columns)
		{
			SymblColumn *col = lfirst(lc);

			if (col->attnum != attno || col == t->metadata || col == t->name ||
				col == t->email)
				continue;
			if (t->target == TARGET_MEMBERS)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("column \"%s\" of foreign table \"%s\" cannot be updated",
								col->attname, RelationGetRelationName(rel)),
						 errdetail("The Symbl API changes only a member's name and email."),
						 errhint("SET name = ..., email = ... are the only assignments symbl_fdw can send for a member.")));
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\" of foreign table \"%s\" cannot be updated",
							col->attname, RelationGetRelationName(rel)),
					 errdetail(col->field == SYMBL_FIELD_ID || col->field == SYMBL_FIELD_TYPE ?
							   "A conversation's %s never changes; the Symbl API updates only metadata." :
							   "The Symbl API updates only a conversation's metadata, not its %s.",
							   symbl_field_names[col->field]),
					 errhint("SET metadata = ... is the only assignment symbl_fdw can send.")));
		}
	}
}

static WriteTable *
check_statement(PlannerInfo *root, Index rti, CmdType operation)
{
	RangeTblEntry *rte = planner_rt_fetch(rti, root);
	Relation	rel = table_open(rte->relid, NoLock);
	WriteTable *t = check_writes_allowed(rel, operation);

	if (operation == CMD_UPDATE)
		check_updated_columns(root, rti, rel, t);
	table_close(rel, NoLock);
	return t;
}

static Var *
column_var(Index rti, SymblColumn *col)
{
	return makeVar(rti, col->attnum, col->typid, col->typmod,
				   get_typcollation(col->typid), 0);
}

/*
 * The row reaches the write as its id (junk columns; a member's with its
 * conversation's); a DELETE ... RETURNING also needs the whole row read (an
 * UPDATE gets it anyway: since 14 as the planner's own "wholerow", before
 * as the new tuple), and a member's UPDATE the old email.
 */
static void
symbl_add_foreign_update_targets(SYMBL_ADD_UPDATE_TARGETS_PARAMS)
{
	Index		rti = SYMBL_TARGETS_RTINDEX;
	Query	   *parse = symbl_targets_query(root);
	WriteTable *t = write_table(target_relation);

	if (t->id == NULL || (t->target == TARGET_MEMBERS && t->conversation == NULL))
		(void) check_writes_allowed(target_relation, parse->commandType);
	symbl_add_row_identity(root, rti, column_var(rti, t->id), ID_JUNK);
	if (t->target == TARGET_MEMBERS)
		symbl_add_row_identity(root, rti, column_var(rti, t->conversation),
							   CONVERSATION_JUNK);
	if ((parse->commandType == CMD_DELETE && parse->returningList != NIL) ||
		t->target == TARGET_MEMBERS)
		symbl_add_row_identity(root, rti,
							   makeWholeRowVar(target_rte, rti, 0, false),
							   ROW_JUNK);
}

static int
symbl_is_foreign_rel_updatable(Relation rel)
{
	/* our own errors say why (and which option): see check_writes_allowed */
	return (1 << CMD_UPDATE) | (1 << CMD_DELETE) | (1 << CMD_INSERT);
}

static List *
symbl_plan_foreign_modify(PlannerInfo *root, ModifyTable *plan,
						  Index resultRelation, int subplan_index)
{
	check_statement(root, resultRelation, plan->operation);
	return NIL;
}

/* ---------------------------------------------------------------------
 * What a row sends
 * ---------------------------------------------------------------------
 */

/* an id as one path segment ("." and ".." escaped too: curl would fold them) */
static char *
path_segment(const char *id)
{
	char	   *utf8 = pg_server_to_any(id, strlen(id), PG_UTF8);
	char	   *escaped = symbl_http_escape(utf8, strlen(utf8));
	char	   *segment;

	if (escaped == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (strcmp(escaped, ".") == 0)
		segment = pstrdup("%2E");
	else if (strcmp(escaped, "..") == 0)
		segment = pstrdup("%2E%2E");
	else
		segment = pstrdup(escaped);
	symbl_http_free(escaped);
	return segment;
}

static Jsonb *
metadata_as_jsonb(Datum value, Oid typid)
{
	char	   *str;

	if (typid == JSONBOID)
		return DatumGetJsonbP(value);
	str = TextDatumGetCString(value);
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));
}

static char *
jsonb_string(JsonbValue *v)
{
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/*
 * What the API takes as metadata: an object of strings of at most 128
 * characters, with non-empty keys (id and type are the conversation's own).
 * Checked before anything is sent; an error names the key.
 */
static Jsonb *
checked_metadata(WriteRun *run, const char *id, Datum value, bool isnull,
				 Oid typid)
{
	Jsonb	   *jb;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("metadata of conversation \"%s\" cannot be set to NULL", id),
				 errhint("Set it to '{}' to remove every key.")));
	jb = metadata_as_jsonb(value, typid);
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("metadata of conversation \"%s\" must be a JSON object", id),
				 errdetail("The Symbl API stores metadata as an object of string values.")));

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			key = jsonb_string(&v);
			if (key[0] == '\0' || strcmp(key, "id") == 0 || strcmp(key, "type") == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("metadata key \"%s\" of conversation \"%s\" is not accepted by the Symbl API",
								key, id),
						 errdetail("Metadata keys must be non-empty, and id and type are the conversation's own fields.")));
		}
		else if (tok == WJB_VALUE)
		{
			if (v.type != jbvString)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("metadata value of key \"%s\" of conversation \"%s\" is not a string",
								key, id),
						 errdetail("The Symbl API takes only string values in metadata."),
						 errhint("Convert the value to text, for example to_jsonb(x::text).")));
			if (pg_mbstrlen_with_len(v.val.string.val, v.val.string.len) > MAX_METADATA_VALUE_CHARS)
				ereport(ERROR,
						(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
						 errmsg("metadata value of key \"%s\" of conversation \"%s\" is longer than %d characters",
								key, id, MAX_METADATA_VALUE_CHARS),
						 errdetail("The value has %d characters; the Symbl API takes at most %d.",
								   pg_mbstrlen_with_len(v.val.string.val, v.val.string.len),
								   MAX_METADATA_VALUE_CHARS)));
		}
	}
	return jb;
}

/*
 * A row's write: `id` names it in messages, and is a conversation's id, or
 * "conversation/member" for a member.
 */
static RowWrite *
new_row_write(WriteRun *run, const char *conversation_id, const char *member_id)
{
	RowWrite   *row = MemoryContextAllocZero(run->cxt, sizeof(RowWrite));
	char	   *path = psprintf("%s/%s", SYMBL_API_PATH, path_segment(conversation_id));

	if (member_id == NULL)
		row->id = MemoryContextStrdup(run->cxt, conversation_id);
	else
	{
		row->id = MemoryContextStrdup(run->cxt,
									  psprintf("%s/%s", conversation_id, member_id));
		path = psprintf("%s/members/%s", path, path_segment(member_id));
	}
	row->path = MemoryContextStrdup(run->cxt, path);
	return row;
}

static void
set_metadata_body(WriteRun *run, RowWrite *row, Jsonb *metadata)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(run->cxt);
	char	   *json = psprintf("{\"metadata\":%s}",
								JsonbToCString(NULL, &metadata->root,
											   VARSIZE(metadata)));

	row->sent = (Jsonb *) PG_DETOAST_DATUM_COPY(JsonbPGetDatum(metadata));
	row->body = pg_server_to_any(json, strlen(json), PG_UTF8);
	MemoryContextSwitchTo(oldcxt);
}

/* Whether the statement has written this id already (and remember it) */
static bool
seen_before(WriteRun *run, const char *id)
{
	bool		found;
	char	   *key = MemoryContextStrdup(run->cxt, id);

	(void) hash_search(run->seen, &key, HASH_ENTER, &found);
	return found;
}

static uint32
id_hash(const void *key, Size keysize)
{
	const char *id = *(char *const *) key;

	return hash_bytes((const unsigned char *) id, strlen(id));
}

static int
id_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(char *const *) key1, *(char *const *) key2);
}

static WriteRun *
new_write_run(Relation rel, WriteTable *table, CmdType operation,
			  SymblConnection *conn, EState *estate)
{
	WriteRun   *run = palloc0(sizeof(WriteRun));
	HASHCTL		ctl;
	ListCell   *lc;
	int			i = 0;

	run->conn = conn;
	run->operation = operation;
	run->table_name = qualified_name(rel);
	run->cxt = AllocSetContextCreate(estate->es_query_cxt, "symbl_fdw writes",
									 ALLOCSET_DEFAULT_SIZES);
	run->table = table;
	run->columns = table->columns;
	run->ncolumns = list_length(run->columns);
	run->column_array = palloc(sizeof(SymblColumn) * Max(run->ncolumns, 1));
	foreach(lc, run->columns)
		run->column_array[i++] = *(SymblColumn *) lfirst(lc);
	run->natts = RelationGetDescr(rel)->natts;
	run->id_attnum = table->id ? table->id->attnum : 0;
	run->metadata_attnum = table->metadata ? table->metadata->attnum : 0;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(char *);
	ctl.hash = id_hash;
	ctl.match = id_match;
	ctl.hcxt = run->cxt;
	run->seen = hash_create("symbl_fdw written ids", 256, &ctl,
							HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	return run;
}

/* ---------------------------------------------------------------------
 * Sending, and judging the answers
 * ---------------------------------------------------------------------
 */

static const char *
write_method(WriteRun *run)
{
	return run->operation == CMD_DELETE ? "DELETE" : "PUT";
}

static void
start_write(WriteRun *run, RowWrite *row)
{
	row->call = symbl_api_call_start(run->conn, write_method(run), row->path,
									 row->body, run->cxt);
}

/* "a, b, c and 17 more" */
static void
append_ids(StringInfo buf, List *ids)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, ids)
	{
		if (n == MAX_LISTED_IDS)
		{
			appendStringInfo(buf, " and %d more", list_length(ids) - n);
			break;
		}
		appendStringInfo(buf, "%s%s", n > 0 ? ", " : "", (char *) lfirst(lc));
		n++;
	}
}

/* How far the statement got, for the detail of its error */
static char *
progress_text(WriteRun *run)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (run->applied == 0)
		appendStringInfoString(&buf, "No row of this statement was applied.");
	else
	{
		appendStringInfo(&buf, INT64_FORMAT " %s of this statement %s applied: ",
						 run->applied, run->applied == 1 ? "row" : "rows",
						 run->applied == 1 ? "was" : "were");
		append_ids(&buf, run->applied_ids);
		appendStringInfoChar(&buf, '.');
	}
	return buf.data;
}

static JsonbValue *
object_field(JsonbContainer *container, const char *key, JsonbValue *out)
{
	return getKeyJsonValueFromContainer(container, key, strlen(key), out);
}

/* The API's answer to a PUT, as jsonb (it must be an object) */
static Jsonb *
answer_jsonb(RowWrite *row)
{
	char	   *text = pg_any_to_server(row->answer, row->answer_len, PG_UTF8);
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));

	return JB_ROOT_IS_OBJECT(jb) ? jb : NULL;
}

/*
 * Compare the metadata the API says it stored with what was sent.  The
 * contract does not say whether a PUT replaces or merges: keys SQL removed
 * that the API kept, or any other difference, make the row fail.
 */
static void
check_echo(WriteRun *run, RowWrite *row)
{
	Jsonb	   *answer = answer_jsonb(row);
	JsonbValue	stored;
	JsonbValue	v;
	JsonbValue	sent_value;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	List	   *kept = NIL;
	List	   *differ = NIL;
	char	   *key = NULL;
	StringInfoData buf;

	if (answer == NULL || object_field(&answer->root, "metadata", &stored) == NULL ||
		(stored.type != jbvBinary && stored.type != jbvNull))
	{
		row->outcome = WRITE_FAILED;
		row->echo_mismatch = true;
		row->problem = "The answer to the PUT does not show the stored metadata.";
		return;
	}
	if (stored.type == jbvBinary)
	{
		it = JsonbIteratorInit(stored.val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				key = jsonb_string(&v);
			else if (tok == WJB_VALUE && key != NULL)
			{
				if (object_field(&row->sent->root, key, &sent_value) == NULL)
					kept = lappend(kept, key);
				else if (v.type != jbvString || sent_value.type != jbvString ||
						 v.val.string.len != sent_value.val.string.len ||
						 memcmp(v.val.string.val, sent_value.val.string.val,
								v.val.string.len) != 0)
					differ = lappend(differ, key);
			}
			else if (tok == WJB_BEGIN_ARRAY || tok == WJB_ELEM)
				differ = lappend(differ, "(not an object)");
		}
	}
	/* keys sent that the API did not store */
	it = JsonbIteratorInit(&row->sent->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		if (tok == WJB_KEY &&
			(stored.type != jbvBinary ||
			 object_field(stored.val.binary.data, jsonb_string(&v), &sent_value) == NULL))
			differ = lappend(differ, jsonb_string(&v));

	if (kept == NIL && differ == NIL)
		return;
	row->outcome = WRITE_FAILED;
	row->echo_mismatch = true;
	initStringInfo(&buf);
	if (kept != NIL)
	{
		appendStringInfoString(&buf, "The API kept metadata keys that the UPDATE removed: ");
		append_ids(&buf, kept);
		appendStringInfoString(&buf, ". It merges the metadata it is sent into what it stores instead of replacing it.");
		row->problem_hint = "Through an API that merges, a metadata key cannot be removed: set it to an empty string instead.";
	}
	if (differ != NIL)
	{
		appendStringInfo(&buf, "%sThe stored metadata differs from what was sent at: ",
						 kept != NIL ? " " : "");
		append_ids(&buf, differ);
		appendStringInfoChar(&buf, '.');
	}
	row->problem = buf.data;
}

/* a 404, or a 400 whose message says the id is unknown */
static bool
is_unknown_conversation(long status, const char *body)
{
	char	   *message;

	if (status == 404)
		return true;
	if (status != 400)
		return false;
	message = symbl_api_error_message(body);
	return message != NULL && strstr(message, UNKNOWN_CONVERSATION) != NULL;
}

static void
judge_answer(WriteRun *run, RowWrite *row, const char *body, size_t len,
			 int attempts)
{
	if (row->status == 200)
		row->outcome = WRITE_APPLIED;
	else if (is_unknown_conversation(row->status, body))
	{
		/*
		 * The row is not there (any more).  For a DELETE that was sent more
		 * than once, an earlier attempt may have deleted it and lost its
		 * answer: that is the statement's own delete.
		 */
		row->outcome = run->operation == CMD_DELETE && attempts > 1 ?
			WRITE_APPLIED : WRITE_GONE;
	}
	else
	{
		char	   *message = symbl_api_error_message(body);

		row->outcome = WRITE_FAILED;
		row->problem = psprintf("HTTP %ld from %s%s%s", row->status,
								symbl_api_call_what(row->call),
								message ? ": " : "", message ? message : "");
		if (row->status == 429 || row->status >= 500)
			row->problem_hint = psprintf("It was sent %d %s (max_retries is %d).",
										 attempts, attempts == 1 ? "time" : "times",
										 run->conn->opts.max_retries);
		return;
	}

	if (row->outcome == WRITE_APPLIED && run->operation == CMD_UPDATE &&
		run->table->target == TARGET_CONVERSATIONS)
	{
		row->answer = MemoryContextAlloc(run->cxt, len + 1);
		memcpy(row->answer, body, len);
		row->answer[len] = '\0';
		row->answer_len = len;
		check_echo(run, row);
		/* the API did change the row, whatever it stored */
		if (row->outcome == WRITE_FAILED)
		{
			run->applied++;
			run->applied_ids = lappend(run->applied_ids, row->id);
			note_applied_write();
		}
	}
	if (row->outcome == WRITE_APPLIED)
	{
		run->applied++;
		run->applied_ids = lappend(run->applied_ids, row->id);
		note_applied_write();
	}
	else if (row->outcome == WRITE_GONE)
		run->gone++;
}

static void
finish_write(WriteRun *run, RowWrite *row)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(run->cxt);
	size_t		len;
	int			attempts;
	const char *body = symbl_api_call_finish(row->call, &row->status, &len,
											 &attempts, &run->stats);

	judge_answer(run, row, body, len, attempts);
	symbl_api_call_release(row->call);
	row->call = NULL;
	MemoryContextSwitchTo(oldcxt);
}

static void
report_failed_row(WriteRun *run, RowWrite *row)
{
	const char *verb = run->operation == CMD_DELETE ? "delete" : "update";

	writes_reported = writes_from_level(1);
	if (row->echo_mismatch)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Symbl API stored other metadata than the UPDATE sent for conversation \"%s\"",
						row->id),
				 errdetail("%s\n%s", row->problem, progress_text(run)),
				 row->problem_hint ? errhint("%s", row->problem_hint) : 0));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("could not %s conversation \"%s\" through the Symbl API after " INT64_FORMAT " %s of this statement %s applied",
					verb, row->id, run->applied, run->applied == 1 ? "row" : "rows",
					run->applied == 1 ? "was" : "were"),
			 errdetail("%s\n%s", row->problem, progress_text(run)),
			 errhint("%s%sThe Symbl API has no transactions: applied writes stay applied.",
					 row->problem_hint ? row->problem_hint : "",
					 row->problem_hint ? " " : "")));
}

/*
 * An error from below while writes were going out (a cancel, a timeout, a
 * connection that failed after its retries): the same error, with how far
 * the statement got.
 */
static void
rethrow_with_progress(WriteRun *run, RowWrite **rows, int waiting, int started)
{
	ErrorData  *edata = CopyErrorData();
	StringInfoData buf;
	List	   *in_flight = NIL;
	int			i;

	FlushErrorState();
	writes_reported = writes_from_level(1);
	for (i = waiting; i < started; i++)
		if (rows[i]->call != NULL)
		{
			in_flight = lappend(in_flight, rows[i]->id);
			symbl_api_call_release(rows[i]->call);
			rows[i]->call = NULL;
		}

	initStringInfo(&buf);
	if (edata->detail)
		appendStringInfo(&buf, "%s\n", edata->detail);
	appendStringInfo(&buf, "%s", progress_text(run));
	if (waiting < started)
		appendStringInfo(&buf, " It happened while writing conversation \"%s\".",
						 rows[waiting]->id);
	if (in_flight != NIL)
	{
		appendStringInfoString(&buf, " Sent, outcome unknown: ");
		append_ids(&buf, in_flight);
		appendStringInfoChar(&buf, '.');
	}
	ereport(ERROR,
			(errcode(edata->sqlerrcode),
			 errmsg_internal("%s", edata->message),
			 errdetail_internal("%s", buf.data),
			 edata->hint ? errhint("%s", edata->hint) : 0));
}

/*
 * Send the writes, up to max_concurrent_requests at once, and judge each
 * answer.  After a refusal no new write starts, and those in flight are
 * awaited, so that the error can say exactly which rows were applied.
 */
static void
send_writes(WriteRun *run, RowWrite **rows, int nrows, int window)
{
	volatile int started = 0;
	volatile int finished = 0;
	RowWrite   *volatile failed = NULL;
	MemoryContext oldcxt = CurrentMemoryContext;

	PG_TRY();
	{
		while (finished < started || (failed == NULL && finished < nrows))
		{
			while (failed == NULL && started < nrows && started - finished < window)
			{
				start_write(run, rows[started]);
				started++;
			}
			finish_write(run, rows[finished]);
			if (rows[finished]->outcome == WRITE_FAILED && failed == NULL)
				failed = rows[finished];
			finished++;
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		rethrow_with_progress(run, rows, finished, started);
	}
	PG_END_TRY();
	if (failed != NULL)
		report_failed_row(run, failed);
}

/*
 * The values RETURNING shows after an UPDATE: what the API said it stored
 * where its answer has the field, the row as read (with the new values)
 * elsewhere.
 */
static void
store_answer(WriteRun *run, RowWrite *row, TupleTableSlot *slot,
			 Datum *values, bool *isnull)
{
	Jsonb	   *answer = answer_jsonb(row);
	char	   *wrapped = psprintf("{\"conversations\":[%s]}", row->answer);
	SymblPage	page;
	int			i;

	symbl_parse_page(wrapped, strlen(wrapped), run->column_array, run->ncolumns,
					 run->natts, "the answer to a PUT", &page);
	for (i = 0; i < run->ncolumns && page.nrows == 1; i++)
	{
		SymblColumn *col = &run->column_array[i];
		JsonbValue	v;

		if (answer == NULL ||
			object_field(&answer->root, symbl_field_names[col->field], &v) == NULL)
			continue;
		values[col->attnum - 1] = page.values[col->attnum - 1];
		isnull[col->attnum - 1] = page.nulls[col->attnum - 1];
	}
	ExecClearTuple(slot);
	memcpy(slot->tts_values, values, sizeof(Datum) * run->natts);
	memcpy(slot->tts_isnull, isnull, sizeof(bool) * run->natts);
	ExecStoreVirtualTuple(slot);
}

/* A copy of the slot's values, that outlives the slot's own tuple */
static void
copy_slot_values(TupleTableSlot *slot, Datum **values, bool **isnull)
{
	TupleDesc	desc = slot->tts_tupleDescriptor;
	int			i;

	slot_getallattrs(slot);
	*values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	*isnull = palloc(sizeof(bool) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		(*isnull)[i] = slot->tts_isnull[i];
		(*values)[i] = slot->tts_isnull[i] ? (Datum) 0 :
			datumCopy(slot->tts_values[i], att->attbyval, att->attlen);
	}
}

static void
explain_write_request(Relation rel, CmdType operation, ExplainState *es)
{
	if (!es->verbose)
		return;
	if (write_table(rel)->target == TARGET_MEMBERS)
		ExplainPropertyText("Symbl Request",
							"PUT " SYMBL_API_PATH "/{conversation_id}/members/{id}", es);
	else
		ExplainPropertyText("Symbl Request",
							operation == CMD_DELETE ?
							"DELETE " SYMBL_API_PATH "/{id}" :
							"PUT " SYMBL_API_PATH "/{id}", es);
}

static void
explain_write_counts(WriteRun *run, ExplainState *es)
{
	if (es->analyze && run != NULL)
	{
		ExplainPropertyInteger("Symbl Write Requests", NULL, run->stats.requests, es);
		ExplainPropertyInteger("Symbl Write Retries", NULL, run->stats.retries, es);
		ExplainPropertyInteger("Symbl Rows Written", NULL, run->applied, es);
		ExplainPropertyInteger("Symbl Rows Already Gone", NULL, run->gone, es);
	}
}

static SymblConnection *
write_connection(Relation rel, ResultRelInfo *rinfo, EState *estate)
{
	return symbl_get_connection(RelationGetRelid(rel),
								symbl_result_rel_user(rinfo, estate));
}

/* ---------------------------------------------------------------------
 * Row by row
 * ---------------------------------------------------------------------
 */

static void
symbl_begin_foreign_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
						   List *fdw_private, int subplan_index, int eflags)
{
	RowModifyState *state = palloc0(sizeof(RowModifyState));
	EState	   *estate = mtstate->ps.state;
	Relation	rel = rinfo->ri_RelationDesc;
	Plan	   *subplan = symbl_modify_subplan_state(mtstate, subplan_index)->plan;

	rinfo->ri_FdwState = state;
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	/* the option may have changed since the plan was made */
	state->run = new_write_run(rel, check_writes_allowed(rel, mtstate->operation),
							   mtstate->operation,
							   write_connection(rel, rinfo, estate), estate);
	state->row_cxt = AllocSetContextCreate(estate->es_query_cxt,
										   "symbl_fdw row write",
										   ALLOCSET_SMALL_SIZES);
	state->id_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, ID_JUNK);
	state->conversation_junk = ExecFindJunkAttributeInTlist(subplan->targetlist,
															CONVERSATION_JUNK);
	state->row_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, ROW_JUNK);
	if (!AttributeNumberIsValid(state->id_junk))
		elog(ERROR, "symbl_fdw: the conversation id is missing from the rows to write");
}

static char *
junk_text(TupleTableSlot *planSlot, AttrNumber junk)
{
	bool		isnull;
	Datum		value = ExecGetJunkAttribute(planSlot, junk, &isnull);

	return isnull ? NULL : TextDatumGetCString(value);
}

static char *
row_id(RowModifyState *state, TupleTableSlot *planSlot)
{
	return junk_text(planSlot, state->id_junk);
}

/* The row as read (the ROW_JUNK whole-row value), or NULL */
static HeapTuple
row_as_read(RowModifyState *state, Relation rel, TupleTableSlot *planSlot)
{
	bool		isnull;
	Datum		whole;
	HeapTuple	tuple;

	if (!AttributeNumberIsValid(state->row_junk))
		return NULL;
	whole = ExecGetJunkAttribute(planSlot, state->row_junk, &isnull);
	if (isnull)
		return NULL;
	tuple = MemoryContextAlloc(state->row_cxt, sizeof(HeapTupleData));
	tuple->t_data = DatumGetHeapTupleHeader(whole);
	tuple->t_len = HeapTupleHeaderGetDatumLength(tuple->t_data);
	ItemPointerSetInvalid(&tuple->t_self);
	tuple->t_tableOid = RelationGetRelid(rel);
	return tuple;
}

/*
 * A member's body: {"id", "name", "email"?}.  The API requires the name;
 * without an email it keeps the old one, so an email cannot be removed.
 */
static void
set_member_body(WriteRun *run, RowWrite *row, const char *member_id,
				Datum *values, bool *isnull, HeapTuple old, TupleDesc desc)
{
	WriteTable *t = run->table;
	StringInfoData buf;
	char	   *json;

	if (isnull[t->name->attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name of member \"%s\" cannot be set to NULL", row->id),
				 errdetail("The Symbl API requires a name in every member update.")));
	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"id\":");
	escape_json(&buf, member_id);
	appendStringInfoString(&buf, ",\"name\":");
	escape_json(&buf, TextDatumGetCString(values[t->name->attnum - 1]));
	if (t->email != NULL && !isnull[t->email->attnum - 1])
	{
		appendStringInfoString(&buf, ",\"email\":");
		escape_json(&buf, TextDatumGetCString(values[t->email->attnum - 1]));
	}
	else if (t->email != NULL && old != NULL)
	{
		bool		was_null;

		(void) heap_getattr(old, t->email->attnum, desc, &was_null);
		if (!was_null)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("email of member \"%s\" cannot be removed", row->id),
					 errdetail("The Symbl API keeps a member's email when an update sends none.")));
	}
	appendStringInfoChar(&buf, '}');
	json = pg_server_to_any(buf.data, buf.len, PG_UTF8);
	row->body = MemoryContextStrdup(run->cxt, json);
}

/* Write one row, now (RETURNING needs the answer); false: it was gone */
static bool
write_one_row(RowModifyState *state, RowWrite *row)
{
	send_writes(state->run, &row, 1, 1);
	return row->outcome == WRITE_APPLIED;
}

static TupleTableSlot *
symbl_exec_foreign_update(EState *estate, ResultRelInfo *rinfo,
						  TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	RowModifyState *state = rinfo->ri_FdwState;
	WriteRun   *run = state->run;
	MemoryContext oldcxt;
	char	   *id;
	char	   *conversation = NULL;
	RowWrite   *row;
	Datum	   *values;
	bool	   *isnull;
	SymblColumn *metadata = run->table->metadata;

	MemoryContextReset(state->row_cxt);
	oldcxt = MemoryContextSwitchTo(state->row_cxt);
	id = row_id(state, planSlot);
	if (run->table->target == TARGET_MEMBERS)
		conversation = junk_text(planSlot, state->conversation_junk);
	if (id == NULL || (run->table->target == TARGET_MEMBERS && conversation == NULL))
	{
		MemoryContextSwitchTo(oldcxt);
		return NULL;
	}
	row = conversation ? new_row_write(run, conversation, id) : new_row_write(run, id, NULL);
	/* a row a join matched twice is written once, as PostgreSQL does */
	if (seen_before(run, row->id))
	{
		MemoryContextSwitchTo(oldcxt);
		return NULL;
	}
	copy_slot_values(slot, &values, &isnull);
	if (run->table->target == TARGET_MEMBERS)
		set_member_body(run, row, id, values, isnull,
						row_as_read(state, rinfo->ri_RelationDesc, planSlot),
						RelationGetDescr(rinfo->ri_RelationDesc));
	else
		set_metadata_body(run, row,
						  checked_metadata(run, id, values[metadata->attnum - 1],
										   isnull[metadata->attnum - 1], metadata->typid));
	if (!write_one_row(state, row))
	{
		MemoryContextSwitchTo(oldcxt);
		return NULL;
	}
	if (rinfo->ri_projectReturning && run->table->target == TARGET_CONVERSATIONS)
		store_answer(run, row, slot, values, isnull);
	MemoryContextSwitchTo(oldcxt);
	return slot;
}

static TupleTableSlot *
symbl_exec_foreign_delete(EState *estate, ResultRelInfo *rinfo,
						  TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	RowModifyState *state = rinfo->ri_FdwState;
	MemoryContext oldcxt;
	char	   *id;

	MemoryContextReset(state->row_cxt);
	oldcxt = MemoryContextSwitchTo(state->row_cxt);
	id = row_id(state, planSlot);
	if (id == NULL || seen_before(state->run, id) ||
		!write_one_row(state, new_row_write(state->run, id, NULL)))
	{
		MemoryContextSwitchTo(oldcxt);
		return NULL;
	}
	MemoryContextSwitchTo(oldcxt);

	/* RETURNING shows the row as it was read (the slot keeps a pointer) */
	ExecClearTuple(slot);
	if (rinfo->ri_projectReturning)
	{
		HeapTuple	tuple = row_as_read(state, rinfo->ri_RelationDesc, planSlot);

		if (tuple != NULL)
			ExecForceStoreHeapTuple(tuple, slot, false);
	}
	return slot;
}

static void
symbl_end_foreign_modify(EState *estate, ResultRelInfo *rinfo)
{
}

static void
symbl_explain_foreign_modify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
							 List *fdw_private, int subplan_index,
							 ExplainState *es)
{
	RowModifyState *state = rinfo->ri_FdwState;

	explain_write_request(rinfo->ri_RelationDesc, mtstate->operation, es);
	explain_write_counts(state ? state->run : NULL, es);
}

static void
symbl_begin_foreign_insert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	refuse_insert(rinfo->ri_RelationDesc);
}

static TupleTableSlot *
symbl_exec_foreign_insert(EState *estate, ResultRelInfo *rinfo,
						  TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	refuse_insert(rinfo->ri_RelationDesc);
	return NULL;
}

/* ---------------------------------------------------------------------
 * Direct modification
 * ---------------------------------------------------------------------
 */

static bool
is_safe_here(Node *expr)
{
	return !contain_subplans(expr) && !contain_volatile_functions(expr);
}

static void
add_attnums(Node *expr, Index rti, List **attnums, bool *whole_row)
{
	Bitmapset  *attrs = NULL;
	int			i = -1;

	pull_varattnos(expr, rti, &attrs);
	while ((i = bms_next_member(attrs, i)) >= 0)
	{
		AttrNumber	attno = i + FirstLowInvalidHeapAttributeNumber;

		if (attno == 0)
			*whole_row = true;
		else if (attno > 0)
			*attnums = list_append_unique_int(*attnums, attno);
	}
}

/*
 * The whole statement in the scan's node, when nothing but the foreign
 * table takes part: its quals and the new values are computed here per row
 * (so they must be neither volatile nor subqueries), RETURNING from the
 * answers.
 */
static bool
symbl_plan_direct_modify(PlannerInfo *root, ModifyTable *plan,
						 Index resultRelation, int subplan_index)
{
	CmdType		operation = plan->operation;
	Plan	   *subplan;
	ForeignScan *fscan;
	List	   *set_attnums = NIL;
	List	   *set_resnos = NIL;
	List	   *attnums = NIL;
	List	   *returning = NIL;
	bool		whole_row = false;
	WriteTable *t;
	ListCell   *lc;

	if (operation != CMD_UPDATE && operation != CMD_DELETE)
		return false;
	t = check_statement(root, resultRelation, operation);

	/* (a member's writes go row by row) */
	subplan = symbl_modify_subplan(plan, subplan_index);
	if (t->target != TARGET_CONVERSATIONS || !IsA(subplan, ForeignScan))
		return false;
	fscan = (ForeignScan *) subplan;
	if (fscan->scan.scanrelid != resultRelation ||
		!is_safe_here((Node *) fscan->scan.plan.qual))
		return false;

	if (operation == CMD_UPDATE)
	{
		SymblColumn *metadata = t->metadata;
		AttrNumber	resno = metadata ? symbl_update_resno(root, metadata->attnum) : 0;
		TargetEntry *tle;

		if (resno <= 0 || resno > list_length(fscan->scan.plan.targetlist))
			return false;
		tle = list_nth(fscan->scan.plan.targetlist, resno - 1);
		if (!is_safe_here((Node *) tle->expr))
			return false;
		set_attnums = list_make1_int(metadata->attnum);
		set_resnos = list_make1_int(resno);
		add_attnums((Node *) tle->expr, resultRelation, &attnums, &whole_row);
	}
	if (plan->returningLists)
		returning = list_nth(plan->returningLists, subplan_index);

	/* the columns to read: the id, what the quals, SET and RETURNING use */
	attnums = lappend_int(attnums, t->id->attnum);
	add_attnums((Node *) fscan->scan.plan.qual, resultRelation, &attnums, &whole_row);
	add_attnums((Node *) returning, resultRelation, &attnums, &whole_row);
	if (whole_row)
		foreach(lc, t->columns)
			attnums = list_append_unique_int(attnums, ((SymblColumn *) lfirst(lc))->attnum);
	if (!symbl_scan_plan_columns(fscan, attnums))
		return false;

	fscan->operation = operation;
	symbl_set_direct_result_relation(fscan, resultRelation);
	fscan->fdw_private = lappend(fscan->fdw_private,
								 list_make3(set_attnums, set_resnos,
											makeBoolean(plan->canSetTag)));
	return true;
}

/* Run a scan callback on the node with the scan's own state in place */
#define WITH_SCAN_STATE(node, dm, call) \
	do { \
		(node)->fdw_state = (dm)->scan_state; \
		call; \
		(node)->fdw_state = (dm); \
	} while (0)

static void
symbl_begin_direct_modify(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	DirectModifyState *dm = palloc0(sizeof(DirectModifyState));
	Relation	rel = node->ss.ss_currentRelation;
	List	   *modify = llast(fsplan->fdw_private);
	ListCell   *lc;

	symbl_scan_begin(node, eflags);
	dm->scan_state = node->fdw_state;
	node->fdw_state = dm;
	dm->operation = fsplan->operation;
	dm->table_name = qualified_name(rel);
	dm->explain_only = (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0;
	if (dm->explain_only)
		return;

	dm->rinfo = symbl_direct_result_rel(node);
	dm->run = new_write_run(rel, check_writes_allowed(rel, dm->operation), dm->operation,
							write_connection(rel, dm->rinfo, estate), estate);
	dm->set_attnums = linitial(modify);
	foreach(lc, (List *) lsecond(modify))
	{
		TargetEntry *tle = list_nth(fsplan->scan.plan.targetlist, lfirst_int(lc) - 1);

		dm->set_exprs = lappend(dm->set_exprs, ExecInitExpr(tle->expr, &node->ss.ps));
	}
	dm->set_processed = boolVal(lthird(modify));
	dm->returning_slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel),
												&TTSOpsVirtual);
}

/*
 * Read every row the statement touches before the first write, compute
 * and check every new value: a bad value stops the statement before
 * anything is sent, and the writes cannot disturb the reading.
 */
static void
read_rows_to_write(ForeignScanState *node, DirectModifyState *dm)
{
	WriteRun   *run = dm->run;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	bool		returning = dm->rinfo->ri_projectReturning != NULL;
	int			allocated = 64;
	SymblColumn *metadata = run->table->metadata;

	dm->rows = MemoryContextAlloc(run->cxt, sizeof(RowWrite *) * allocated);
	for (;;)
	{
		TupleTableSlot *slot;
		bool		isnull;
		Datum		id;
		RowWrite   *row;
		MemoryContext oldcxt;

		ResetExprContext(econtext);
		WITH_SCAN_STATE(node, dm, slot = symbl_scan_next(node));
		if (TupIsNull(slot))
			break;
		econtext->ecxt_scantuple = slot;
		if (node->ss.ps.qual != NULL && !ExecQual(node->ss.ps.qual, econtext))
			continue;
		id = slot_getattr(slot, run->id_attnum, &isnull);
		if (isnull)
			continue;
		oldcxt = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		if (seen_before(run, TextDatumGetCString(id)))
		{
			MemoryContextSwitchTo(oldcxt);
			continue;
		}
		row = new_row_write(run, TextDatumGetCString(id), NULL);
		if (dm->operation == CMD_UPDATE)
		{
			Datum		value = ExecEvalExpr(linitial(dm->set_exprs), econtext, &isnull);
			int16		typlen;
			bool		typbyval;

			set_metadata_body(run, row,
							  checked_metadata(run, row->id, value, isnull,
											   metadata->typid));
			get_typlenbyval(metadata->typid, &typlen, &typbyval);
			MemoryContextSwitchTo(run->cxt);
			row->new_value = datumCopy(value, typbyval, typlen);
		}
		MemoryContextSwitchTo(run->cxt);
		if (returning)
			row->row = ExecCopySlotHeapTuple(slot);
		MemoryContextSwitchTo(oldcxt);
		if (dm->nrows == allocated)
		{
			allocated *= 2;
			dm->rows = repalloc(dm->rows, sizeof(RowWrite *) * allocated);
		}
		dm->rows[dm->nrows++] = row;
	}
}

static TupleTableSlot *
next_returning_row(ForeignScanState *node, DirectModifyState *dm)
{
	TupleTableSlot *scan_slot = node->ss.ss_ScanTupleSlot;
	EState	   *estate = node->ss.ps.state;

	while (dm->next_returned < dm->nrows)
	{
		RowWrite   *row = dm->rows[dm->next_returned++];
		Datum	   *values;
		bool	   *isnull;

		if (row->outcome != WRITE_APPLIED)
			continue;
		/* the row as read passes the quals PostgreSQL checks above */
		ExecForceStoreHeapTuple(row->row, scan_slot, false);
		ResetExprContext(node->ss.ps.ps_ExprContext);
		if (dm->operation == CMD_UPDATE)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(node->ss.ps.ps_ExprContext->ecxt_per_tuple_memory);

			copy_slot_values(scan_slot, &values, &isnull);
			values[dm->run->metadata_attnum - 1] = row->new_value;
			isnull[dm->run->metadata_attnum - 1] = false;
			store_answer(dm->run, row, dm->returning_slot, values, isnull);
			MemoryContextSwitchTo(oldcxt);
		}
		else
			ExecCopySlot(dm->returning_slot, scan_slot);
		dm->rinfo->ri_projectReturning->pi_exprContext->ecxt_scantuple = dm->returning_slot;
		if (dm->set_processed)
			estate->es_processed++;
		return scan_slot;
	}
	return ExecClearTuple(scan_slot);
}

static TupleTableSlot *
symbl_iterate_direct_modify(ForeignScanState *node)
{
	DirectModifyState *dm = node->fdw_state;

	if (!dm->written)
	{
		read_rows_to_write(node, dm);
		send_writes(dm->run, dm->rows, dm->nrows,
					dm->run->conn->opts.max_concurrent_requests);
		dm->written = true;
		if (dm->rinfo->ri_projectReturning == NULL)
		{
			if (dm->set_processed)
				node->ss.ps.state->es_processed += dm->run->applied;
			if (node->ss.ps.instrument)
				node->ss.ps.instrument->tuplecount += dm->run->applied;
		}
	}
	if (dm->rinfo->ri_projectReturning == NULL)
		return ExecClearTuple(node->ss.ss_ScanTupleSlot);
	return next_returning_row(node, dm);
}

static void
symbl_end_direct_modify(ForeignScanState *node)
{
	DirectModifyState *dm = node->fdw_state;

	if (dm != NULL)
		WITH_SCAN_STATE(node, dm, symbl_scan_end(node));
}

static void
symbl_explain_direct_modify(ForeignScanState *node, ExplainState *es)
{
	DirectModifyState *dm = node->fdw_state;
	char	   *read;

	explain_write_request(node->ss.ss_currentRelation, dm->operation, es);
	if (es->verbose)
	{
		WITH_SCAN_STATE(node, dm, read = symbl_scan_request_text(node));
		ExplainPropertyText("Symbl Read", read, es);
	}
	if (es->analyze)
	{
		SymblScanStats *stats;

		WITH_SCAN_STATE(node, dm, stats = symbl_scan_stats(node));
		ExplainPropertyInteger("Symbl Read Requests", NULL, stats->requests, es);
		ExplainPropertyInteger("Symbl Read Retries", NULL, stats->retries, es);
		ExplainPropertyInteger("Symbl Rows Received", NULL, stats->rows_received, es);
	}
	explain_write_counts(dm->run, es);
}

void
symbl_modify_routines(FdwRoutine *routine)
{
	routine->AddForeignUpdateTargets = symbl_add_foreign_update_targets;
	routine->PlanForeignModify = symbl_plan_foreign_modify;
	routine->BeginForeignModify = symbl_begin_foreign_modify;
	routine->ExecForeignInsert = symbl_exec_foreign_insert;
	routine->ExecForeignUpdate = symbl_exec_foreign_update;
	routine->ExecForeignDelete = symbl_exec_foreign_delete;
	routine->EndForeignModify = symbl_end_foreign_modify;
	routine->BeginForeignInsert = symbl_begin_foreign_insert;
	routine->IsForeignRelUpdatable = symbl_is_foreign_rel_updatable;
	routine->ExplainForeignModify = symbl_explain_foreign_modify;
	routine->PlanDirectModify = symbl_plan_direct_modify;
	routine->BeginDirectModify = symbl_begin_direct_modify;
	routine->IterateDirectModify = symbl_iterate_direct_modify;
	routine->EndDirectModify = symbl_end_direct_modify;
	routine->ExplainDirectModify = symbl_explain_direct_modify;
}
