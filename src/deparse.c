/*-------------------------------------------------------------------------
 *
 * deparse.c
 *		  Turn what a scan asks for into the query parameters of
 *		  GET /v1/conversations.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "symbl_fdw.h"

/*
 * The request every scan starts from: all of history (an explicit early
 * startTime, since without one the API answers for the last seven days
 * only), in startTime order with the unique id as a tiebreaker so that
 * offset paging neither skips nor repeats conversations that share a
 * startTime.
 */
void
symbl_default_request(SymblRequest *request)
{
	request->start_time = SYMBL_EPOCH_START_TIME;
	request->end_time = NULL;
	request->filter = NULL;
	request->sort = "conversation.startTime,conversation.id";
	request->descending = false;
}

static void
append_param(StringInfo buf, const char *name, const char *value)
{
	char	   *escaped = symbl_url_escape(value);

	appendStringInfo(buf, "%s%s=%s", buf->len > 0 ? "&" : "", name, escaped);
	pfree(escaped);
}

/*
 * The query string of one page, every value percent-encoded.  Parameters
 * come in a fixed order so that EXPLAIN and the emulator's log are stable.
 */
char *
symbl_request_query(const SymblRequest *request, int64 limit, int64 offset)
{
	StringInfoData buf;
	char		number[32];

	initStringInfo(&buf);
	append_param(&buf, "startTime", request->start_time);
	if (request->end_time != NULL)
		append_param(&buf, "endTime", request->end_time);
	if (request->filter != NULL)
		append_param(&buf, "filter", request->filter);
	append_param(&buf, "sort", request->sort);
	append_param(&buf, "order", request->descending ? "desc" : "asc");
	snprintf(number, sizeof(number), INT64_FORMAT, limit);
	append_param(&buf, "limit", number);
	snprintf(number, sizeof(number), INT64_FORMAT, offset);
	append_param(&buf, "offset", number);
	return buf.data;
}
