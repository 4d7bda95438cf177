/*-------------------------------------------------------------------------
 *
 * response.c
 *		  Turn an answer of the API (JSON, parsed by json-c) into column
 *		  values: a page of GET /v1/conversations, or the items of one
 *		  conversation's part, found through the resource's JSON paths.
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
typedef struct ValuePosition
{
	const char *where;
	int			row;
	const char *field;
	const char *noun;			/* what a row is: conversation, item */
} ValuePosition;

static FmgrInfo numeric_input;
static bool numeric_input_ready = false;

static void
value_position_context(void *arg)
{
	ValuePosition *pos = arg;

	if (pos->field != NULL)
		errcontext("field \"%s\" of %s %d in %s",
				   pos->field, pos->noun ? pos->noun : "conversation",
				   pos->row + 1, pos->where);
	else
		errcontext("%s", pos->where);
}

/* Room for nrows rows of natts values, all NULL to start with */
static void
allocate_rows(SymblPage *page, size_t nrows, int natts)
{
	page->values = palloc(sizeof(Datum) * (nrows * natts + 1));
	page->nulls = palloc(sizeof(bool) * (nrows * natts + 1));
	memset(page->nulls, true, sizeof(bool) * (nrows * natts + 1));
}

/* Errors while converting name the value's place in the answer */
static void
push_position_context(ErrorContextCallback *callback, ValuePosition *pos)
{
	callback->callback = value_position_context;
	callback->arg = pos;
	callback->previous = error_context_stack;
	error_context_stack = callback;
}

static const char *
json_kind(json_object *value)
{
	return json_type_to_name(json_object_get_type(value));
}

/* JSON's four white-space characters (strchr would also match a NUL) */
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
static json_object *
page_parse_result(SymblPageParse *parse, const char *where)
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

/*
 * A JSON string in the server encoding, verified: NUL bytes and invalid
 * sequences are rejected by pg_any_to_server, and the error context names
 * the field.  Without a conversion this is json-c's own NUL-terminated
 * buffer, which lives as long as the page's tree: every caller copies what
 * it keeps (into text, a timestamp, a jsonb) before the tree goes.
 */
static const char *
server_string(json_object *value, int *len)
{
	const char *utf8 = json_object_get_string(value);
	int			n = json_object_get_string_len(value);
	const char *converted = pg_any_to_server(utf8, n, PG_UTF8);

	*len = converted == utf8 ? n : (int) strlen(converted);
	return converted;
}

static Datum
text_datum(json_object *value)
{
	int			len;
	const char *str = server_string(value, &len);
	text	   *result = (text *) palloc(len + VARHDRSZ);

	SET_VARSIZE(result, len + VARHDRSZ);
	memcpy(VARDATA(result), str, len);
	return PointerGetDatum(result);
}

static Datum
input_datum(const SymblColumn *col, json_object *value)
{
	int			len;
	const char *str = server_string(value, &len);

	/* PostgreSQL also reads 'now', 'epoch' and 'infinity' as timestamps */
	if ((col->typid == TIMESTAMPTZOID || col->typid == TIMESTAMPOID) &&
		!isdigit((unsigned char) str[0]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_DATETIME_FORMAT),
				 errmsg("Symbl API returned \"%s\" where an ISO 8601 timestamp was expected", str)));
	return InputFunctionCall((FmgrInfo *) &col->input, (char *) str,
							 col->ioparam, col->typmod);
}

/*
 * The text of a JSON number or boolean.  json-c keeps a fraction's or an
 * exponent's own text, but reads an integer into 64 bits and saturates one
 * beyond them (99999999999999999999 becomes 18446744073709551615): the two
 * saturated values are refused, rather than passed on as a number the API
 * did not send.  The exact values themselves go with them.  Even when
 * strict, json-c also takes NaN, Infinity and -Infinity, which are not JSON
 * (and which jsonb cannot hold).
 */
