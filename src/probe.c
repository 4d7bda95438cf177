/*-------------------------------------------------------------------------
 *
 * probe.c
 *		  symbl_probe(server): how the account's API treats each filter
 *		  selector and sort field Symbl never documented, judged from rows
 *		  it has just read, and optionally recorded in the server's options.
 *
 * Symbl's only published filter example is conversation.metadata.<key>,
 * and its only sort fields are conversation.name and
 * conversation.startTime.  Anything else may be applied, silently ignored
 * (every row matches; the order is the API's own) or refused with a 400,
 * so the FDW sends it only as a superset that PostgreSQL rechecks.  A DBA
 * who wants more (a LIMIT sent along with a type equality) can have the
 * account's behaviour verified here, read-only and in a few requests: one
 * page without a filter (the sample), then one page per selector with a
 * value taken from the sample, and one page per sort field.  An answer
 * that holds a row the filter excludes shows the selector ignored; a 400
 * shows it refused.  Writes recheck every condition whatever this finds.
 *
 * These requests carry conversation.id in a filter on purpose: this is the
 * one place that sends it (test/regress.sh checks every other request).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_foreign_server.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "symbl_types.h"
#include "api_call.h"
#include "api_error.h"
#include "deparse.h"
#include "option.h"
#include "resource.h"
#include "response.h"
#include "compat.h"

PG_FUNCTION_INFO_V1(symbl_probe);

/* rows per request: enough to hold several values of every field */
#define PROBE_PAGE 100

/* how much of a value or an API message evidence quotes */
#define PROBE_QUOTE_BYTES 60

/* the sample's columns are the first five fields, in SymblField order */
#define PROBE_NCOLS (SYMBL_FIELD_END_TIME + 1)

#define SORTED_BY_START "conversation.startTime"

typedef enum Verdict
{
	VERDICT_APPLIED,
	VERDICT_LOOSE,				/* applied, and also matches rows without
								 * the field */
	VERDICT_IGNORED,
	VERDICT_REJECTED,
	VERDICT_UNDETERMINED
} Verdict;

static const char *const verdict_names[] = {
	"applied", "loose", "ignored", "rejected", "undetermined"
};

/* One answer: rows, or the 400 that refused the request */
typedef struct ProbeAnswer
{
	bool		refused;
	char	   *message;		/* the API's, when refused */
	SymblPage	page;
} ProbeAnswer;

typedef struct Probe
{
	SymblConnection *conn;
	SymblColumn columns[PROBE_NCOLS];
	SymblPage	sample;			/* the first page by startTime, unfiltered */
	Verdict		filter_verdict[PROBE_NCOLS];
	Tuplestorestate *out;
	TupleDesc	tupdesc;
} Probe;

static const char *const selectors[PROBE_NCOLS] = {
	"conversation.id", "conversation.type", "conversation.name",
	"conversation.startTime", "conversation.endTime"
};

/* Selector name -> sort field probed (conversation.name/startTime are documented) */
static const SymblField probed_sort_fields[] = {
	SYMBL_FIELD_ID, SYMBL_FIELD_TYPE, SYMBL_FIELD_END_TIME
};

static bool
is_time_field(SymblField field)
{
	return field == SYMBL_FIELD_START_TIME || field == SYMBL_FIELD_END_TIME;
}

static void
init_columns(Probe *probe)
{
	int			i;

	for (i = 0; i < PROBE_NCOLS; i++)
	{
		SymblColumn *col = &probe->columns[i];
		Oid			infunc;

		memset(col, 0, sizeof(*col));
		col->attnum = i + 1;
		col->attname = (char *) symbl_field_names[i];
		col->field = (SymblField) i;
		col->typid = is_time_field(i) ? TIMESTAMPTZOID : TEXTOID;
		col->typmod = -1;
		col->kind = is_time_field(i) ? SYMBL_VALUE_INPUT : SYMBL_VALUE_TEXT;
		getTypeInputInfo(col->typid, &infunc, &col->ioparam);
		fmgr_info(infunc, &col->input);
	}
}

static bool
cell_null(const SymblPage *page, int row, SymblField field)
{
	return page->nulls[row * page->natts + field];
}

static Datum
cell(const SymblPage *page, int row, SymblField field)
{
	return page->values[row * page->natts + field];
}

