/*-------------------------------------------------------------------------
 *
 * shippable.c
 *		  Decide which quals and sort keys the Symbl API can apply, exactly
 *		  or as a superset PostgreSQL rechecks (deparse.c writes them out).
 *
 * The API can express little: equality and sets on a few fields, ranges on
 * the two times, AND only, at most two distinct selectors in one RSQL
 * filter, and a startTime/endTime window whose bounds may be inclusive or
 * exclusive.  A qual is therefore one of:
 *
 *	- exact: the API applies it exactly; PostgreSQL does not recheck it.
 *	- superset: something weaker is sent; PostgreSQL rechecks.
 *	- local: nothing is sent for it.
 *
 * ship_rules below says which, per field and operator, and why.  The
 * executor (deparse.c) may send a condition in a weaker form or drop one
 * that holds for every row only where this table says superset.
 *
 * Values are not known at plan time (now(), $1, the outer row of a join):
 * the plan carries expressions and the request is built when the scan
 * starts or is rescanned.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "symbl_types.h"
#include "shippable.h"
#include "compat.h"

/* more values than this in one IN list stay local (URL length) */
#define MAX_IN_VALUES 100

/* at most this many distinct selectors in one filter (the API's rule) */
#define MAX_FILTER_SELECTORS SYMBL_MAX_FILTER_SELECTORS

/* One way a qual could be sent, before the selector budget is applied */
typedef struct Candidate
{
	SymblCond  *cond;
	int			priority;		/* lower is more selective */
	bool		exact;			/* the API applies it exactly */
} Candidate;

/* What this server's API is trusted with, and whether the statement writes */
typedef struct ShipPolicy
{
	int			send;			/* SYMBL_FIELD_BITs of undocumented selectors sent */
	int			exact;			/* of those, verified exact */
	bool		writes;			/* the rows feed an UPDATE or DELETE */
} ShipPolicy;

typedef struct QualCandidates
{
	RestrictInfo *rinfo;
	List	   *candidates;		/* Candidate */
} QualCandidates;

/* ----------------------------------------------------------------
 * What the API applies exactly
 * ----------------------------------------------------------------
 */

typedef enum Shipping
{
	SHIP_LOCAL,					/* not sent */
	SHIP_EXACT,					/* sent; not rechecked */
	SHIP_SUPERSET				/* sent as something weaker; rechecked */
} Shipping;

#define OPS_EQ_IN ((1 << SYMBL_OP_EQ) | (1 << SYMBL_OP_IN))
#define OPS_NE_OUT ((1 << SYMBL_OP_NE) | (1 << SYMBL_OP_OUT))
#define OPS_RANGE ((1 << SYMBL_OP_LT) | (1 << SYMBL_OP_LE) | \
				   (1 << SYMBL_OP_GT) | (1 << SYMBL_OP_GE))

/*
 * Trust only what Symbl published.  Its only filter example is
 * conversation.metadata.<key>; nothing it published shows conversation.id,
 * .type, .name, .startTime or .endTime in a filter, and an API may apply
 * such a selector, silently ignore it (every row matches) or answer 400.
 * So:
 *
 *	- metadata equality and sets are exact;
 *	- conversation.id is never sent: reads by id go to the documented
 *	  GET /v1/conversations/{id} (conversation_ids.c);
 *	- type, name, start_time and end_time go out only as a superset that
 *	  PostgreSQL rechecks, and only those the server's send_selectors
 *	  lists; equality on type or name counts as exact where the server's
 *	  exact_selectors says a probe verified it (symbl_probe);
 *	- in a statement that writes, nothing is exact: every condition is
 *	  rechecked on the rows read before anything is written.
 *
 * Besides, every field but id may be absent or null in an answer, and
 * nothing documents what != , =out=, ranges or the window do with a
 * missing field; times are read to the millisecond (truncated or rounded),
 * so finer bounds go out widened to whole milliseconds.
 */
