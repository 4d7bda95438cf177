/*-------------------------------------------------------------------------
 *
 * backend_stubs.c
 *		  The backend functions src/response.c, src/part_column.c and
 *		  src/deparse.c call, for a fuzzing process without a server.  See backend_stubs.h.
 *
 * Each stand-in keeps the contract the real function has for its caller
 * (what it reads, what it returns, whether it returns at all) and nothing
 * more.  Where the real function checks something about its input, the
 * stand-in checks it too and aborts on a violation, so that the fuzzer
 * reports it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>

#include <json-c/json.h>

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/fmgroids.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/ipc.h"

#include "symbl_types.h"
#include "exchange.h"
#include "http.h"

#include "backend_stubs.h"

/* port.h maps these to PostgreSQL's own; the stand-ins use the C library's */
#undef vsnprintf
#undef snprintf

sigjmp_buf *stub_error_jump = NULL;
char		stub_error_message[1024];

/* ----------------------------------------------------------------
 * Memory: one context, every chunk on a list, reset callbacks
 * ----------------------------------------------------------------
 */
typedef struct Chunk
{
	struct Chunk *prev;
	struct Chunk *next;
	max_align_t data[];
} Chunk;

static Chunk *chunks = NULL;
static MemoryContextCallback *reset_callbacks = NULL;
static MemoryContextData the_context;
MemoryContext CurrentMemoryContext = &the_context;

void *
palloc(Size size)
{
	Chunk	   *chunk;

	if (size > MaxAllocSize)
		abort();				/* the real palloc raises an ERROR */
	chunk = malloc(sizeof(Chunk) + size);
	if (chunk == NULL)
		abort();
	chunk->prev = NULL;
	chunk->next = chunks;
	if (chunks != NULL)
		chunks->prev = chunk;
	chunks = chunk;
	return chunk->data;
}

void *
palloc0(Size size)
{
	void	   *p = palloc(size);

	memset(p, 0, size);
	return p;
}

void
pfree(void *pointer)
{
	Chunk	   *chunk = (Chunk *) ((char *) pointer - offsetof(Chunk, data));

	if (chunk->prev != NULL)
		chunk->prev->next = chunk->next;
	else
		chunks = chunk->next;
	if (chunk->next != NULL)
		chunk->next->prev = chunk->prev;
	free(chunk);
}

