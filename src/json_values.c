/*-------------------------------------------------------------------------
 *
 * json_values.c
 *		  A JSON value of an answer (json-c) as a column value: text,
 *		  through the type's input function, jsonb built directly, or the
 *		  JSON text; and the error context that names where in the answer
 *		  a bad value was.  Shared by the conversations' and the parts'
 *		  conversion (response.c, part_convert.c).
 *
 * This file includes json-c, so it must not include utils/builtins.h.
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
#include "json_worker.h"

#include "json_values.h"

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
void
symbl_allocate_rows(SymblPage *page, size_t nrows, int natts)
{
	page->values = palloc(sizeof(Datum) * (nrows * natts + 1));
	page->nulls = palloc(sizeof(bool) * (nrows * natts + 1));
	memset(page->nulls, true, sizeof(bool) * (nrows * natts + 1));
}

/* Errors while converting name the value's place in the answer */
void
symbl_push_position_context(ErrorContextCallback *callback, ValuePosition *pos)
{
	callback->callback = value_position_context;
	callback->arg = pos;
	callback->previous = error_context_stack;
	error_context_stack = callback;
}

const char *
symbl_json_kind(json_object *value)
{
	return json_type_to_name(json_object_get_type(value));
}

/* JSON's four white-space characters (strchr would also match a NUL) */
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

Datum
symbl_text_datum(json_object *value)
{
	int			len;
	const char *str = server_string(value, &len);
	text	   *result = (text *) palloc(len + VARHDRSZ);

	SET_VARSIZE(result, len + VARHDRSZ);
	memcpy(VARDATA(result), str, len);
	return PointerGetDatum(result);
}

Datum
symbl_input_datum(const SymblColumn *col, json_object *value)
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
const char *
symbl_scalar_json_text(json_object *value)
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
		(void) symbl_scalar_json_text(value);
}


void
symbl_jsonb_scalar(json_object *value, JsonbValue *scalar)
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
								  (char *) symbl_scalar_json_text(value),
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
JsonbValue *
symbl_push_jsonb_value(JsonbParseState **state, json_object *value,
				 JsonbIteratorToken token)
{
	check_stack_depth();

	if (json_object_is_type(value, json_type_array))
	{
		size_t		n = json_object_array_length(value);
		size_t		i;

		pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
		for (i = 0; i < n; i++)
			symbl_push_jsonb_value(state, json_object_array_get_idx(value, i), WJB_ELEM);
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
			symbl_push_jsonb_value(state, json_object_iter_peek_value(&it), WJB_VALUE);
		}
		return pushJsonbValue(state, WJB_END_OBJECT, NULL);
	}
	else
	{
		JsonbValue	scalar;

		symbl_jsonb_scalar(value, &scalar);
		return pushJsonbValue(state, token, &scalar);
	}
}

Datum
symbl_jsonb_datum(json_object *value)
{
	JsonbParseState *state = NULL;

	/* members and metadata are always containers (checked by the caller) */
	return PointerGetDatum(JsonbValueToJsonb(symbl_push_jsonb_value(&state, value,
															  WJB_ELEM)));
}

Datum
symbl_json_input_datum(const SymblColumn *col, json_object *value)
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
