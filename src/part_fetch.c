/*-------------------------------------------------------------------------
 *
 * part_fetch.c
 *		  Fetch one part of many conversations: up to max_concurrent_requests
 *		  requests in flight, the answers converted one conversation at a
 *		  time and in the order of the ids.
 *
 * Memory is bounded by the answers in flight and the one being returned,
 * not by the number of conversations: a request goes out only when a slot
 * is free, and a conversation's answer is released once converted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "part_fetch.h"
#include "http.h"

void
symbl_part_fetch_init(SymblPartFetch *fetch, SymblConnection *conn,
					  const SymblResource *resource, const SymblColumn *columns,
					  int ncolumns, int natts, MemoryContext parent)
{
	memset(fetch, 0, sizeof(*fetch));
	fetch->conn = conn;
	fetch->resource = resource;
	fetch->columns = columns;
	fetch->ncolumns = ncolumns;
	fetch->natts = natts;
	fetch->query = symbl_part_query(resource, columns, ncolumns);
	fetch->concurrency = Max(1, Min(conn->opts.max_concurrent_requests,
									SYMBL_PART_MAX_IN_FLIGHT));
	fetch->calls_cxt = AllocSetContextCreate(parent, "symbl_fdw part requests",
											 ALLOCSET_SMALL_SIZES);
}

/*
 * The optional parameters the retrieved columns need: words and sentiment
 * cost the API work, so they are asked for only when read.  Never refresh:
 * it changes the server's state.
 */
char *
symbl_part_query(const SymblResource *resource, const SymblColumn *columns,
				 int ncolumns)
{
	StringInfoData buf;
	int			p;

	initStringInfo(&buf);
	for (p = 0; p < SYMBL_MAX_RESOURCE_PARAMS && resource->params[p].field; p++)
	{
		int			i;

		for (i = 0; i < ncolumns; i++)
			if (columns[i].top_field != NULL &&
				strcmp(columns[i].top_field, resource->params[p].field) == 0)
				break;
		if (i < ncolumns)
			appendStringInfo(&buf, "%c%s", buf.len == 0 ? '?' : '&',
							 resource->params[p].param);
	}
	return buf.data;
}

static char *
path_with_segment(const SymblResource *resource, const char *segment,
				  const char *query)
{
	return psprintf("%s/%s/%s%s", SYMBL_API_PATH, segment, resource->path, query);
}

/* The request path with a placeholder for the id, for EXPLAIN */
char *
symbl_part_path_template(const SymblResource *resource, const char *query)
{
	return path_with_segment(resource, "{conversation_id}", query);
}

/*
 * The request path for a conversation's part.  The id is one path segment
 * whatever it holds: every reserved character is escaped, and dots too, so
 * that "." and ".." are never read as the path's own dot segments.
 */
