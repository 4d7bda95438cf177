/*-------------------------------------------------------------------------
 *
 * auth.c
 *		  Bearer tokens for the Symbl API.
 *
 * A token is generated with the user mapping's app_id and app_secret and
 * cached for the life of the backend, per user mapping.  It is renewed a
 * little before expiresIn runs out, and once when the API answers 401.
 *
 * A cached token goes (zeroed, then freed) as soon as its user mapping or
 * its server is altered or dropped: syscache invalidation callbacks on
 * USERMAPPINGOID and FOREIGNSERVEROID, as postgres_fdw drops its
 * connections.  An entry also remembers a hash of the credentials and
 * base_url the token was made with, so that a query that read the catalog
 * before a change never hands its token to one that read it after.
 *
 * A cache reset (hashvalue 0: the backend fell behind the invalidation
 * queue, or debug_discard_caches) names no row, so it cannot say which
 * tokens to drop: it marks them all to be checked.  The next token lookup,
 * with the catalog at hand again, drops those whose server or mapping is
 * gone or has other options than when the token was made, and keeps the
 * rest: a reset alone costs no new token.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_user_mapping.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "symbl_types.h"
#include "auth.h"
#include "exchange.h"

/* json-c after the PostgreSQL headers, and never with utils/builtins.h */
#include <json-c/json.h>
#include "json_worker.h"

#define DEFAULT_EXPIRES_IN_S 3600
#define RENEW_MARGIN_S 60

typedef struct TokenEntry
{
	Oid			umid;			/* the user mapping (hash key) */
	char	   *token;			/* in TopMemoryContext, never NULL */
	TimestampTz renew_at;
	uint32		credentials_hash;	/* of base_url, app_id and app_secret */
	uint32		server_hashvalue;	/* syscache hashes, for invalidation */
	uint32		mapping_hashvalue;
	Oid			serverid;
	uint32		options_hash;	/* of the server's and the mapping's options */
	bool		unchecked;		/* a cache reset came since options_hash */
} TokenEntry;

static HTAB *token_cache = NULL;
/* some entry is unchecked */
static bool tokens_unchecked = false;

static void
forget_token(TokenEntry *entry)
{
	explicit_bzero(entry->token, strlen(entry->token));
	pfree(entry->token);
	entry->token = NULL;
	entry->credentials_hash = 0;
}

/*
 * A server or user mapping changed or went: drop the tokens obtained
 * through it.  The next query reads the catalog again and asks for a new
 * token.  After a cache reset (hashvalue 0), which names nothing, every
 * entry is only marked for check_unchecked_tokens.
 */
static void
invalidate_tokens(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	TokenEntry *entry;

	hash_seq_init(&scan, token_cache);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		if (hashvalue == 0)
		{
			entry->unchecked = true;
			tokens_unchecked = true;
		}
		else if ((cacheid == FOREIGNSERVEROID && entry->server_hashvalue == hashvalue) ||
				 (cacheid == USERMAPPINGOID && entry->mapping_hashvalue == hashvalue))
		{
			forget_token(entry);
			/* removing the entry just returned is allowed during a scan */
			hash_search(token_cache, &entry->umid, HASH_REMOVE, NULL);
		}
	}
}

static TokenEntry *
lookup_entry(const SymblConnection *conn, HASHACTION action, bool *found)
{
	if (token_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(TokenEntry);
		token_cache = hash_create("symbl_fdw tokens", 8, &ctl,
								  HASH_ELEM | HASH_BLOBS);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, invalidate_tokens,
									  (Datum) 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, invalidate_tokens,
									  (Datum) 0);
	}
	return hash_search(token_cache, &conn->umid, action, found);
}

/*
 * A hash of a catalog row's options array (srvoptions, umoptions), or
 * false when the row is gone.
 */
