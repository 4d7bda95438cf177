/*-------------------------------------------------------------------------
 *
 * cond_serialize.c
 *		  The conditions a plan sends (SymblCond), to and from its
 *		  fdw_private: the plan keeps only lists of scalar nodes, and the
 *		  conditions' values go into fdw_exprs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/makefuncs.h"
#include "nodes/pg_list.h"
#include "nodes/value.h"

#include "symbl_types.h"
#include "cond_serialize.h"
#include "compat.h"

/*
 * Conditions travel in fdw_private as lists of scalar nodes; their value
 * expressions go into fdw_exprs (where the executor initializes them and
 * nestloop parameters get replaced).
 */
List *
symbl_serialize_conds(List *conds, List **fdw_exprs)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, conds)
	{
		SymblCond  *cond = lfirst(lc);

		*fdw_exprs = lappend(*fdw_exprs, cond->value);
		result = lappend(result,
						 list_make5(makeInteger(cond->target),
									makeInteger(cond->op),
									makeString(cond->selector ? cond->selector : pstrdup("")),
									makeBoolean(cond->is_time),
									makeInteger(list_length(*fdw_exprs) - 1)));
	}
	return result;
}

List *
symbl_deserialize_conds(List *serialized)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, serialized)
	{
		List	   *item = lfirst(lc);
		SymblCond  *cond = palloc0(sizeof(SymblCond));

		cond->target = intVal(linitial(item));
		cond->op = intVal(lsecond(item));
		cond->selector = strVal(lthird(item));
		cond->is_time = boolVal(lfourth(item));
		cond->value_index = intVal(list_nth(item, 4));
		result = lappend(result, cond);
	}
	return result;
}
