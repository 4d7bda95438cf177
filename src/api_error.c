/*-------------------------------------------------------------------------
 *
 * api_error.c
 *		  The message of an API error body, fit to show in an error.
 *
 * An answer's text is untrusted: it is cut to a bounded length at a
 * character boundary, must be valid UTF-8 without NUL, and is converted to
 * the server encoding; anything else gives no message at all.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "symbl_types.h"
#include "api_error.h"
#include "json_worker.h"

#define MAX_API_MESSAGE_LEN 500

/* The "message" of an API error body, if it has one we can show */
char *
symbl_api_error_message(const char *body)
{
	json_object *root = symbl_json_parse_bounded(body);
	json_object *message;
	char	   *result = NULL;

	if (root != NULL && json_object_is_type(root, json_type_object) &&
		json_object_object_get_ex(root, "message", &message) &&
		json_object_is_type(message, json_type_string))
	{
		const char *text = json_object_get_string(message);
		int			n = Min(json_object_get_string_len(message), MAX_API_MESSAGE_LEN);

		n = pg_encoding_mbcliplen(PG_UTF8, text, n, n);
		if (pg_verify_mbstr(PG_UTF8, text, n, true) &&
			memchr(text, '\0', n) == NULL)
		{
			result = pg_any_to_server(text, n, PG_UTF8);
			if (result == text)
				result = pnstrdup(text, n);
		}
	}
	json_object_put(root);
	return result;
}