static bool
hash_catalog_options(int cacheid, Oid oid, AttrNumber attnum, uint32 *hash)
{
	HeapTuple	tuple = SearchSysCache1(cacheid, ObjectIdGetDatum(oid));
	Datum		options;
	bool		isnull;

	if (!HeapTupleIsValid(tuple))
		return false;
	options = SysCacheGetAttr(cacheid, tuple, attnum, &isnull);
	if (isnull)
		*hash = hash_combine(*hash, 0);
	else
	{
		struct varlena *array = PG_DETOAST_DATUM_PACKED(options);

		*hash = hash_combine(*hash, hash_bytes((unsigned char *) VARDATA_ANY(array),
											   VARSIZE_ANY_EXHDR(array)));
		if ((Pointer) array != DatumGetPointer(options))
			pfree(array);
	}
	ReleaseSysCache(tuple);
	return true;
}

/* The options of the server and the mapping, as the catalog has them now */
static bool
hash_options_now(Oid serverid, Oid umid, uint32 *hash)
{
	*hash = 0;
	return hash_catalog_options(FOREIGNSERVEROID, serverid,
								Anum_pg_foreign_server_srvoptions, hash) &&
		hash_catalog_options(USERMAPPINGOID, umid,
							 Anum_pg_user_mapping_umoptions, hash);
}

/*
 * After a cache reset: drop the tokens whose server or mapping went or
 * has other options since the token was made, keep the others.  The umids
 * are gathered first: the catalog lookups may run invalidation callbacks,
 * which may remove entries, and no hash_seq_search may be open then.  (A
 * reset during these lookups marks entries again, for the next call.)
 */
static void
check_unchecked_tokens(void)
{
	HASH_SEQ_STATUS scan;
	TokenEntry *entry;
	Oid		   *umids;
	int			n = 0;
	int			i;

	if (!tokens_unchecked)
		return;
	tokens_unchecked = false;
	umids = palloc(sizeof(Oid) * Max(hash_get_num_entries(token_cache), 1));
	hash_seq_init(&scan, token_cache);
	while ((entry = hash_seq_search(&scan)) != NULL)
		if (entry->unchecked)
			umids[n++] = entry->umid;
	for (i = 0; i < n; i++)
	{
		uint32		options;
		bool		exists;
		Oid			serverid;

		entry = hash_search(token_cache, &umids[i], HASH_FIND, NULL);
		if (entry == NULL)
			continue;
		serverid = entry->serverid;
		entry->unchecked = false;
		/* (entry is not used across the lookups, which may remove it) */
		exists = hash_options_now(serverid, umids[i], &options);
		entry = hash_search(token_cache, &umids[i], HASH_FIND, NULL);
		if (entry == NULL)
			continue;
		if (!exists || options != entry->options_hash)
		{
			forget_token(entry);
			hash_search(token_cache, &umids[i], HASH_REMOVE, NULL);
		}
	}
	pfree(umids);
}

static uint32
hash_credentials(const SymblConnection *conn)
{
	const char *parts[3] = {conn->opts.base_url, conn->creds.app_id,
	conn->creds.app_secret};
	uint32		h = 0;
	int			i;

	for (i = 0; i < 3; i++)
		h = hash_combine(h, string_hash(parts[i], strlen(parts[i]) + 1));
	return h;
}