static Shipping
shipping(SymblField field, SymblOp op, const ShipPolicy *policy)
{
	bool		eq_in = op == SYMBL_OP_EQ || op == SYMBL_OP_IN;
	bool		ne_out = op == SYMBL_OP_NE || op == SYMBL_OP_OUT;
	bool		range = (OPS_RANGE & (1 << op)) != 0;

	switch (field)
	{
		case SYMBL_FIELD_METADATA:
			if (eq_in)
				return policy->writes ? SHIP_SUPERSET : SHIP_EXACT;
			return ne_out ? SHIP_SUPERSET : SHIP_LOCAL;
		case SYMBL_FIELD_TYPE:
		case SYMBL_FIELD_NAME:
			if (!(policy->send & SYMBL_FIELD_BIT(field)) || !(eq_in || ne_out))
				return SHIP_LOCAL;
			/* a missing value equals nothing, but may or may not be unequal */
			if (eq_in && (policy->exact & SYMBL_FIELD_BIT(field)) && !policy->writes)
				return SHIP_EXACT;
			return SHIP_SUPERSET;
		case SYMBL_FIELD_START_TIME:
		case SYMBL_FIELD_END_TIME:
			if (!(policy->send & SYMBL_FIELD_BIT(field)) || !(range || eq_in || ne_out) ||
				op == SYMBL_OP_IN || op == SYMBL_OP_OUT)
				return SHIP_LOCAL;
			return SHIP_SUPERSET;
		default:
			return SHIP_LOCAL;
	}
}

static SymblField
selector_field(const char *selector)
{
	if (strcmp(selector, "conversation.id") == 0)
		return SYMBL_FIELD_ID;
	if (strcmp(selector, "conversation.type") == 0)
		return SYMBL_FIELD_TYPE;
	if (strcmp(selector, "conversation.name") == 0)
		return SYMBL_FIELD_NAME;
	return SYMBL_FIELD_METADATA;
}

/* ----------------------------------------------------------------
 * Recognising quals
 * ----------------------------------------------------------------
 */

static const SymblColumn *
column_for_var(Expr *expr, RelOptInfo *baserel, List *columns)
{
	ListCell   *lc;
	Var		   *var;

	while (IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	if (!IsA(expr, Var))
		return NULL;
	var = (Var *) expr;
	if ((Index) var->varno != baserel->relid || var->varlevelsup != 0)
		return NULL;
	foreach(lc, columns)
	{
		SymblColumn *col = lfirst(lc);

		if (col->attnum == var->varattno)
			return col;
	}
	return NULL;
}

/* ASCII letters and digits, whatever the locale and database encoding */
static bool
is_ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9');
}

/*
 * A metadata key can be sent only where it is a plain RSQL selector part:
 * the selector cannot be quoted, and a dot would read as nesting.  ASCII
 * only, so the key is the same bytes in every encoding.
 */
static bool
metadata_key_is_sendable(const char *key)
{
	const char *p;

	if (*key == '\0' || strlen(key) > 128)
		return false;
	for (p = key; *p; p++)
		if (!(is_ascii_alnum(*p) || *p == '_' || *p == '-'))
			return false;
	return true;
}

/*
 * The RSQL selector a column expression stands for: a text column, or
 * metadata->>'key' on a jsonb metadata column.  NULL when it is neither.
 */
