/*-------------------------------------------------------------------------
 *
 * json_worker.h
 *		  Parse page bodies with json-c on a helper thread, so that the
 *		  next page's tree is built while the backend converts this one.
 *
 * No PostgreSQL headers here, and nothing the thread runs may call into
 * PostgreSQL: it only runs json-c on bytes it was handed, and frees trees.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_JSON_WORKER_H
#define SYMBL_JSON_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

typedef enum SymblJsonJobState
{
	SYMBL_JSON_JOB_IDLE,		/* not submitted, or taken back */
	SYMBL_JSON_JOB_QUEUED,
	SYMBL_JSON_JOB_RUNNING,
	SYMBL_JSON_JOB_DONE
} SymblJsonJobState;

typedef struct SymblJsonJob
{
	/* input: must stay valid until the job is done or cancelled */
	const char *body;
	size_t		len;

	/* output, once done */
	json_object *root;			/* NULL when the body is not JSON */
	enum json_tokener_error error;
	size_t		consumed;		/* bytes json-c read */
	bool		out_of_memory;
	size_t		tree_estimate;	/* bytes json-c's tree would take; set
								 * (and nothing parsed) when too large */

	/* the worker's */
	bool		on_worker;		/* submitted: the tree is the worker arena's */
	SymblJsonJobState state;
	struct SymblJsonJob *next;
} SymblJsonJob;

/*
 * json-c's tree costs about 13 times a real answer's size, but up to 260
 * times for a body of nothing but empty objects: a hostile answer within
 * max_response_mb could take tens of gigabytes.  Bodies whose tree would
 * take more than this many times their size (plus a megabyte) are not
 * parsed.
 */
#define SYMBL_JSON_MAX_TREE_FACTOR 24

extern json_object *symbl_json_parse_bounded(const char *body);

/* Start the thread if it is not running; false when it cannot run */
extern bool symbl_json_worker_start(void);
extern void symbl_json_worker_stop(void);

/* Parse in the calling thread (when there is no worker) */
extern void symbl_json_job_run(SymblJsonJob *job);

extern void symbl_json_job_submit(SymblJsonJob *job);
extern bool symbl_json_job_wait(SymblJsonJob *job, int timeout_ms);
extern void symbl_json_job_cancel(SymblJsonJob *job);

/* Free the job's tree (if any) in the thread that built it */
extern void symbl_json_job_free_tree(SymblJsonJob *job);

#endif							/* SYMBL_JSON_WORKER_H */
