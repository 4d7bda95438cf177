/*-------------------------------------------------------------------------
 *
 * selector_memory.c
 *		  Which servers answered 400 to a filter selector Symbl never
 *		  documented, remembered for the rest of the session.
 *
 * Such selectors (conversation.type, .name, .startTime, .endTime) are only
 * ever sent as a superset that PostgreSQL rechecks, so a scan may drop
 * them without changing its rows.  The first list request that the API
 * refuses with a 400 naming the filter is sent again without them, and so
 * is every later request to that server in this backend: a user never sees
 * an error because the API rejects a selector it never promised.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "nodes/pg_list.h"
#include "utils/memutils.h"

#include "symbl_types.h"
#include "selector_memory.h"

static List *rejecting_servers = NIL;

bool
symbl_server_rejects_selectors(Oid serverid)
{
	return OidIsValid(serverid) && list_member_oid(rejecting_servers, serverid);
}

void
symbl_remember_rejected_selectors(Oid serverid)
{
	MemoryContext oldcxt;

	if (!OidIsValid(serverid) || symbl_server_rejects_selectors(serverid))
		return;
	oldcxt = MemoryContextSwitchTo(TopMemoryContext);
	rejecting_servers = lappend_oid(rejecting_servers, serverid);
	MemoryContextSwitchTo(oldcxt);
}

/* A filter condition on a selector Symbl published an example of */
bool
symbl_selector_is_documented(const char *selector)
{
	return strncmp(selector, "conversation.metadata.", 22) == 0;
}