static const char *
scalar_json_text(json_object *value)
{
	const char *text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);

	if (json_object_is_type(value, json_type_double) &&
		!isdigit((unsigned char) text[text[0] == '-']))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("Symbl API returned malformed JSON"),
				 errdetail("%s is not a JSON number.", text)));

	if (json_object_is_type(value, json_type_int) &&
		(json_object_get_uint64(value) == UINT64_MAX ||
		 json_object_get_int64(value) == INT64_MIN))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("Symbl API returned an integer beyond the range read exactly"),
				 errdetail("Integers from -9223372036854775807 to 18446744073709551614 are read exactly; a larger one reads as %s.",
						   text)));
	return text;
}

/* Every number in a value that json-c serialises whole */
static void
check_numbers(json_object *value)
{
	check_stack_depth();
	if (json_object_is_type(value, json_type_array))
	{
		size_t		n = json_object_array_length(value);
		size_t		i;

		for (i = 0; i < n; i++)
			check_numbers(json_object_array_get_idx(value, i));
	}
	else if (json_object_is_type(value, json_type_object))
	{
		struct json_object_iterator it = json_object_iter_begin(value);
		struct json_object_iterator end = json_object_iter_end(value);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			check_numbers(json_object_iter_peek_value(&it));
	}
	else if (json_object_is_type(value, json_type_int) ||
			 json_object_is_type(value, json_type_double))
		(void) scalar_json_text(value);
}

static JsonbValue *push_jsonb_value(JsonbParseState **state,
									json_object *value,
									JsonbIteratorToken token);

static void
jsonb_scalar(json_object *value, JsonbValue *scalar)
{
	switch (json_object_get_type(value))
	{
		case json_type_null:
			scalar->type = jbvNull;
			break;
		case json_type_boolean:
			scalar->type = jbvBool;
			scalar->val.boolean = json_object_get_boolean(value);
			break;
		case json_type_int:
		case json_type_double:
			/* the number's own text, so that no digit is lost to a double */
			if (!numeric_input_ready)
			{
				fmgr_info(F_NUMERIC_IN, &numeric_input);
				numeric_input_ready = true;
			}
			scalar->type = jbvNumeric;
			scalar->val.numeric = DatumGetNumeric(
				InputFunctionCall(&numeric_input,
								  (char *) scalar_json_text(value),
								  InvalidOid, -1));
			break;
		case json_type_string:
			scalar->type = jbvString;
			scalar->val.string.val = (char *) server_string(value, &scalar->val.string.len);
			break;
		default:
			elog(ERROR, "unexpected json-c type %d", (int) json_object_get_type(value));
	}
}

/*
 * Push one JSON value; returns what pushJsonbValue returned for its last
 * token, which for a top-level container is the finished value.
 */
static JsonbValue *
push_jsonb_value(JsonbParseState **state, json_object *value,
				 JsonbIteratorToken token)
{
	check_stack_depth();

	if (json_object_is_type(value, json_type_array))
	{
		size_t		n = json_object_array_length(value);
		size_t		i;

		pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < n; i++)
			push_jsonb_value(state, json_object_array_get_idx(value, i), WJB_ELEM);
		return pushJsonbValue(state, WJB_END_ARRAY, NULL);
	}
	else if (json_object_is_type(value, json_type_object))
	{
		struct json_object_iterator it = json_object_iter_begin(value);
		struct json_object_iterator end = json_object_iter_end(value);

		pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		{
			const char *key = json_object_iter_peek_name(&it);
			JsonbValue	k;

			k.type = jbvString;
			k.val.string.val = pg_any_to_server(key, strlen(key), PG_UTF8);
			k.val.string.len = strlen(k.val.string.val);
			pushJsonbValue(state, WJB_KEY, &k);
			push_jsonb_value(state, json_object_iter_peek_value(&it), WJB_VALUE);
		}
		return pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	else
	{
		JsonbValue	scalar;

		jsonb_scalar(value, &scalar);
		return pushJsonbValue(state, token, &scalar);
	}
}