char *
symbl_text_selector(Expr *expr, RelOptInfo *baserel, List *columns)
{
	const SymblColumn *col;

	while (IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;

	if (IsA(expr, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) expr;
		Const	   *key;

		if (op->opfuncid != F_JSONB_OBJECT_FIELD_TEXT &&
			get_opcode(op->opno) != F_JSONB_OBJECT_FIELD_TEXT)
			return NULL;
		col = column_for_var(linitial(op->args), baserel, columns);
		key = (Const *) lsecond(op->args);
		if (col == NULL || col->field != SYMBL_FIELD_METADATA ||
			col->kind != SYMBL_VALUE_JSONB || !IsA(key, Const) ||
			key->constisnull || key->consttype != TEXTOID)
			return NULL;
		if (!metadata_key_is_sendable(TextDatumGetCString(key->constvalue)))
			return NULL;
		return psprintf("conversation.metadata.%s",
						TextDatumGetCString(key->constvalue));
	}

	col = column_for_var(expr, baserel, columns);
	if (col == NULL)
		return NULL;
	switch (col->field)
	{
		case SYMBL_FIELD_ID:
			return "conversation.id";
		case SYMBL_FIELD_TYPE:
			return "conversation.type";
		case SYMBL_FIELD_NAME:
			return "conversation.name";
		default:
			return NULL;
	}
}

/*
 * A value that can be computed once per scan (or per outer row): no Var of
 * the foreign table itself, nothing volatile, no subplans.
 */
static bool
is_scan_constant(Expr *expr, RelOptInfo *baserel)
{
	Relids		varnos = pull_varnos(NULL, (Node *) expr);

	return !bms_is_member(baserel->relid, varnos) &&
		!contain_volatile_functions((Node *) expr) &&
		!contain_subplans((Node *) expr) &&
		!contain_agg_clause((Node *) expr) &&
		!contain_window_function((Node *) expr);
}

static int
text_priority(const char *selector, SymblOp op)
{
	if (op == SYMBL_OP_NE || op == SYMBL_OP_OUT)
		return 6;
	if (strcmp(selector, "conversation.id") == 0)
		return 1;
	if (strncmp(selector, "conversation.metadata.", 22) == 0)
		return 2;
	if (strcmp(selector, "conversation.name") == 0)
		return 3;
	return 4;
}

static Candidate *
make_candidate(SymblCondTarget target, SymblOp op, const char *selector,
			   bool is_time, Expr *value, int priority, bool exact)
{
	Candidate  *cand = palloc0(sizeof(Candidate));
	SymblCond  *cond = palloc0(sizeof(SymblCond));

	cond->target = target;
	cond->op = op;
	cond->selector = selector ? pstrdup(selector) : NULL;
	cond->is_time = is_time;
	cond->value = value;
	cand->cond = cond;
	cand->priority = priority;
	cand->exact = exact;
	return cand;
}

/* A text comparison, if this server's API is trusted with its selector */
static List *
text_candidate(const char *selector, SymblOp op, Expr *value,
			   const ShipPolicy *policy)
{
	Shipping	how = shipping(selector_field(selector), op, policy);

	if (how == SHIP_LOCAL)
		return NIL;
	return list_make1(make_candidate(SYMBL_TARGET_FILTER, op, selector, false,
									 value, text_priority(selector, op),
									 how == SHIP_EXACT));
}

static bool
text_equality_collation_ok(Oid inputcollid)
{
	return !OidIsValid(inputcollid) || get_collation_isdeterministic(inputcollid);
}

/* Comparison operators on timestamptz, by the function behind them */
static bool
time_operator(Oid funcid, SymblOp *op, Oid *value_type)
{
	static const struct
	{
		Oid			funcid;
		SymblOp		op;
		Oid			value_type;
	}			map[] = {
		{F_TIMESTAMPTZ_EQ, SYMBL_OP_EQ, TIMESTAMPTZOID},
		{F_TIMESTAMPTZ_NE, SYMBL_OP_NE, TIMESTAMPTZOID},
		{F_TIMESTAMPTZ_LT, SYMBL_OP_LT, TIMESTAMPTZOID},
		{F_TIMESTAMPTZ_LE, SYMBL_OP_LE, TIMESTAMPTZOID},
		{F_TIMESTAMPTZ_GT, SYMBL_OP_GT, TIMESTAMPTZOID},
		{F_TIMESTAMPTZ_GE, SYMBL_OP_GE, TIMESTAMPTZOID},
		{F_TIMESTAMPTZ_EQ_DATE, SYMBL_OP_EQ, DATEOID},
		{F_TIMESTAMPTZ_NE_DATE, SYMBL_OP_NE, DATEOID},
		{F_TIMESTAMPTZ_LT_DATE, SYMBL_OP_LT, DATEOID},
		{F_TIMESTAMPTZ_LE_DATE, SYMBL_OP_LE, DATEOID},
		{F_TIMESTAMPTZ_GT_DATE, SYMBL_OP_GT, DATEOID},
		{F_TIMESTAMPTZ_GE_DATE, SYMBL_OP_GE, DATEOID},
		{F_TIMESTAMPTZ_EQ_TIMESTAMP, SYMBL_OP_EQ, TIMESTAMPOID},
		{F_TIMESTAMPTZ_NE_TIMESTAMP, SYMBL_OP_NE, TIMESTAMPOID},
		{F_TIMESTAMPTZ_LT_TIMESTAMP, SYMBL_OP_LT, TIMESTAMPOID},
		{F_TIMESTAMPTZ_LE_TIMESTAMP, SYMBL_OP_LE, TIMESTAMPOID},
		{F_TIMESTAMPTZ_GT_TIMESTAMP, SYMBL_OP_GT, TIMESTAMPOID},
		{F_TIMESTAMPTZ_GE_TIMESTAMP, SYMBL_OP_GE, TIMESTAMPOID},
	};
	size_t		i;

	for (i = 0; i < lengthof(map); i++)
	{
		if (map[i].funcid == funcid)
		{
			*op = map[i].op;
			*value_type = map[i].value_type;
			return true;
		}
	}
	return false;
}

/*
 * start_time and end_time: an RSQL range (exact), and where it helps, a
 * window parameter one millisecond wider than the bound (a superset under
 * either reading of the window's bounds).
 */
static List *
time_candidates(const SymblColumn *col, SymblOp op, Oid value_type,
				Expr *value, const ShipPolicy *policy)
{
	bool		is_start = col->field == SYMBL_FIELD_START_TIME;
	const char *selector = is_start ? "conversation.startTime" : "conversation.endTime";
	List	   *result = NIL;

	/* the cross-type operators compare as if the value were timestamptz */
	if (value_type != TIMESTAMPTZOID)
		value = (Expr *) coerce_to_target_type(NULL, (Node *) value, value_type,
											   TIMESTAMPTZOID, -1,
											   COERCION_IMPLICIT,
											   COERCE_IMPLICIT_CAST, -1);
	if (value == NULL)
		return NIL;

	if (is_start && (op == SYMBL_OP_GE || op == SYMBL_OP_GT || op == SYMBL_OP_EQ))
		result = lappend(result, make_candidate(SYMBL_TARGET_START_TIME, op, NULL,
												true, value, 0, false));
	if (!is_start && (op == SYMBL_OP_LE || op == SYMBL_OP_LT || op == SYMBL_OP_EQ))
		result = lappend(result, make_candidate(SYMBL_TARGET_END_TIME, op, NULL,
												true, value, 0, false));
	/* the documented window parameters go out whatever the filter may hold */
	if (shipping(col->field, op, policy) != SHIP_LOCAL)
		result = lappend(result, make_candidate(SYMBL_TARGET_FILTER, op, selector,
												true, value, 5,
												shipping(col->field, op, policy) == SHIP_EXACT));
	return result;
}

static List *
opexpr_candidates(OpExpr *opexpr, RelOptInfo *baserel, List *columns,
				  const ShipPolicy *policy)
{
	Expr	   *left;
	Expr	   *right;
	Oid			opno = opexpr->opno;
	Oid			funcid;
	const SymblColumn *col;
	char	   *selector;
	SymblOp		op;
	Oid			value_type;

	if (list_length(opexpr->args) != 2)
		return NIL;
	left = linitial(opexpr->args);
	right = lsecond(opexpr->args);

	/* put the column on the left */
	if (!is_scan_constant(right, baserel) && is_scan_constant(left, baserel))
	{
		Expr	   *tmp = left;

		opno = get_commutator(opno);
		if (!OidIsValid(opno))
			return NIL;
		left = right;
		right = tmp;
	}
	if (!is_scan_constant(right, baserel))
		return NIL;
	funcid = get_opcode(opno);

	col = column_for_var(left, baserel, columns);
	if (col != NULL && (col->field == SYMBL_FIELD_START_TIME ||
						col->field == SYMBL_FIELD_END_TIME))
	{
		if (col->typid != TIMESTAMPTZOID || !time_operator(funcid, &op, &value_type))
			return NIL;
		return time_candidates(col, op, value_type, right, policy);
	}

	if ((funcid != F_TEXTEQ && funcid != F_TEXTNE) ||
		!text_equality_collation_ok(opexpr->inputcollid))
		return NIL;
	selector = symbl_text_selector(left, baserel, columns);
	if (selector == NULL)
		return NIL;
	op = funcid == F_TEXTEQ ? SYMBL_OP_EQ : SYMBL_OP_NE;
	return text_candidate(selector, op, right, policy);
}

static int
array_length_if_known(Expr *expr)
{
	if (IsA(expr, Const) && !((Const *) expr)->constisnull)
	{
		ArrayType  *arr = DatumGetArrayTypeP(((Const *) expr)->constvalue);

		return ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	}
	if (IsA(expr, ArrayExpr))
		return list_length(((ArrayExpr *) expr)->elements);
	return 0;
}

static List *
saop_candidates(ScalarArrayOpExpr *saop, RelOptInfo *baserel, List *columns,
				const ShipPolicy *policy)
{
	Expr	   *left = linitial(saop->args);
	Expr	   *right = lsecond(saop->args);
	Oid			funcid = get_opcode(saop->opno);
	char	   *selector;
	SymblOp		op;

	if (!is_scan_constant(right, baserel) ||
		!text_equality_collation_ok(saop->inputcollid) ||
		array_length_if_known(right) > MAX_IN_VALUES)
		return NIL;
	if (saop->useOr && funcid == F_TEXTEQ)
		op = SYMBL_OP_IN;
	else if (!saop->useOr && funcid == F_TEXTNE)
		op = SYMBL_OP_OUT;
	else
		return NIL;
	selector = symbl_text_selector(left, baserel, columns);
	if (selector == NULL)
		return NIL;
	return text_candidate(selector, op, right, policy);
}

/*
 * metadata @> '{"k": "v", ...}' with string values is metadata.k == v for
 * every key; anything else in the object keeps the qual local.
 */
static List *
contains_candidates(OpExpr *opexpr, RelOptInfo *baserel, List *columns,
					const ShipPolicy *policy)
{
	const SymblColumn *col = column_for_var(linitial(opexpr->args), baserel, columns);
	Const	   *pattern = lsecond(opexpr->args);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *result = NIL;
	char	   *key = NULL;
	int			depth = 0;

	if (col == NULL || col->field != SYMBL_FIELD_METADATA ||
		col->kind != SYMBL_VALUE_JSONB || !IsA(pattern, Const) ||
		pattern->constisnull || pattern->consttype != JSONBOID)
		return NIL;

	it = JsonbIteratorInit(&DatumGetJsonbP(pattern->constvalue)->root);
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_OBJECT:
				if (depth++ > 0)
					return NIL;
				break;
			case WJB_END_OBJECT:
				depth--;
				break;
			case WJB_KEY:
				key = pnstrdup(v.val.string.val, v.val.string.len);
				if (!metadata_key_is_sendable(key))
					return NIL;
				break;
			case WJB_VALUE:
				if (v.type != jbvString)
					return NIL;
				result = lappend(result,
								 make_candidate(SYMBL_TARGET_FILTER, SYMBL_OP_EQ,
												psprintf("conversation.metadata.%s", key),
												false,
												(Expr *) makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
																   PointerGetDatum(cstring_to_text_with_len(v.val.string.val,
																											v.val.string.len)),
																   false, false),
												2,
												shipping(SYMBL_FIELD_METADATA, SYMBL_OP_EQ, policy) == SHIP_EXACT));
				break;
			default:
				/* arrays or scalars at the top: not a metadata pattern */
				return NIL;
		}
	}
	return result;
}