char *
pstrdup(const char *in)
{
	size_t		len = strlen(in);
	char	   *out = palloc(len + 1);

	memcpy(out, in, len + 1);
	return out;
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

char *
psprintf(const char *fmt,...)
{
	va_list		args;
	int			n;
	char	   *out;

	va_start(args, fmt);
	n = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	out = palloc(n + 1);
	va_start(args, fmt);
	vsnprintf(out, n + 1, fmt, args);
	va_end(args);
	return out;
}

int
pg_snprintf(char *str, size_t count, const char *fmt,...)
{
	va_list		args;
	int			n;

	va_start(args, fmt);
	n = vsnprintf(str, count, fmt, args);
	va_end(args);
	return n;
}

void
MemoryContextRegisterResetCallback(MemoryContext context,
								   MemoryContextCallback *cb)
{
	if (context != &the_context)
		abort();
	cb->next = reset_callbacks;
	reset_callbacks = cb;
}

void
stub_context_reset(void)
{
	/* callbacks first, newest first, while their memory is still there */
	while (reset_callbacks != NULL)
	{
		MemoryContextCallback *cb = reset_callbacks;

		reset_callbacks = cb->next;
		cb->func(cb->arg);
	}
	while (chunks != NULL)
		pfree(chunks->data);
}

/* ----------------------------------------------------------------
 * Errors: ERROR formats the message, runs the context callbacks and
 * jumps back to the harness
 * ----------------------------------------------------------------
 */
ErrorContextCallback *error_context_stack = NULL;
static int	error_level;
static char error_scratch[1024];

/* every message is formatted, so that a bad argument shows up here */
#define FORMAT_INTO(buf, fmt) \
	do { \
		va_list		args; \
		va_start(args, fmt); \
		vsnprintf(buf, sizeof(buf), fmt, args); \
		va_end(args); \
	} while (0)

bool
errstart(int elevel, const char *domain)
{
	error_level = elevel;
	return elevel >= ERROR;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

int
errcode(int sqlerrcode)
{
	return 0;
}

int
errmsg(const char *fmt,...)
{
	FORMAT_INTO(stub_error_message, fmt);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	FORMAT_INTO(stub_error_message, fmt);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	FORMAT_INTO(error_scratch, fmt);
	return 0;
}

int
errhint(const char *fmt,...)
{
	FORMAT_INTO(error_scratch, fmt);
	return 0;
}

int
errcontext_msg(const char *fmt,...)
{
	FORMAT_INTO(error_scratch, fmt);
	return 0;
}

int
set_errcontext_domain(const char *domain)
{
	return 0;
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	ErrorContextCallback *econtext;

	for (econtext = error_context_stack; econtext != NULL;
		 econtext = econtext->previous)
		econtext->callback(econtext->arg);
	if (error_level < ERROR)
		return;
	if (stub_error_jump == NULL)
		abort();
	siglongjmp(*stub_error_jump, 1);
}

void
check_stack_depth(void)
{
}

/* no cancel ever arrives, and there are no transfers to drive */
volatile sig_atomic_t InterruptPending = false;

void
ProcessInterrupts(void)
{
	abort();
}

void
symbl_api_progress(void)
{
}

/* there is no postmaster to die */
void
symbl_exit_if_postmaster_died(void)
{
}

/* the JSON worker thread is stopped by the harness at exit instead */
void
on_proc_exit(pg_on_exit_callback function, Datum arg)
{
}

/* ----------------------------------------------------------------
 * Encoding: a UTF8 database
 * ----------------------------------------------------------------
 */

/* length of the valid UTF-8 sequence at s (at most len bytes), or 0 */
static int
utf8_sequence_length(const unsigned char *s, int len)
{
	int			n;
	int			i;

	if (s[0] < 0x80)
		return 1;
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) ||	/* overlong */
		(s[0] == 0xed && s[1] >= 0xa0) ||	/* surrogate */
		(s[0] == 0xf0 && s[1] < 0x90) ||	/* overlong */
		(s[0] == 0xf4 && s[1] >= 0x90)) /* beyond U+10FFFF */
		return 0;
	return n;
}

bool
pg_verify_mbstr(int encoding, const char *mbstr, int len, bool noError)
{
	const unsigned char *s = (const unsigned char *) mbstr;
	int			i = 0;

	if (encoding != PG_UTF8)
		abort();
	while (i < len)
	{
		int			n = s[i] == '\0' ? 0 : utf8_sequence_length(s + i, len - i);

		if (n == 0)
		{
			if (noError)
				return false;
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("invalid byte sequence for encoding \"UTF8\"")));
		}
		i += n;
	}
	return true;
}

int
pg_encoding_mbcliplen(int encoding, const char *mbstr, int len, int limit)
{
	const unsigned char *s = (const unsigned char *) mbstr;
	int			i = 0;

	while (i < len && s[i] != '\0')
	{
		int			n = utf8_sequence_length(s + i, len - i);

		if (n == 0)
			n = 1;
		if (i + n > limit)
			break;
		i += n;
	}
	return i;
}

char *
pg_any_to_server(const char *s, int len, int encoding)
{
	if (len < 0)
		abort();
	(void) pg_verify_mbstr(encoding, s, len, false);
	return unconstify(char *, s);
}

/* the server encoding is UTF-8 here: text goes out as it is */
char *
pg_server_to_any(const char *s, int len, int encoding)
{
	if (len < 0 || encoding != PG_UTF8)
		abort();
	return unconstify(char *, s);
}

/* ----------------------------------------------------------------
 * Input functions and jsonb: read all they are given, check the shape
 * ----------------------------------------------------------------
 */
static volatile unsigned touched;

static void
touch(const char *p, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		touched += (unsigned char) p[i];
}

