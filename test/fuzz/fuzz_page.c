/*-------------------------------------------------------------------------
 *
 * fuzz_page.c
 *		  libFuzzer harness: an API answer body through symbl_parse_page
 *		  (src/response.c) and symbl_api_error_message.
 *
 * The first byte picks the table's shape (which columns, which column
 * types) and whether the body is parsed on the JSON worker thread, as
 * scans do, perhaps abandoned before it is done (as a cancelled scan
 * does); the rest is the body, in a buffer of exactly its length so that
 * AddressSanitizer sees any read past its end.  Every input must either
 * produce rows or raise an ERROR, and afterwards the page's memory
 * context is reset: LeakSanitizer then sees anything an error path leaks.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdint.h>
#include <stdlib.h>

#include "catalog/pg_type.h"

#include "symbl_types.h"
#include "api_error.h"
#include "resource.h"
#include "response.h"
#include "json_worker.h"

#include "backend_stubs.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NATTS SYMBL_NUM_FIELDS

/* the table's columns, one per field, in the shape the first byte picks */
static int
make_columns(uint8_t shape, SymblColumn *columns)
{
	int			n = 0;
	int			f;

	for (f = 0; f < SYMBL_NUM_FIELDS; f++)
	{
		SymblColumn *col = &columns[n];

		/* low bits leave columns out (a plan that reads only some) */
		if ((shape & 1) && f % 2 == 1)
			continue;
		memset(col, 0, sizeof(*col));
		col->attnum = f + 1;
		col->attname = unconstify(char *, symbl_field_names[f]);
		col->field = (SymblField) f;
		col->typmod = -1;
		switch ((SymblField) f)
		{
			case SYMBL_FIELD_START_TIME:
			case SYMBL_FIELD_END_TIME:
				/* timestamptz, or text (IMPORT never does, a user may) */
				col->kind = (shape & 2) ? SYMBL_VALUE_TEXT : SYMBL_VALUE_INPUT;
				col->typid = (shape & 2) ? TEXTOID : TIMESTAMPTZOID;
				break;
			case SYMBL_FIELD_MEMBERS:
			case SYMBL_FIELD_METADATA:
				/* jsonb, or json through its input function */
				col->kind = (shape & 4) ? SYMBL_VALUE_JSON_INPUT : SYMBL_VALUE_JSONB;
				col->typid = (shape & 4) ? JSONOID : JSONBOID;
				break;
			default:
				col->kind = (shape & 8) ? SYMBL_VALUE_INPUT : SYMBL_VALUE_TEXT;
				col->typid = (shape & 8) ? VARCHAROID : TEXTOID;
				break;
		}
		stub_type_input(col->typid, &col->input, &col->ioparam);
		n++;
	}
	return n;
}

static void
check_page(const SymblPage *page, const uint8_t *body, size_t len)
{
	size_t		i;

	/* a raw NUL byte is never part of valid JSON */
	if (memchr(body, '\0', len) != NULL)
		abort();
	if (page->nrows < 0 || page->natts != NATTS)
		abort();
	for (i = 0; i < (size_t) page->nrows * NATTS; i++)
		if (!page->nulls[i] && DatumGetPointer(page->values[i]) == NULL)
			abort();
}

static void
parse_page(uint8_t shape, const uint8_t *body, size_t len)
{
	SymblColumn columns[SYMBL_NUM_FIELDS];
	int			ncolumns = make_columns(shape, columns);
	SymblPage	page = {0};
	sigjmp_buf	jump;
	char	   *copy = malloc(len > 0 ? len : 1);

	memcpy(copy, body, len);
	stub_begin_input();
	stub_error_jump = &jump;
	if (sigsetjmp(jump, 0) == 0)
	{
		if (shape & 16)
		{
			SymblPageParse *parse = symbl_page_parse_start(copy, len, true);

			/* else abandoned: the reset below must take the job back */
			if (!(shape & 32))
			{
				symbl_page_convert(parse, columns, ncolumns, NATTS, "page 1", &page);
				check_page(&page, body, len);
			}
		}
		else
		{
			symbl_parse_page(copy, len, columns, ncolumns, NATTS, "page 1", &page);
			check_page(&page, body, len);
		}
	}
	stub_error_jump = NULL;
	stub_context_reset();
	free(copy);
}

static void
error_message(const uint8_t *body, size_t len)
{
	char	   *text = malloc(len + 1);
	sigjmp_buf	jump;

	memcpy(text, body, len);
	text[len] = '\0';
	stub_begin_input();
	stub_error_jump = &jump;
	if (sigsetjmp(jump, 0) == 0)
	{
		char	   *message = symbl_api_error_message(text);

		if (message != NULL && strlen(message) > 500 * 4)
			abort();
	}
	stub_error_jump = NULL;
	stub_context_reset();
	free(text);
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

	if (!registered)
	{
		atexit(stop_worker);
		registered = true;
	}
	if (size < 1)
		return 0;
	parse_page(data[0], data + 1, size - 1);
	error_message(data + 1, size - 1);
	return 0;
}