/* A value as evidence quotes it: times in ISO form, text clipped */
static char *
quoted(SymblField field, Datum value)
{
	char	   *str;
	int			len;

	if (is_time_field(field))
		return DatumGetCString(DirectFunctionCall1(timestamptz_out, value));
	str = TextDatumGetCString(value);
	len = strlen(str);
	if (len > PROBE_QUOTE_BYTES)
		return psprintf("\"%.*s...\"",
						pg_mbcliplen(str, len, PROBE_QUOTE_BYTES), str);
	return psprintf("\"%s\"", str);
}

static int
compare_values(SymblField field, Datum a, Datum b)
{
	if (is_time_field(field))
	{
		TimestampTz ta = DatumGetTimestampTz(a);
		TimestampTz tb = DatumGetTimestampTz(b);

		return ta < tb ? -1 : ta > tb ? 1 : 0;
	}
	return strcmp(TextDatumGetCString(a), TextDatumGetCString(b));
}

/* Ids compare as numbers where both are digits only (Symbl's are) */
static int
compare_ids_as_numbers(Datum a, Datum b)
{
	char	   *x = TextDatumGetCString(a);
	char	   *y = TextDatumGetCString(b);
	size_t		lx = strlen(x);
	size_t		ly = strlen(y);

	if (lx != ly && strspn(x, "0123456789") == lx &&
		strspn(y, "0123456789") == ly)
		return lx < ly ? -1 : 1;
	return strcmp(x, y);
}

/* GET one page of the list, from the epoch on, with this filter and sort */
static ProbeAnswer
probe_get(Probe *probe, const char *filter, const char *sort)
{
	SymblRequest request = {0};
	ProbeAnswer answer = {0};
	SymblApiCall *call;
	const char *body;
	long		status;
	size_t		len;
	int			attempts;

	request.start_time = SYMBL_EPOCH_START_TIME;
	request.filter = (char *) filter;
	request.sort = (char *) sort;
	call = symbl_api_list_start(probe->conn,
								symbl_request_query(&request, PROBE_PAGE, 0),
								CurrentMemoryContext);
	body = symbl_api_call_finish(call, &status, &len, &attempts, NULL);
	if (status == 400)
	{
		answer.refused = true;
		answer.message = body ? symbl_api_error_message(body) : NULL;
	}
	else if (status != 200)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Symbl API answered HTTP %ld to %s", status,
						symbl_api_call_what(call)),
				 errdetail("symbl_probe needs the list endpoint to answer; it judges nothing from errors other than 400."),
				 errhint("Check that a SELECT from a conversations table of server \"%s\" works.",
						 probe->conn->server_name)));
	else
		symbl_parse_page(body, len, probe->columns, PROBE_NCOLS, PROBE_NCOLS,
						 symbl_api_call_what(call), &answer.page);
	symbl_api_call_release(call);
	return answer;
}

static char *
refusal_text(const ProbeAnswer *answer)
{
	const char *message = answer->message ? answer->message : "(no message)";
	int			len = strlen(message);

	return psprintf("HTTP 400: %.*s", pg_mbcliplen(message, len, 2 * PROBE_QUOTE_BYTES),
					message);
}

/* The filter text deparse.c would send for one comparison */
static char *
filter_text(SymblField field, SymblOp op, Datum value)
{
	SymblCond	cond = {0};
	SymblRequest request = {0};
	bool		isnull = false;

	cond.target = SYMBL_TARGET_FILTER;
	cond.op = op;
	cond.selector = (char *) selectors[field];
	cond.is_time = is_time_field(field);
	cond.value_index = 0;
	if (!symbl_build_request(&request, list_make1(&cond), NULL, &value, &isnull))
		return NULL;
	return request.filter;
}

static void
emit(Probe *probe, const char *used_in, SymblField field, Verdict verdict,
	 const char *evidence)
{
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	values[0] = CStringGetTextDatum(used_in);
	values[1] = CStringGetTextDatum(selectors[field]);
	values[2] = CStringGetTextDatum(verdict_names[verdict]);
	values[3] = CStringGetTextDatum(evidence);
	tuplestore_putvalues(probe->out, probe->tupdesc, values, nulls);
}

/*
 * The sample row whose value tells a filter on the field apart: the first
 * with a value that another sample row does not share.  -1 if none.
 */
static int
telling_row(const SymblPage *sample, SymblField field)
{
	int			i;
	int			j;

	for (i = 0; i < sample->nrows; i++)
	{
		if (cell_null(sample, i, field))
			continue;
		for (j = 0; j < sample->nrows; j++)
			if (!cell_null(sample, j, field) &&
				compare_values(field, cell(sample, i, field), cell(sample, j, field)) != 0)
				return i;
	}
	return -1;
}