static List *
qual_candidates(Expr *clause, RelOptInfo *baserel, List *columns,
				const ShipPolicy *policy)
{
	if (IsA(clause, OpExpr))
	{
		OpExpr	   *opexpr = (OpExpr *) clause;

		if (list_length(opexpr->args) == 2 &&
			get_opcode(opexpr->opno) == F_JSONB_CONTAINS)
			return contains_candidates(opexpr, baserel, columns, policy);
		return opexpr_candidates(opexpr, baserel, columns, policy);
	}
	if (IsA(clause, ScalarArrayOpExpr))
		return saop_candidates((ScalarArrayOpExpr *) clause, baserel, columns,
							   policy);
	return NIL;
}

/* ----------------------------------------------------------------
 * Choosing what to send
 * ----------------------------------------------------------------
 */

typedef struct SelectorRank
{
	const char *selector;
	int			priority;
	int			first_seen;
} SelectorRank;

static int
compare_rank(const void *a, const void *b)
{
	const SelectorRank *ra = a;
	const SelectorRank *rb = b;

	if (ra->priority != rb->priority)
		return ra->priority - rb->priority;
	return ra->first_seen - rb->first_seen;
}

/*
 * The selectors that go into the filter: the most selective ones, at most
 * MAX_FILTER_SELECTORS of them.  Ties keep the order the quals came in, so
 * the choice is stable.
 */
