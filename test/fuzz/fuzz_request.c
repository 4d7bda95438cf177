/*-------------------------------------------------------------------------
 *
 * fuzz_request.c
 *		  libFuzzer harness: hostile values through symbl_build_request and
 *		  symbl_request_query (src/deparse.c), the RSQL quoting and the
 *		  percent-encoding of the query string.
 *
 * The input is read as a list of conditions with their values (any bytes
 * but NUL, as in a PostgreSQL text value; any 64-bit timestamp).  The
 * harness then reads the query string back the way the API does, with an
 * independent strict parser: percent-decoding, the fixed parameters, and
 * the RSQL filter.  It aborts unless the API would see exactly the
 * conditions and the literal values it was given, in order: no value may
 * end a quote, add a condition, a parameter or a fragment.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <curl/curl.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "utils/array.h"
#include "utils/timestamp.h"

#include "symbl_types.h"
#include "deparse.h"

#include "backend_stubs.h"

/* port.h maps fprintf to PostgreSQL's own */
#undef fprintf

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CONDS 4
#define MAX_LIST 4
#define UNIX_EPOCH_IN_PG_SECONDS INT64CONST(-946684800)

static const char *const text_selectors[] = {
	"conversation.id", "conversation.type", "conversation.name",
	"metadata.team"
};
static const char *const time_selectors[] = {
	"conversation.startTime", "conversation.endTime"
};
static const char *const op_names[] = {
	[SYMBL_OP_EQ] = "==",[SYMBL_OP_NE] = "!=",[SYMBL_OP_LT] = "=lt=",
	[SYMBL_OP_LE] = "=le=",[SYMBL_OP_GT] = "=gt=",[SYMBL_OP_GE] = "=ge=",
	[SYMBL_OP_IN] = "=in=",[SYMBL_OP_OUT] = "=out="
};

/* ----------------------------------------------------------------
 * Reading the input
 * ----------------------------------------------------------------
 */
typedef struct Input
{
	const uint8_t *p;
	size_t		left;
} Input;

