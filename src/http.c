/*-------------------------------------------------------------------------
 *
 * http.c
 *		  HTTP transfers for symbl_fdw over libcurl's multi interface.
 *
 * One SymblHttp lives per backend and keeps a multi handle (whose connection
 * cache gives keep-alive across pages and queries) and a few idle easy
 * handles for reuse.  Callbacks here only copy bytes and set flags: they must
 * never call into PostgreSQL, because an ereport() would longjmp through
 * libcurl's stack.
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http.h"

#define SYMBL_HTTP_IDLE_HANDLES 8
#define SYMBL_HTTP_USER_AGENT "symbl_fdw/0.1"

struct SymblHttpCall
{
	CURL	   *easy;
	struct curl_slist *headers;
	SymblHttpCall *next;		/* in SymblHttp.active */
	char	   *body;
	size_t		body_len;
	size_t		body_cap;
	size_t		max_body_bytes;
	bool		too_large;
	bool		out_of_memory;
	char		curl_error[CURL_ERROR_SIZE];
	SymblHttpResponse response;
};

struct SymblHttp
{
	CURLM	   *multi;
	int			wake_fd;		/* ends a wait when readable; -1: none */
	SymblHttpCall *active;
	CURL	   *idle[SYMBL_HTTP_IDLE_HANDLES];
	int			nidle;
	/* body buffers kept for reuse: a page's worth each, not re-grown */
	char	   *spare_body[SYMBL_HTTP_IDLE_HANDLES];
	size_t		spare_cap[SYMBL_HTTP_IDLE_HANDLES];
	int			nspare;
};

/* larger buffers are freed rather than kept */
#define SYMBL_HTTP_SPARE_MAX_BYTES (16 * 1024 * 1024)

static bool curl_initialized = false;

static void
copy_message(char *dst, size_t dstlen, const char *msg)
{
	if (dst != NULL && dstlen > 0)
		snprintf(dst, dstlen, "%s", msg);
}

/*
 * wake_fd, when not -1, is watched by every wait for the network besides the
 * transfers: the backend passes its end of the postmaster-death pipe, so
 * that a wait ends as soon as the postmaster is gone.
 */
SymblHttp *
symbl_http_create(int wake_fd, char *errbuf, size_t errlen)
{
	SymblHttp  *http;

	if (!curl_initialized)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		{
			copy_message(errbuf, errlen, "curl_global_init failed");
			return NULL;
		}
		curl_initialized = true;
	}

	http = calloc(1, sizeof(SymblHttp));
	if (http == NULL)
	{
		copy_message(errbuf, errlen, "out of memory");
		return NULL;
	}
	http->wake_fd = wake_fd;
	http->multi = curl_multi_init();
	if (http->multi == NULL)
	{
		free(http);
		copy_message(errbuf, errlen, "curl_multi_init failed");
		return NULL;
	}
	return http;
}

void
symbl_http_destroy(SymblHttp *http)
{
	if (http == NULL)
		return;
	while (http->active != NULL)
		symbl_http_release(http, http->active);
	while (http->nidle > 0)
		curl_easy_cleanup(http->idle[--http->nidle]);
	while (http->nspare > 0)
		free(http->spare_body[--http->nspare]);
	curl_multi_cleanup(http->multi);
	free(http);
}

/*
 * The body arrives in pieces; a write callback that returns less than it was
 * given makes libcurl abort the transfer, which is how the size limit and an
 * allocation failure are reported without leaving the callback abnormally.
 */
static size_t
write_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	SymblHttpCall *call = userdata;
	size_t		n = size * nmemb;

	if (call->body_len + n > call->max_body_bytes)
	{
		call->too_large = true;
		return 0;
	}
	if (call->body_len + n + 1 > call->body_cap)
	{
		size_t		newcap = call->body_cap ? call->body_cap : 16384;
		char	   *newbody;

		while (newcap < call->body_len + n + 1)
			newcap *= 2;
		newbody = realloc(call->body, newcap);
		if (newbody == NULL)
		{
			call->out_of_memory = true;
			return 0;
		}
		call->body = newbody;
		call->body_cap = newcap;
	}
	memcpy(call->body + call->body_len, data, n);
	call->body_len += n;
	call->body[call->body_len] = '\0';
	return n;
}