/*
 * The distinct selectors of a raw RSQL filter: the name before each
 * comparison's operator.  A rough reading is enough, as it only reserves
 * room in the API's two-selector budget.
 */
static List *
raw_filter_selectors(const char *raw)
{
	List	   *selectors = NIL;
	const char *p = raw;

	/*
	 * A selector is a name followed by a comparison operator.  Names right
	 * after '=' are operator names (=in=, =gt=); quoted values are skipped;
	 * AND may be written ';' or ' and ', which this reading does not need
	 * to tell apart.
	 */
	while (p != NULL && *p)
	{
		if (*p == '"' || *p == '\'')
		{
			char		quote = *p++;

			while (*p && *p != quote)
				p += (*p == '\\' && p[1]) ? 2 : 1;
			if (*p)
				p++;
		}
		else if (is_ascii_alnum(*p) || *p == '_')
		{
			const char *start = p;
			const char *q;

			while (*p && (is_ascii_alnum(*p) || *p == '.' ||
						  *p == '_' || *p == '-'))
				p++;
			for (q = p; *q == ' ' || *q == '\t'; q++)
				;
			if ((start == raw || start[-1] != '=') &&
				(*q == '=' || *q == '!' || *q == '<' || *q == '>'))
			{
				String	   *sel = makeString(pnstrdup(start, p - start));

				if (!list_member(selectors, sel))
					selectors = lappend(selectors, sel);
			}
		}
		else
			p++;
	}
	return selectors;
}