static uint8_t
next_byte(Input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

/* a text value: a length byte, then that many bytes, cut at a NUL */
static char *
next_text(Input *in)
{
	size_t		len = next_byte(in);
	char	   *value;

	if (len > in->left)
		len = in->left;
	value = pnstrdup((const char *) in->p, len);
	in->p += len;
	in->left -= len;
	return value;
}

static int64
next_int64(Input *in)
{
	uint64		v = 0;
	int			i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | next_byte(in);
	return (int64) v;
}

/*
 * A timestamptz as PostgreSQL can hold it: -infinity, infinity, or a value
 * in its valid range (nothing else reaches the FDW from a qual).
 */
static TimestampTz
next_timestamp(Input *in)
{
	int64		v = next_int64(in);
	uint64		span = (uint64) END_TIMESTAMP - (uint64) MIN_TIMESTAMP;

	if (v == DT_NOBEGIN || v == DT_NOEND)
		return v;
	return (TimestampTz) ((uint64) MIN_TIMESTAMP + (uint64) v % span);
}

static Datum
text_value(const char *s)
{
	size_t		len = strlen(s);
	text	   *t = palloc(VARHDRSZ + len);

	SET_VARSIZE(t, VARHDRSZ + len);
	memcpy(VARDATA(t), s, len);
	return PointerGetDatum(t);
}

/* ----------------------------------------------------------------
 * What the API must receive
 * ----------------------------------------------------------------
 */
typedef struct Expected
{
	const char *selector;
	SymblOp		op;
	int			nvalues;
	const char *values[MAX_LIST];
	bool		is_time;
	TimestampTz time;
} Expected;

typedef struct Case
{
	List	   *conds;
	Datum		values[MAX_CONDS];
	bool		nulls[MAX_CONDS];
	Expected	expected[MAX_CONDS];
	int			nexpected;
	bool		must_be_empty;	/* a text condition no row can satisfy */
	bool		has_time;
} Case;

/* the year of a timestamp, or 0 when gmtime cannot tell */
static int
year_of(TimestampTz ts)
{
	time_t		secs;
	struct tm	utc;

	if (TIMESTAMP_NOT_FINITE(ts) || !IS_VALID_TIMESTAMP(ts))
		return 0;
	secs = (time_t) (ts / USECS_PER_SEC - (ts % USECS_PER_SEC < 0) -
					 UNIX_EPOCH_IN_PG_SECONDS);
	if (gmtime_r(&secs, &utc) == NULL)
		return 0;
	return utc.tm_year + 1900;
}

static void
add_condition(Case *c, Input *in, int index)
{
	uint8_t		how = next_byte(in);
	SymblCond  *cond = palloc0(sizeof(SymblCond));
	Expected   *e = &c->expected[c->nexpected];

	memset(e, 0, sizeof(*e));		/* a dropped condition's slot is reused */
	cond->value_index = index;
	c->nulls[index] = false;
	switch (how % 4)
	{
		case 0:					/* text = or <> */
			cond->selector = pstrdup(text_selectors[(how >> 2) % 4]);
			cond->op = (how & 16) ? SYMBL_OP_NE : SYMBL_OP_EQ;
			e->values[0] = next_text(in);
			e->nvalues = 1;
			c->values[index] = text_value(e->values[0]);
			if (how & 32)
			{
				c->nulls[index] = true;
				c->must_be_empty = true;
			}
			break;
		case 1:					/* text IN or NOT IN, perhaps with NULLs */
			{
				StubArray  *arr = palloc0(sizeof(StubArray));
				int			n = next_byte(in) % (MAX_LIST + 1);
				int			i;

				cond->selector = pstrdup(text_selectors[(how >> 2) % 4]);
				cond->op = (how & 16) ? SYMBL_OP_OUT : SYMBL_OP_IN;
				arr->header.elemtype = TEXTOID;
				arr->elems = palloc(sizeof(Datum) * MAX_LIST);
				arr->nulls = palloc(sizeof(bool) * MAX_LIST);
				for (i = 0; i < n; i++)
				{
					arr->nulls[i] = (how & (32 << (i % 2))) && i >= 2;
					if (arr->nulls[i])
					{
						arr->elems[i] = (Datum) 0;
						if (cond->op == SYMBL_OP_OUT)
							c->must_be_empty = true;
						continue;
					}
					e->values[e->nvalues] = next_text(in);
					arr->elems[i] = text_value(e->values[e->nvalues]);
					e->nvalues++;
				}
				arr->nelems = n;
				if (e->nvalues == 0 && cond->op == SYMBL_OP_IN)
					c->must_be_empty = true;
				c->values[index] = PointerGetDatum(arr);
				break;
			}
		case 2:					/* a time comparison in the filter */
			cond->selector = pstrdup(time_selectors[(how >> 2) % 2]);
			cond->op = SYMBL_OP_LT + (how >> 3) % 4;
			cond->is_time = true;
			e->is_time = true;
			e->time = next_timestamp(in);
			c->values[index] = TimestampTzGetDatum(e->time);
			c->has_time = true;
			break;
		case 3:					/* the startTime / endTime window */
			cond->target = (how & 4) ? SYMBL_TARGET_END_TIME : SYMBL_TARGET_START_TIME;
			cond->op = (how & 4) ? SYMBL_OP_LE : SYMBL_OP_GE;
			cond->is_time = true;
			c->values[index] = TimestampTzGetDatum(next_timestamp(in));
			c->has_time = true;
			c->conds = lappend(c->conds, cond);
			return;
	}
	c->conds = lappend(c->conds, cond);
	e->selector = cond->selector;
	e->op = cond->op;
	/* a time out of the API's range is dropped (or empties the scan) */
	if (e->is_time && (year_of(e->time) < 1970 || year_of(e->time) > 9999))
		return;
	/* a bound between milliseconds goes out rounded outwards */
	if (e->is_time && e->time % 1000 != 0)
	{
		TimestampTz floor = e->time - ((e->time % 1000) + 1000) % 1000;
		bool		lower = e->op == SYMBL_OP_GT || e->op == SYMBL_OP_GE;

		e->time = lower ? floor : floor + 1000;
		if (year_of(e->time) > 9999)
			return;
	}
	/* x <> ALL('{}') is true for every row: nothing is sent */
	if (e->op == SYMBL_OP_OUT && e->nvalues == 0)
		return;
	c->nexpected++;
}

/* ----------------------------------------------------------------
 * Reading the query string back, strictly
 * ----------------------------------------------------------------
 */
static void
check_url_characters(const char *query)
{
	const char *s;

	for (s = query; *s; s++)
	{
		if (isalnum((unsigned char) *s) || strchr("-._~&=", *s) != NULL)
			continue;
		if (*s == '%' && isxdigit((unsigned char) s[1]) &&
			isxdigit((unsigned char) s[2]))
		{
			s += 2;
			continue;
		}
		abort();
	}
}

/* the decoded value of parameter `name`, which must come next */
static char *
take_param(const char **query, const char *name, int *len)
{
	size_t		n = strlen(name);
	const char *end;
	char	   *raw;
	char	   *decoded;
	char	   *result;

	if (strncmp(*query, name, n) != 0 || (*query)[n] != '=')
		abort();
	*query += n + 1;
	end = strchr(*query, '&');
	if (end == NULL)
		end = *query + strlen(*query);
	raw = pnstrdup(*query, end - *query);
	if (strchr(raw, '=') != NULL)
		abort();
	decoded = curl_easy_unescape(NULL, raw, 0, len);
	if (decoded == NULL)
		abort();
	result = palloc(*len + 1);
	memcpy(result, decoded, *len + 1);
	curl_free(decoded);
	*query = *end ? end + 1 : end;
	return result;
}

static bool
optional_param(const char *query, const char *name)
{
	size_t		n = strlen(name);

	return strncmp(query, name, n) == 0 && query[n] == '=';
}

/* an ISO time the encoder wrote: must read back as exactly `expected` */
static void
check_iso_time(const char *iso, size_t len, bool check_value,
			   TimestampTz expected)
{
	struct tm	tm = {0};
	int			frac;
	int			digits;
	int64		secs;
	TimestampTz ts;

	if (len != 24 && len != 27)
		abort();
	if (sscanf(iso, "%4d-%2d-%2dT%2d:%2d:%2d.", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6 ||
		iso[len - 1] != 'Z')
		abort();
	digits = (int) len - 21;
	if (sscanf(iso + 20, "%d", &frac) != 1)
		abort();
	if (!check_value)
		return;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	secs = (int64) timegm(&tm);
	ts = (secs + UNIX_EPOCH_IN_PG_SECONDS) * USECS_PER_SEC +
		(digits == 3 ? frac * 1000 : frac);
	if (ts != expected)
		abort();
}

/* one double-quoted RSQL value: \" and \\ are the only escapes */
static char *
read_quoted(const char **p, const char *end)
{
	StringInfoData value;

	if (*p >= end || **p != '"')
		abort();
	(*p)++;
	initStringInfo(&value);
	while (*p < end && **p != '"')
	{
		if (**p == '\\')
		{
			(*p)++;
			if (*p >= end || (**p != '"' && **p != '\\'))
				abort();
		}
		appendStringInfoChar(&value, **p);
		(*p)++;
	}
	if (*p >= end)
		abort();
	(*p)++;
	return value.data;
}

static void
check_filter(const Case *c, const char *filter, int len)
{
	const char *p = filter;
	const char *end = filter + len;
	int			i;

	if ((int) strlen(filter) != len)
		abort();				/* a NUL in the filter */
	for (i = 0; i < c->nexpected; i++)
	{
		const Expected *e = &c->expected[i];
		size_t		sl = strlen(e->selector);
		const char *op = op_names[e->op];
		size_t		ol = strlen(op);

		if (i > 0 && *p++ != ';')
			abort();
		if (end - p < (ptrdiff_t) (sl + ol) || strncmp(p, e->selector, sl) != 0 ||
			strncmp(p + sl, op, ol) != 0)
			abort();
		p += sl + ol;
		if (e->op == SYMBL_OP_IN || e->op == SYMBL_OP_OUT)
		{
			int			v;

			if (p >= end || *p++ != '(')
				abort();
			for (v = 0; v < e->nvalues; v++)
			{
				if (v > 0 && (p >= end || *p++ != ','))
					abort();
				if (strcmp(read_quoted(&p, end), e->values[v]) != 0)
					abort();
			}
			if (p >= end || *p++ != ')')
				abort();
		}
		else if (e->is_time)
		{
			char	   *iso = read_quoted(&p, end);

			check_iso_time(iso, strlen(iso), true, e->time);
		}
		else if (strcmp(read_quoted(&p, end), e->values[0]) != 0)
			abort();
	}
	if (p != end)
	{
		fprintf(stderr, "filter sent: %.*s\nexpected %d conditions\n", len, filter, c->nexpected);
		abort();
	}
}

static void
check_query(const Case *c, const char *query, int64 limit, int64 offset,
			bool descending)
{
	const char *q = query;
	char	   *v;
	int			len;
	char		number[32];

	check_url_characters(query);
	v = take_param(&q, "startTime", &len);
	check_iso_time(v, len, false, 0);
	if (optional_param(q, "endTime"))
	{
		v = take_param(&q, "endTime", &len);
		check_iso_time(v, len, false, 0);
	}
	if (optional_param(q, "filter"))
		check_filter(c, take_param(&q, "filter", &len), len);
	else if (c->nexpected > 0)
		abort();
	if (strcmp(take_param(&q, "sort", &len), "conversation.startTime,conversation.id") != 0 ||
		strcmp(take_param(&q, "order", &len), descending ? "desc" : "asc") != 0)
		abort();
	snprintf(number, sizeof(number), INT64_FORMAT, limit);
	if (strcmp(take_param(&q, "limit", &len), number) != 0)
		abort();
	snprintf(number, sizeof(number), INT64_FORMAT, offset);
	if (strcmp(take_param(&q, "offset", &len), number) != 0 || *q != '\0')
		abort();
}

static void
run_case(Input *in)
{
	Case		c = {0};
	SymblRequest request = {0};
	int			nconds = 1 + next_byte(in) % MAX_CONDS;
	int			i;
	bool		descending = next_byte(in) & 1;
	int64		limit = next_int64(in);
	int64		offset = next_int64(in);

	for (i = 0; i < nconds; i++)
		add_condition(&c, in, i);

	if (!symbl_build_request(&request, c.conds, NULL, c.values, c.nulls))
	{
		/* only a condition nothing satisfies, or a time, empties a scan */
		if (!c.must_be_empty && !c.has_time)
			abort();
		return;
	}
	if (c.must_be_empty)
		abort();
	request.sort = "conversation.startTime,conversation.id";
	request.descending = descending;
	check_query(&c, symbl_request_query(&request, limit, offset), limit,
				offset, descending);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Input		in = {data, size};
	sigjmp_buf	jump;

	stub_begin_input();
	stub_error_jump = &jump;
	if (sigsetjmp(jump, 0) == 0)
		run_case(&in);
	else
		abort();				/* building a request never raises an ERROR */
	stub_error_jump = NULL;
	stub_context_reset();
	return 0;
}