void
fmgr_info(Oid functionId, FmgrInfo *finfo)
{
	memset(finfo, 0, sizeof(FmgrInfo));
	finfo->fn_oid = functionId;
}

/* getTypeInputInfo and fmgr_info in one, for the types the harnesses use */
void
stub_type_input(Oid typid, FmgrInfo *finfo, Oid *ioparam)
{
	Oid			infunc;

	switch (typid)
	{
		case TEXTOID:
			infunc = F_TEXTIN;
			break;
		case VARCHAROID:
			infunc = F_VARCHARIN;
			break;
		case FLOAT8OID:
			infunc = F_FLOAT8IN;
			break;
		case FLOAT4OID:
			infunc = F_FLOAT4IN;
			break;
		case NUMERICOID:
			infunc = F_NUMERIC_IN;
			break;
		case INT2OID:
			infunc = F_INT2IN;
			break;
		case INT4OID:
			infunc = F_INT4IN;
			break;
		case INT8OID:
			infunc = F_INT8IN;
			break;
		case BOOLOID:
			infunc = F_BOOLIN;
			break;
		case TIMESTAMPTZOID:
			infunc = F_TIMESTAMPTZ_IN;
			break;
		case TIMESTAMPOID:
			infunc = F_TIMESTAMP_IN;
			break;
		case JSONOID:
			infunc = F_JSON_IN;
			break;
		case JSONBOID:
			infunc = F_JSONB_IN;
			break;
		case TEXTARRAYOID:
			infunc = F_ARRAY_IN;
			break;
		default:
			abort();
	}
	fmgr_info(infunc, finfo);
	*ioparam = typid == TEXTARRAYOID ? TEXTOID : typid;
}

static void
invalid_input(const char *type, const char *str)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", type, str)));
}

static void
out_of_range(const char *type, const char *str)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("\"%s\" is out of range for type %s", str, type)));
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static const char *
skip_spaces(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static Datum
stub_text_in(const char *str)
{
	size_t		len = strlen(str);
	text	   *t = palloc(len + VARHDRSZ);

	SET_VARSIZE(t, len + VARHDRSZ);
	memcpy(VARDATA(t), str, len);
	return PointerGetDatum(t);
}

/* float8in and float4in: strtod's syntax, NaN and Infinity, no overflow */
static Datum
stub_float_in(const char *str, bool is_float4)
{
	const char *type = is_float4 ? "real" : "double precision";
	const char *num = skip_spaces(str);
	char	   *end;
	double		val;

	if (*num == '\0')
		invalid_input(type, str);
	errno = 0;
	val = is_float4 ? strtof(num, &end) : strtod(num, &end);
	if (end == num)
		invalid_input(type, str);
	if (errno == ERANGE && (val == 0.0 || isinf(val)))
		out_of_range(type, str);
	if (*skip_spaces(end) != '\0')
		invalid_input(type, str);
	return is_float4 ? Float4GetDatum((float4) val) : Float8GetDatum(val);
}

/* int2in, int4in, int8in: optional sign, decimal digits, white space around */
static Datum
stub_int_in(const char *str, int64 min, int64 max, const char *type)
{
	const char *p = skip_spaces(str);
	bool		negative = false;
	uint64		magnitude = 0;
	uint64		limit;

	if (*p == '-' || *p == '+')
		negative = *p++ == '-';
	if (!isdigit((unsigned char) *p))
		invalid_input(type, str);
	limit = negative ? (uint64) (-(min + 1)) + 1 : (uint64) max;
	for (; isdigit((unsigned char) *p); p++)
	{
		if (magnitude > (limit - (*p - '0')) / 10)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value \"%s\" is out of range for type %s", str, type)));
		magnitude = magnitude * 10 + (*p - '0');
	}
	if (*skip_spaces(p) != '\0')
		invalid_input(type, str);
	return Int64GetDatum(negative ? (int64) (0 - magnitude) : (int64) magnitude);
}

/*
 * numeric_in's syntax.  The stand-in numeric is a varlena holding a kind
 * byte (STUB_NUMERIC_*) and the text, so that jsonb building can tell a
 * special value, which no JSON number may become.
 */