/*
 * The middle value of the field in the sample, below the greatest one (so
 * that rows exist on both sides of "> it"); false if there is none.
 */
static bool
middle_value(const SymblPage *sample, SymblField field, Datum *middle)
{
	Datum	   *vals = palloc(sizeof(Datum) * Max(sample->nrows, 1));
	int			n = 0;
	int			i;
	int			j;

	for (i = 0; i < sample->nrows; i++)
		if (!cell_null(sample, i, field))
			vals[n++] = cell(sample, i, field);
	/* an insertion sort: a hundred values at most */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && compare_values(field, vals[j - 1], vals[j]) > 0; j--)
		{
			Datum		t = vals[j];

			vals[j] = vals[j - 1];
			vals[j - 1] = t;
		}
	if (n < 2 || compare_values(field, vals[(n - 1) / 2], vals[n - 1]) == 0)
		return false;
	*middle = vals[(n - 1) / 2];
	return true;
}

/* Does a row's value pass the comparison the filter asked for? */
static bool
passes(SymblField field, SymblOp op, Datum row_value, Datum value)
{
	int			c = compare_values(field, row_value, value);

	return op == SYMBL_OP_EQ ? c == 0 : c > 0;
}

/* How the rows of one filtered answer fare against the comparison */
typedef struct FilterTally
{
	int			passing;
	int			failing;
	int			absent;			/* rows without the field */
	int			first_failing;	/* its row, -1 if none */
} FilterTally;

static FilterTally
tally_answer(const SymblPage *page, SymblField field, SymblOp op, Datum value)
{
	FilterTally t = {0, 0, 0, -1};
	int			i;

	for (i = 0; i < page->nrows; i++)
	{
		if (cell_null(page, i, field))
			t.absent++;
		else if (passes(field, op, cell(page, i, field), value))
			t.passing++;
		else if (t.failing++ == 0)
			t.first_failing = i;
	}
	return t;
}

/*
 * The filter that tells the field apart in the sample: equality with a
 * value some sample rows lack, or (times) later than the middle one.  NULL
 * if the sample cannot tell.
 */
static char *
telling_filter(const SymblPage *sample, SymblField field, SymblOp op,
			   Datum *value)
{
	if (op == SYMBL_OP_EQ)
	{
		int			row = telling_row(sample, field);

		if (row < 0)
			return NULL;
		*value = cell(sample, row, field);
		return filter_text(field, op, *value);
	}
	if (!middle_value(sample, field, value))
		return NULL;
	return filter_text(field, op, *value);
}

/*
 * The verdict on an answer: a row that fails the filter means the
 * selector was ignored; rows without the field beside rows that pass, that
 * it was applied loosely; only passing rows, applied.
 */
static Verdict
judge_answer(const SymblPage *sample, const SymblPage *page, SymblField field,
			 SymblOp op, Datum value, const char *filter, char **evidence)
{
	FilterTally t = tally_answer(page, field, op, value);
	FilterTally s = tally_answer(sample, field, op, value);

	if (t.failing > 0)
	{
		char	   *id = TextDatumGetCString(cell(page, t.first_failing, SYMBL_FIELD_ID));

		if (field == SYMBL_FIELD_ID)
			*evidence = psprintf("filter %s: %d of %d rows fail it (conversation %s among them)",
								 filter, t.failing, page->nrows, id);
		else
			*evidence = psprintf("filter %s: %d of %d rows fail it (conversation %s has %s %s)",
								 filter, t.failing, page->nrows, id,
								 symbl_field_names[field],
								 quoted(field, cell(page, t.first_failing, field)));
		return VERDICT_IGNORED;
	}
	if (t.passing == 0)
	{
		*evidence = psprintf("filter %s: no row, though the unfiltered answer held %s",
							 filter, op == SYMBL_OP_EQ ? "one with that value" : "later ones");
		return VERDICT_UNDETERMINED;
	}
	if (t.absent > 0)
	{
		*evidence = psprintf("filter %s: %d rows pass it, and %d more have no %s (of the first %d unfiltered, %d fail it)",
							 filter, t.passing, t.absent, symbl_field_names[field],
							 sample->nrows, s.failing);
		return VERDICT_LOOSE;
	}
	*evidence = psprintf("filter %s: every row of the answer (%d) passes it, where %d of the first %d unfiltered fail it",
						 filter, t.passing, s.failing, sample->nrows);
	return VERDICT_APPLIED;
}

