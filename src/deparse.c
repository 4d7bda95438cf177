/*-------------------------------------------------------------------------
 *
 * deparse.c
 *		  Write the query string of GET /v1/conversations from the
 *		  conditions shippable.c chose and their values.
 *
 * Every value a user controls (a qual's constant, a join's outer value, a
 * parameter) reaches the API only through append_rsql_string, inside double
 * quotes, and then through percent-encoding of the whole parameter: no
 * value can add a condition, a parameter or a fragment to the request.
 * test/fuzz/fuzz_request.c checks exactly that.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "symbl_types.h"
#include "deparse.h"
#include "http.h"
#include "pager.h"

static const char *const op_rsql[] = {
	[SYMBL_OP_EQ] = "==",
	[SYMBL_OP_NE] = "!=",
	[SYMBL_OP_LT] = "=lt=",
	[SYMBL_OP_LE] = "=le=",
	[SYMBL_OP_GT] = "=gt=",
	[SYMBL_OP_GE] = "=ge=",
	[SYMBL_OP_IN] = "=in=",
	[SYMBL_OP_OUT] = "=out="
};

#define USECS_PER_MSEC INT64CONST(1000)

/*
 * How far the API's clock may be from ours.  The API refuses a startTime or
 * endTime that is not in the past by its clock, so window parameters go out
 * only when they are this far in the past by ours; the RSQL filter carries
 * the bounds either way.
 */
#define SYMBL_CLOCK_SKEW_MARGIN (10 * USECS_PER_MINUTE)

static TimestampTz
floor_to_ms(TimestampTz ts)
{
	int64		rem = ts % USECS_PER_MSEC;

	return rem < 0 ? ts - rem - USECS_PER_MSEC : ts - rem;
}

static TimestampTz
ceil_to_ms(TimestampTz ts)
{
	TimestampTz floor = floor_to_ms(ts);

	return floor == ts ? ts : floor + USECS_PER_MSEC;
}

/*
 * ISO 8601 in UTC, milliseconds unless the value has microseconds.  False
 * for values outside what the API can take (before 1970 or after 9999).
 */
bool
symbl_format_time(TimestampTz ts, char *buf, size_t len)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts) ||
		timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0 ||
		tm.tm_year < 1970 || tm.tm_year > 9999)
		return false;
	if (fsec % 1000 == 0)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
				 tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min,
				 tm.tm_sec, (int) (fsec / 1000));
	else
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
				 tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min,
				 tm.tm_sec, (int) fsec);
	return true;
}

/* Text goes over the wire as UTF-8, whatever the database's encoding */
char *
symbl_wire_text(const char *text)
{
	return pg_server_to_any(text, strlen(text), PG_UTF8);
}

/* RSQL double-quoted value: only the quote and the backslash need escaping */
static void
append_rsql_string(StringInfo buf, const char *value)
{
	const char *utf8 = symbl_wire_text(value);
	const char *p;

	appendStringInfoChar(buf, '"');
	for (p = utf8; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			appendStringInfoChar(buf, '\\');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '"');
}

typedef struct RequestBuilder
{
	TimestampTz start_lower;	/* tightest lower bound on startTime */
	bool		has_start;
	TimestampTz end_upper;		/* tightest upper bound on endTime */
	bool		has_end;
	StringInfoData filter;
	bool		empty;			/* no row can match */
} RequestBuilder;

static void
note_time_window(RequestBuilder *rb, const SymblCond *cond, TimestampTz value)
{
	/*
	 * A bound at the near infinity holds for every conversation; at the far
	 * one (a start after infinity, an end before -infinity) for none.
	 */
	if (cond->target == SYMBL_TARGET_START_TIME)
	{
		if (TIMESTAMP_IS_NOBEGIN(value))
			return;
		if (TIMESTAMP_IS_NOEND(value))
		{
			rb->empty = true;
			return;
		}
		if (!rb->has_start || value > rb->start_lower)
			rb->start_lower = value;
		rb->has_start = true;
	}
	else
	{
		if (TIMESTAMP_IS_NOEND(value))
			return;
		if (TIMESTAMP_IS_NOBEGIN(value))
		{
			rb->empty = true;
			return;
		}
		if (!rb->has_end || value < rb->end_upper)
			rb->end_upper = value;
		rb->has_end = true;
	}
}

/*
 * An RSQL time comparison against an infinite value is either true for
 * every conversation (dropped) or for none (the scan is empty).
 */