char *
symbl_part_path(const SymblResource *resource, const char *id, const char *query)
{
	StringInfoData segment;
	char	   *escaped = symbl_http_escape(id, strlen(id));
	const char *c;

	if (escaped == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	initStringInfo(&segment);
	for (c = escaped; *c; c++)
	{
		if (*c == '.')
			appendStringInfoString(&segment, "%2E");
		else
			appendStringInfoChar(&segment, *c);
	}
	symbl_http_free(escaped);
	return path_with_segment(resource, segment.data, query);
}

/* Requests still to come go out while there are free slots */
static void
launch_requests(SymblPartFetch *fetch)
{
	while (fetch->next_launch < fetch->nids &&
		   fetch->next_launch - fetch->next_take < fetch->concurrency)
	{
		int			i = fetch->next_launch++;
		char	   *id = TextDatumGetCString(fetch->ids[i]);
		char	   *path;

		/* no conversation has an empty id: nothing to ask */
		if (id[0] == '\0')
		{
			fetch->calls[i % SYMBL_PART_MAX_IN_FLIGHT] = NULL;
			continue;
		}
		path = symbl_part_path(fetch->resource, id, fetch->query);
		fetch->calls[i % SYMBL_PART_MAX_IN_FLIGHT] =
			symbl_api_get_start(fetch->conn, path, fetch->calls_cxt);
		pfree(path);
		pfree(id);
	}
	symbl_api_progress();
}

void
symbl_part_fetch_cancel(SymblPartFetch *fetch)
{
	for (; fetch->next_take < fetch->next_launch; fetch->next_take++)
	{
		SymblListCall *call = fetch->calls[fetch->next_take % SYMBL_PART_MAX_IN_FLIGHT];

		if (call != NULL)
			symbl_api_list_release(call);
	}
	fetch->nids = 0;
	fetch->next_launch = 0;
	fetch->next_take = 0;
	MemoryContextReset(fetch->calls_cxt);
}

/* A new round of conversations; what was in flight is dropped */
void
symbl_part_fetch_start(SymblPartFetch *fetch, Datum *ids, int nids)
{
	symbl_part_fetch_cancel(fetch);
	fetch->ids = ids;
	fetch->nids = nids;
	launch_requests(fetch);
}

/*
 * The rows of the next conversation, in the current memory context; false
 * once every conversation of the round has been handed out.  A 404 (the
 * conversation is gone, or the part is not ready) gives no rows.
 */
bool
symbl_part_fetch_next(SymblPartFetch *fetch, SymblPage *page, int *id_index)
{
	int			i = fetch->next_take;
	SymblListCall *call;
	SymblPageParse *parse = NULL;
	char	   *where = NULL;

	if (i >= fetch->nids)
		return false;
	call = fetch->calls[i % SYMBL_PART_MAX_IN_FLIGHT];
	if (call != NULL)
	{
		MemoryContext oldcxt;
		const char *body;
		size_t		len;
		bool		not_found;

		where = pstrdup(symbl_api_list_what(call));
		oldcxt = MemoryContextSwitchTo(symbl_api_list_memory(call));
		body = symbl_api_get_finish(call, &len, &fetch->stats, &not_found);
		if (not_found)
			fetch->not_found++;
		else
			parse = symbl_page_parse_start(body, len, false);
		MemoryContextSwitchTo(oldcxt);
	}
	symbl_part_convert(parse, fetch->resource, fetch->columns, fetch->ncolumns,
					   fetch->natts, fetch->ids[i], where, page);
	if (call != NULL)
		symbl_api_list_release(call);
	fetch->stats.rows_received += page->nrows;
	fetch->next_take++;
	*id_index = i;
	launch_requests(fetch);
	return true;
}

static int
compare_text_datums(const void *a, const void *b)
{
	text	   *ta = DatumGetTextPP(*(const Datum *) a);
	text	   *tb = DatumGetTextPP(*(const Datum *) b);
	int			la = VARSIZE_ANY_EXHDR(ta);
	int			lb = VARSIZE_ANY_EXHDR(tb);
	int			c = memcmp(VARDATA_ANY(ta), VARDATA_ANY(tb), Min(la, lb));

	return c != 0 ? c : (la > lb) - (la < lb);
}

/*
 * Keep each id once (bytewise, as the API compares them), NULLs dropped:
 * `IN ('a', 'a')` asks once.  Returns the new count; the order is sorted.
 */
int
symbl_unique_ids(Datum *ids, bool *nulls, int n)
{
	int			kept = 0;
	int			i;

	for (i = 0; i < n; i++)
		if (nulls == NULL || !nulls[i])
			ids[kept++] = ids[i];
	if (kept < 2)
		return kept;
	qsort(ids, kept, sizeof(Datum), compare_text_datums);
	n = kept;
	kept = 1;
	for (i = 1; i < n; i++)
		if (compare_text_datums(&ids[kept - 1], &ids[i]) != 0)
			ids[kept++] = ids[i];
	return kept;
}
