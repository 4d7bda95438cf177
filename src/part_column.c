/*-------------------------------------------------------------------------
 *
 * part_column.c
 *		  How a column of a part table reads an item: the JSON path it
 *		  follows and the kind of value its type takes.
 *
 * Nothing here reads the catalog, so that the fuzzing harness of the part
 * conversion (test/fuzz/fuzz_part.c) builds its columns with the same code
 * as symbl_part_columns in option.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/pg_type.h"

#include "symbl_types.h"
#include "column_map.h"
#include "option.h"
#include "part_column.h"

/*
 * Split "a.b|c" into alternatives and segments.  Names are what JSON keys in
 * the API look like: letters, digits, underscores.
 */
bool
symbl_parse_json_path(const char *text, SymblJsonPath *path)
{
	char	   *copy = pstrdup(text);
	char	   *alt_save = NULL;
	char	   *alt;

	memset(path, 0, sizeof(*path));
	for (alt = strtok_r(copy, "|", &alt_save); alt != NULL;
		 alt = strtok_r(NULL, "|", &alt_save))
	{
		int			a = path->nalts;
		char	   *seg = alt;

		if (a >= SYMBL_MAX_PATH_ALTERNATIVES)
			return false;
		for (;;)
		{
			char	   *dot = strchr(seg, '.');
			char	   *c;

			if (dot != NULL)
				*dot = '\0';
			if (seg[0] == '\0' || path->nsegs[a] >= SYMBL_MAX_PATH_SEGMENTS)
				return false;
			for (c = seg; *c; c++)
				if (!isalnum((unsigned char) *c) && *c != '_')
					return false;
			path->segs[a][path->nsegs[a]++] = seg;
			if (dot == NULL)
				break;
			seg = dot + 1;
		}
		path->nalts++;
	}
	return path->nalts > 0 && text[strlen(text) - 1] != '|' && text[0] != '|' &&
		strstr(text, "||") == NULL;
}

/* The kind of value a column of type typid takes; -1 if none */
SymblValueKind
symbl_part_value_kind(Oid typid, bool conversation_id)
{
	if (conversation_id)
		return typid == TEXTOID || typid == VARCHAROID ?
			SYMBL_VALUE_CONVERSATION_ID : (SymblValueKind) -1;
	switch (typid)
	{
		case TEXTOID:
			return SYMBL_VALUE_TEXT;
		case VARCHAROID:
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
			return SYMBL_VALUE_INPUT;
		case FLOAT8OID:
		case FLOAT4OID:
		case NUMERICOID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return SYMBL_VALUE_NUMBER;
		case BOOLOID:
			return SYMBL_VALUE_BOOL;
		case TEXTARRAYOID:
			return SYMBL_VALUE_TEXT_ARRAY;
		case JSONBOID:
			return SYMBL_VALUE_JSONB;
		case JSONOID:
			return SYMBL_VALUE_JSON_INPUT;
	}
	return (SymblValueKind) -1;
}
