/*-------------------------------------------------------------------------
 *
 * exchange.c
 *		  The backend side of HTTP: owns the per-backend client, waits for
 *		  transfers while honouring query cancel and postmaster death,
 *		  retries with backoff, and turns failures into ereports.  Knows
 *		  nothing of tokens: api_call.c adds them (through auth.c), and
 *		  auth.c posts to the token endpoint through here.
 *
 * Every call in flight is tied to the memory context that was current when
 * it started.  If the query fails (an error, a cancel, statement_timeout),
 * deleting that context releases the transfer and its buffers, so a failed
 * query leaves nothing behind in libcurl.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/postmaster.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/pmsignal.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "http.h"
#include "symbl_types.h"
#include "api_error.h"
#include "exchange.h"
#include "compat.h"

/* how often a wait for the network looks at pending interrupts */
#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 30000
#define RETRY_AFTER_CAP_MS 300000

static SymblHttp *backend_http = NULL;

/* what pg_stat_activity shows while we wait (named since 17), 0 until used */
static uint32 response_wait_event = 0;
static uint32 backoff_wait_event = 0;



/* close the kept-alive connections when the backend exits */
static void
destroy_backend_http(int code, Datum arg)
{
	symbl_http_destroy(backend_http);
	backend_http = NULL;
}

static SymblHttp *
get_http(void)
{
	if (backend_http == NULL)
	{
		char		err[256];

		backend_http = symbl_http_create(postmaster_alive_fds[POSTMASTER_FD_WATCH],
										 err, sizeof(err));
		if (backend_http == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OUT_OF_MEMORY),
					 errmsg("could not initialize the HTTP client"),
					 errdetail("%s", err)));
		on_proc_exit(destroy_backend_http, (Datum) 0);
	}
	return backend_http;
}

void
symbl_release_guarded_call(void *arg)
{
	CallGuard  *guard = arg;

	if (guard->call != NULL && backend_http != NULL)
		symbl_http_release(backend_http, guard->call);
	guard->call = NULL;
}

CallGuard *
symbl_start_call(const SymblHttpRequest *request)
{
	SymblHttp  *http = get_http();
	CallGuard  *guard = palloc0(sizeof(CallGuard));
	char		err[256];

	guard->cleanup.func = symbl_release_guarded_call;
	guard->cleanup.arg = guard;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &guard->cleanup);

	guard->call = symbl_http_start(http, request, err, sizeof(err));
	if (guard->call == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_CREATE_EXECUTION),
				 errmsg("could not start a request to the Symbl API"),
				 errdetail("%s", err)));
	return guard;
}

/*
 * What WL_EXIT_ON_PM_DEATH does for WaitLatch, for the waits that are not
 * WaitLatch (the network's poll, the JSON worker's condition variable): a
 * backend whose postmaster is gone exits at once instead of finishing its
 * query for nobody.
 */
void
symbl_exit_if_postmaster_died(void)
{
	if (!PostmasterIsAlive())
		proc_exit(1);
}

/*
 * Wait for a transfer, looking at interrupts between short polls: a cancel or
 * statement_timeout raises its own error here, and the guard's context
 * callback then aborts the transfer.  The poll also ends when the postmaster
 * dies (its pipe is the HTTP client's wake descriptor).
 */
static const SymblHttpResponse *
wait_call(CallGuard *guard)
{
	const SymblHttpResponse *response = symbl_http_response(guard->call);

	if (response_wait_event == 0)
		response_wait_event = symbl_wait_event("SymblApiResponse");
	while (response->outcome == SYMBL_HTTP_PENDING)
	{
		int			rc;

		CHECK_FOR_INTERRUPTS();
		symbl_exit_if_postmaster_died();
		pgstat_report_wait_start(response_wait_event);
		rc = symbl_http_drive(backend_http, SYMBL_POLL_INTERVAL_MS);
		pgstat_report_wait_end();
		if (rc < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("the HTTP client failed while waiting for the Symbl API")));
	}
	return response;
}

