/*-------------------------------------------------------------------------
 *
 * backend_stubs.h
 *		  A small stand-in for the PostgreSQL backend, so that libFuzzer can
 *		  drive src/response.c and src/deparse.c in a plain process.
 *
 * The harnesses compile the extension's own files unchanged against the
 * server headers and link them with backend_stubs.c instead of the server.
 * What the stand-in models is what the fuzzing must be able to see:
 *
 *	- palloc memory belongs to one context; stub_context_reset() runs its
 *	  reset callbacks (as a real reset does) and frees it, so LeakSanitizer
 *	  reports anything the extension's error paths leave behind (a json-c
 *	  tree, say);
 *	- ereport(ERROR) longjmps back to the harness (stub_try), after running
 *	  the error context callbacks and formatting the message, as elog.c does;
 *	- pg_any_to_server verifies UTF-8 and rejects NUL, as a UTF8 database
 *	  does; input functions and jsonb building read every byte they are
 *	  given and check the shape of what they are given;
 *	- the input functions of the column types accept and reject what the
 *	  real ones do (their syntax and ranges, not their values), and
 *	  makeArrayResult builds a real flat text[].
 *
 *-------------------------------------------------------------------------
 */
#ifndef BACKEND_STUBS_H
#define BACKEND_STUBS_H

#include <setjmp.h>
#include <stdbool.h>

#include "fmgr.h"
#include "utils/array.h"

/* where ereport(ERROR) jumps to; set by the harness around each call */
extern sigjmp_buf *stub_error_jump;

/* the message of the last error raised */
extern char stub_error_message[1024];

/* run the reset callbacks of the one memory context, then free it */
extern void stub_context_reset(void);

/* clear what an ERROR half-way through the last input left behind */
extern void stub_begin_input(void);

/* getTypeInputInfo and fmgr_info: the input function of a type */
extern void stub_type_input(Oid typid, FmgrInfo *finfo, Oid *ioparam);

/* abort unless a datum is a valid text, or a text[] of makeArrayResult */
extern void stub_check_text(Datum datum);
extern void stub_check_text_array(Datum datum);

/* the first byte of a stand-in numeric's data: what kind of value it is */
#define STUB_NUMERIC_FINITE 'n'
#define STUB_NUMERIC_SPECIAL 's'

/*
 * The arrays fuzz_request gives deconstruct_array: an ArrayType header,
 * then their elements (makeArrayResult builds real flat arrays).
 */
typedef struct StubArray
{
	ArrayType	header;
	int			nelems;
	Datum	   *elems;
	bool	   *nulls;
} StubArray;

#endif							/* BACKEND_STUBS_H */