static Datum
stub_numeric_in(const char *str)
{
	const char *p = skip_spaces(str);
	const char *specials[] = {"NaN", "Infinity", "+Infinity", "-Infinity",
	"inf", "+inf", "-inf"};
	char		kind = STUB_NUMERIC_FINITE;
	bool		digits = false;
	size_t		i;
	text	   *result;
	size_t		len;

	for (i = 0; i < lengthof(specials); i++)
		if (strncasecmp(p, specials[i], strlen(specials[i])) == 0 &&
			*skip_spaces(p + strlen(specials[i])) == '\0')
		{
			kind = STUB_NUMERIC_SPECIAL;
			p = "";
			break;
		}
	if (kind == STUB_NUMERIC_FINITE)
	{
		if (*p == '-' || *p == '+')
			p++;
		for (; isdigit((unsigned char) *p); p++)
			digits = true;
		if (*p == '.')
			for (p++; isdigit((unsigned char) *p); p++)
				digits = true;
		if (!digits)
			invalid_input("numeric", str);
		if (*p == 'e' || *p == 'E')
		{
			long		exponent;
			char	   *end;

			errno = 0;
			exponent = strtol(p + 1, &end, 10);
			if (end == p + 1 || errno != 0 || exponent > 1000 || exponent < -1000)
				invalid_input("numeric", str);
			p = end;
		}
		if (*skip_spaces(p) != '\0')
			invalid_input("numeric", str);
	}
	len = 1 + strlen(str);
	result = palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	VARDATA(result)[0] = kind;
	memcpy(VARDATA(result) + 1, str, len - 1);
	return PointerGetDatum(result);
}

/* boolin: the words and their prefixes, any case, white space around */
static Datum
stub_bool_in(const char *str)
{
	const char *words[] = {"true", "yes", "on", "1", "false", "no", "off", "0"};
	const char *p = skip_spaces(str);
	size_t		len = strlen(p);
	size_t		i;

	while (len > 0 && is_space(p[len - 1]))
		len--;
	for (i = 0; i < lengthof(words); i++)
		if (len > 0 && strncasecmp(p, words[i], len) == 0 &&
			(len > 1 || words[i][0] != 'o') && len <= strlen(words[i]))
			return BoolGetDatum(i < 4);
	invalid_input("boolean", str);
	pg_unreachable();
}

/* timestamptz_in and timestamp_in: a date first, the rest as the server reads it */
static Datum
stub_timestamp_in(const char *str)
{
	const char *p = skip_spaces(str);

	if (!isdigit((unsigned char) *p))
		invalid_input("timestamp with time zone", str);
	/* any value but 0, which fuzz_page would take for a NULL pointer */
	return TimestampTzGetDatum(1 + (int64) strlen(str));
}

/* json_in: the text, once it is one JSON value */
static Datum
stub_json_in(const char *str)
{
	json_tokener *tok = json_tokener_new();
	json_object *value;
	size_t		len = strlen(str);
	bool		valid;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	value = json_tokener_parse_ex(tok, str, (int) len);
	valid = value != NULL && json_tokener_get_error(tok) == json_tokener_success &&
		*skip_spaces(str + json_tokener_get_parse_end(tok)) == '\0';
	json_object_put(value);
	json_tokener_free(tok);
	if (!valid)
		invalid_input("json", str);
	return stub_text_in(str);
}

