/*-------------------------------------------------------------------------
 *
 * part_fetch.h
 *		  Fetch one part (messages, topics, ...) of many conversations,
 *		  several requests in flight, answers handed out in id order.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_PART_FETCH_H
#define SYMBL_PART_FETCH_H

#include "symbl_types.h"

/* the most requests in flight (max_concurrent_requests is at most this) */
#define SYMBL_PART_MAX_IN_FLIGHT 16
/* the most conversations queued: those in flight and as many waiting */
#define SYMBL_PART_QUEUE (2 * SYMBL_PART_MAX_IN_FLIGHT)

typedef struct SymblPartFetch
{
	SymblConnection *conn;
	const SymblResource *resource;
	const SymblColumn *columns; /* those retrieved */
	int			ncolumns;
	int			natts;
	char	   *query;			/* "?verbose=true" or "" */
	int			concurrency;
	MemoryContext calls_cxt;	/* parent of the requests in flight */

	/*
	 * The conversations queued, as text Datums (the caller keeps them
	 * alive until taken): positions count up, [i % SYMBL_PART_QUEUE].
	 */
	Datum		ids[SYMBL_PART_QUEUE];
	bool		id_nulls[SYMBL_PART_QUEUE];
	SymblListCall *calls[SYMBL_PART_QUEUE];
	bool		on_fallback[SYMBL_PART_QUEUE];	/* the call asks fallback_path */
	bool		tried_both[SYMBL_PART_QUEUE];	/* after a 404 from the other */
	int64		next_take;
	int64		next_launch;
	int64		next_add;

	SymblScanStats stats;
	int64		not_found;		/* 404s: no rows for that conversation */
	int64		other_path;		/* requests to the other path after a 404 */
} SymblPartFetch;

extern void symbl_part_fetch_init(SymblPartFetch *fetch, SymblConnection *conn,
								  const SymblResource *resource,
								  const SymblColumn *columns, int ncolumns,
								  int natts, MemoryContext parent);
extern char *symbl_part_query(const SymblResource *resource,
							  const SymblColumn *columns, int ncolumns);
extern char *symbl_part_path(const char *part_path, const char *id,
							 const char *query);
extern char *symbl_part_path_template(const char *part_path,
									  const char *query);
extern bool symbl_part_fetch_has_room(SymblPartFetch *fetch);
extern void symbl_part_fetch_push(SymblPartFetch *fetch, Datum id, bool isnull);
extern bool symbl_part_fetch_next(SymblPartFetch *fetch, SymblPage *page);
extern void symbl_part_fetch_cancel(SymblPartFetch *fetch);
extern int	symbl_unique_ids(Datum *ids, bool *nulls, int n);

#endif							/* SYMBL_PART_FETCH_H */