static Datum
jsonb_datum(json_object *value)
{
	JsonbParseState *state = NULL;

	/* members and metadata are always containers (checked by the caller) */
	return PointerGetDatum(JsonbValueToJsonb(push_jsonb_value(&state, value,
															  WJB_ELEM)));
}

static Datum
json_input_datum(const SymblColumn *col, json_object *value)
{
	const char *serialised;
	char	   *converted;

	check_numbers(value);
	serialised = json_object_to_json_string_ext(value,
												JSON_C_TO_STRING_PLAIN |
												JSON_C_TO_STRING_NOSLASHESCAPE);
	converted = pg_any_to_server(serialised, strlen(serialised), PG_UTF8);

	return InputFunctionCall((FmgrInfo *) &col->input, converted, col->ioparam,
							 col->typmod);
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
						json_kind(value), json_type_to_name(expected))));

	switch (col->kind)
	{
		case SYMBL_VALUE_TEXT:
			return text_datum(value);
		case SYMBL_VALUE_INPUT:
			return input_datum(col, value);
		case SYMBL_VALUE_JSONB:
			return jsonb_datum(value);
		case SYMBL_VALUE_JSON_INPUT:
			return json_input_datum(col, value);
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
						json_kind(row), pos->row + 1)));
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
	json_object *root = page_parse_result(parse, where);
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
						   json_kind(root),
						   !has_key ? " without \"conversations\"" :
						   psprintf(" whose \"conversations\" is a JSON %s", json_kind(conversations)),
						   where)));

	nrows = json_object_array_length(conversations);
	page->nrows = (int) nrows;
	page->natts = natts;
	allocate_rows(page, nrows, natts);
	push_position_context(&errcallback, &pos);

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
	root = page_parse_result(parse, where);
	allocate_rows(page, 1, natts);
	page->nrows = 1;
	push_position_context(&errcallback, &pos);
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

/*
 * Parts of a conversation.
 *
 * A column's value is found by its JSON path in the row's element (when the
 * resource expands items into their matches) and then in the item.  A path
 * that reaches an array before its end goes on in each element, which a
 * text[] or jsonb column collects: summary's messageRefs.id.
 */
static void
wrong_json_type(json_object *value, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("Symbl API returned a JSON %s where %s was expected",
					json_kind(value), expected)));
}

/*
 * A missing or null field on the way is no value; a string or number where
 * the path goes on is the wrong type, as anywhere else in an answer.
 */
static json_object *
path_value(json_object *obj, char *const *segs, int nsegs, int *rest)
{
	int			i;

	for (i = 0; i < nsegs; i++)
	{
		json_object *next;

		if (obj == NULL)
			return NULL;
		if (json_object_is_type(obj, json_type_array))
			break;
		if (!json_object_is_type(obj, json_type_object))
			wrong_json_type(obj, "a JSON object");
		if (!json_object_object_get_ex(obj, segs[i], &next))
			return NULL;
		obj = next;
	}
	*rest = i;
	return obj;
}

typedef struct FoundValue
{
	json_object *value;
	char *const *rest_segs;		/* the path still to follow in each element */
	int			nrest;
} FoundValue;

static bool
find_part_value(const SymblColumn *col, json_object *element, json_object *item,
				FoundValue *found)
{
	int			alt;

	for (alt = 0; alt < col->path.nalts; alt++)
	{
		json_object *sources[2] = {element, item};
		int			s;

		for (s = 0; s < 2; s++)
		{
			int			rest = 0;
			json_object *value;

			if (sources[s] == NULL)
				continue;
			value = path_value(sources[s], col->path.segs[alt], col->path.nsegs[alt], &rest);
			if (value == NULL)
				continue;
			found->value = value;
			found->rest_segs = col->path.segs[alt] + rest;
			found->nrest = col->path.nsegs[alt] - rest;
			return true;
		}
	}
	return false;
}