Datum
InputFunctionCall(FmgrInfo *flinfo, char *str, Oid typioparam, int32 typmod)
{
	/* no harness column has a typmod (varchar(n), numeric(p,s)) */
	if (typmod != -1 || str == NULL)
		abort();
	touch(str, strlen(str));
	switch (flinfo->fn_oid)
	{
		case F_TEXTIN:
		case F_NUMERIC_IN:
		case F_FLOAT8IN:
		case F_FLOAT4IN:
		case F_INT2IN:
		case F_INT4IN:
		case F_INT8IN:

			/*
			 * These see the text json-c writes for a JSON number (varchar sees
			 * strings too).  json-c saturates an integer beyond 64 bits to one
			 * of these two: passed on, it is a number the answer did not hold.
			 */
			if (strcmp(str, "18446744073709551615") == 0 ||
				strcmp(str, "-9223372036854775808") == 0)
				abort();
			break;
	}
	switch (flinfo->fn_oid)
	{
		case F_TEXTIN:
		case F_VARCHARIN:
			return stub_text_in(str);
		case F_FLOAT8IN:
			return stub_float_in(str, false);
		case F_FLOAT4IN:
			return stub_float_in(str, true);
		case F_NUMERIC_IN:
			return stub_numeric_in(str);
		case F_INT2IN:
			return stub_int_in(str, PG_INT16_MIN, PG_INT16_MAX, "smallint");
		case F_INT4IN:
			return stub_int_in(str, PG_INT32_MIN, PG_INT32_MAX, "integer");
		case F_INT8IN:
			return stub_int_in(str, PG_INT64_MIN, PG_INT64_MAX, "bigint");
		case F_BOOLIN:
			return stub_bool_in(str);
		case F_TIMESTAMPTZ_IN:
		case F_TIMESTAMP_IN:
			return stub_timestamp_in(str);
		case F_JSON_IN:
			return stub_json_in(str);
	}
	/* jsonb and text[] are built, never read from text */
	abort();
}

#define MAX_JSONB_DEPTH 256

static int	jsonb_depth = 0;
static bool jsonb_is_object[MAX_JSONB_DEPTH];
static bool jsonb_wants_value[MAX_JSONB_DEPTH];
static JsonbValue jsonb_result;

static void
check_scalar(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
		case jbvBool:
			break;
		case jbvNumeric:
			/* jsonb cannot hold NaN or infinity (jsonb_in rejects them) */
			if (v->val.numeric == NULL ||
				VARDATA(v->val.numeric)[0] != STUB_NUMERIC_FINITE)
				abort();
			break;
		case jbvString:
			if (v->val.string.len < 0)
				abort();
			touch(v->val.string.val, v->val.string.len);
			break;
		default:
			abort();
	}
}

/* a value (scalar or container start) is allowed where it is pushed */
static void
consume_value_slot(JsonbIteratorToken seq)
{
	if (jsonb_depth == 0)
		return;
	if (jsonb_is_object[jsonb_depth - 1])
	{
		if (!jsonb_wants_value[jsonb_depth - 1] ||
			(seq != WJB_VALUE && seq != WJB_BEGIN_ARRAY && seq != WJB_BEGIN_OBJECT))
			abort();
		jsonb_wants_value[jsonb_depth - 1] = false;
	}
	else if (seq == WJB_VALUE || seq == WJB_KEY)
		abort();
}

JsonbValue *
pushJsonbValue(JsonbParseState **pstate, JsonbIteratorToken seq,
			   JsonbValue *jbval)
{
	static JsonbParseState *marker = (JsonbParseState *) &jsonb_result;

	switch (seq)
	{
		case WJB_BEGIN_ARRAY:
		case WJB_BEGIN_OBJECT:
			if ((jsonb_depth == 0) != (*pstate == NULL) ||
				jsonb_depth == MAX_JSONB_DEPTH)
				abort();
			consume_value_slot(seq);
			jsonb_is_object[jsonb_depth] = (seq == WJB_BEGIN_OBJECT);
			jsonb_wants_value[jsonb_depth] = false;
			jsonb_depth++;
			*pstate = marker;
			return NULL;
		case WJB_END_ARRAY:
		case WJB_END_OBJECT:
			if (jsonb_depth == 0 ||
				jsonb_is_object[jsonb_depth - 1] != (seq == WJB_END_OBJECT) ||
				jsonb_wants_value[jsonb_depth - 1])
				abort();
			jsonb_depth--;
			if (jsonb_depth > 0)
				return NULL;
			*pstate = NULL;
			jsonb_result.type = seq == WJB_END_OBJECT ? jbvObject : jbvArray;
			return &jsonb_result;
		case WJB_KEY:
			if (jsonb_depth == 0 || !jsonb_is_object[jsonb_depth - 1] ||
				jsonb_wants_value[jsonb_depth - 1] || jbval->type != jbvString)
				abort();
			check_scalar(jbval);
			jsonb_wants_value[jsonb_depth - 1] = true;
			return NULL;
		case WJB_VALUE:
		case WJB_ELEM:
			if (jsonb_depth == 0)
				abort();
			consume_value_slot(seq);
			check_scalar(jbval);
			return NULL;
		default:
			abort();
	}
}

