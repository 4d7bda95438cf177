/*-------------------------------------------------------------------------
 *
 * api_call.c
 *		  A call to the API as one user: the request with its token, sent
 *		  through exchange.c, renewed once on a 401 (auth.c), and its answer
 *		  taken as a page, a part, or a write's status and body.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "symbl_types.h"
#include "api_call.h"
#include "api_error.h"
#include "auth.h"
#include "http.h"
#include "exchange.h"

/*
 * One authorized request to a path under base_url, which may be in flight
 * beside others: a page of /v1/conversations while the scan works on
 * earlier ones, a conversation's part, a write (PUT, DELETE).  Everything
 * it holds lives in its own small memory context: deleting that context
 * (when the answer has been taken, when the scan ends or is rescanned, or
 * when the query fails) aborts the transfer if it is still running.
 * Finishing a page or a part (symbl_api_get_finish) reports any status it
 * does not expect as an error; finishing a write (symbl_api_call_finish)
 * retries 429, 5xx and transport errors and renews the token once on a
 * 401, as for pages, but hands back every other status with its body: what
 * a 404 means depends on the request.
 */
struct SymblApiCall
{
	MemoryContext cxt;
	SymblConnection *conn;
	char	   *url;
	char	   *what;
	SymblHttpRequest request;
	CallGuard  *guard;			/* the first attempt, until finished */
};

/*
 * The request as messages name it: an id or a filter can make a path tens
 * of kilobytes long, too long for an error's DETAIL to be of use.
 */
#define MAX_DESCRIBED_PATH 1000

static char *
request_description(const char *method, const char *path_query)
{
	size_t		len = strlen(path_query);

	if (len <= MAX_DESCRIBED_PATH)
		return psprintf("%s %s", method, path_query);
	/* (escaped for the URL: ASCII, never a character cut in two) */
	return psprintf("%s %.*s... (%zu bytes)", method, MAX_DESCRIBED_PATH,
					path_query, len);
}

/* A GET of base_url + path_query, started now */
SymblListCall *
symbl_api_get_start(SymblConnection *conn, const char *path_query,
					MemoryContext parent)
{
	return symbl_api_call_start(conn, "GET", path_query, NULL, parent);
}

static const char *
current_token(SymblConnection *conn)
{
	return symbl_auth_token(conn, false);
}

/*
 * Send the call's request (or finish the transfer already started) with
 * retries, and once more with a renewed token if the API answered 401 and
 * the credentials can get a new one.
 */
static Exchange
exchange_renewing(SymblApiCall *call, SymblScanStats *stats)
{
	CallGuard  *started = call->guard;
	bool		renewed = false;

	for (;;)
	{
		Exchange	ex = symbl_exchange(call->conn, &call->request, started,
										current_token, call->what, stats);

		started = NULL;
		if (stats != NULL)
			stats->bytes_received += ex.wire_bytes;
		if (ex.status != 401 || renewed || !symbl_auth_can_renew(call->conn))
			return ex;
		symbl_release_guarded_call(ex.guard);
		call->request.bearer_token = symbl_auth_token(call->conn, true);
		renewed = true;
	}
}

SymblListCall *
symbl_api_list_start(SymblConnection *conn, const char *query,
					 MemoryContext parent)
{
	char	   *path_query = psprintf("%s?%s", SYMBL_API_PATH, query);
	SymblListCall *call = symbl_api_get_start(conn, path_query, parent);

	pfree(path_query);
	return call;
}


/* The request, for messages: valid until the call is finished */
const char *
symbl_api_list_what(SymblListCall *call)
{
	return call->what;
}

/*
 * Whether the page has arrived whole with a 200, so that finishing the call
 * neither waits, nor retries, nor raises an error.
 */
bool
symbl_api_list_arrived(SymblListCall *call)
{
	const SymblHttpResponse *response;

	if (call->guard == NULL || call->guard->call == NULL)
		return false;
	response = symbl_http_response(call->guard->call);
	return response->outcome == SYMBL_HTTP_COMPLETE && response->status == 200;
}

/* The call's memory: what hangs on the page's body belongs there */
MemoryContext
symbl_api_list_memory(SymblListCall *call)
{
	return call->cxt;
}

