/*-------------------------------------------------------------------------
 *
 * symbl_types.h
 *		  The ground types every layer above the PostgreSQL-free core uses:
 *		  columns, options, a connection, requests, conditions, pages.
 *		  Functions are declared in the header of the file that defines them.
 *
 * This header must stay free of utils/builtins.h (and so of fmgrprotos.h):
 * it is included next to json-c, whose json_object type collides with the
 * SQL function of the same name declared there.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_TYPES_H
#define SYMBL_TYPES_H

#include "postgres.h"

#include "access/attnum.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "commands/explain.h"
#include "foreign/fdwapi.h"
#include "nodes/pathnodes.h"
#include "optimizer/paths.h"
#include "nodes/pg_list.h"
#include "datatype/timestamp.h"
#include "utils/palloc.h"

#include "pager.h"
#include "resource.h"

#define SYMBL_API_PATH "/v1/conversations"
#define SYMBL_TOKEN_PATH "/oauth2/token:generate"

/* how long a wait goes before it looks at interrupts again */
#define SYMBL_POLL_INTERVAL_MS 100

/*
 * The earliest startTime the FDW ever sends.  Without an explicit startTime
 * the API silently answers for the last seven days only.
 */
#define SYMBL_EPOCH_START_TIME "1970-01-01T00:00:00.000Z"

/*
 * Cost model: a round trip dominates (tens of milliseconds against the
 * hosted API), then transfer and parsing per row.
 */
#define SYMBL_REQUEST_COST 1000.0
#define SYMBL_ROW_COST 0.1

/*
 * What a relation, a plan and a scan state are: the first member of each
 * planning info and scan state, and the first element of fdw_private.
 */
typedef enum SymblPlanKind
{
	SYMBL_PLAN_CONVERSATIONS = 1,	/* the list endpoint */
	SYMBL_PLAN_PART,			/* a part of given conversations */
	SYMBL_PLAN_JOIN				/* conversations, then each one's part */
} SymblPlanKind;

/* How a response field becomes a column value */
typedef enum SymblValueKind
{
	SYMBL_VALUE_TEXT,			/* JSON string stored as text */
	SYMBL_VALUE_INPUT,			/* JSON string through the type's input function */
	SYMBL_VALUE_JSONB,			/* JSON value built into jsonb directly */
	SYMBL_VALUE_JSON_INPUT,		/* JSON value serialised, then the input function */
	SYMBL_VALUE_NUMBER,			/* JSON number's text through the input function */
	SYMBL_VALUE_BOOL,			/* JSON boolean */
	SYMBL_VALUE_TEXT_ARRAY,		/* JSON array of strings as text[] */
	SYMBL_VALUE_CONVERSATION_ID /* the conversation a part was asked for */
} SymblValueKind;

/* A dotted JSON path, split once: its alternatives and their segments */
#define SYMBL_MAX_PATH_SEGMENTS 8
typedef struct SymblJsonPath
{
	int			nalts;
	int			nsegs[SYMBL_MAX_PATH_ALTERNATIVES];
	char	   *segs[SYMBL_MAX_PATH_ALTERNATIVES][SYMBL_MAX_PATH_SEGMENTS];
} SymblJsonPath;

typedef struct SymblColumn
{
	AttrNumber	attnum;			/* 1-based attribute number */
	char	   *attname;
	SymblField	field;			/* conversations */
	SymblJsonPath path;			/* parts */
	char	   *top_field;		/* parts: the path's first segment */
	SymblValueKind kind;
	Oid			typid;
	int32		typmod;
	FmgrInfo	input;			/* for the *_INPUT kinds */
	Oid			ioparam;
} SymblColumn;