/* A string as text; numbers and booleans as their JSON text */
static Datum
scalar_text_datum(const SymblColumn *col, json_object *value)
{
	if (json_object_is_type(value, json_type_string))
		return col->kind == SYMBL_VALUE_TEXT ? text_datum(value) : input_datum(col, value);
	if (json_object_is_type(value, json_type_int) ||
		json_object_is_type(value, json_type_double) ||
		json_object_is_type(value, json_type_boolean))
	{
		const char *str = scalar_json_text(value);

		return InputFunctionCall((FmgrInfo *) &col->input, (char *) str,
								 col->ioparam, col->typmod);
	}
	wrong_json_type(value, "a JSON string");
	pg_unreachable();
}

static Datum
number_text_datum(json_object *value)
{
	const char *str = scalar_json_text(value);
	size_t		len = strlen(str);
	text	   *result = (text *) palloc(len + VARHDRSZ);

	SET_VARSIZE(result, len + VARHDRSZ);
	memcpy(VARDATA(result), str, len);
	return PointerGetDatum(result);
}

/* Any JSON value, a scalar too, as jsonb */
static Datum
any_jsonb_datum(json_object *value)
{
	JsonbValue	scalar;

	if (json_object_is_type(value, json_type_array) ||
		json_object_is_type(value, json_type_object))
		return jsonb_datum(value);
	jsonb_scalar(value, &scalar);
	return PointerGetDatum(JsonbValueToJsonb(&scalar));
}

/* elements: the values of an array, or of a path followed through it */
static Datum
text_array_datum(json_object *array, char *const *segs, int nsegs)
{
	ArrayBuildState *astate = initArrayResult(TEXTOID, CurrentMemoryContext, false);
	size_t		n = json_object_array_length(array);
	size_t		i;

	for (i = 0; i < n; i++)
	{
		json_object *elem = json_object_array_get_idx(array, i);
		int			rest = 0;

		if (nsegs > 0)
		{
			elem = path_value(elem, segs, nsegs, &rest);
			if (elem != NULL && rest < nsegs)
				wrong_json_type(elem, "a value (arrays inside arrays are not followed)");
		}
		if (elem == NULL)
			astate = accumArrayResult(astate, (Datum) 0, true, TEXTOID, CurrentMemoryContext);
		else if (json_object_is_type(elem, json_type_string))
			astate = accumArrayResult(astate, text_datum(elem), false, TEXTOID,
									  CurrentMemoryContext);
		else if (json_object_is_type(elem, json_type_int) ||
				 json_object_is_type(elem, json_type_double))
			astate = accumArrayResult(astate,
									  number_text_datum(elem),
									  false, TEXTOID, CurrentMemoryContext);
		else
			wrong_json_type(elem, "a JSON string in an array");
	}
	return makeArrayResult(astate, CurrentMemoryContext);
}

/* A jsonb array of what the rest of a path finds in each element */
static Datum
mapped_jsonb_datum(json_object *array, char *const *segs, int nsegs)
{
	JsonbParseState *state = NULL;
	size_t		n = json_object_array_length(array);
	size_t		i;

	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (i = 0; i < n; i++)
	{
		int			rest = 0;
		json_object *elem = path_value(json_object_array_get_idx(array, i),
									   segs, nsegs, &rest);

		if (elem != NULL && rest < nsegs)
			wrong_json_type(elem, "a value (arrays inside arrays are not followed)");
		if (elem == NULL)
		{
			JsonbValue	null = {.type = jbvNull};

			pushJsonbValue(&state, WJB_ELEM, &null);
		}
		else
			push_jsonb_value(&state, elem, WJB_ELEM);
	}
	return PointerGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_ARRAY, NULL)));
}

