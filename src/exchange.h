/*-------------------------------------------------------------------------
 *
 * exchange.h
 *		  One request and its answer, with retries and the backend's waits
 *		  (exchange.c), for the authenticated calls of api_call.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_EXCHANGE_H
#define SYMBL_EXCHANGE_H

#include "http.h"
#include "symbl_types.h"

typedef struct CallGuard
{
	SymblHttpCall *call;
	MemoryContextCallback cleanup;
} CallGuard;

/*
 * The outcome of one exchange.  The body stays in libcurl's buffer, owned by
 * the guard, until the guard is released (or its context goes away).
 */
typedef struct Exchange
{
	CallGuard  *guard;
	long		status;
	const char *body;
	size_t		len;
	size_t		wire_bytes;
} Exchange;

extern void symbl_release_guarded_call(void *arg);
extern CallGuard *symbl_start_call(const SymblHttpRequest *request);
/* the current bearer token of a connection (auth.c's, handed down) */
typedef const char *(*SymblTokenSource) (SymblConnection *conn);

extern Exchange symbl_exchange(SymblConnection *conn, SymblHttpRequest *request,
							   CallGuard *started, SymblTokenSource token,
							   const char *what, SymblScanStats *stats);
extern SymblHttpRequest symbl_make_request(const SymblConnection *conn,
										   const char *method, const char *url);
extern void symbl_report_api_error(const SymblConnection *conn,
								   const Exchange *ex, const char *what);

extern void symbl_api_progress(void);
extern void symbl_exit_if_postmaster_died(void);
extern char *symbl_http_post_json(SymblConnection *conn, const char *path,
								  const char *json_body, long *status,
								  MemoryContext cxt, size_t *len);

#endif							/* SYMBL_EXCHANGE_H */