Jsonb *
JsonbValueToJsonb(JsonbValue *val)
{
	Jsonb	   *out;

	/* a scalar alone becomes a raw scalar, as in the real function */
	if (val != &jsonb_result)
		check_scalar(val);
	if (jsonb_depth != 0)
		abort();
	out = palloc(VARHDRSZ + sizeof(uint32));
	SET_VARSIZE(out, VARHDRSZ + sizeof(uint32));
	return out;
}

/* after an ERROR half-way through a value the builder starts afresh */
static void
reset_jsonb_builder(void)
{
	jsonb_depth = 0;
}

/* ----------------------------------------------------------------
 * Text, arrays, StringInfo, times (src/deparse.c)
 * ----------------------------------------------------------------
 */
struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	return datum;
}

char *
text_to_cstring(const text *t)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	char	   *result = palloc(len + 1);

	memcpy(result, VARDATA_ANY(t), len);
	result[len] = '\0';
	return result;
}

void
deconstruct_array(ArrayType *array, Oid elmtype, int elmlen, bool elmbyval,
				  char elmalign, Datum **elemsp, bool **nullsp, int *nelemsp)
{
	StubArray  *a = (StubArray *) array;

	if (elmtype != a->header.elemtype)
		abort();
	*elemsp = a->elems;
	*nullsp = a->nulls;
	*nelemsp = a->nelems;
}

/*
 * Array building, as arrayfuncs.c does it for a one-dimensional array of
 * text: elements are copied as they are accumulated, and the result is a
 * flat ArrayType (dimensions, lower bounds, a null bitmap when there is a
 * NULL, int-aligned elements) that stub_check_text_array can walk.
 */
ArrayBuildState *
initArrayResult(Oid element_type, MemoryContext rcontext, bool subcontext)
{
	ArrayBuildState *astate = palloc0(sizeof(ArrayBuildState));

	if (element_type != TEXTOID || rcontext != CurrentMemoryContext)
		abort();
	astate->mcontext = rcontext;
	astate->alen = 8;
	astate->dvalues = palloc(astate->alen * sizeof(Datum));
	astate->dnulls = palloc(astate->alen * sizeof(bool));
	astate->element_type = element_type;
	astate->typlen = -1;
	astate->typbyval = false;
	astate->typalign = TYPALIGN_INT;
	return astate;
}

ArrayBuildState *
accumArrayResult(ArrayBuildState *astate, Datum dvalue, bool disnull,
				 Oid element_type, MemoryContext rcontext)
{
	if (astate == NULL)
		astate = initArrayResult(element_type, rcontext, true);
	if (astate->element_type != element_type)
		abort();
	if (astate->nelems >= astate->alen)
	{
		Datum	   *dvalues = palloc(2 * astate->alen * sizeof(Datum));
		bool	   *dnulls = palloc(2 * astate->alen * sizeof(bool));

		memcpy(dvalues, astate->dvalues, astate->nelems * sizeof(Datum));
		memcpy(dnulls, astate->dnulls, astate->nelems * sizeof(bool));
		pfree(astate->dvalues);
		pfree(astate->dnulls);
		astate->dvalues = dvalues;
		astate->dnulls = dnulls;
		astate->alen *= 2;
	}
	if (!disnull)
	{
		struct varlena *v = (struct varlena *) DatumGetPointer(dvalue);
		struct varlena *copy;

		/* a text the extension built: a plain 4-byte header */
		if (v == NULL || !VARATT_IS_4B_U(v) || VARSIZE(v) < VARHDRSZ)
			abort();
		copy = palloc(VARSIZE(v));
		memcpy(copy, v, VARSIZE(v));
		dvalue = PointerGetDatum(copy);
	}
	astate->dvalues[astate->nelems] = disnull ? (Datum) 0 : dvalue;
	astate->dnulls[astate->nelems] = disnull;
	astate->nelems++;
	return astate;
}