/*
 * Retry-After is either delta-seconds or an HTTP-date (RFC 9110 10.2.3).
 */
static long
parse_retry_after(const char *value, size_t len)
{
	char		buf[128];
	char	   *end;
	long		seconds;
	time_t		when;

	while (len > 0 && isspace((unsigned char) value[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char) *value))
	{
		value++;
		len--;
	}
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, value, len);
	buf[len] = '\0';

	seconds = strtol(buf, &end, 10);
	if (end != buf && *end == '\0')
		return seconds < 0 ? -1 : seconds * 1000;

	when = curl_getdate(buf, NULL);
	if (when == -1)
		return -1;
	seconds = (long) (when - time(NULL));
	return seconds < 0 ? 0 : seconds * 1000;
}

static size_t
read_header(char *data, size_t size, size_t nitems, void *userdata)
{
	SymblHttpCall *call = userdata;
	size_t		n = size * nitems;
	static const char name[] = "retry-after:";

	/* a new status line starts a new set of headers (e.g. after 100) */
	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0)
		call->response.retry_after_ms = -1;
	else if (n > sizeof(name) - 1 &&
			 strncasecmp(data, name, sizeof(name) - 1) == 0)
		call->response.retry_after_ms =
			parse_retry_after(data + sizeof(name) - 1, n - (sizeof(name) - 1));
	return n;
}

/*
 * Counts the requests a transfer sent.  libcurl sends a request once more,
 * by itself, when a kept-alive connection dies before any answer: for a
 * write that first copy may have reached the server.
 */
static int
count_sends(CURL *easy, curl_infotype type, char *data, size_t size,
			void *userdata)
{
	SymblHttpCall *call = userdata;

	if (type == CURLINFO_HEADER_OUT)
		call->response.sends++;
	return 0;
}

static CURL *
take_easy_handle(SymblHttp *http)
{
	if (http->nidle > 0)
	{
		CURL	   *easy = http->idle[--http->nidle];

		curl_easy_reset(easy);
		return easy;
	}
	return curl_easy_init();
}

static void
return_easy_handle(SymblHttp *http, CURL *easy)
{
	if (http->nidle < SYMBL_HTTP_IDLE_HANDLES)
		http->idle[http->nidle++] = easy;
	else
		curl_easy_cleanup(easy);
}

static bool
append_header(struct curl_slist **list, const char *header)
{
	struct curl_slist *extended = curl_slist_append(*list, header);

	if (extended == NULL)
		return false;
	*list = extended;
	return true;
}

static bool
build_headers(SymblHttpCall *call, const SymblHttpRequest *request)
{
	bool		ok = append_header(&call->headers, "Accept: application/json");

	if (ok && request->json_body != NULL)
		ok = append_header(&call->headers, "Content-Type: application/json") &&
			append_header(&call->headers, "Expect:");
	if (ok && request->bearer_token != NULL)
	{
		size_t		len = strlen(request->bearer_token) + 32;
		char	   *line = malloc(len);

		if (line == NULL)
			return false;
		snprintf(line, len, "Authorization: Bearer %s", request->bearer_token);
		ok = append_header(&call->headers, line);
		/* the token is a secret: do not leave copies lying around */
		memset(line, 0, len);
		free(line);
	}
	return ok;
}

