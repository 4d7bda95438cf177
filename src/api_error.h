/*-------------------------------------------------------------------------
 *
 * api_error.h
 *		  What api_error.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_API_ERROR_H
#define SYMBL_API_ERROR_H

#include "symbl_types.h"

extern char *symbl_api_error_message(const char *body);

#endif							/* SYMBL_API_ERROR_H */
