/*-------------------------------------------------------------------------
 *
 * response.c
 *		  Parse an answer of the API (json-c, on the JSON worker or here),
 *		  and turn a page of GET /v1/conversations (or one conversation)
 *		  into rows.  A part's items are part_convert.c's; the values
 *		  themselves are built by json_values.c.
 *
 * The json-c tree of a page is built on a worker thread (json_worker.c)
 * while the previous page is converted here, and is owned by the memory
 * context of the request the body came in: a reset callback frees it, so
 * an error half-way through a page (a bad timestamp, a wrong type, a
 * cancel) leaks nothing.  Every value is built once, straight from the
 * parsed JSON: text and jsonb directly, timestamps through the column
 * type's own input function.
 *
 * This file includes json-c (through json_worker.h), so it must not include
 * utils/builtins.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/fmgroids.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "symbl_types.h"
#include "exchange.h"
#include "resource.h"
#include "response.h"
#include "json_worker.h"

#include "json_values.h"

/*
 * A page body being parsed, on the worker thread or here.  It lives in the
 * memory context of the request whose body it reads: when that goes (the
 * page is done, the scan ends, the query fails), the reset callback takes
 * the job back from the worker before libcurl's buffer is released (it was
 * registered later, so it runs first) and frees the tree if nobody took it.
 */
struct SymblPageParse
{
	SymblJsonJob job;
	MemoryContextCallback cleanup;
};

/* Where in the answer a value came from, for error context */
static bool
is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
release_page_parse(void *arg)
{
	SymblPageParse *parse = arg;

	symbl_json_job_cancel(&parse->job);
	symbl_json_job_free_tree(&parse->job);
}

static void
stop_json_worker(int code, Datum arg)
{
	symbl_json_worker_stop();
}

static bool
json_worker_ready(void)
{
	static bool exit_hook = false;

	if (!exit_hook)
	{
		on_proc_exit(stop_json_worker, (Datum) 0);
		exit_hook = true;
	}
	return symbl_json_worker_start();
}

/*
 * Start parsing a page body, which must stay valid as long as the current
 * memory context: on the worker thread when `in_background` (and the thread
 * runs), else right here.
 */
SymblPageParse *
symbl_page_parse_start(const char *body, size_t len, bool in_background)
{
	SymblPageParse *parse = palloc0(sizeof(SymblPageParse));

	parse->job.body = body;
	parse->job.len = len;
	parse->cleanup.func = release_page_parse;
	parse->cleanup.arg = parse;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &parse->cleanup);

	if (in_background && json_worker_ready())
		symbl_json_job_submit(&parse->job);
	else
	{
		symbl_json_job_run(&parse->job);
		parse->job.state = SYMBL_JSON_JOB_DONE;
	}
	return parse;
}

/*
 * The parsed tree, once the whole body is one JSON value.  json-c is strict
 * (no comments, no single quotes), and anything after the top-level value
 * other than white space is an error too: a truncated or concatenated body
 * must never turn into a silently short page.
 */
json_object *
symbl_page_parse_result(SymblPageParse *parse, const char *where)
{
	SymblJsonJob *job = &parse->job;
	size_t		consumed;

	while (!symbl_json_job_wait(job, SYMBL_POLL_INTERVAL_MS))
	{
		CHECK_FOR_INTERRUPTS();
		symbl_exit_if_postmaster_died();
		symbl_api_progress();
	}

	if (job->out_of_memory)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (job->tree_estimate > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("Symbl API returned an answer too dense to parse"),
				 errdetail("Its %zu bytes in %s hold so many JSON values that parsing them would take about %zu MB, more than %d times the answer's size.",
						   job->len, where, job->tree_estimate / (1024 * 1024),
						   SYMBL_JSON_MAX_TREE_FACTOR),
				 errhint("A genuine answer of conversations or their parts takes about 13 times its size.")));
	if (job->root == NULL || job->error != json_tokener_success)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("Symbl API returned malformed JSON"),
				 errdetail("%s at byte %zu of %zu in %s.",
						   job->error == json_tokener_continue ?
						   "the body ends before the JSON value does" :
						   json_tokener_error_desc(job->error),
						   job->consumed, job->len, where)));

	consumed = job->consumed;
	while (consumed < job->len && is_json_space(job->body[consumed]))
		consumed++;
	if (consumed < job->len)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("Symbl API returned malformed JSON"),
				 errdetail("unexpected data after the JSON value at byte %zu of %zu in %s.",
						   consumed, job->len, where)));
	return job->root;
}

static json_type
expected_json_type(SymblField field)
{
	switch (field)
	{
		case SYMBL_FIELD_MEMBERS:
			return json_type_array;
		case SYMBL_FIELD_METADATA:
			return json_type_object;
		default:
			return json_type_string;
	}
}

static Datum
column_value(const SymblColumn *col, json_object *value)
{
	json_type	expected = expected_json_type(col->field);

	if (!json_object_is_type(value, expected))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("Symbl API returned a JSON %s where a JSON %s was expected",
						symbl_json_kind(value), json_type_to_name(expected))));

	switch (col->kind)
	{
		case SYMBL_VALUE_TEXT:
			return symbl_text_datum(value);
		case SYMBL_VALUE_INPUT:
			return symbl_input_datum(col, value);
		case SYMBL_VALUE_JSONB:
			return symbl_jsonb_datum(value);
		case SYMBL_VALUE_JSON_INPUT:
			return symbl_json_input_datum(col, value);
		default:
			/* the kinds of parts' columns only */
			break;
	}
	pg_unreachable();
}