/* Send one comparison on the field, and judge the answer */
static void
probe_selector(Probe *probe, SymblField field)
{
	SymblOp		op = is_time_field(field) ? SYMBL_OP_GT : SYMBL_OP_EQ;
	Datum		value = (Datum) 0;
	char	   *filter = telling_filter(&probe->sample, field, op, &value);
	Verdict		verdict;
	char	   *evidence;
	ProbeAnswer answer;

	if (filter == NULL)
	{
		verdict = VERDICT_UNDETERMINED;
		evidence = psprintf("the first %d conversations by startTime hold no two different values of %s to tell a filter on it from none",
							probe->sample.nrows, symbl_field_names[field]);
	}
	else if ((answer = probe_get(probe, filter, SORTED_BY_START)).refused)
	{
		verdict = VERDICT_REJECTED;
		evidence = psprintf("filter %s: %s", filter, refusal_text(&answer));
	}
	else
		verdict = judge_answer(&probe->sample, &answer.page, field, op, value,
							   filter, &evidence);
	probe->filter_verdict[field] = verdict;
	emit(probe, "filter", field, verdict, evidence);
}

typedef int (*ValueOrder) (SymblField field, Datum a, Datum b);

static int
ids_as_numbers(SymblField field, Datum a, Datum b)
{
	return compare_ids_as_numbers(a, b);
}

/*
 * Whether the page is in ascending order of the field: every value at
 * least the one before, rows without it all at the start or all at the end
 * (where an API sorts them is not documented).  Else before and after are
 * set to a pair out of order.
 */
static bool
in_order_by(const SymblPage *page, SymblField field, ValueOrder order,
			int *before, int *after)
{
	int			last = -1;
	int			i;
	bool		seen_null_after_value = false;

	for (i = 0; i < page->nrows; i++)
	{
		if (cell_null(page, i, field))
		{
			if (last >= 0)
				seen_null_after_value = true;
			continue;
		}
		if (seen_null_after_value ||
			(last >= 0 && order(field, cell(page, last, field),
								cell(page, i, field)) > 0))
		{
			*before = last >= 0 ? last : i;
			*after = i;
			return false;
		}
		last = i;
	}
	return true;
}

/* Ids may be ordered as text or, being digits, as numbers: either counts */
static bool
in_order(const SymblPage *page, SymblField field, int *before, int *after)
{
	if (in_order_by(page, field, compare_values, before, after))
		return true;
	return field == SYMBL_FIELD_ID &&
		in_order_by(page, field, ids_as_numbers, before, after);
}

/*
 * Sort by the field alone and judge the order: out of order means the
 * field was ignored, unless the unsorted sample was already in its order.
 */
static void
probe_sort_field(Probe *probe, SymblField field)
{
	ProbeAnswer answer = probe_get(probe, NULL, selectors[field]);
	int			before;
	int			after;
	Verdict		verdict;
	char	   *evidence;

	if (answer.refused)
	{
		emit(probe, "sort", field, VERDICT_REJECTED,
			 psprintf("sort=%s: %s", selectors[field], refusal_text(&answer)));
		return;
	}
	if (!in_order(&answer.page, field, &before, &after))
	{
		verdict = VERDICT_IGNORED;
		evidence = psprintf("sort=%s: %d rows, not in its order (conversation %s before conversation %s)",
							selectors[field], answer.page.nrows,
							TextDatumGetCString(cell(&answer.page, before, SYMBL_FIELD_ID)),
							TextDatumGetCString(cell(&answer.page, after, SYMBL_FIELD_ID)));
	}
	else if (in_order(&probe->sample, field, &before, &after) ||
			 answer.page.nrows < 2)
	{
		verdict = VERDICT_UNDETERMINED;
		evidence = psprintf("sort=%s: %d rows in its order, but the first %d by startTime are in that order too",
							selectors[field], answer.page.nrows, probe->sample.nrows);
	}
	else
	{
		verdict = VERDICT_APPLIED;
		evidence = psprintf("sort=%s: %d rows in its order, where the first %d by startTime are not",
							selectors[field], answer.page.nrows, probe->sample.nrows);
	}
	emit(probe, "sort", field, verdict, evidence);
}