/* Done with a call, finished or not: an unfinished transfer is aborted */
void
symbl_api_list_release(SymblListCall *call)
{
	MemoryContextDelete(call->cxt);
}

/*
 * Wait for a page (driving every other transfer in flight meanwhile), with
 * retries and one token renewal on 401.  The body is libcurl's own buffer,
 * valid until symbl_api_list_release: parsing it in place spares a copy of
 * every page.
 */
const char *
symbl_api_list_finish(SymblListCall *call, size_t *len, SymblScanStats *stats)
{
	return symbl_api_get_finish(call, len, stats, NULL);
}

/*
 * As symbl_api_list_finish; with `not_found`, a 404 is no error: it is
 * reported there (and NULL returned), for parts of a conversation that is
 * gone or not ready.
 */
/*
 * A 400 whose message names the filter: the API refused something in it
 * (a selector it never documented, say), which a scan may be able to drop.
 */
static bool
is_filter_rejection(const Exchange *ex)
{
	char	   *message;

	if (ex->status != 400)
		return false;
	message = symbl_api_error_message(ex->body);
	if (message == NULL)
		return false;
	for (; *message; message++)
		if (pg_strncasecmp(message, "filter", 6) == 0)
			return true;
	return false;
}

const char *
symbl_api_get_finish(SymblListCall *call, size_t *len, SymblScanStats *stats,
					 bool *not_found)
{
	return symbl_api_list_finish_checked(call, len, stats, not_found, NULL);
}

/*
 * As symbl_api_get_finish; with `filter_rejected`, a 400 naming the filter
 * is no error either: it is reported there (and NULL returned).
 */
const char *
symbl_api_list_finish_checked(SymblListCall *call, size_t *len,
							  SymblScanStats *stats, bool *not_found,
							  bool *filter_rejected)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(call->cxt);
	Exchange	ex;

	if (not_found != NULL)
		*not_found = false;
	ex = exchange_renewing(call, stats);
	MemoryContextSwitchTo(oldcxt);
	if (ex.status == 404 && not_found != NULL)
	{
		*not_found = true;
		*len = 0;
		return NULL;
	}
	if (filter_rejected != NULL && is_filter_rejection(&ex))
	{
		*filter_rejected = true;
		*len = 0;
		return NULL;
	}
	if (ex.status != 200)
		symbl_report_api_error(call->conn, &ex, call->what);
	*len = ex.len;
	return ex.body;
}


SymblApiCall *
symbl_api_call_start(SymblConnection *conn, const char *method,
					 const char *path, const char *json_body,
					 MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "symbl_fdw request",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	SymblApiCall *call = palloc0(sizeof(SymblApiCall));

	call->cxt = cxt;
	call->conn = conn;
	call->url = psprintf("%s%s", conn->opts.base_url, path);
	call->what = request_description(method, path);
	call->request = symbl_make_request(conn, method, call->url);
	call->request.json_body = json_body ? pstrdup(json_body) : NULL;
	call->request.bearer_token = symbl_auth_token(conn, false);
	call->guard = symbl_start_call(&call->request);
	MemoryContextSwitchTo(oldcxt);
	return call;
}

/*
 * Wait for the call's answer (driving the other transfers in flight).
 * Returns the body (valid until the call is released) and sets the status
 * and how many requests were sent for it: more than one means an earlier
 * attempt may have reached the API before its answer was lost.
 */
const char *
symbl_api_call_finish(SymblApiCall *call, long *status, size_t *len,
					  int *attempts, SymblScanStats *stats)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(call->cxt);
	SymblScanStats mine = {0};
	Exchange	ex;

	ex = exchange_renewing(call, &mine);
	call->guard = NULL;
	MemoryContextSwitchTo(oldcxt);
	if (stats != NULL)
	{
		stats->requests += mine.requests;
		stats->retries += mine.retries;
		stats->bytes_received += mine.bytes_received;
	}
	*attempts = (int) mine.requests;
	*status = ex.status;
	*len = ex.len;
	return ex.body;
}

/* The request, for messages ("PUT /v1/conversations/..."), no secrets */
const char *
symbl_api_call_what(SymblApiCall *call)
{
	return call->what;
}

/* Done with a call, finished or not: an unfinished transfer is aborted */
void
symbl_api_call_release(SymblApiCall *call)
{
	MemoryContextDelete(call->cxt);
}