/*
 * The hash of each field name in json-c's object tables, computed once: the
 * per-row lookups then skip hashing the names again.  Every object table
 * uses the same string hash (seeded once per process).
 */
static unsigned long field_hash[SYMBL_NUM_FIELDS];
static bool field_hash_ready = false;

static void
prepare_field_hashes(json_object *row)
{
	struct lh_table *table = json_object_get_object(row);
	int			i;

	for (i = 0; i < SYMBL_NUM_FIELDS; i++)
		field_hash[i] = lh_get_hash(table, symbl_field_names[i]);
	field_hash_ready = true;
}

static json_object *
row_field(json_object *row, SymblField field)
{
	struct lh_entry *entry;

	entry = lh_table_lookup_entry_w_hash(json_object_get_object(row),
										 symbl_field_names[field],
										 field_hash[field]);
	return entry ? (json_object *) lh_entry_v(entry) : NULL;
}

static void
convert_row(json_object *row, const SymblColumn *columns, int ncolumns,
			Datum *values, bool *nulls, ValuePosition *pos)
{
	int			i;

	if (!json_object_is_type(row, json_type_object))
	{
		pos->field = NULL;
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("Symbl API returned a JSON %s as conversation %d, where an object was expected",
						symbl_json_kind(row), pos->row + 1)));
	}

	if (!field_hash_ready)
		prepare_field_hashes(row);
	for (i = 0; i < ncolumns; i++)
	{
		const SymblColumn *col = &columns[i];
		int			att = col->attnum - 1;
		json_object *value = row_field(row, col->field);

		pos->field = symbl_field_names[col->field];
		if (value == NULL || json_object_is_type(value, json_type_null))
		{
			values[att] = (Datum) 0;
			nulls[att] = true;
			continue;
		}
		values[att] = column_value(col, value);
		nulls[att] = false;
	}
}

/*
 * Convert a parsed page into page->values/nulls (natts slots per row,
 * already NULL for attributes no column feeds), allocated in the current
 * memory context.  `where` names the page in error messages.
 */
void
symbl_page_convert(SymblPageParse *parse, const SymblColumn *columns,
				   int ncolumns, int natts, const char *where, SymblPage *page)
{
	json_object *root = symbl_page_parse_result(parse, where);
	json_object *conversations = NULL;
	bool		has_key;
	ErrorContextCallback errcallback;
	ValuePosition pos = {where, 0, NULL, "conversation"};
	size_t		nrows;
	int			i;

	/* json-c represents JSON null as NULL: the key tells absent from null */
	has_key = json_object_is_type(root, json_type_object) &&
		json_object_object_get_ex(root, "conversations", &conversations);
	if (!has_key || !json_object_is_type(conversations, json_type_array))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("Symbl API answer has no \"conversations\" array"),
				 errdetail("The answer is a JSON %s%s in %s.",
						   symbl_json_kind(root),
						   !has_key ? " without \"conversations\"" :
						   psprintf(" whose \"conversations\" is a JSON %s", symbl_json_kind(conversations)),
						   where)));

	nrows = json_object_array_length(conversations);
	page->nrows = (int) nrows;
	page->natts = natts;
	symbl_allocate_rows(page, nrows, natts);
	symbl_push_position_context(&errcallback, &pos);

	for (i = 0; i < (int) nrows; i++)
	{
		pos.row = i;
		convert_row(json_object_array_get_idx(conversations, i), columns,
					ncolumns, page->values + (size_t) i * natts,
					page->nulls + (size_t) i * natts, &pos);
	}

	error_context_stack = errcallback.previous;

	/* the values are copies; the tree can go now */
	symbl_json_job_free_tree(&parse->job);
}

/*
 * One conversation, as GET /v1/conversations/{id} answers it: the object
 * itself, not wrapped.  No parse (a 404) gives no row.
 */
void
symbl_conversation_convert(SymblPageParse *parse, const SymblColumn *columns,
						   int ncolumns, int natts, const char *where,
						   SymblPage *page)
{
	json_object *root;
	ErrorContextCallback errcallback;
	ValuePosition pos = {where, 0, NULL, "conversation"};

	page->nrows = 0;
	page->natts = natts;
	if (parse == NULL)
		return;
	root = symbl_page_parse_result(parse, where);
	symbl_allocate_rows(page, 1, natts);
	page->nrows = 1;
	symbl_push_position_context(&errcallback, &pos);
	convert_row(root, columns, ncolumns, page->values, page->nulls, &pos);
	error_context_stack = errcallback.previous;
	symbl_json_job_free_tree(&parse->job);
}

/* Parse and convert a page in one go, in this thread */
void
symbl_parse_page(const char *body, size_t len, const SymblColumn *columns,
				 int ncolumns, int natts, const char *where, SymblPage *page)
{
	symbl_page_convert(symbl_page_parse_start(body, len, false), columns,
					   ncolumns, natts, where, page);
}

/* Done with the parsed tree: the values taken from it are copies */
void
symbl_page_parse_free_tree(SymblPageParse *parse)
{
	symbl_json_job_free_tree(&parse->job);
}
