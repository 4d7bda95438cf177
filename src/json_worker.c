/*-------------------------------------------------------------------------
 *
 * json_worker.c
 *		  A helper thread that parses page bodies with json-c and frees the
 *		  trees afterwards.
 *
 * Building and freeing json-c's tree (one malloc per value) is about half
 * of the CPU a scan spends per row; on a thread of its own it overlaps with
 * the conversion of the previous page into column values, which must stay
 * in the backend's thread.  The thread is started on the first scan that
 * wants it and stopped at backend exit.  It has every signal blocked, so
 * PostgreSQL's signal handlers (cancel, statement_timeout) always run in
 * the backend's own thread, and it never calls into PostgreSQL: it reads
 * bytes it was handed, builds a tree, and frees trees it was handed.
 *
 * A job's body must stay valid until the job is done or cancelled; its
 * tree belongs to the submitter once done, and is freed on the worker
 * (symbl_json_job_free_tree).  glibc gives this thread an arena of its own,
 * so trees are built and freed there, away from the backend's heap, with
 * glibc's settings as they are (symbl_fdw never tunes the allocator).  The
 * next page's tree is normally built while the last one is still in use, so
 * the freed tree leaves a hole below it that the page after reuses: glibc
 * only gives back memory at the top of a heap, and the pages are not
 * returned to the kernel and faulted in again for every page.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json_worker.h"

/* trees waiting to be freed; when full, the submitter frees its own */
#define FREE_RING_SIZE 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_ready = PTHREAD_COND_INITIALIZER;
static pthread_cond_t job_done = PTHREAD_COND_INITIALIZER;
static pthread_t worker;
static bool running = false;
static bool stopping = false;
static bool failed_to_start = false;

static SymblJsonJob *queue_head = NULL;
static SymblJsonJob *queue_tail = NULL;
static json_object *free_ring[FREE_RING_SIZE];
static int	free_head = 0;
static int	free_count = 0;

/* what json-c allocates per value (measured with json-c 0.16, glibc) */
#define TREE_BYTES_OBJECT 800	/* its hash table of 16 slots */
#define TREE_BYTES_ARRAY 150
#define TREE_BYTES_SCALAR 70	/* a number, literal, string or key */

static bool
is_scalar_start(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == 't' || c == 'f' ||
		c == 'n';
}

static bool
is_scalar_byte(char c)
{
	return is_scalar_start(c) || c == '.' || c == 'e' || c == 'E' ||
		c == '+' || c == 'r' || c == 'u' || c == 'a' || c == 'l' || c == 's';
}

/*
 * Where the string whose contents start at `from` ends (its closing quote,
 * or len): memchr carries the scan over the contents, which are most of a
 * body's bytes.
 */
static size_t
string_end(const char *body, size_t len, size_t from)
{
	while (from < len)
	{
		const char *quote = memchr(body + from, '"', len - from);
		size_t		at;
		size_t		backslashes = 0;

		if (quote == NULL)
			return len;
		at = quote - body;
		while (at - backslashes > from && body[at - backslashes - 1] == '\\')
			backslashes++;
		if (backslashes % 2 == 0)
			return at;
		from = at + 1;
	}
	return len;
}

/*
 * About how many bytes json-c's tree of the body takes, from its values
 * (the body need not be valid JSON: this only counts).
 */
static size_t
tree_estimate(const char *body, size_t len)
{
	size_t		estimate = len;	/* string contents, roughly */
	size_t		i;

	for (i = 0; i < len; i++)
	{
		char		c = body[i];

		if (c == '"')
		{
			estimate += TREE_BYTES_SCALAR;
			i = string_end(body, len, i + 1);
		}
		else if (c == '{')
			estimate += TREE_BYTES_OBJECT;
		else if (c == '[')
			estimate += TREE_BYTES_ARRAY;
		else if (is_scalar_start(c))
		{
			estimate += TREE_BYTES_SCALAR;
			while (i + 1 < len && is_scalar_byte(body[i + 1]))
				i++;
		}
	}
	return estimate;
}

static bool
tree_too_large(size_t estimate, size_t len)
{
	return estimate > len * SYMBL_JSON_MAX_TREE_FACTOR + 1024 * 1024;
}

/*
 * A small answer (a token's, an error's) parsed whole, or NULL: not JSON,
 * or too dense to parse, which to such a reader is the same.
 */
json_object *
symbl_json_parse_bounded(const char *body)
{
	size_t		len = strlen(body);

	if (tree_too_large(tree_estimate(body, len), len))
		return NULL;
	return json_tokener_parse(body);
}

/*
 * json-c reads at most INT_MAX bytes at once; the caller reports a longer
 * body as too large (error json_tokener_error_size), and a body whose tree
 * would be too large (tree_estimate).
 */
void
symbl_json_job_run(SymblJsonJob *job)
{
	json_tokener *tok;
	size_t		estimate;

	job->root = NULL;
	job->out_of_memory = false;
	job->consumed = 0;
	job->tree_estimate = 0;
	job->error = json_tokener_success;
	if (job->len > INT_MAX)
	{
		job->error = json_tokener_error_size;
		return;
	}
	estimate = tree_estimate(job->body, job->len);
	if (tree_too_large(estimate, job->len))
	{
		job->tree_estimate = estimate;
		return;
	}
	tok = json_tokener_new();
	if (tok == NULL)
	{
		job->out_of_memory = true;
		return;
	}

	/*
	 * Strict JSON; no UTF-8 validation here: every string the scan uses is
	 * verified by the backend, which also knows the database's encoding.
	 */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	job->root = json_tokener_parse_ex(tok, job->body, (int) job->len);
	job->error = json_tokener_get_error(tok);
	job->consumed = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
}