/* Server options, with defaults applied */
typedef struct SymblServerOptions
{
	char	   *base_url;		/* without trailing slash */
	int			page_size;
	int			connect_timeout_ms;
	int			request_timeout_ms;
	int			max_retries;
	int			max_response_mb;
	int			max_concurrent_requests;
	bool		compressed;		/* ask for compressed answers */
	bool		parse_thread;	/* parse pages on the JSON worker thread */
	int			send_selectors; /* SYMBL_FIELD_BITs: undocumented filter
								 * selectors sent, as a superset */
	int			exact_selectors;	/* of those, the ones verified to be
									 * applied (symbl_probe): exact in reads */
} SymblServerOptions;

/* User mapping options */
typedef struct SymblCredentials
{
	char	   *app_id;
	char	   *app_secret;
	char	   *access_token;
} SymblCredentials;

/* Everything needed to talk to the API as one user of one server */
typedef struct SymblConnection
{
	Oid			serverid;
	Oid			userid;
	Oid			umid;			/* the user mapping */
	char	   *server_name;
	SymblServerOptions opts;
	SymblCredentials creds;
} SymblConnection;

/* Counters shown by EXPLAIN ANALYZE */
typedef struct SymblScanStats
{
	int64		requests;
	int64		retries;
	int64		rows_received;
	int64		bytes_received;
	int64		tie_rereads;	/* tie groups across pages, read again */
} SymblScanStats;

/* The query parameters of one list request, before limit and offset */
typedef struct SymblRequest
{
	char	   *start_time;		/* ISO 8601, never NULL */
	char	   *end_time;		/* ISO 8601 or NULL */
	char	   *filter;			/* RSQL or NULL */
	char	   *sort;			/* comma-separated API fields */
	bool		descending;
} SymblRequest;

typedef enum SymblOp
{
	SYMBL_OP_EQ,
	SYMBL_OP_NE,
	SYMBL_OP_LT,
	SYMBL_OP_LE,
	SYMBL_OP_GT,
	SYMBL_OP_GE,
	SYMBL_OP_IN,
	SYMBL_OP_OUT
} SymblOp;

/* What a condition sent to the API drives */
typedef enum SymblCondTarget
{
	SYMBL_TARGET_FILTER,		/* one comparison in the RSQL filter */
	SYMBL_TARGET_START_TIME,	/* the startTime window parameter */
	SYMBL_TARGET_END_TIME		/* the endTime window parameter */
} SymblCondTarget;

typedef struct SymblCond
{
	SymblCondTarget target;
	SymblOp		op;
	char	   *selector;		/* RSQL selector, for filter conditions */
	bool		is_time;		/* the value is timestamptz, else text */
	Expr	   *value;			/* at plan time: the value expression */
	int			value_index;	/* at execution: its index in fdw_exprs */
} SymblCond;

/* The split of a relation's quals */
typedef struct SymblPushdown
{
	List	   *conds;			/* SymblCond: what is sent */
	List	   *remote_quals;	/* RestrictInfo the API applies exactly */
	List	   *local_quals;	/* RestrictInfo PostgreSQL checks */
	List	   *superset_quals; /* those of local_quals sent as a superset */
	int			nselectors;		/* distinct selectors the filter uses */
} SymblPushdown;

/* the most distinct selectors the API takes in one filter */
#define SYMBL_MAX_FILTER_SELECTORS 2

/* a request in flight: a page, a part, a write (api_call.c) */
typedef struct SymblApiCall SymblApiCall;
typedef struct SymblApiCall SymblListCall;

/* converted rows: values and nulls, row after row (response.c) */
typedef struct SymblPage
{
	int			nrows;
	int			natts;
	Datum	   *values;			/* nrows * natts */
	bool	   *nulls;
} SymblPage;

/* (a forward declaration: 18 moved the struct out of commands/explain.h) */
struct ExplainState;

/* a scan of the conversations list (conversation_scan.c) */
typedef struct SymblScanState SymblScanState;

/* an answer being parsed, on the JSON worker or here (response.c) */
typedef struct SymblPageParse SymblPageParse;

#endif							/* SYMBL_TYPES_H */
