/*-------------------------------------------------------------------------
 *
 * list_rows.h
 *		  The rows a list scan returns, page after page, as the pager says:
 *		  rows held back from the page before, a tie group read again, the
 *		  page's own (pager.h, SymblPageUse).
 *
 * The conversations scan (conversation_scan.c) and ANALYZE (analyze.c) fill a page
 * with symbl_list_rows_new_page, hand it to symbl_list_rows_page_done, and
 * take rows with symbl_list_rows_next until it says there are none.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_LIST_ROWS_H
#define SYMBL_LIST_ROWS_H

#include "symbl_types.h"

/* What a re-read of a tie group is asked and converted with */
typedef struct SymblListSource
{
	SymblConnection *conn;
	const SymblRequest *request;
	const SymblColumn *columns;
	int			ncolumns;
	int			natts;
	AttrNumber	key_attnum;		/* the startTime column rows are paged by */
	SymblScanStats *stats;
} SymblListSource;

/* Rows [next, end) of a page, still to return */
typedef struct SymblRowRun
{
	const SymblPage *page;
	int			next;
	int			end;
} SymblRowRun;

typedef struct SymblListRows
{
	/* the page taken last, and the one before it (whose rows are held) */
	SymblPage	pages[2];
	MemoryContext cxts[2];
	int			current;
	SymblPage	reread;
	MemoryContext reread_cxt;

	SymblRowRun runs[3];
	int			nruns;
	int			run;
} SymblListRows;

extern void symbl_list_rows_init(SymblListRows *rows, MemoryContext parent);
extern SymblPage *symbl_list_rows_new_page(SymblListRows *rows,
										   MemoryContext *cxt);
extern void symbl_list_rows_page_done(SymblListRows *rows, SymblPager *pager,
									  const SymblListSource *source,
									  const char *where);
extern bool symbl_list_rows_next(SymblListRows *rows, Datum **values,
								 bool **nulls);
extern void symbl_list_rows_stop(SymblListRows *rows);
extern void symbl_list_rows_reset(SymblListRows *rows);
extern void symbl_list_key_column(SymblColumn *columns, int *ncolumns,
								  int *natts, AttrNumber *key_attnum);

#endif							/* SYMBL_LIST_ROWS_H */
