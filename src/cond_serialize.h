/*-------------------------------------------------------------------------
 *
 * cond_serialize.h
 *		  What cond_serialize.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_COND_SERIALIZE_H
#define SYMBL_COND_SERIALIZE_H

#include "symbl_types.h"

extern List *symbl_serialize_conds(List *conds, List **fdw_exprs);
extern List *symbl_deserialize_conds(List *serialized);

#endif							/* SYMBL_COND_SERIALIZE_H */