Datum
makeArrayResult(ArrayBuildState *astate, MemoryContext rcontext)
{
	int			n = astate->nelems;
	bool		hasnulls = false;
	Size		nbytes = 0;
	Size		dataoffset;
	ArrayType  *array;
	char	   *p;
	bits8	   *bitmap;
	int			i;

	if (n == 0)
	{
		array = palloc0(sizeof(ArrayType));
		SET_VARSIZE(array, sizeof(ArrayType));
		array->ndim = 0;
		array->dataoffset = 0;
		array->elemtype = astate->element_type;
		return PointerGetDatum(array);
	}
	for (i = 0; i < n; i++)
	{
		if (astate->dnulls[i])
			hasnulls = true;
		else
			nbytes = INTALIGN(nbytes) + VARSIZE(DatumGetPointer(astate->dvalues[i]));
	}
	dataoffset = hasnulls ? ARR_OVERHEAD_WITHNULLS(1, n) : 0;
	nbytes += hasnulls ? dataoffset : ARR_OVERHEAD_NONULLS(1);
	if (nbytes > MaxAllocSize)
		abort();
	array = palloc0(nbytes);
	SET_VARSIZE(array, nbytes);
	array->ndim = 1;
	array->dataoffset = dataoffset;
	array->elemtype = astate->element_type;
	ARR_DIMS(array)[0] = n;
	ARR_LBOUND(array)[0] = 1;
	bitmap = ARR_NULLBITMAP(array);
	p = ARR_DATA_PTR(array);
	for (i = 0; i < n; i++)
	{
		struct varlena *v = (struct varlena *) DatumGetPointer(astate->dvalues[i]);

		if (astate->dnulls[i])
			continue;
		if (bitmap != NULL)
			bitmap[i / 8] |= 1 << (i % 8);
		p = (char *) array + INTALIGN(p - (char *) array);
		memcpy(p, v, VARSIZE(v));
		p += VARSIZE(v);
	}
	if (p != (char *) array + nbytes)
		abort();
	return PointerGetDatum(array);
}

/* a text[] as makeArrayResult builds it: each element is valid text */
void
stub_check_text_array(Datum datum)
{
	ArrayType  *array = (ArrayType *) DatumGetPointer(datum);
	Size		size = VARSIZE(array);
	bits8	   *bitmap;
	char	   *p;
	int			n;
	int			i;

	if (size < sizeof(ArrayType) || array->elemtype != TEXTOID)
		abort();
	if (array->ndim == 0)
	{
		if (size != sizeof(ArrayType) || array->dataoffset != 0)
			abort();
		return;
	}
	if (array->ndim != 1 || ARR_LBOUND(array)[0] != 1 || ARR_DIMS(array)[0] <= 0)
		abort();
	n = ARR_DIMS(array)[0];
	if (array->dataoffset != 0 && array->dataoffset != ARR_OVERHEAD_WITHNULLS(1, n))
		abort();
	bitmap = ARR_NULLBITMAP(array);
	p = ARR_DATA_PTR(array);
	for (i = 0; i < n; i++)
	{
		if (bitmap != NULL && !(bitmap[i / 8] & (1 << (i % 8))))
			continue;
		p = (char *) array + INTALIGN(p - (char *) array);
		if (p + VARHDRSZ > (char *) array + size || !VARATT_IS_4B_U(p) ||
			VARSIZE(p) < VARHDRSZ || p + VARSIZE(p) > (char *) array + size)
			abort();
		stub_check_text(PointerGetDatum(p));
		p += VARSIZE(p);
	}
	if (p != (char *) array + size)
		abort();
}

