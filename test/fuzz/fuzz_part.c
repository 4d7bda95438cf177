/*-------------------------------------------------------------------------
 *
 * fuzz_part.c
 *		  libFuzzer harness: one conversation's part answer through
 *		  symbl_part_convert (src/response.c), for every part table.
 *
 * The first bytes pick the table (every resource with a path), the shape
 * of its columns (which are read, and their types: text or varchar,
 * float8, numeric, int4 or text for numbers, jsonb or json, text[] or
 * jsonb, timestamptz or text), a column of the user's with a field path
 * (through objects, through arrays, through a string, or taken from the
 * input itself), whether the answer was a 404 and whether it is parsed on
 * the JSON worker thread.  The rest is the body, in a buffer of exactly
 * its length.  Columns are built as symbl_part_columns builds them, with
 * the same path parser and type mapping (src/part_column.c).
 *
 * Every input must produce rows or raise an ERROR; afterwards the page's
 * memory context is reset, so that LeakSanitizer sees what an error path
 * leaks.  Rows are checked: as many as the answer has items (or expanded
 * matches), the conversation id where it belongs, valid text, text[] and
 * jsonb datums, finite numbers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "catalog/pg_type.h"

#include "symbl_types.h"
#include "column_map.h"
#include "option.h"
#include "part_column.h"
#include "resource.h"
#include "part_convert.h"
#include "response.h"
#include "json_worker.h"

#include "backend_stubs.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CONVERSATION_ID "9990000000000023"
#define MAX_COLUMNS (SYMBL_MAX_RESOURCE_COLUMNS + 1)

/* shape bits (second byte) */
#define SHAPE_SOME_COLUMNS	0x01	/* leave out every other column */
#define SHAPE_VARCHAR		0x02	/* strings (and booleans) as varchar/text */
#define SHAPE_NUMBER_TYPE	0x0c	/* float8, numeric, int4, text */
#define SHAPE_JSON			0x10	/* jsonb columns as json */
#define SHAPE_ARRAY_JSONB	0x20	/* text[] columns as jsonb */
#define SHAPE_NOT_FOUND		0x40	/* the answer was a 404: no parse */
#define SHAPE_WORKER		0x80	/* parse on the JSON worker thread */

/* the user column (third byte): a path, a type, timestamps as text */
#define USER_PATH_FROM_INPUT 15
#define USER_TIMESTAMPS_TEXT 0x80

static const char *const user_paths[USER_PATH_FROM_INPUT] = {
	NULL,						/* no user column */
	"from.name",
	"messageRefs.id",			/* through an array: text[] or jsonb */
	"text.x",					/* through a string */
	"matches.messageRefs.offset",	/* an array inside an array */
	"value|detectedValue",
	"sentiment.polarity.score",
	"words.word",
	"id",
	"messageIds",
	"talkTime.seconds",
	"matches.value",
	"entities.text",
	"overlap.overlappingMembers.id",
	"a.b.c.d.e.f.g.h",
};

static const Oid user_types[8] = {
	TEXTOID, VARCHAROID, TEXTARRAYOID, JSONBOID, JSONOID, FLOAT8OID,
	BOOLOID, TIMESTAMPTZOID
};

typedef struct Input
{
	const uint8_t *data;
	size_t		size;
} Input;

static uint8_t
next_byte(Input *in)
{
	uint8_t		b = 0;

	if (in->size > 0)
	{
		b = in->data[0];
		in->data++;
		in->size--;
	}
	return b;
}

/* the resources with a path: the part tables */
static const SymblResource *
part_resource(uint8_t pick)
{
	int			nparts = 0;
	int			i;

	for (i = 0; i < symbl_num_resources; i++)
		nparts += symbl_resources[i].path != NULL;
	pick %= nparts;
	for (i = 0; i < symbl_num_resources; i++)
		if (symbl_resources[i].path != NULL && pick-- == 0)
			return &symbl_resources[i];
	abort();
}

static Oid
number_type(uint8_t shape)
{
	static const Oid types[4] = {FLOAT8OID, NUMERICOID, INT4OID, TEXTOID};

	return types[(shape & SHAPE_NUMBER_TYPE) >> 2];
}

/* the type a user declares for a column IMPORT declares as sql_type */
static Oid
column_type(const char *sql_type, uint8_t shape, uint8_t user)
{
	if (strcmp(sql_type, "text") == 0)
		return (shape & SHAPE_VARCHAR) ? VARCHAROID : TEXTOID;
	if (strcmp(sql_type, "float8") == 0)
		return number_type(shape);
	if (strcmp(sql_type, "boolean") == 0)
		return (shape & SHAPE_VARCHAR) ? TEXTOID : BOOLOID;
	if (strcmp(sql_type, "jsonb") == 0)
		return (shape & SHAPE_JSON) ? JSONOID : JSONBOID;
	if (strcmp(sql_type, "text[]") == 0)
		return (shape & SHAPE_ARRAY_JSONB) ? JSONBOID : TEXTARRAYOID;
	if (strcmp(sql_type, "timestamptz") == 0)
		return (user & USER_TIMESTAMPS_TEXT) ? TEXTOID : TIMESTAMPTZOID;
	abort();
}