static bool
configure_easy(SymblHttpCall *call, const SymblHttpRequest *request)
{
	CURL	   *e = call->easy;
	bool		ok = true;

#define SETOPT(opt, val) ok = ok && curl_easy_setopt(e, opt, val) == CURLE_OK
	SETOPT(CURLOPT_URL, request->url);
	SETOPT(CURLOPT_PRIVATE, call);
	SETOPT(CURLOPT_ERRORBUFFER, call->curl_error);
	/* libcurl must not use SIGALRM: the backend owns its signals */
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, request->connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, request->timeout_ms);
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(CURLOPT_ACCEPT_ENCODING, request->compressed ? "" : NULL);
	SETOPT(CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_2TLS);
	SETOPT(CURLOPT_USERAGENT, SYMBL_HTTP_USER_AGENT);
	/* a conversation id is one path segment: never squash "/../" */
	SETOPT(CURLOPT_PATH_AS_IS, 1L);
	SETOPT(CURLOPT_WRITEFUNCTION, write_body);
	SETOPT(CURLOPT_WRITEDATA, call);
	SETOPT(CURLOPT_HEADERFUNCTION, read_header);
	SETOPT(CURLOPT_HEADERDATA, call);
	SETOPT(CURLOPT_HTTPHEADER, call->headers);
	if (request->json_body != NULL)
		SETOPT(CURLOPT_COPYPOSTFIELDS, request->json_body);
	else
		SETOPT(CURLOPT_HTTPGET, 1L);
	/* PUT and DELETE: the body (if any) as for POST, under another method */
	if (strcmp(request->method, "GET") != 0 && strcmp(request->method, "POST") != 0)
	{
		SETOPT(CURLOPT_CUSTOMREQUEST, request->method);
		SETOPT(CURLOPT_DEBUGFUNCTION, count_sends);
		SETOPT(CURLOPT_DEBUGDATA, call);
		SETOPT(CURLOPT_VERBOSE, 1L);
	}
#undef SETOPT
	return ok;
}

static void
free_call(SymblHttp *http, SymblHttpCall *call)
{
	curl_slist_free_all(call->headers);
	if (call->body != NULL && call->body_cap <= SYMBL_HTTP_SPARE_MAX_BYTES &&
		http->nspare < SYMBL_HTTP_IDLE_HANDLES)
	{
		http->spare_body[http->nspare] = call->body;
		http->spare_cap[http->nspare++] = call->body_cap;
	}
	else
		free(call->body);
	free(call);
}

SymblHttpCall *
symbl_http_start(SymblHttp *http, const SymblHttpRequest *request,
				 char *errbuf, size_t errlen)
{
	SymblHttpCall *call = calloc(1, sizeof(SymblHttpCall));

	if (call == NULL)
	{
		copy_message(errbuf, errlen, "out of memory");
		return NULL;
	}
	call->max_body_bytes = request->max_body_bytes;
	if (http->nspare > 0)
	{
		call->body = http->spare_body[--http->nspare];
		call->body_cap = http->spare_cap[http->nspare];
	}
	call->response.outcome = SYMBL_HTTP_PENDING;
	call->response.retry_after_ms = -1;
	call->easy = take_easy_handle(http);
	if (call->easy == NULL || !build_headers(call, request) ||
		!configure_easy(call, request))
	{
		copy_message(errbuf, errlen, "could not set up the HTTP request");
		if (call->easy != NULL)
			return_easy_handle(http, call->easy);
		free_call(http, call);
		return NULL;
	}
	if (curl_multi_add_handle(http->multi, call->easy) != CURLM_OK)
	{
		copy_message(errbuf, errlen, "could not start the HTTP request");
		return_easy_handle(http, call->easy);
		free_call(http, call);
		return NULL;
	}
	call->next = http->active;
	http->active = call;
	return call;
}

