/*-------------------------------------------------------------------------
 *
 * write_run.c
 *		  The writes of one statement to one table: what each row sends,
 *		  sending it (up to max_concurrent_requests in flight), and what
 *		  the answers and a failure say.
 *		  Conversations: PUT {id} with new metadata, DELETE {id}; members:
 *		  PUT {conversation_id}/members/{id} with name and email.
 *
 * A statement that fails part-way says in its error how many rows it
 * applied, and which.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/explain.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "write_run.h"
#include "compat.h"
#include "api_call.h"
#include "api_error.h"
#include "deparse.h"
#include "option.h"
#include "resource.h"
#include "response.h"
#include "write_xact.h"

/* metadata values the API takes, in characters */
#define MAX_METADATA_VALUE_CHARS 128

/* ids listed in an error's detail */
#define MAX_LISTED_IDS 20

/* the API's words for an unknown conversation (with 404, or 400) */
#define UNKNOWN_CONVERSATION "either invalid or does not exist"

/* ---------------------------------------------------------------------
 * What a row sends
 * ---------------------------------------------------------------------
 */

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
Jsonb *
symbl_checked_metadata(WriteRun *run, const char *id, Datum value, bool isnull,
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
RowWrite *
symbl_new_row_write(WriteRun *run, const char *conversation_id, const char *member_id)
{
	RowWrite   *row = MemoryContextAllocZero(run->cxt, sizeof(RowWrite));
	char	   *path = psprintf("%s/%s", SYMBL_API_PATH, symbl_path_segment(conversation_id));

	if (member_id == NULL)
		row->id = MemoryContextStrdup(run->cxt, conversation_id);
	else
	{
		row->id = MemoryContextStrdup(run->cxt,
									  psprintf("%s/%s", conversation_id, member_id));
		path = psprintf("%s/members/%s", path, symbl_path_segment(member_id));
	}
	row->path = MemoryContextStrdup(run->cxt, path);
	return row;
}

void
symbl_set_metadata_body(WriteRun *run, RowWrite *row, Jsonb *metadata)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(run->cxt);
	char	   *json = psprintf("{\"metadata\":%s}",
								JsonbToCString(NULL, &metadata->root,
											   VARSIZE(metadata)));

	row->sent = (Jsonb *) PG_DETOAST_DATUM_COPY(JsonbPGetDatum(metadata));
	row->body = pg_server_to_any(json, strlen(json), PG_UTF8);
	MemoryContextSwitchTo(oldcxt);
}

/*
 * A member's body: {"id", "name", "email"?}.  The API requires the name;
 * without an email it keeps the old one, so an email cannot be removed.
 */