static Datum
part_value(const SymblColumn *col, const FoundValue *found)
{
	json_object *value = found->value;

	if (found->nrest > 0)
	{
		/* the path goes on in each element of an array */
		if (col->kind == SYMBL_VALUE_TEXT_ARRAY)
			return text_array_datum(value, found->rest_segs, found->nrest);
		if (col->kind == SYMBL_VALUE_JSONB)
			return mapped_jsonb_datum(value, found->rest_segs, found->nrest);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("Symbl API returned a JSON array where column \"%s\" expects one value",
						col->attname),
				 errhint("Declare the column text[] or jsonb to collect a value from each element.")));
	}
	switch (col->kind)
	{
		case SYMBL_VALUE_TEXT:
		case SYMBL_VALUE_INPUT:
			return scalar_text_datum(col, value);
		case SYMBL_VALUE_NUMBER:
			if (!json_object_is_type(value, json_type_int) &&
				!json_object_is_type(value, json_type_double))
				wrong_json_type(value, "a JSON number");
			return InputFunctionCall((FmgrInfo *) &col->input,
									 (char *) scalar_json_text(value),
									 col->ioparam, col->typmod);
		case SYMBL_VALUE_BOOL:
			if (!json_object_is_type(value, json_type_boolean))
				wrong_json_type(value, "a JSON boolean");
			return BoolGetDatum(json_object_get_boolean(value));
		case SYMBL_VALUE_TEXT_ARRAY:
			if (!json_object_is_type(value, json_type_array))
				wrong_json_type(value, "a JSON array");
			return text_array_datum(value, NULL, 0);
		case SYMBL_VALUE_JSONB:
			return any_jsonb_datum(value);
		case SYMBL_VALUE_JSON_INPUT:
			return json_input_datum(col, value);
		case SYMBL_VALUE_CONVERSATION_ID:
			break;
	}
	pg_unreachable();
}

static void
convert_part_row(json_object *element, json_object *item,
				 const SymblColumn *columns, int ncolumns, Datum conversation_id,
				 Datum *values, bool *nulls, ValuePosition *pos)
{
	int			i;

	for (i = 0; i < ncolumns; i++)
	{
		const SymblColumn *col = &columns[i];
		int			att = col->attnum - 1;
		FoundValue	found;

		pos->field = col->attname;
		if (col->kind == SYMBL_VALUE_CONVERSATION_ID)
		{
			values[att] = conversation_id;
			nulls[att] = false;
		}
		else if (find_part_value(col, element, item, &found) &&
				 !json_object_is_type(found.value, json_type_null))
		{
			values[att] = part_value(col, &found);
			nulls[att] = false;
		}
	}
}

/*
 * The items of a part's answer: an array, or one object standing alone (an
 * SDK reads the trackers that way).  An empty object alone is no item: a
 * row of NULLs would be a tracker nobody defined.
 */
typedef struct PartItems
{
	json_object *array;			/* the items, or NULL */
	json_object *single;		/* or the one item, or NULL */
} PartItems;

static size_t
part_item_count(const PartItems *items)
{
	if (items->array != NULL)
		return json_object_array_length(items->array);
	return items->single != NULL ? 1 : 0;
}

static json_object *
part_item(const PartItems *items, size_t i)
{
	if (items->array != NULL)
		return json_object_array_get_idx(items->array, i);
	return items->single;
}

/*
 * Whether an object standing alone is an item: it has a field a column of
 * the table reads (the first name of a column's path, any alternative).
 * {"message": "..."} with a 200 is no tracker, and no row of NULLs.
 */
static bool
object_is_item(json_object *obj, const SymblResource *resource)
{
	int			i;

	/* (not symbl_resource_ncolumns: the page fuzzer links no resource.c) */
	for (i = 0; i < SYMBL_MAX_RESOURCE_COLUMNS && resource->columns[i].name; i++)
	{
		const char *alt = resource->columns[i].path;

		while (alt != NULL)
		{
			char		name[NAMEDATALEN];

			/* the table's own paths: short names */
			snprintf(name, sizeof(name), "%.*s", (int) strcspn(alt, ".|"), alt);
			if (json_object_object_get_ex(obj, name, NULL))
				return true;
			alt = strchr(alt, '|');
			if (alt != NULL)
				alt++;
		}
	}
	return false;
}