static List *
choose_selectors(List *quals, int budget)
{
	SelectorRank *ranks = NULL;
	int			nranks = 0;
	int			seen = 0;
	ListCell   *lq;
	List	   *chosen = NIL;
	int			i;

	foreach(lq, quals)
	{
		QualCandidates *qc = lfirst(lq);
		ListCell   *lc;

		foreach(lc, qc->candidates)
		{
			Candidate  *cand = lfirst(lc);

			if (cand->cond->target != SYMBL_TARGET_FILTER)
				continue;
			for (i = 0; i < nranks; i++)
				if (strcmp(ranks[i].selector, cand->cond->selector) == 0)
					break;
			if (i == nranks)
			{
				ranks = ranks ? repalloc(ranks, sizeof(SelectorRank) * (nranks + 1)) :
					palloc(sizeof(SelectorRank));
				ranks[nranks].selector = cand->cond->selector;
				ranks[nranks].priority = cand->priority;
				ranks[nranks].first_seen = seen++;
				nranks++;
			}
			else
				ranks[i].priority = Min(ranks[i].priority, cand->priority);
		}
	}
	if (nranks > 1)
		qsort(ranks, nranks, sizeof(SelectorRank), compare_rank);
	for (i = 0; i < Min(nranks, budget); i++)
		chosen = lappend(chosen, (void *) ranks[i].selector);
	return chosen;
}

static bool
selector_chosen(List *chosen, const char *selector)
{
	ListCell   *lc;

	foreach(lc, chosen)
		if (strcmp((const char *) lfirst(lc), selector) == 0)
			return true;
	return false;
}

/*
 * Split quals into what is sent and what PostgreSQL checks.  A qual leaves
 * the local list only if every part of it is sent and applied exactly.
 */
