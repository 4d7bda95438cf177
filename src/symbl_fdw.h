/*-------------------------------------------------------------------------
 *
 * symbl_fdw.h
 *		  Shared structures of the Symbl.ai foreign data wrapper.
 *
 * This header must stay free of utils/builtins.h (and so of fmgrprotos.h):
 * it is included next to json-c, whose json_object type collides with the
 * SQL function of the same name declared there.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_FDW_H
#define SYMBL_FDW_H

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

/* scan_shared.c: a correlated subquery's value, set anew per outer row */
extern bool symbl_contains_outer_row_param(PlannerInfo *root, Node *node);

/* selector_memory.c */
extern bool symbl_server_rejects_selectors(Oid serverid);
extern void symbl_remember_rejected_selectors(Oid serverid);
extern bool symbl_selector_is_documented(const char *selector);

/* analyze.c */
extern bool symbl_analyze_foreign_table(Relation relation,
										AcquireSampleRowsFunc *func,
										BlockNumber *totalpages);

/* scan_methods.c: the scan, for a direct modification */
extern void symbl_scan_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *symbl_scan_next(ForeignScanState *node);
extern void symbl_scan_end(ForeignScanState *node);
extern char *symbl_scan_request_text(ForeignScanState *node);
extern struct SymblScanStats *symbl_scan_stats(ForeignScanState *node);
extern bool symbl_scan_plan_columns(ForeignScan *fscan, List *attnums);

/* modify.c */
extern void symbl_modify_routines(FdwRoutine *routine);

/* scan_shared.c: whether the statement being planned writes */
extern bool symbl_feeds_writes(PlannerInfo *root);

/* write_pending.c */
extern void symbl_install_write_hooks(void);

/* option.c */
extern SymblServerOptions *symbl_server_options(Oid serverid);
extern SymblConnection *symbl_get_connection(Oid foreigntableid, Oid userid);
extern SymblConnection *symbl_server_connection(Oid serverid, Oid userid);
extern char *symbl_qualified_name(Relation rel);
extern List *symbl_table_columns(Oid foreigntableid, TupleDesc tupdesc);
extern SymblColumn symbl_start_time_key_column(AttrNumber attnum);
extern double symbl_table_rows_estimate(Oid foreigntableid);
extern char *symbl_table_filter(Oid foreigntableid);
extern bool symbl_table_updatable(Oid foreigntableid);
extern const SymblResource *symbl_table_resource(Oid foreigntableid);
extern List *symbl_part_columns(Oid foreigntableid, TupleDesc tupdesc,
								const SymblResource *resource);

/* part_column.c */
extern bool symbl_parse_json_path(const char *text, SymblJsonPath *path);
extern SymblValueKind symbl_part_value_kind(Oid typid, bool conversation_id);

/* shippable.c */
extern void symbl_classify_quals(RelOptInfo *baserel, List *columns,
								 const char *raw_filter,
								 const SymblServerOptions *opts, bool writes,
								 List *quals,
								 SymblPushdown *out);
extern char *symbl_text_selector(Expr *expr, RelOptInfo *baserel,
								 List *columns);
extern int	symbl_sortable_prefix(RelOptInfo *baserel, List *columns,
								  List *pathkeys, char **sort,
								  bool *descending, List **attnums);
extern List *symbl_serialize_conds(List *conds, List **fdw_exprs);
extern List *symbl_deserialize_conds(List *serialized);

/* deparse.c */
extern bool symbl_build_request(SymblRequest *request, List *conds,
								const char *raw_filter,
								const Datum *values, const bool *nulls);
extern void symbl_describe_request(SymblRequest *request, List *conds,
								   const char *raw_filter);
extern char *symbl_request_query(const SymblRequest *request,
								 int64 limit, int64 offset);
extern bool symbl_format_time(TimestampTz ts, char *buf, size_t len);
extern char *symbl_wire_text(const char *text);
extern char *symbl_path_segment(const char *value);
extern char *symbl_page_query(const SymblRequest *request,
							  const SymblPageAsk *ask);

/* api_call.c and exchange.c: a request in flight (a page, a part, a write) */
typedef struct SymblApiCall SymblApiCall;
typedef struct SymblApiCall SymblListCall;
extern SymblListCall *symbl_api_list_start(SymblConnection *conn,
										   const char *query,
										   MemoryContext parent);
extern const char *symbl_api_list_finish(SymblListCall *call, size_t *len,
										 SymblScanStats *stats);
extern SymblListCall *symbl_api_get_start(SymblConnection *conn,
										  const char *path_query,
										  MemoryContext parent);
extern const char *symbl_api_list_finish_checked(SymblListCall *call,
												 size_t *len,
												 SymblScanStats *stats,
												 bool *not_found,
												 bool *filter_rejected);
