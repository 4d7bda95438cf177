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
	if (resource->path[0] == '\0')
		return psprintf("%s/%s%s", SYMBL_API_PATH, segment, query);
	return psprintf("%s/%s/%s%s", SYMBL_API_PATH, segment, resource->path, query);
}

/* The request path with a placeholder for the id, for EXPLAIN */
char *
symbl_part_path_template(const SymblResource *resource, const char *query)
{
	return path_with_segment(resource,
							 resource->single_object ? "{id}" : "{conversation_id}",
							 query);
}

/* The request path for a conversation's part: the id is one path segment */
char *
symbl_part_path(const SymblResource *resource, const char *id, const char *query)
{
	return path_with_segment(resource, symbl_path_segment(id), query);
}

/* Conversations queued go out while fewer than the limit are in flight */
static void
launch_requests(SymblPartFetch *fetch)
{
	bool		launched = false;

	while (fetch->next_launch < fetch->next_add &&
		   fetch->next_launch - fetch->next_take < fetch->concurrency)
	{
		int			slot = fetch->next_launch++ % SYMBL_PART_QUEUE;
		char	   *id;
		char	   *path;

		fetch->calls[slot] = NULL;
		if (fetch->id_nulls[slot])
			continue;
		/* no conversation has an empty id: nothing to ask */
		id = TextDatumGetCString(fetch->ids[slot]);
		if (id[0] != '\0')
		{
			path = symbl_part_path(fetch->resource, id, fetch->query);
			fetch->calls[slot] = symbl_api_get_start(fetch->conn, path, fetch->calls_cxt);
			pfree(path);
			launched = true;
		}
		pfree(id);
	}
	if (launched)
		symbl_api_progress();
}

/* Drop what is queued and in flight */
void
symbl_part_fetch_cancel(SymblPartFetch *fetch)
{
	for (; fetch->next_take < fetch->next_launch; fetch->next_take++)
	{
		SymblListCall *call = fetch->calls[fetch->next_take % SYMBL_PART_QUEUE];

		if (call != NULL)
		{
			symbl_api_list_release(call);
			/* it was sent, though its answer is not read */
			fetch->stats.requests++;
		}
	}
	fetch->next_take = fetch->next_launch = fetch->next_add = 0;
	MemoryContextReset(fetch->calls_cxt);
}

bool
symbl_part_fetch_has_room(SymblPartFetch *fetch)
{
	return fetch->next_add - fetch->next_take < SYMBL_PART_QUEUE;
}

/* Queue a conversation (a NULL id gives no rows); its request may go out */
void
symbl_part_fetch_push(SymblPartFetch *fetch, Datum id, bool isnull)
{
	int			slot = fetch->next_add % SYMBL_PART_QUEUE;

	Assert(symbl_part_fetch_has_room(fetch));
	fetch->ids[slot] = id;
	fetch->id_nulls[slot] = isnull;
	fetch->next_add++;
	launch_requests(fetch);
}

/*
 * The rows of the oldest conversation queued, in the current memory
 * context; false when none is queued.  A 404 (the conversation is gone, or
 * the part is not ready) gives no rows.
 */
bool
symbl_part_fetch_next(SymblPartFetch *fetch, SymblPage *page)
{
	int			slot = fetch->next_take % SYMBL_PART_QUEUE;
	SymblListCall *call;
	SymblPageParse *parse = NULL;
	char	   *where = NULL;

	if (fetch->next_take >= fetch->next_add)
		return false;
	launch_requests(fetch);
	call = fetch->calls[slot];
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
	if (fetch->resource->single_object)
		symbl_conversation_convert(parse, fetch->columns, fetch->ncolumns,
								   fetch->natts, where, page);
	else
		symbl_part_convert(parse, fetch->resource, fetch->columns, fetch->ncolumns,
						   fetch->natts, fetch->ids[slot], where, page);
	if (call != NULL)
		symbl_api_list_release(call);
	fetch->calls[slot] = NULL;
	fetch->stats.rows_received += page->nrows;
	fetch->next_take++;
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