void
symbl_set_member_body(WriteRun *run, RowWrite *row, const char *member_id,
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

/* Whether the statement has written this id already (and remember it) */
bool
symbl_seen_before(WriteRun *run, const char *id)
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

WriteRun *
symbl_new_write_run(Relation rel, WriteTable *table, CmdType operation,
					SymblConnection *conn, EState *estate)
{
	WriteRun   *run = palloc0(sizeof(WriteRun));
	HASHCTL		ctl;
	ListCell   *lc;
	int			i = 0;

	run->conn = conn;
	run->operation = operation;
	run->table_name = symbl_qualified_name(rel);
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
			symbl_note_applied_write();
		}
	}
	if (row->outcome == WRITE_APPLIED)
	{
		run->applied++;
		run->applied_ids = lappend(run->applied_ids, row->id);
		symbl_note_applied_write();
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

/*
 * An error of the statement says how far it got: the abort's warning need
 * not (write_xact.c), nor the executor hook (write_pending.c).
 */
static void
mark_reported(WriteRun *run)
{
	symbl_note_writes_reported();
	run->reported = true;
}

static void
report_failed_row(WriteRun *run, RowWrite *row)
{
	const char *verb = run->operation == CMD_DELETE ? "delete" : "update";

	mark_reported(run);
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

/* Abort what is in flight: the ids, for "Sent, outcome unknown" */
static List *
abandon_in_flight(WriteWindow *w)
{
	List	   *ids = NIL;
	int			i;

	for (i = 0; i < w->count; i++)
		if (w->rows[i]->call != NULL)
		{
			ids = lappend(ids, w->rows[i]->id);
			symbl_api_call_release(w->rows[i]->call);
			w->rows[i]->call = NULL;
		}
	w->count = 0;
	return ids;
}

/*
 * An error from below while writes were going out (a cancel, a timeout, a
 * connection that failed after its retries): the same error, with how far
 * the statement got.  The window's first row is the one being awaited.
 */
static void
rethrow_with_progress(WriteWindow *w)
{
	WriteRun   *run = w->run;
	ErrorData  *edata = CopyErrorData();
	StringInfoData buf;
	char	   *awaited = w->count > 0 ? w->rows[0]->id : NULL;
	List	   *in_flight;

	FlushErrorState();
	mark_reported(run);
	in_flight = abandon_in_flight(w);

	initStringInfo(&buf);
	if (edata->detail)
		appendStringInfo(&buf, "%s\n", edata->detail);
	appendStringInfo(&buf, "%s", progress_text(run));
	if (awaited != NULL)
		appendStringInfo(&buf, " It happened while writing conversation \"%s\".",
						 awaited);
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

void
symbl_window_init(WriteWindow *w, WriteRun *run, int size)
{
	memset(w, 0, sizeof(WriteWindow));
	w->run = run;
	w->size = Max(size, 1);
	w->rows = MemoryContextAlloc(run->cxt, sizeof(RowWrite *) * w->size);
}

/* What a finished row of the row-by-row path no longer needs */
static void
drop_payload(RowWrite *row)
{
	if (row->body)
		pfree(row->body);
	if (row->sent)
		pfree(row->sent);
	if (row->answer)
		pfree(row->answer);
	pfree(row->path);
	row->body = row->answer = row->path = NULL;
	row->sent = NULL;
}

/* The oldest write, finished, leaves the window */
static void
pop_oldest(WriteWindow *w)
{
	w->count--;
	memmove(w->rows, w->rows + 1, sizeof(RowWrite *) * w->count);
}

/*
 * Await the oldest write in flight and judge it.  A row the executor has
 * already counted that turns out to be gone is taken off the count.
 */
static void
finish_oldest(WriteWindow *w)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	RowWrite   *row = w->rows[0];

	PG_TRY();
	{
		finish_write(w->run, row);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		rethrow_with_progress(w);
	}
	PG_END_TRY();
	pop_oldest(w);
	if (row->outcome == WRITE_GONE && w->counted != NULL)
		(*w->counted)--;
	if (row->outcome == WRITE_FAILED && w->failed == NULL)
		w->failed = row;
	if (w->counted != NULL)
		drop_payload(row);
}

/*
 * Await every write in flight; after a refusal, say which rows were
 * applied and which one failed.
 */
void
symbl_window_drain(WriteWindow *w)
{
	while (w->count > 0)
		finish_oldest(w);
	if (w->failed != NULL)
		report_failed_row(w->run, w->failed);
}

/*
 * Send a row's write, once fewer than the window's size are in flight.
 * After a refusal no new write starts: those in flight are awaited, so
 * that the error can say exactly which rows were applied.
 */
void
symbl_window_add(WriteWindow *w, RowWrite *row)
{
	while (w->count == w->size && w->failed == NULL)
		finish_oldest(w);
	if (w->failed != NULL)
		symbl_window_drain(w);
	start_write(w->run, row);
	w->rows[w->count++] = row;
}

/*
 * Await the oldest write in flight, as symbl_window_settle does: false,
 * with the error flushed, when awaiting it failed (a cancel, a lost
 * connection).  The PG_TRY lives here, apart from the caller's locals, so
 * that nothing the caller keeps in a register is live across its setjmp;
 * `answered` is the one local changed after the setjmp, hence volatile.
 */
static bool
settle_oldest(WriteWindow *w)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile bool answered = true;

	PG_TRY();
	{
		finish_write(w->run, w->rows[0]);
		pop_oldest(w);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
		answered = false;
	}
	PG_END_TRY();
	return answered;
}

/*
 * The statement failed elsewhere (an error in the executor, a cancel
 * noticed between two rows) while writes were in flight: await their
 * answers (unless it was a cancel, which waits for nothing more, as in
 * rethrow_with_progress), and say how far the statement got (NULL when it
 * wrote nothing).  A cancel while awaiting leaves the rest unknown.
 * Called with no error pending.
 */
char *
symbl_window_settle(WriteWindow *w, bool await)
{
	bool		wrote = w->count > 0 || w->run->applied > 0;
	List	   *unknown = NIL;
	StringInfoData buf;

	if (!await)
		unknown = abandon_in_flight(w);
	while (w->count > 0 && unknown == NIL)
	{
		if (!settle_oldest(w))
			unknown = abandon_in_flight(w);
	}
	if (!wrote || w->run->reported)
		return NULL;
	mark_reported(w->run);
	initStringInfo(&buf);
	appendStringInfoString(&buf, progress_text(w->run));
	if (unknown != NIL)
	{
		appendStringInfoString(&buf, " Sent, outcome unknown: ");
		append_ids(&buf, unknown);
		appendStringInfoChar(&buf, '.');
	}
	return buf.data;
}

/*
 * The statement's memory is going with writes still in flight, and no
 * error of the statement said so: name them.  (Called while memory is
 * being freed, maybe in an abort: only a WARNING.)
 */
void
symbl_window_warn_cut_off(WriteWindow *w)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	List	   *ids = NIL;
	StringInfoData buf;
	int			i;

	for (i = 0; i < w->count; i++)
		ids = lappend(ids, w->rows[i]->id);
	initStringInfo(&buf);
	append_ids(&buf, ids);
	ereport(WARNING,
			(errcode(ERRCODE_WARNING),
			 errmsg_plural("%d Symbl write was in flight when the statement failed; whether the API applied it is unknown",
						   "%d Symbl writes were in flight when the statement failed; whether the API applied them is unknown",
						   w->count, w->count),
			 errdetail("Sent to %s: %s.", w->run->table_name, buf.data),
			 errhint("Read these rows again to see what the API holds.")));
	pfree(buf.data);
	list_free(ids);
	MemoryContextSwitchTo(oldcxt);
}

/* Send the writes, up to `window` at once, and judge each answer */
void
symbl_send_writes(WriteRun *run, RowWrite **rows, int nrows, int window)
{
	WriteWindow w;
	int			i;

	symbl_window_init(&w, run, window);
	for (i = 0; i < nrows; i++)
		symbl_window_add(&w, rows[i]);
	symbl_window_drain(&w);
}

/*
 * The values RETURNING shows after an UPDATE: what the API said it stored
 * where its answer has the field, the row as read (with the new values)
 * elsewhere.
 */
void
symbl_store_answer(WriteRun *run, RowWrite *row, TupleTableSlot *slot,
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

void
symbl_explain_write_counts(WriteRun *run, ExplainState *es)
{
	if (es->analyze && run != NULL)
	{
		ExplainPropertyInteger("Symbl Write Requests", NULL, run->stats.requests, es);
		ExplainPropertyInteger("Symbl Write Retries", NULL, run->stats.retries, es);
		ExplainPropertyInteger("Symbl Rows Written", NULL, run->applied, es);
		ExplainPropertyInteger("Symbl Rows Already Gone", NULL, run->gone, es);
	}
}