static char *
token_request_body(const SymblConnection *conn)
{
	json_object *obj = json_object_new_object();
	char	   *body;

	if (obj == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	json_object_object_add(obj, "type", json_object_new_string("application"));
	json_object_object_add(obj, "appId", json_object_new_string(conn->creds.app_id));
	json_object_object_add(obj, "appSecret", json_object_new_string(conn->creds.app_secret));
	body = pstrdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
	return body;
}

/*
 * Pull accessToken and expiresIn out of the token endpoint's answer.  The
 * json-c tree is freed before anything is reported.
 */
static bool
parse_token_answer(const char *body, char **token, int64 *expires_in)
{
	json_object *root = symbl_json_parse_bounded(body);
	json_object *value;
	bool		ok = false;

	*token = NULL;
	*expires_in = DEFAULT_EXPIRES_IN_S;
	if (root != NULL && json_object_is_type(root, json_type_object) &&
		json_object_object_get_ex(root, "accessToken", &value) &&
		json_object_is_type(value, json_type_string) &&
		json_object_get_string_len(value) > 0)
	{
		*token = MemoryContextStrdup(TopMemoryContext, json_object_get_string(value));
		ok = true;
		if (json_object_object_get_ex(root, "expiresIn", &value) &&
			json_object_is_type(value, json_type_int))
			*expires_in = json_object_get_int64(value);
	}
	json_object_put(root);
	return ok;
}

/*
 * A new token from the token endpoint, in TopMemoryContext, and when to
 * renew it.
 */
static char *
generate_token(SymblConnection *conn, TimestampTz *renew_at)
{
	char	   *request_body = token_request_body(conn);
	long		status;
	size_t		len;
	char	   *answer;
	char	   *token;
	int64		expires_in;
	int64		margin;
	bool		parsed;

	answer = symbl_http_post_json(conn, SYMBL_TOKEN_PATH, request_body,
								  &status, CurrentMemoryContext, &len);
	explicit_bzero(request_body, strlen(request_body));
	pfree(request_body);

	if (status == 401 || status == 403)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("Symbl rejected the app_id and app_secret of the user mapping for server \"%s\"",
						conn->server_name),
				 errdetail("HTTP %ld from POST %s.", status, SYMBL_TOKEN_PATH),
				 errhint("Check the credentials with ALTER USER MAPPING.")));

	parsed = parse_token_answer(answer, &token, &expires_in);
	/* the answer holds the token: this copy is zeroed now */
	explicit_bzero(answer, len);
	pfree(answer);
	if (!parsed)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Symbl token endpoint returned no accessToken"),
				 errdetail("POST %s answered HTTP 200 with an unexpected body.",
						   SYMBL_TOKEN_PATH)));

	margin = Min(RENEW_MARGIN_S, expires_in / 2);
	*renew_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											(expires_in - margin) * 1000);
	return token;
}

bool
symbl_auth_can_renew(SymblConnection *conn)
{
	return conn->creds.access_token == NULL;
}

/*
 * The bearer token to send.  With renew, a fresh one is generated even if
 * the cached one looks valid (the API has just refused it).  The entry is
 * looked up again after the token request, which holds no pointer into the
 * cache while it waits.
 */
const char *
symbl_auth_token(SymblConnection *conn, bool renew)
{
	uint32		credentials;
	TokenEntry *entry;
	bool		found;
	char	   *token;
	TimestampTz renew_at;
	uint32		options;

	if (conn->creds.access_token != NULL)
		return conn->creds.access_token;

	credentials = hash_credentials(conn);
	if (token_cache != NULL)
		check_unchecked_tokens();
	entry = lookup_entry(conn, HASH_FIND, &found);
	if (entry != NULL && !renew && entry->credentials_hash == credentials &&
		GetCurrentTimestamp() < entry->renew_at)
		return entry->token;

	token = generate_token(conn, &renew_at);
	if (!hash_options_now(conn->serverid, conn->umid, &options))
		options = 0;			/* (gone since: the next check drops it) */
	entry = lookup_entry(conn, HASH_ENTER, &found);
	if (found)
		forget_token(entry);
	entry->token = token;
	entry->renew_at = renew_at;
	entry->credentials_hash = credentials;
	entry->serverid = conn->serverid;
	entry->options_hash = options;
	entry->unchecked = false;
	entry->server_hashvalue = GetSysCacheHashValue1(FOREIGNSERVEROID,
													ObjectIdGetDatum(conn->serverid));
	entry->mapping_hashvalue = GetSysCacheHashValue1(USERMAPPINGOID,
													 ObjectIdGetDatum(conn->umid));
	return entry->token;
}
