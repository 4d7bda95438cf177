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
#include "api_call.h"
#include "deparse.h"
#include "exchange.h"
#include "part_convert.h"
#include "response.h"

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
path_with_segment(const char *part_path, const char *segment, const char *query)
{
	if (part_path[0] == '\0')
		return psprintf("%s/%s%s", SYMBL_API_PATH, segment, query);
	return psprintf("%s/%s/%s%s", SYMBL_API_PATH, segment, part_path, query);
}

/* The request path with a placeholder for the id, for EXPLAIN */
char *
symbl_part_path_template(const char *part_path, const char *query)
{
	/* (an empty part path: the conversation itself, by id) */
	return path_with_segment(part_path,
							 part_path[0] == '\0' ? "{id}" : "{conversation_id}",
							 query);
}

/* The request path for a conversation's part: the id is one path segment */
char *
symbl_part_path(const char *part_path, const char *id, const char *query)
{
	return path_with_segment(part_path, symbl_path_segment(id), query);
}

/*
 * A part published under two paths (the trackers) is asked first where it
 * answered last: once one path is retired, later conversations cost one
 * request, not a 404 and a second request.  Remembered per server and
 * table for the life of the backend, in a few slots (beyond them, the
 * oldest memory goes, which costs a 404 once); a 404 from the path asked
 * first still tries the other, so a memory is never trusted blindly.
 */
#define REMEMBERED_PATHS 16

typedef struct AnsweredPath
{
	Oid			serverid;
	const SymblResource *resource;
	bool		fallback;		/* fallback_path answered last */
} AnsweredPath;

static AnsweredPath answered_paths[REMEMBERED_PATHS];
static int	n_answered_paths = 0;
static int	next_forgotten_path = 0;

static AnsweredPath *
find_answered_path(Oid serverid, const SymblResource *resource)
{
	int			i;

	for (i = 0; i < n_answered_paths; i++)
		if (answered_paths[i].serverid == serverid &&
			answered_paths[i].resource == resource)
			return &answered_paths[i];
	return NULL;
}

static bool
fallback_answered_last(SymblPartFetch *fetch)
{
	AnsweredPath *known;

	if (fetch->resource->fallback_path == NULL)
		return false;
	known = find_answered_path(fetch->conn->serverid, fetch->resource);
	return known != NULL && known->fallback;
}

static void
remember_answered_path(SymblPartFetch *fetch, bool fallback)
{
	AnsweredPath *known;

	if (fetch->resource->fallback_path == NULL)
		return;
	known = find_answered_path(fetch->conn->serverid, fetch->resource);
	if (known == NULL)
	{
		if (n_answered_paths < REMEMBERED_PATHS)
			known = &answered_paths[n_answered_paths++];
		else
		{
			known = &answered_paths[next_forgotten_path];
			next_forgotten_path = (next_forgotten_path + 1) % REMEMBERED_PATHS;
		}
		known->serverid = fetch->conn->serverid;
		known->resource = fetch->resource;
	}
	known->fallback = fallback;
}

/* Send the request of a queued conversation to the path the slot names */
static void
start_request(SymblPartFetch *fetch, int slot, const char *id)
{
	const SymblResource *resource = fetch->resource;
	char	   *path = symbl_part_path(fetch->on_fallback[slot] ?
									   resource->fallback_path : resource->path,
									   id, fetch->query);

	fetch->calls[slot] = symbl_api_get_start(fetch->conn, path, fetch->calls_cxt);
	pfree(path);
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

		fetch->calls[slot] = NULL;
		fetch->on_fallback[slot] = fallback_answered_last(fetch);
		fetch->tried_both[slot] = false;
		if (fetch->id_nulls[slot])
			continue;
		/* no conversation has an empty id: nothing to ask */
		id = TextDatumGetCString(fetch->ids[slot]);
		if (id[0] != '\0')
		{
			start_request(fetch, slot, id);
			launched = true;
		}
		pfree(id);
	}
	if (launched)
		symbl_api_progress();
}

/*
 * Wait for the answer in a slot, the body in the call's memory.  A 404
 * from a part with two paths asks the other one before it means no rows:
 * one retired path must not make every conversation look empty.  Returns
 * false (the call released) for no rows.
 */
static bool
finish_request(SymblPartFetch *fetch, int slot, const char **body, size_t *len)
{
	for (;;)
	{
		SymblListCall *call = fetch->calls[slot];
		bool		not_found;
		char	   *id;

		*body = symbl_api_get_finish(call, len, &fetch->stats, &not_found);
		if (!not_found)
		{
			remember_answered_path(fetch, fetch->on_fallback[slot]);
			return true;
		}
		symbl_api_list_release(call);
		fetch->calls[slot] = NULL;
		if (fetch->resource->fallback_path == NULL || fetch->tried_both[slot])
			return false;
		fetch->tried_both[slot] = true;
		fetch->on_fallback[slot] = !fetch->on_fallback[slot];
		fetch->other_path++;
		id = TextDatumGetCString(fetch->ids[slot]);
		start_request(fetch, slot, id);
		pfree(id);
	}
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
	SymblPageParse *parse = NULL;
	char	   *where = NULL;

	if (fetch->next_take >= fetch->next_add)
		return false;
	launch_requests(fetch);
	if (fetch->calls[slot] != NULL)
	{
		const char *body;
		size_t		len;

		if (finish_request(fetch, slot, &body, &len))
		{
			SymblListCall *call = fetch->calls[slot];
			MemoryContext oldcxt;

			where = pstrdup(symbl_api_list_what(call));
			oldcxt = MemoryContextSwitchTo(symbl_api_list_memory(call));
			parse = symbl_page_parse_start(body, len, false);
			MemoryContextSwitchTo(oldcxt);
		}
		else
			fetch->not_found++;
	}
	if (fetch->resource->single_object)
		symbl_conversation_convert(parse, fetch->columns, fetch->ncolumns,
								   fetch->natts, where, page);
	else
		symbl_part_convert(parse, fetch->resource, fetch->columns, fetch->ncolumns,
						   fetch->natts, fetch->ids[slot], where, page);
	if (fetch->calls[slot] != NULL)
		symbl_api_list_release(fetch->calls[slot]);
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