static void
complete_call(SymblHttpCall *call, CURLcode code)
{
	SymblHttpResponse *r = &call->response;
	curl_off_t	wire = 0;
	char	   *location = NULL;

	curl_easy_getinfo(call->easy, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(call->easy, CURLINFO_SIZE_DOWNLOAD_T, &wire);
	r->wire_bytes = (size_t) wire;
	r->body = call->body ? call->body : "";
	r->body_len = call->body_len;

	if (code == CURLE_OK)
	{
		r->outcome = SYMBL_HTTP_COMPLETE;
		if (r->status >= 300 && r->status < 400 &&
			curl_easy_getinfo(call->easy, CURLINFO_REDIRECT_URL, &location) == CURLE_OK)
			r->redirect_url = location;
		return;
	}

	if (call->too_large)
	{
		r->outcome = SYMBL_HTTP_TOO_LARGE;
		snprintf(r->error, sizeof(r->error),
				 "response body exceeds %zu bytes", call->max_body_bytes);
	}
	else if (call->out_of_memory)
	{
		r->outcome = SYMBL_HTTP_TRANSPORT_ERROR;
		copy_message(r->error, sizeof(r->error), "out of memory while receiving the response");
	}
	else
	{
		r->outcome = (code == CURLE_OPERATION_TIMEDOUT) ?
			SYMBL_HTTP_TIMED_OUT : SYMBL_HTTP_TRANSPORT_ERROR;
		copy_message(r->error, sizeof(r->error),
					 call->curl_error[0] ? call->curl_error : curl_easy_strerror(code));
	}
}

static void
collect_finished(SymblHttp *http)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(http->multi, &left)) != NULL)
	{
		SymblHttpCall *call = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &call);
		if (call != NULL)
			complete_call(call, msg->data.result);
	}
}

/*
 * Move every transfer forward, waiting at most wait_ms for network activity
 * (or for the wake descriptor).  Returns the number of transfers still
 * running, or -1 on a multi error.
 */
int
symbl_http_drive(SymblHttp *http, int wait_ms)
{
	int			running = 0;

	if (curl_multi_perform(http->multi, &running) != CURLM_OK)
		return -1;
	collect_finished(http);
	if (running > 0 && wait_ms > 0)
	{
		struct curl_waitfd wake = {http->wake_fd, CURL_WAIT_POLLIN, 0};

		if (curl_multi_poll(http->multi, &wake, http->wake_fd >= 0 ? 1 : 0,
							wait_ms, NULL) != CURLM_OK)
			return -1;
		if (curl_multi_perform(http->multi, &running) != CURLM_OK)
			return -1;
		collect_finished(http);
	}
	return running;
}

const SymblHttpResponse *
symbl_http_response(const SymblHttpCall *call)
{
	return &call->response;
}

/*
 * Forget a call, finished or not.  An unfinished transfer is aborted; its
 * connection is closed by libcurl rather than reused.
 */
void
symbl_http_release(SymblHttp *http, SymblHttpCall *call)
{
	SymblHttpCall **link;

	for (link = &http->active; *link != NULL; link = &(*link)->next)
	{
		if (*link == call)
		{
			*link = call->next;
			break;
		}
	}
	curl_multi_remove_handle(http->multi, call->easy);
	return_easy_handle(http, call->easy);
	free_call(http, call);
}

char *
symbl_http_escape(const char *text, size_t len)
{
	return curl_easy_escape(NULL, text, (int) len);
}

void
symbl_http_free(void *ptr)
{
	curl_free(ptr);
}

/*
 * Split a base URL with libcurl's own parser, refusing what a base URL must
 * not carry: credentials (they would show up wherever the URL is shown),
 * a query string or a fragment.
 */
bool
symbl_http_parse_base_url(const char *url, char **scheme, char **host,
						  char *errbuf, size_t errlen)
{
	CURLU	   *u = curl_url();
	char	   *part = NULL;
	bool		ok = false;

	*scheme = NULL;
	*host = NULL;
	if (u == NULL)
	{
		copy_message(errbuf, errlen, "out of memory");
		return false;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		copy_message(errbuf, errlen, "It is not a valid absolute URL.");
	else if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK)
		copy_message(errbuf, errlen, "It must not contain a user name or password.");
	else if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK)
		copy_message(errbuf, errlen, "It must not contain a query string.");
	else if (curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK)
		copy_message(errbuf, errlen, "It must not contain a fragment.");
	else if (curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
			 (strcmp(*scheme, "http") != 0 && strcmp(*scheme, "https") != 0))
		copy_message(errbuf, errlen, "Its scheme must be http or https.");
	else if (curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK)
		copy_message(errbuf, errlen, "It has no host.");
	else
		ok = true;

	curl_free(part);
	if (!ok)
	{
		curl_free(*scheme);
		curl_free(*host);
		*scheme = NULL;
		*host = NULL;
	}
	curl_url_cleanup(u);
	return ok;
}