static bool
time_condition_is_trivial(RequestBuilder *rb, SymblOp op, TimestampTz value)
{
	bool		always;
	char		iso[64];
	bool		low;

	if (symbl_format_time(value, iso, sizeof(iso)))
		return false;

	/*
	 * Before 1970 or after 9999 (or infinite): every conversation the FDW
	 * can see lies in between, so the comparison is true for all of them or
	 * for none.
	 */
	low = TIMESTAMP_IS_NOBEGIN(value) ||
		(!TIMESTAMP_IS_NOEND(value) && value < SetEpochTimestamp());
	if (low)
		always = (op == SYMBL_OP_GT || op == SYMBL_OP_GE || op == SYMBL_OP_NE);
	else
		always = (op == SYMBL_OP_LT || op == SYMBL_OP_LE || op == SYMBL_OP_NE);
	if (!always)
		rb->empty = true;
	return true;
}

/*
 * A widened bound past 9999 holds for every conversation the API can have:
 * it is left out, which is still a superset.
 */
static void
append_comparison(StringInfo buf, const char *selector, SymblOp op,
				  TimestampTz ts)
{
	char		iso[64];

	if (!symbl_format_time(ts, iso, sizeof(iso)))
		return;
	appendStringInfo(buf, "%s%s%s", buf->len > 0 ? ";" : "", selector,
					 op_rsql[op]);
	append_rsql_string(buf, iso);
}

/*
 * The API reads times to the millisecond, truncating or rounding finer
 * ones (which, is not documented).  A bound between two milliseconds goes
 * out rounded outwards to a whole millisecond, which every reading takes
 * as written: a superset of the rows, which PostgreSQL rechecks.
 */
static void
append_time_condition(RequestBuilder *rb, const SymblCond *cond,
					  TimestampTz ts)
{
	StringInfo	buf = &rb->filter;

	if (time_condition_is_trivial(rb, cond->op, ts))
		return;
	switch (cond->op)
	{
		case SYMBL_OP_GT:
		case SYMBL_OP_GE:
			append_comparison(buf, cond->selector, cond->op, floor_to_ms(ts));
			break;
		case SYMBL_OP_LT:
		case SYMBL_OP_LE:
			append_comparison(buf, cond->selector, cond->op, ceil_to_ms(ts));
			break;
		case SYMBL_OP_EQ:
			if (ts % USECS_PER_MSEC == 0)
				append_comparison(buf, cond->selector, SYMBL_OP_EQ, ts);
			else
			{
				append_comparison(buf, cond->selector, SYMBL_OP_GE, floor_to_ms(ts));
				append_comparison(buf, cond->selector, SYMBL_OP_LE, ceil_to_ms(ts));
			}
			break;
		default:
			/* != a time between milliseconds: every whole one passes */
			if (ts % USECS_PER_MSEC == 0)
				append_comparison(buf, cond->selector, cond->op, ts);
			break;
	}
}

static void
append_filter_condition(RequestBuilder *rb, const SymblCond *cond,
						Datum value)
{
	StringInfo	buf = &rb->filter;

	if (cond->is_time)
	{
		append_time_condition(rb, cond, DatumGetTimestampTz(value));
		return;
	}

	if (cond->op == SYMBL_OP_IN || cond->op == SYMBL_OP_OUT)
	{
		ArrayType  *arr = DatumGetArrayTypeP(value);
		Datum	   *elems;
		bool	   *elem_nulls;
		int			nelems;
		int			i;
		StringInfoData list;

		deconstruct_array(arr, ARR_ELEMTYPE(arr), -1, false, TYPALIGN_INT,
						  &elems, &elem_nulls, &nelems);
		initStringInfo(&list);
		for (i = 0; i < nelems; i++)
		{
			if (elem_nulls[i])
			{
				/* x NOT IN (..., NULL) is never true */
				if (cond->op == SYMBL_OP_OUT)
					rb->empty = true;
				continue;
			}
			if (list.len > 0)
				appendStringInfoChar(&list, ',');
			append_rsql_string(&list, TextDatumGetCString(elems[i]));
		}
		if (list.len == 0)
		{
			/* x = ANY('{}') matches nothing; x <> ALL('{}') everything */
			if (cond->op == SYMBL_OP_IN)
				rb->empty = true;
			return;
		}
		appendStringInfo(buf, "%s%s%s(%s)", buf->len > 0 ? ";" : "",
						 cond->selector, op_rsql[cond->op], list.data);
		return;
	}

	appendStringInfo(buf, "%s%s%s", buf->len > 0 ? ";" : "",
					 cond->selector, op_rsql[cond->op]);
	append_rsql_string(buf, TextDatumGetCString(value));
}

/*
 * Fill the request from the conditions and their evaluated values.  Returns
 * false when no conversation can match (a NULL compared, an empty IN list,
 * a lower bound in the future), so that no request needs to be made.
 */
