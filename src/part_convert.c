/*-------------------------------------------------------------------------
 *
 * part_convert.c
 *		  The items of one conversation's part (an answer of
 *		  GET /v1/conversations/{id}/<part>) as rows, each column found by
 *		  its JSON path in the item (or the element it is expanded by).
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
#include "resource.h"
#include "response.h"
#include "json_worker.h"

#include "json_values.h"
#include "part_convert.h"

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
					symbl_json_kind(value), expected)));
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
		return col->kind == SYMBL_VALUE_TEXT ? symbl_text_datum(value) : symbl_input_datum(col, value);
	if (json_object_is_type(value, json_type_int) ||
		json_object_is_type(value, json_type_double) ||
		json_object_is_type(value, json_type_boolean))
	{
		const char *str = symbl_scalar_json_text(value);

		return InputFunctionCall((FmgrInfo *) &col->input, (char *) str,
								 col->ioparam, col->typmod);
	}
	wrong_json_type(value, "a JSON string");
	pg_unreachable();
}

static Datum
number_text_datum(json_object *value)
{
	const char *str = symbl_scalar_json_text(value);
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
		return symbl_jsonb_datum(value);
	symbl_jsonb_scalar(value, &scalar);
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
			astate = accumArrayResult(astate, symbl_text_datum(elem), false, TEXTOID,
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
			symbl_push_jsonb_value(&state, elem, WJB_ELEM);
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
									 (char *) symbl_scalar_json_text(value),
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
			return symbl_json_input_datum(col, value);
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
					   symbl_json_kind(root), expected_answer(resource), where)));
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
	items = part_items(symbl_page_parse_result(parse, where), resource, where);
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
	symbl_allocate_rows(page, nrows, natts);
	symbl_push_position_context(&errcallback, &pos);

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
							symbl_json_kind(item), (int) i + 1, resource->table)));
		for (e = 0; e < nelem; e++, row++)
			convert_part_row(elements != NULL ? json_object_array_get_idx(elements, e) : NULL,
							 item, columns, ncolumns, conversation_id,
							 page->values + (size_t) row * natts,
							 page->nulls + (size_t) row * natts, &pos);
	}

	error_context_stack = errcallback.previous;
	symbl_page_parse_free_tree(parse);
}
