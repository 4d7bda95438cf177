/*-------------------------------------------------------------------------
 *
 * http.h
 *		  A small HTTP client over libcurl's multi interface.
 *
 * This layer knows nothing about PostgreSQL: it never allocates with palloc,
 * never raises errors and never checks for interrupts.  It only starts
 * transfers, drives them for a bounded time and hands back what arrived, so
 * that the backend adapter (exchange.c) stays in charge of cancellation,
 * retries, error reporting and memory-context cleanup.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_HTTP_H
#define SYMBL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct SymblHttp SymblHttp;
typedef struct SymblHttpCall SymblHttpCall;

typedef enum SymblHttpOutcome
{
	SYMBL_HTTP_PENDING,			/* still in flight */
	SYMBL_HTTP_COMPLETE,		/* an HTTP answer arrived (any status) */
	SYMBL_HTTP_TRANSPORT_ERROR, /* DNS, connect, reset, truncated body... */
	SYMBL_HTTP_TIMED_OUT,		/* connect or request timeout */
	SYMBL_HTTP_TOO_LARGE		/* body exceeded max_body_bytes */
} SymblHttpOutcome;

typedef struct SymblHttpRequest
{
	const char *method;			/* "GET", "POST", "PUT" or "DELETE" */
	const char *url;
	const char *bearer_token;	/* NULL: no Authorization header */
	const char *json_body;		/* NULL: no body */
	long		connect_timeout_ms;
	long		timeout_ms;
	size_t		max_body_bytes;
	bool		compressed;		/* send Accept-Encoding */
} SymblHttpRequest;

typedef struct SymblHttpResponse
{
	SymblHttpOutcome outcome;
	long		status;			/* HTTP status, 0 when none arrived */
	const char *body;			/* NUL-terminated; owned by the call */
	size_t		body_len;
	long		retry_after_ms; /* from Retry-After, -1 when absent */
	const char *redirect_url;	/* Location of a 3xx, or NULL */
	size_t		wire_bytes;		/* bytes received before decoding */
	int			sends;			/* PUT/DELETE: times libcurl sent it */
	char		error[256];		/* libcurl's message for failures */
} SymblHttpResponse;

extern SymblHttp *symbl_http_create(int wake_fd, char *errbuf, size_t errlen);
extern void symbl_http_destroy(SymblHttp *http);

extern SymblHttpCall *symbl_http_start(SymblHttp *http,
									   const SymblHttpRequest *request,
									   char *errbuf, size_t errlen);
extern int	symbl_http_drive(SymblHttp *http, int wait_ms);
extern const SymblHttpResponse *symbl_http_response(const SymblHttpCall *call);
extern void symbl_http_release(SymblHttp *http, SymblHttpCall *call);

extern char *symbl_http_escape(const char *text, size_t len);
extern void symbl_http_free(void *ptr);
extern bool symbl_http_parse_base_url(const char *url, char **scheme,
									  char **host, char *errbuf,
									  size_t errlen);

#endif							/* SYMBL_HTTP_H */