/* a text datum: a plain 4-byte header, UTF-8 without NUL bytes */
void
stub_check_text(Datum datum)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(datum);

	if (v == NULL || !VARATT_IS_4B_U(v) || VARSIZE(v) < VARHDRSZ ||
		!pg_verify_mbstr(PG_UTF8, VARDATA(v), VARSIZE(v) - VARHDRSZ, true))
		abort();
}

static void
enlarge(StringInfo str, int needed)
{
	char	   *data;

	if (needed < 0 || (Size) str->len + needed >= MaxAllocSize)
		abort();
	if (str->len + needed < str->maxlen)
		return;
	while (str->len + needed >= str->maxlen)
		str->maxlen *= 2;
	data = palloc(str->maxlen);
	memcpy(data, str->data, str->len + 1);
	pfree(str->data);
	str->data = data;
}

void
initStringInfo(StringInfo str)
{
	str->maxlen = 1024;
	str->data = palloc(str->maxlen);
	str->data[0] = '\0';
	str->len = 0;
	str->cursor = 0;
}

void
appendStringInfoChar(StringInfo str, char ch)
{
	enlarge(str, 1);
	str->data[str->len++] = ch;
	str->data[str->len] = '\0';
}

void
appendStringInfoString(StringInfo str, const char *s)
{
	int			len = strlen(s);

	enlarge(str, len);
	memcpy(str->data + str->len, s, len + 1);
	str->len += len;
}

void
appendStringInfo(StringInfo str, const char *fmt,...)
{
	va_list		args;
	int			n;

	va_start(args, fmt);
	n = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	enlarge(str, n);
	va_start(args, fmt);
	vsnprintf(str->data + str->len, n + 1, fmt, args);
	va_end(args);
	str->len += n;
}

#define UNIX_EPOCH_IN_PG_SECONDS INT64CONST(-946684800)

/* a fixed "now", 2026-11-28 12:00:00 UTC, so that runs are repeatable */
TimestampTz
GetCurrentTimestamp(void)
{
	return (INT64CONST(1795867200) + UNIX_EPOCH_IN_PG_SECONDS) * USECS_PER_SEC;
}

Timestamp
SetEpochTimestamp(void)
{
	return UNIX_EPOCH_IN_PG_SECONDS * USECS_PER_SEC;
}

int
timestamp2tm(Timestamp dt, int *tzp, struct pg_tm *tm, fsec_t *fsec,
			 const char **tzn, pg_tz *attimezone)
{
	int64		secs;
	time_t		unix_secs;
	struct tm	utc;

	if (tzp != NULL || TIMESTAMP_NOT_FINITE(dt) || !IS_VALID_TIMESTAMP(dt))
		return -1;
	secs = dt / USECS_PER_SEC;
	*fsec = dt % USECS_PER_SEC;
	if (*fsec < 0)
	{
		secs--;
		*fsec += USECS_PER_SEC;
	}
	unix_secs = (time_t) (secs - UNIX_EPOCH_IN_PG_SECONDS);
	if (gmtime_r(&unix_secs, &utc) == NULL)
		return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = utc.tm_year + 1900;
	tm->tm_mon = utc.tm_mon + 1;
	tm->tm_mday = utc.tm_mday;
	tm->tm_hour = utc.tm_hour;
	tm->tm_min = utc.tm_min;
	tm->tm_sec = utc.tm_sec;
	return 0;
}

List *
lappend(List *list, void *datum)
{
	if (list == NIL)
	{
		list = palloc(offsetof(List, initial_elements) + 8 * sizeof(ListCell));
		list->type = T_List;
		list->length = 0;
		list->max_length = 8;
		list->elements = list->initial_elements;
	}
	if (list->length == list->max_length)
	{
		ListCell   *cells = palloc(2 * list->max_length * sizeof(ListCell));

		memcpy(cells, list->elements, list->length * sizeof(ListCell));
		list->elements = cells;
		list->max_length *= 2;
	}
	list->elements[list->length++].ptr_value = datum;
	return list;
}


void
stub_begin_input(void)
{
	reset_jsonb_builder();
	error_context_stack = NULL;
	stub_error_message[0] = '\0';
}
