/*-------------------------------------------------------------------------
 *
 * selector_memory.h
 *		  What selector_memory.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_SELECTOR_MEMORY_H
#define SYMBL_SELECTOR_MEMORY_H

#include "symbl_types.h"

extern bool symbl_server_rejects_selectors(Oid serverid);
extern void symbl_remember_rejected_selectors(Oid serverid);
extern bool symbl_selector_is_documented(const char *selector);

#endif							/* SYMBL_SELECTOR_MEMORY_H */