void
symbl_classify_quals(RelOptInfo *baserel, List *columns, const char *raw_filter,
					 const SymblServerOptions *opts, bool writes,
					 List *quals, SymblPushdown *out)
{
	ShipPolicy	policy = {opts->send_selectors, opts->exact_selectors, writes};
	int			budget = MAX_FILTER_SELECTORS -
		list_length(raw_filter_selectors(raw_filter));
	List	   *with_candidates = NIL;
	List	   *chosen;
	ListCell   *lc;

	memset(out, 0, sizeof(*out));
	foreach(lc, quals)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		QualCandidates *qc = palloc0(sizeof(QualCandidates));

		qc->rinfo = rinfo;
		if (!rinfo->pseudoconstant)
			qc->candidates = qual_candidates(rinfo->clause, baserel, columns,
											 &policy);
		with_candidates = lappend(with_candidates, qc);
	}

	chosen = choose_selectors(with_candidates, Max(budget, 0));
	out->nselectors = list_length(chosen) + (MAX_FILTER_SELECTORS - budget);

	foreach(lc, with_candidates)
	{
		QualCandidates *qc = lfirst(lc);
		bool		has_filter = false;
		bool		exact = true;
		bool		sent = false;
		ListCell   *lcand;

		foreach(lcand, qc->candidates)
		{
			Candidate  *cand = lfirst(lcand);
			SymblCond  *cond = cand->cond;

			if (cond->target == SYMBL_TARGET_FILTER)
			{
				has_filter = true;
				if (!selector_chosen(chosen, cond->selector))
				{
					exact = false;
					continue;
				}
				exact &= cand->exact;
			}
			out->conds = lappend(out->conds, cond);
			sent = true;
		}
		/* window parameters alone are never exact: they are one ms wider */
		if (has_filter && exact)
			out->remote_quals = lappend(out->remote_quals, qc->rinfo);
		else
		{
			out->local_quals = lappend(out->local_quals, qc->rinfo);
			if (sent)
				out->superset_quals = lappend(out->superset_quals, qc->rinfo);
		}
	}
}

/* ----------------------------------------------------------------
 * Sort keys
 * ----------------------------------------------------------------
 */

/*
 * The API sorts by startTime as PostgreSQL does, and the scan errors out on
 * a conversation without one (see check_sort_fields_present).  endTime is
 * missing from every conversation in progress, and where the API puts those
 * is not documented; how it orders ids (code point or number) is not
 * documented either.  Those sorts stay local.
 */
static const char *
sort_selector(const SymblColumn *col)
{
	if (col->field == SYMBL_FIELD_START_TIME && col->typid == TIMESTAMPTZOID)
		return "conversation.startTime";
	return NULL;
}

/*
 * How many leading pathkeys the API can sort by: plain columns it sorts the
 * way PostgreSQL does, all in one direction (it has one `order`).  Fills
 * *sort (conversation.startTime when none: conversation.id is no
 * documented sort field, so ties come in the API's own order, which the
 * pager copes with), *descending and, if wanted,
 * *attnums (the columns sorted by).
 */
int
symbl_sortable_prefix(RelOptInfo *baserel, List *columns, List *pathkeys,
					  char **sort, bool *descending, List **attnums)
{
	StringInfoData buf;
	ListCell   *lc;
	int			n = 0;

	initStringInfo(&buf);
	*descending = false;
	if (attnums != NULL)
		*attnums = NIL;
	foreach(lc, pathkeys)
	{
		PathKey    *pk = lfirst(lc);
		EquivalenceClass *ec = pk->pk_eclass;
		const SymblColumn *col = NULL;
		const char *selector = NULL;
		SymblMemberIterator it;
		EquivalenceMember *em;
		bool		desc = symbl_pathkey_descending(pk);

		if (ec->ec_has_volatile || (n > 0 && desc != *descending))
			break;
		/* child members too: an inheritance or partition member sorts */
		symbl_members_start(&it, ec, baserel->relids);
		while ((em = symbl_members_next(&it)) != NULL)
		{
			if (em->em_is_const)
				continue;
			col = column_for_var(em->em_expr, baserel, columns);
			if (col == NULL)
				continue;
			if (symbl_pathkey_operator(pk, col->typid) == InvalidOid)
				continue;
			selector = sort_selector(col);
			if (selector != NULL)
				break;
		}
		if (selector == NULL)
			break;
		*descending = desc;
		if (attnums != NULL)
			*attnums = lappend_int(*attnums, col->attnum);
		appendStringInfo(&buf, "%s,", selector);
		n++;
	}
	/* the API's own default (and the key the pager holds ties by) */
	if (n == 0)
		appendStringInfoString(&buf, "conversation.startTime,");
	buf.data[--buf.len] = '\0';
	*sort = buf.data;
	return n;
}
