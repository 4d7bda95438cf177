/*-------------------------------------------------------------------------
 *
 * api_call.h
 *		  What api_call.c offers the other files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_API_CALL_H
#define SYMBL_API_CALL_H

#include "symbl_types.h"

extern SymblListCall *symbl_api_list_start(SymblConnection *conn,
										   const char *query,
										   MemoryContext parent);
extern const char *symbl_api_list_finish(SymblListCall *call, size_t *len,
										 SymblScanStats *stats);
extern SymblListCall *symbl_api_get_start(SymblConnection *conn,
										  const char *path_query,
										  MemoryContext parent);
extern const char *symbl_api_list_finish_checked(SymblListCall *call,
												 size_t *len,
												 SymblScanStats *stats,
												 bool *not_found,
												 bool *filter_rejected);
extern const char *symbl_api_get_finish(SymblListCall *call, size_t *len,
										SymblScanStats *stats,
										bool *not_found);
extern void symbl_api_list_release(SymblListCall *call);
extern const char *symbl_api_list_what(SymblListCall *call);
extern bool symbl_api_list_arrived(SymblListCall *call);
extern MemoryContext symbl_api_list_memory(SymblListCall *call);
extern SymblApiCall *symbl_api_call_start(SymblConnection *conn,
										  const char *method, const char *path,
										  const char *json_body,
										  MemoryContext parent);
extern const char *symbl_api_call_finish(SymblApiCall *call, long *status,
										 size_t *len, int *attempts,
										 SymblScanStats *stats);
extern const char *symbl_api_call_what(SymblApiCall *call);
extern void symbl_api_call_release(SymblApiCall *call);

#endif							/* SYMBL_API_CALL_H */