static SymblJsonJob *
dequeue_job(void)
{
	SymblJsonJob *job = queue_head;

	queue_head = job->next;
	if (queue_head == NULL)
		queue_tail = NULL;
	job->next = NULL;
	return job;
}

static void *
worker_main(void *arg)
{
	pthread_mutex_lock(&lock);
	for (;;)
	{
		while (!stopping && queue_head == NULL && free_count == 0)
			pthread_cond_wait(&work_ready, &lock);
		if (stopping)
			break;
		if (free_count > 0)
		{
			/*
			 * Frees go first: pages come faster than this thread parses
			 * them, and parsing first would leave every finished tree
			 * waiting.  The backend never waits for a free, and it queues a
			 * tree only once it is done with it, just before it waits for
			 * the next parse (which a free does not interrupt).
			 */
			json_object *root = free_ring[free_head];

			free_head = (free_head + 1) % FREE_RING_SIZE;
			free_count--;
			pthread_mutex_unlock(&lock);
			json_object_put(root);
			pthread_mutex_lock(&lock);
		}
		else
		{
			SymblJsonJob *job = dequeue_job();

			job->state = SYMBL_JSON_JOB_RUNNING;
			pthread_mutex_unlock(&lock);
			symbl_json_job_run(job);
			pthread_mutex_lock(&lock);
			job->state = SYMBL_JSON_JOB_DONE;
			pthread_cond_broadcast(&job_done);
		}
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

bool
symbl_json_worker_start(void)
{
	sigset_t	all;
	sigset_t	previous;
	int			rc;

	if (running)
		return true;
	if (failed_to_start)
		return false;

	/* the thread inherits this mask: no signal is ever delivered to it */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	stopping = false;
	rc = pthread_create(&worker, NULL, worker_main, NULL);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);

	running = (rc == 0);
	failed_to_start = !running;
	return running;
}

void
symbl_json_worker_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_signal(&work_ready);
	pthread_mutex_unlock(&lock);
	pthread_join(worker, NULL);
	running = false;

	/* what was left to free; queued jobs were cancelled by their owners */
	while (free_count > 0)
	{
		json_object_put(free_ring[free_head]);
		free_head = (free_head + 1) % FREE_RING_SIZE;
		free_count--;
	}
}

void
symbl_json_job_submit(SymblJsonJob *job)
{
	if (!running)
	{
		symbl_json_job_run(job);
		job->state = SYMBL_JSON_JOB_DONE;
		return;
	}
	pthread_mutex_lock(&lock);
	job->next = NULL;
	job->on_worker = true;
	job->state = SYMBL_JSON_JOB_QUEUED;
	if (queue_tail != NULL)
		queue_tail->next = job;
	else
		queue_head = job;
	queue_tail = job;
	pthread_cond_signal(&work_ready);
	pthread_mutex_unlock(&lock);
}

/* True once the job is done; waits at most timeout_ms for that */
bool
symbl_json_job_wait(SymblJsonJob *job, int timeout_ms)
{
	struct timespec deadline;
	bool		done;

	if (!running)
		return job->state == SYMBL_JSON_JOB_DONE;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L)
	{
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lock);
	while (job->state != SYMBL_JSON_JOB_DONE)
	{
		if (pthread_cond_timedwait(&job_done, &lock, &deadline) != 0)
			break;
	}
	done = (job->state == SYMBL_JSON_JOB_DONE);
	pthread_mutex_unlock(&lock);
	return done;
}

/*
 * After this the worker no longer touches the job or its body: a queued job
 * is taken off the queue, a running one is waited for.  A finished job's
 * tree (if any) is the caller's.
 */
void
symbl_json_job_cancel(SymblJsonJob *job)
{
	SymblJsonJob **link;

	if (!running)
		return;
	pthread_mutex_lock(&lock);
	if (job->state == SYMBL_JSON_JOB_QUEUED)
	{
		SymblJsonJob *prev = NULL;

		for (link = &queue_head; *link != NULL; link = &(*link)->next)
		{
			if (*link == job)
			{
				*link = job->next;
				if (queue_tail == job)
					queue_tail = prev;
				break;
			}
			prev = *link;
		}
		job->next = NULL;
		job->state = SYMBL_JSON_JOB_IDLE;
	}
	while (job->state == SYMBL_JSON_JOB_RUNNING)
		pthread_cond_wait(&job_done, &lock);
	pthread_mutex_unlock(&lock);
}

/*
 * A tree goes back to the arena it came from, freed by the thread that
 * built it: a tree the worker parsed is queued for the worker (the backend
 * never waits for a free), one parsed in the backend is freed here.  Only
 * when the worker's queue of frees is full does the backend free a worker
 * tree itself, which glibc allows (the chunks still go back to the worker's
 * arena, under its lock).
 */
void
symbl_json_job_free_tree(SymblJsonJob *job)
{
	json_object *root = job->root;

	job->root = NULL;
	if (root == NULL)
		return;
	if (job->on_worker && running)
	{
		pthread_mutex_lock(&lock);
		if (free_count < FREE_RING_SIZE)
		{
			free_ring[(free_head + free_count) % FREE_RING_SIZE] = root;
			free_count++;
			pthread_cond_signal(&work_ready);
			root = NULL;
		}
		pthread_mutex_unlock(&lock);
	}
	if (root != NULL)
		json_object_put(root);
}
