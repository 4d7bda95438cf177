/*-------------------------------------------------------------------------
 *
 * auth.h
 *		  What auth.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_AUTH_H
#define SYMBL_AUTH_H

#include "symbl_types.h"

extern const char *symbl_auth_token(SymblConnection *conn, bool renew);
extern bool symbl_auth_can_renew(SymblConnection *conn);

#endif							/* SYMBL_AUTH_H */