static void
sleep_interruptibly(long ms)
{
	TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	if (backoff_wait_event == 0)
		backoff_wait_event = symbl_wait_event("SymblRetryBackoff");
	for (;;)
	{
		long		remaining;

		CHECK_FOR_INTERRUPTS();
		remaining = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);
		if (remaining <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 remaining, backoff_wait_event);
		ResetLatch(MyLatch);
	}
}

static bool
is_retryable(const SymblHttpResponse *response)
{
	if (response->outcome == SYMBL_HTTP_TRANSPORT_ERROR)
		return true;
	if (response->outcome != SYMBL_HTTP_COMPLETE)
		return false;
	return response->status == 429 || response->status == 500 ||
		response->status == 502 || response->status == 503 ||
		response->status == 504;
}

/*
 * Exponential backoff with jitter, unless the server said how long to wait.
 * Returns -1 when the server asks for a wait longer than we are willing to
 * sleep inside a query.
 */
static long
retry_delay_ms(const SymblHttpResponse *response, int attempt)
{
	long		delay;

	if (response->retry_after_ms >= 0)
		return response->retry_after_ms <= RETRY_AFTER_CAP_MS ?
			response->retry_after_ms : -1;

	delay = BACKOFF_BASE_MS << Min(attempt, 16);
	delay = Min(delay, BACKOFF_CAP_MS);
	return delay / 2 + (long) (symbl_random_fraction() * (delay / 2));
}

static void
report_transport_failure(const SymblHttpResponse *response,
						 const SymblConnection *conn, const char *what)
{
	switch (response->outcome)
	{
		case SYMBL_HTTP_TIMED_OUT:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("request to the Symbl API timed out"),
					 errdetail("%s: %s", what, response->error),
					 errhint("The server's connect_timeout_ms is %d and request_timeout_ms is %d.",
							 conn->opts.connect_timeout_ms,
							 conn->opts.request_timeout_ms)));
			break;
		case SYMBL_HTTP_TOO_LARGE:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("response from the Symbl API is larger than %d MB",
							conn->opts.max_response_mb),
					 errdetail("%s", what),
					 errhint("Lower the server's page_size or raise max_response_mb.")));
			break;
		default:
			if (response->status != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_REPLY_HANDLE),
						 errmsg("the Symbl API's answer broke off before it was complete"),
						 errdetail("%s: %s", what, response->error)));
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not reach the Symbl API"),
					 errdetail("%s: %s", what, response->error),
					 errhint("Check the server option base_url (server \"%s\").",
							 conn->server_name)));
	}
}


/*
 * One HTTP exchange with retries on 429, 5xx and transport errors.  Any HTTP
 * answer that is not retried (or is still failing when the retries are used
 * up) is returned for the caller to judge; only transport failures are
 * reported here.  `token`, if any, gives each retry the current token
 * (another call may have renewed it meanwhile).  `what` names the request in
 * messages and never carries a secret.
 */
Exchange
symbl_exchange(SymblConnection *conn, SymblHttpRequest *request,
			   CallGuard *started, SymblTokenSource token, const char *what,
			   SymblScanStats *stats)
{
	Exchange	result = {0};
	int			attempt;

	for (attempt = 0;; attempt++)
	{
		CallGuard  *guard;
		const SymblHttpResponse *response;
		long		delay = -1;

		if (attempt == 0 && started != NULL)
			guard = started;
		else
		{
			/* the token may have been renewed since the first attempt */
			if (attempt > 0 && token != NULL)
				request->bearer_token = token(conn);
			guard = symbl_start_call(request);
		}
		response = wait_call(guard);

		/* (libcurl may have sent it twice: see count_sends in http.c) */
		if (stats != NULL)
			stats->requests += Max(response->sends, 1);
		if (is_retryable(response) && attempt < conn->opts.max_retries)
			delay = retry_delay_ms(response, attempt);
		if (delay >= 0)
		{
			symbl_release_guarded_call(guard);
			if (stats != NULL)
				stats->retries++;
			sleep_interruptibly(delay);
			continue;
		}

		if (response->outcome != SYMBL_HTTP_COMPLETE)
			report_transport_failure(response, conn, what);

		result.guard = guard;
		result.status = response->status;
		result.body = response->body;
		result.len = response->body_len;
		result.wire_bytes = response->wire_bytes;
		if (response->status >= 300 && response->status < 400)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Symbl API answered HTTP %ld with a redirect, which symbl_fdw does not follow",
							response->status),
					 errdetail("%s", what),
					 errhint("Set the server's base_url to the address that answers directly.")));
		return result;
	}
}