extern const char *symbl_api_get_finish(SymblListCall *call, size_t *len,
										SymblScanStats *stats,
										bool *not_found);
extern void symbl_api_list_release(SymblListCall *call);
extern void symbl_api_progress(void);
extern void symbl_exit_if_postmaster_died(void);
extern const char *symbl_api_list_what(SymblListCall *call);
extern bool symbl_api_list_arrived(SymblListCall *call);
extern MemoryContext symbl_api_list_memory(SymblListCall *call);
extern SymblApiCall *symbl_api_call_start(SymblConnection *conn,
										  const char *method, const char *path,
										  const char *json_body,
										  MemoryContext parent);
extern const char *symbl_api_call_finish(SymblApiCall *call, long *status,
										 size_t *len, int *attempts,
										 SymblScanStats *stats);
extern const char *symbl_api_call_what(SymblApiCall *call);
extern void symbl_api_call_release(SymblApiCall *call);
extern char *symbl_http_post_json(SymblConnection *conn, const char *path,
								  const char *json_body, long *status,
								  MemoryContext cxt, size_t *len);

/* auth.c */
extern const char *symbl_auth_token(SymblConnection *conn, bool renew);
extern bool symbl_auth_can_renew(SymblConnection *conn);

/* response.c */
typedef struct SymblPage
{
	int			nrows;
	int			natts;
	Datum	   *values;			/* nrows * natts */
	bool	   *nulls;
} SymblPage;

/* (a forward declaration: 18 moved the struct out of commands/explain.h) */
struct ExplainState;

/* conversation_scan.c, conversation_plan.c and scan_shared.c: the scan of conversations, for the join with a part */
typedef struct SymblScanState SymblScanState;
extern SymblScanState *symbl_conversation_scan_begin(ForeignScanState *node,
													 List *priv, int nvalues,
													 Relation rel, Oid userid,
													 int eflags,
													 AttrNumber *slot_attnums,
													 int slot_natts);
extern TupleTableSlot *symbl_conversation_scan_next(ForeignScanState *node,
													SymblScanState *state,
													TupleTableSlot *slot);
extern void symbl_conversation_scan_rescan(SymblScanState *state);
extern void symbl_conversation_scan_end(SymblScanState *state);
extern void symbl_conversation_scan_explain(SymblScanState *state,
											bool show_table, struct ExplainState *es);
extern List *symbl_conversation_plan_private(PlannerInfo *root,
											 RelOptInfo *rel,
											 List **fdw_exprs, Node *used,
											 List **remote_exprs,
											 List **local_exprs);
extern Oid	symbl_scan_user(ForeignScanState *node, Index rtindex);
extern List *symbl_retrieved_attnums(Index relid, List *columns, Node *used);
extern List *symbl_join_clauses(PlannerInfo *root, RelOptInfo *baserel,
								ec_matches_callback_type usable, void *arg);
extern Relids symbl_required_outer(RestrictInfo *rinfo, RelOptInfo *baserel);

/* part_join.c */
extern void symbl_join_paths(PlannerInfo *root, RelOptInfo *joinrel,
							 RelOptInfo *outerrel, RelOptInfo *innerrel,
							 JoinType jointype, JoinPathExtraData *extra);
extern ForeignScan *symbl_join_plan(PlannerInfo *root, RelOptInfo *joinrel,
									ForeignPath *best_path, List *tlist,
									Plan *outer_plan);
extern void symbl_join_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *symbl_join_iterate(ForeignScanState *node);
extern void symbl_join_rescan(ForeignScanState *node);
extern void symbl_join_end(ForeignScanState *node);
extern void symbl_join_explain(ForeignScanState *node, struct ExplainState *es);

typedef struct SymblPageParse SymblPageParse;

extern SymblPageParse *symbl_page_parse_start(const char *body, size_t len,
											  bool in_background);
extern void symbl_page_convert(SymblPageParse *parse,
							   const SymblColumn *columns, int ncolumns,
							   int natts, const char *where,
							   SymblPage *page);
extern void symbl_parse_page(const char *body, size_t len,
							 const SymblColumn *columns, int ncolumns,
							 int natts, const char *where,
							 SymblPage *page);
extern void symbl_conversation_convert(SymblPageParse *parse,
									   const SymblColumn *columns, int ncolumns,
									   int natts, const char *where,
									   SymblPage *page);
extern void symbl_part_convert(SymblPageParse *parse,
							   const SymblResource *resource,
							   const SymblColumn *columns, int ncolumns,
							   int natts, Datum conversation_id,
							   const char *where, SymblPage *page);
extern char *symbl_api_error_message(const char *body);

#endif							/* SYMBL_FDW_H */