bool
symbl_build_request(SymblRequest *request, List *conds, const char *raw_filter,
					const Datum *values, const bool *nulls)
{
	RequestBuilder rb = {0};
	ListCell   *lc;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz start_param = 0;
	char		iso[64];

	initStringInfo(&rb.filter);
	if (raw_filter != NULL)
		appendStringInfoString(&rb.filter, symbl_wire_text(raw_filter));
	foreach(lc, conds)
	{
		SymblCond  *cond = lfirst(lc);

		/* every operator we send is strict */
		if (nulls[cond->value_index])
			return false;
		if (cond->target == SYMBL_TARGET_FILTER)
			append_filter_condition(&rb, cond, values[cond->value_index]);
		else
			note_time_window(&rb, cond, DatumGetTimestampTz(values[cond->value_index]));
		if (rb.empty)
			return false;
	}

	request->start_time = SYMBL_EPOCH_START_TIME;
	request->end_time = NULL;
	request->filter = rb.filter.len > 0 ? rb.filter.data : NULL;

	if (rb.has_start)
	{
		/*
		 * Conversations have started in the past, by the API's clock: none
		 * start after now plus the skew it may have.
		 */
		if (rb.start_lower > now + SYMBL_CLOCK_SKEW_MARGIN)
			return false;
		start_param = Min(floor_to_ms(rb.start_lower) - USECS_PER_MSEC,
						  floor_to_ms(now - SYMBL_CLOCK_SKEW_MARGIN));
		if (symbl_format_time(start_param, iso, sizeof(iso)))
			request->start_time = pstrdup(iso);
	}
	if (rb.has_end)
	{
		TimestampTz end_param = ceil_to_ms(rb.end_upper) + USECS_PER_MSEC;

		/*
		 * The API refuses an endTime that is not in the past by its clock
		 * or not after startTime; then the window is simply left open at
		 * the end.
		 */
		if (end_param < now - SYMBL_CLOCK_SKEW_MARGIN &&
			(!rb.has_start || end_param > start_param) &&
			symbl_format_time(end_param, iso, sizeof(iso)))
			request->end_time = pstrdup(iso);
	}
	return true;
}

/*
 * The request for EXPLAIN when values are not known yet: $n placeholders.
 */
void
symbl_describe_request(SymblRequest *request, List *conds,
					   const char *raw_filter)
{
	StringInfoData filter;
	ListCell   *lc;

	initStringInfo(&filter);
	if (raw_filter != NULL)
		appendStringInfoString(&filter, raw_filter);
	request->start_time = SYMBL_EPOCH_START_TIME;
	request->end_time = NULL;
	foreach(lc, conds)
	{
		SymblCond  *cond = lfirst(lc);

		if (cond->target == SYMBL_TARGET_START_TIME)
			request->start_time = psprintf("$%d", cond->value_index + 1);
		else if (cond->target == SYMBL_TARGET_END_TIME)
			request->end_time = psprintf("$%d", cond->value_index + 1);
		else
			appendStringInfo(&filter, "%s%s%s$%d", filter.len > 0 ? ";" : "",
							 cond->selector, op_rsql[cond->op],
							 cond->value_index + 1);
	}
	request->filter = filter.len > 0 ? filter.data : NULL;
}

/* Percent-encoded: everything but letters, digits and -._~ (libcurl's) */
static char *
url_escape(const char *text)
{
	char	   *escaped = symbl_http_escape(text, strlen(text));
	char	   *result;

	if (escaped == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	result = pstrdup(escaped);
	symbl_http_free(escaped);
	return result;
}

/*
 * A value (a conversation or member id) as one path segment of a URL: as
 * UTF-8, percent-encoded, and its dots too, so that neither libcurl nor a
 * server can read "." or ".." in it as the path's own dot segments.
 */
char *
symbl_path_segment(const char *value)
{
	char	   *escaped = url_escape(symbl_wire_text(value));
	StringInfoData segment;
	const char *c;

	initStringInfo(&segment);
	for (c = escaped; *c; c++)
	{
		if (*c == '.')
			appendStringInfoString(&segment, "%2E");
		else
			appendStringInfoChar(&segment, *c);
	}
	pfree(escaped);
	return segment.data;
}

static void
append_param(StringInfo buf, const char *name, const char *value)
{
	char	   *escaped = url_escape(value);

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

/*
 * The query string of one page the pager asked for.  An anchored one asks,
 * with the documented startTime parameter, for the conversations from one
 * millisecond before the anchor on: read as exclusive or inclusive, the
 * bound keeps the anchor's own (the pager drops those before it).
 */
char *
symbl_page_query(const SymblRequest *request, const SymblPageAsk *ask)
{
	SymblRequest anchored = *request;
	char		iso[64];

	if (!ask->anchored)
		return symbl_request_query(request, ask->limit, ask->offset);
	if (!symbl_format_time((TimestampTz) (ask->anchor - 1) * 1000, iso, sizeof(iso)))
		elog(ERROR, "cannot anchor keyset paging at an out-of-range startTime");
	anchored.start_time = iso;
	return symbl_request_query(&anchored, ask->limit, ask->offset);
}