SymblHttpRequest
symbl_make_request(const SymblConnection *conn, const char *method, const char *url)
{
	SymblHttpRequest request = {0};

	request.method = method;
	request.url = url;
	request.connect_timeout_ms = conn->opts.connect_timeout_ms;
	request.timeout_ms = conn->opts.request_timeout_ms;
	request.max_body_bytes = (size_t) conn->opts.max_response_mb * 1024 * 1024;
	request.compressed = conn->opts.compressed;
	return request;
}

void
symbl_report_api_error(const SymblConnection *conn, const Exchange *ex,
				 const char *what)
{
	char	   *message = symbl_api_error_message(ex->body);
	char	   *detail;

	detail = psprintf("HTTP %ld from %s%s%s", ex->status, what,
					  message ? ": " : "", message ? message : "");

	switch (ex->status)
	{
		case 400:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Symbl API rejected the request as invalid"),
					 errdetail("%s", detail)));
			break;
		case 401:
		case 403:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("authentication with the Symbl API failed"),
					 errdetail("%s", detail),
					 errhint("Check app_id and app_secret (or access_token) in the user mapping for server \"%s\".",
							 conn->server_name)));
			break;
		case 404:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("Symbl API answered 404 Not Found"),
					 errdetail("%s", detail),
					 errhint("Check the base_url of server \"%s\".", conn->server_name)));
			break;
		case 429:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Symbl API rate limit still exceeded"),
					 errdetail("%s", detail),
					 errhint("Retry later, or raise the server's max_retries (now %d).",
							 conn->opts.max_retries)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg(ex->status >= 500 ?
							"Symbl API failed with a server error" :
							"Symbl API answered with an unexpected status"),
					 errdetail("%s", detail),
					 ex->status >= 500 ?
					 errhint("The server's max_retries is %d.", conn->opts.max_retries) : 0));
	}
}

/*
 * Move the transfers in flight forward without waiting: requests get sent
 * and answers read while the scan is busy returning rows.  Failures are
 * left for the call's finish to report.
 */
void
symbl_api_progress(void)
{
	if (backend_http != NULL)
		(void) symbl_http_drive(backend_http, 0);
}

/*
 * POST a JSON body without authorization (the token endpoint).  The status
 * is handed back: the caller knows what a 401 means there.
 */
char *
symbl_http_post_json(SymblConnection *conn, const char *path,
					 const char *json_body, long *status, MemoryContext cxt,
					 size_t *len)
{
	char	   *url = psprintf("%s%s", conn->opts.base_url, path);
	char	   *what = psprintf("POST %s", path);
	SymblHttpRequest request = symbl_make_request(conn, "POST", url);
	Exchange	ex;
	char	   *body;

	request.json_body = json_body;
	ex = symbl_exchange(conn, &request, NULL, NULL, what, NULL);
	if (ex.status != 200 && ex.status != 401 && ex.status != 403)
		symbl_report_api_error(conn, &ex, what);

	body = MemoryContextAlloc(cxt, ex.len + 1);
	memcpy(body, ex.body, ex.len);
	body[ex.len] = '\0';
	symbl_release_guarded_call(ex.guard);
	*status = ex.status;
	*len = ex.len;
	return body;
}
