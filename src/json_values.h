/*-------------------------------------------------------------------------
 *
 * json_values.h
 *		  What json_values.c offers the other files: column values from
 *		  json-c values, and where in the answer a value came from.
 *
 * It includes json-c, so a file including it must not include
 * utils/builtins.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_JSON_VALUES_H
#define SYMBL_JSON_VALUES_H

#include "utils/jsonb.h"

#include "symbl_types.h"
#include "json_worker.h"

/* Where in the answer a value came from, for error context */
typedef struct ValuePosition
{
	const char *where;
	int			row;
	const char *field;
	const char *noun;			/* what a row is: conversation, item */
} ValuePosition;

extern void symbl_allocate_rows(SymblPage *page, size_t nrows, int natts);
extern void symbl_push_position_context(ErrorContextCallback *callback,
										ValuePosition *pos);
extern const char *symbl_json_kind(json_object *value);
extern Datum symbl_text_datum(json_object *value);
extern Datum symbl_input_datum(const SymblColumn *col, json_object *value);
extern const char *symbl_scalar_json_text(json_object *value);
extern void symbl_jsonb_scalar(json_object *value, JsonbValue *scalar);
extern JsonbValue *symbl_push_jsonb_value(JsonbParseState **state,
										  json_object *value,
										  JsonbIteratorToken token);
extern Datum symbl_jsonb_datum(json_object *value);
extern Datum symbl_json_input_datum(const SymblColumn *col, json_object *value);

#endif							/* SYMBL_JSON_VALUES_H */