/* a column as symbl_part_columns makes it; false when planning would fail */
static bool
make_column(SymblColumn *col, AttrNumber attnum, const char *name,
			const char *field, Oid typid)
{
	memset(col, 0, sizeof(*col));
	col->attnum = attnum;
	col->attname = pstrdup(name);
	col->typid = typid;
	col->typmod = -1;
	if (field != NULL && !symbl_parse_json_path(field, &col->path))
		return false;
	col->top_field = field != NULL ? col->path.segs[0][0] : NULL;
	col->kind = symbl_part_value_kind(typid, field == NULL);
	if ((int) col->kind < 0)
		return false;
	stub_type_input(col->typid, &col->input, &col->ioparam);
	return true;
}

static int
make_columns(const SymblResource *resource, uint8_t shape, uint8_t user,
			 const char *user_path, SymblColumn *columns, int *natts)
{
	int			nres = symbl_resource_ncolumns(resource);
	int			n = 0;
	int			i;

	for (i = 0; i < nres; i++)
	{
		const SymblResourceColumn *rc = &resource->columns[i];

		/* a plan that reads some columns: the others are left NULL */
		if ((shape & SHAPE_SOME_COLUMNS) && i % 2 == 1)
			continue;
		if (!make_column(&columns[n], i + 1, rc->name, rc->path,
						 column_type(rc->sql_type, shape, user)))
			abort();			/* IMPORT's own columns are always valid */
		n++;
	}
	*natts = nres + 1;
	if (user_path != NULL)
	{
		Oid			typid = user_types[(user >> 4) & 7];

		if (typid == FLOAT8OID)
			typid = number_type(shape);
		if (make_column(&columns[n], nres + 1, "user_field", user_path, typid))
			n++;
	}
	return n;
}

/* an object alone is an item when it has a field a column's path starts with */
static bool
object_is_item(const SymblResource *resource, json_object *obj)
{
	int			i;

	for (i = 0; i < symbl_resource_ncolumns(resource); i++)
	{
		const char *path = resource->columns[i].path;
		char		name[64];
		const char *p;

		for (p = path; p != NULL; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
		{
			size_t		len = strcspn(p, ".|");

			snprintf(name, sizeof(name), "%.*s", (int) len, p);
			if (json_object_object_get_ex(obj, name, NULL))
				return true;
		}
	}
	return false;
}

/* rows the answer should give, by reading it apart from the extension */
static long
expected_rows(const SymblResource *resource, const char *body, size_t len)
{
	json_tokener *tok = json_tokener_new();
	json_object *root;
	json_object *items = NULL;
	long		rows = -1;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, body, (int) len);
	if (json_object_is_type(root, json_type_array) &&
		(resource->array_key == NULL || resource->bare_array_too))
		items = root;
	else if (resource->array_key != NULL &&
			 json_object_is_type(root, json_type_object) &&
			 json_object_object_get_ex(root, resource->array_key, &items))
		;						/* the array, or an error if it is none */
	else if (resource->single_object_too &&
			 json_object_is_type(root, json_type_object))
	{
		/* {} is none; an object with no field of the table is an error */
		if (json_object_object_length(root) == 0)
			rows = 0;
		else if (object_is_item(resource, root))
			rows = 1;
	}
	if (json_object_is_type(items, json_type_array))
	{
		size_t		i;

		rows = 0;
		for (i = 0; i < json_object_array_length(items); i++)
		{
			json_object *item = json_object_array_get_idx(items, i);
			json_object *elements;

			if (resource->expand != NULL &&
				json_object_is_type(item, json_type_object) &&
				json_object_object_get_ex(item, resource->expand, &elements) &&
				json_object_is_type(elements, json_type_array))
				rows += json_object_array_length(elements);
			else
				rows++;
		}
	}
	json_object_put(root);
	json_tokener_free(tok);
	return rows;
}