/* 'type, name' from the fields whose bit is set, in the options' spelling */
static char *
selector_list(int bits)
{
	static const struct
	{
		SymblField	field;
		const char *name;
	}			names[] = {
		{SYMBL_FIELD_TYPE, "type"},
		{SYMBL_FIELD_NAME, "name"},
		{SYMBL_FIELD_START_TIME, "start_time"},
		{SYMBL_FIELD_END_TIME, "end_time"},
	};
	StringInfoData buf;
	size_t		i;

	initStringInfo(&buf);
	for (i = 0; i < lengthof(names); i++)
		if (bits & SYMBL_FIELD_BIT(names[i].field))
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", names[i].name);
	return buf.data;
}

static DefElem *
option_change(ForeignServer *server, const char *name, const char *value)
{
	DefElemAction action = DEFELEM_ADD;
	ListCell   *lc;

	foreach(lc, server->options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, name) == 0)
			action = DEFELEM_SET;
	return makeDefElemExtended(NULL, (char *) name, (Node *) makeString(pstrdup(value)),
							   action, -1);
}

/*
 * Record what was found: a selector found ignored or refused is no longer
 * sent (it narrows nothing, or costs a retry); an equality on type or name
 * found applied becomes exact in reads.  Loose and undetermined selectors
 * stay as they are sent by default, as a superset.
 */
static void
record_findings(Probe *probe, ForeignServer *server)
{
	static const SymblField recordable[] = {
		SYMBL_FIELD_TYPE, SYMBL_FIELD_NAME,
		SYMBL_FIELD_START_TIME, SYMBL_FIELD_END_TIME
	};
	AlterForeignServerStmt *stmt = makeNode(AlterForeignServerStmt);
	int			send = 0;
	int			exact = 0;
	size_t		i;
	char	   *send_text;
	char	   *exact_text;

	for (i = 0; i < lengthof(recordable); i++)
	{
		SymblField	field = recordable[i];
		Verdict		verdict = probe->filter_verdict[field];

		if (verdict != VERDICT_IGNORED && verdict != VERDICT_REJECTED)
			send |= SYMBL_FIELD_BIT(field);
		if (verdict == VERDICT_APPLIED && !is_time_field(field))
			exact |= SYMBL_FIELD_BIT(field);
	}
	send_text = selector_list(send);
	exact_text = selector_list(exact);
	stmt->servername = server->servername;
	stmt->options = list_make2(option_change(server, "send_selectors", send_text),
							   option_change(server, "exact_selectors", exact_text));
	AlterForeignServer(stmt);
	CommandCounterIncrement();
	ereport(NOTICE,
			(errmsg("server \"%s\" now has send_selectors '%s' and exact_selectors '%s'",
					server->servername, send_text, exact_text)));
}

static void
start_result(FunctionCallInfo fcinfo, Probe *probe)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("symbl_probe must be called where a set of rows can be returned"),
				 errhint("Call it in FROM: SELECT * FROM symbl_probe('server').")));
	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &probe->tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "symbl_probe must return a row type");
	probe->tupdesc = BlessTupleDesc(probe->tupdesc);
	probe->out = tuplestore_begin_heap(rsinfo->allowedModes & SFRM_Materialize_Random,
									   false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = probe->out;
	rsinfo->setDesc = probe->tupdesc;
	MemoryContextSwitchTo(oldcxt);
}

Datum
symbl_probe(PG_FUNCTION_ARGS)
{
	char	   *servername = NameStr(*PG_GETARG_NAME(0));
	bool		record = PG_GETARG_BOOL(1);
	ForeignServer *server = GetForeignServerByName(servername, false);
	Probe		probe = {0};
	ProbeAnswer sample;
	AclResult	aclresult;
	size_t		i;

	aclresult = symbl_server_usage_aclcheck(server->serverid, GetUserId());
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_SERVER, server->servername);
	if (record)
		PreventCommandIfReadOnly("symbl_probe(..., record => true)");

	start_result(fcinfo, &probe);
	probe.conn = symbl_server_connection(server->serverid, GetUserId());
	init_columns(&probe);

	sample = probe_get(&probe, NULL, SORTED_BY_START);
	if (sample.refused)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Symbl API refused the list request without a filter"),
				 errdetail("%s", refusal_text(&sample)),
				 errhint("symbl_probe judges selectors against that answer; check server \"%s\".",
						 server->servername)));
	probe.sample = sample.page;

	for (i = 0; i < PROBE_NCOLS; i++)
		probe_selector(&probe, (SymblField) i);
	for (i = 0; i < lengthof(probed_sort_fields); i++)
		probe_sort_field(&probe, probed_sort_fields[i]);
	if (record)
		record_findings(&probe, server);
	return (Datum) 0;
}