/* What a part's answer may be, for the error that says it was not */
static const char *
expected_answer(const SymblResource *resource)
{
	if (resource->array_key == NULL)
		return "an array";
	return psprintf("an object with the array \"%s\"%s%s", resource->array_key,
					resource->bare_array_too ? ", or an array" : "",
					resource->single_object_too ? ", or one item as an object (or {})" : "");
}

/* Where the items are in a part's answer */
static PartItems
part_items(json_object *root, const SymblResource *resource, const char *where)
{
	PartItems	result = {NULL, NULL};
	json_object *items = NULL;
	bool		is_object = json_object_is_type(root, json_type_object);

	if (json_object_is_type(root, json_type_array) &&
		(resource->array_key == NULL || resource->bare_array_too))
		result.array = root;
	else if (resource->array_key != NULL && is_object &&
			 json_object_object_get_ex(root, resource->array_key, &items))
	{
		/* the key names the array: anything else there is not an item */
		if (json_object_is_type(items, json_type_array))
			result.array = items;
	}
	else if (resource->single_object_too && is_object &&
			 json_object_object_length(root) == 0)
		return result;
	else if (resource->single_object_too && is_object &&
			 object_is_item(root, resource))
	{
		result.single = root;
		return result;
	}
	if (result.array != NULL)
		return result;
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("Symbl API answer for %s has no array of items", resource->table),
			 errdetail("The answer is a JSON %s; %s was expected, in %s.",
					   json_kind(root), expected_answer(resource), where)));
	pg_unreachable();
}

/* The rows an item gives: one, or one per element of its expanded array */
static json_object *
expanded_elements(json_object *item, const SymblResource *resource)
{
	json_object *elements;

	if (resource->expand != NULL && json_object_is_type(item, json_type_object) &&
		json_object_object_get_ex(item, resource->expand, &elements) &&
		json_object_is_type(elements, json_type_array))
		return elements;
	return NULL;
}

/*
 * Convert the answer for one conversation's part into page->values/nulls,
 * allocated in the current memory context.  A NULL parse (a 404) gives no
 * rows.
 */
void
symbl_part_convert(SymblPageParse *parse, const SymblResource *resource,
				   const SymblColumn *columns, int ncolumns, int natts,
				   Datum conversation_id, const char *where, SymblPage *page)
{
	PartItems	items;
	ErrorContextCallback errcallback;
	ValuePosition pos = {where, 0, NULL, "item"};
	size_t		nitems;
	size_t		nrows = 0;
	size_t		i;
	int			row = 0;

	memset(page, 0, sizeof(*page));
	page->natts = natts;
	if (parse == NULL)
		return;
	items = part_items(page_parse_result(parse, where), resource, where);
	nitems = part_item_count(&items);
	for (i = 0; i < nitems; i++)
	{
		json_object *elements = expanded_elements(part_item(&items, i), resource);

		nrows += elements != NULL ? json_object_array_length(elements) : 1;
	}
	if (nrows > (size_t) INT_MAX / Max(natts, 1))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("Symbl API answer for %s has too many items", resource->table),
				 errdetail("%zu rows in %s.", nrows, where)));
	page->nrows = (int) nrows;
	allocate_rows(page, nrows, natts);
	push_position_context(&errcallback, &pos);

	for (i = 0; i < nitems; i++)
	{
		json_object *item = part_item(&items, i);
		json_object *elements = expanded_elements(item, resource);
		size_t		nelem = elements != NULL ? json_object_array_length(elements) : 1;
		size_t		e;

		pos.row = (int) i;
		pos.field = NULL;
		if (!json_object_is_type(item, json_type_object))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("Symbl API returned a JSON %s as item %d of %s, where an object was expected",
							json_kind(item), (int) i + 1, resource->table)));
		for (e = 0; e < nelem; e++, row++)
			convert_part_row(elements != NULL ? json_object_array_get_idx(elements, e) : NULL,
							 item, columns, ncolumns, conversation_id,
							 page->values + (size_t) row * natts,
							 page->nulls + (size_t) row * natts, &pos);
	}

	error_context_stack = errcallback.previous;
	symbl_json_job_free_tree(&parse->job);
}