static void
check_value(const SymblColumn *col, Datum value, Datum conversation_id)
{
	if (col->kind == SYMBL_VALUE_CONVERSATION_ID)
	{
		if (value != conversation_id)
			abort();
		return;
	}
	switch (col->typid)
	{
		case TEXTOID:
		case VARCHAROID:
		case JSONOID:
			stub_check_text(value);
			break;
		case TEXTARRAYOID:
			stub_check_text_array(value);
			break;
		case JSONBOID:
			if (VARSIZE(DatumGetPointer(value)) < VARHDRSZ + sizeof(uint32))
				abort();
			break;
		case FLOAT8OID:
			/* a JSON number is finite: NaN or infinity came from elsewhere */
			if (!isfinite(DatumGetFloat8(value)))
				abort();
			break;
		case NUMERICOID:
			if (VARDATA(DatumGetPointer(value))[0] != STUB_NUMERIC_FINITE)
				abort();
			break;
		case BOOLOID:
			if (value != BoolGetDatum(true) && value != BoolGetDatum(false))
				abort();
			break;
		case INT4OID:
		case TIMESTAMPTZOID:
			break;
		default:
			abort();
	}
}

static void
check_page(const SymblResource *resource, const SymblColumn *columns,
		   int ncolumns, int natts, const SymblPage *page,
		   Datum conversation_id, const char *body, size_t len)
{
	bool		fed[MAX_COLUMNS + 1] = {false};
	int			r;
	int			i;

	/* a raw NUL byte is never part of valid JSON */
	if (memchr(body, '\0', len) != NULL)
		abort();
	if (page->natts != natts || page->nrows < 0 ||
		page->nrows != expected_rows(resource, body, len))
		abort();
	for (i = 0; i < ncolumns; i++)
		fed[columns[i].attnum - 1] = true;
	for (r = 0; r < page->nrows; r++)
	{
		Datum	   *values = page->values + (size_t) r * natts;
		bool	   *nulls = page->nulls + (size_t) r * natts;

		for (i = 0; i < natts; i++)
			if (!fed[i] && !nulls[i])
				abort();
		for (i = 0; i < ncolumns; i++)
		{
			const SymblColumn *col = &columns[i];
			int			att = col->attnum - 1;

			if (nulls[att])
			{
				if (col->kind == SYMBL_VALUE_CONVERSATION_ID)
					abort();
				continue;
			}
			check_value(col, values[att], conversation_id);
		}
	}
}

static Datum
text_value(const char *s)
{
	size_t		len = strlen(s);
	text	   *t = palloc(len + VARHDRSZ);

	SET_VARSIZE(t, len + VARHDRSZ);
	memcpy(VARDATA(t), s, len);
	return PointerGetDatum(t);
}

static void
convert_part(uint8_t pick, uint8_t shape, uint8_t user, const char *user_path,
			 const uint8_t *body, size_t len)
{
	const SymblResource *resource = part_resource(pick);
	SymblColumn columns[MAX_COLUMNS];
	int			ncolumns;
	int			natts;
	SymblPage	page;
	sigjmp_buf	jump;
	char	   *copy = malloc(len > 0 ? len : 1);

	memcpy(copy, body, len);
	stub_begin_input();
	stub_error_jump = &jump;
	if (sigsetjmp(jump, 0) == 0)
	{
		Datum		conversation_id = text_value(CONVERSATION_ID);
		char	   *where = psprintf("%s of conversation %s", resource->table,
									 CONVERSATION_ID);
		SymblPageParse *parse = NULL;

		ncolumns = make_columns(resource, shape, user, user_path, columns, &natts);
		if (!(shape & SHAPE_NOT_FOUND))
			parse = symbl_page_parse_start(copy, len, (shape & SHAPE_WORKER) != 0);
		symbl_part_convert(parse, resource, columns, ncolumns, natts,
						   conversation_id, where, &page);
		if (parse == NULL)
		{
			if (page.nrows != 0 || page.natts != natts)
				abort();
		}
		else
			check_page(resource, columns, ncolumns, natts, &page,
					   conversation_id, copy, len);
	}
	else if (stub_error_message[0] == '\0')
		abort();				/* an ERROR always says what went wrong */
	stub_error_jump = NULL;
	stub_context_reset();
	free(copy);
}

/* the worker thread, when one was started, before LeakSanitizer looks */
static void
stop_worker(void)
{
	symbl_json_worker_stop();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered = false;
	Input		in = {data, size};
	uint8_t		pick;
	uint8_t		shape;
	uint8_t		user;
	char	   *user_path = NULL;

	if (!registered)
	{
		atexit(stop_worker);
		registered = true;
	}
	if (size < 3)
		return 0;
	pick = next_byte(&in);
	shape = next_byte(&in);
	user = next_byte(&in);
	if ((user & 15) == USER_PATH_FROM_INPUT)
	{
		size_t		n = next_byte(&in) % 64;

		/* up to a NUL, as an option's text would be */
		n = Min(n, in.size);
		user_path = strndup((const char *) in.data, n);
		in.data += n;
		in.size -= n;
	}
	else if (user_paths[user & 15] != NULL)
		user_path = strdup(user_paths[user & 15]);
	convert_part(pick, shape, user, user_path, in.data, in.size);
	free(user_path);
	return 0;
}
