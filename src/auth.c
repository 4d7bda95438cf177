/*-------------------------------------------------------------------------
 *
 * auth.c
 *		  Bearer tokens for the Symbl API.
 *
 * A token is generated with the user mapping's app_id and app_secret and
 * cached for the life of the backend, per (server, user).  It is renewed a
 * little before expiresIn runs out, when the mapping's credentials or the
 * server's base_url change, and once when the API answers 401.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "mb/pg_wchar.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "symbl_fdw.h"

/* json-c after the PostgreSQL headers, and never with utils/builtins.h */
#include <json-c/json.h>

#define DEFAULT_EXPIRES_IN_S 3600
#define RENEW_MARGIN_S 60

typedef struct TokenKey
{
	Oid			serverid;
	Oid			userid;
} TokenKey;

typedef struct TokenEntry
{
	TokenKey	key;
	char	   *token;			/* in TopMemoryContext, NULL when none */
	TimestampTz renew_at;
	uint32		credentials_hash;	/* of base_url, app_id and app_secret */
} TokenEntry;

static HTAB *token_cache = NULL;

static TokenEntry *
lookup_entry(const SymblConnection *conn)
{
	TokenKey	key;
	bool		found;
	TokenEntry *entry;

	if (token_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(TokenKey);
		ctl.entrysize = sizeof(TokenEntry);
		token_cache = hash_create("symbl_fdw tokens", 8, &ctl,
								  HASH_ELEM | HASH_BLOBS);
	}
	memset(&key, 0, sizeof(key));
	key.serverid = conn->serverid;
	key.userid = conn->userid;
	entry = hash_search(token_cache, &key, HASH_ENTER, &found);
	if (!found)
	{
		entry->token = NULL;
		entry->renew_at = 0;
		entry->credentials_hash = 0;
	}
	return entry;
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

static void
forget_token(TokenEntry *entry)
{
	if (entry->token != NULL)
	{
		explicit_bzero(entry->token, strlen(entry->token));
		pfree(entry->token);
	}
	entry->token = NULL;
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
	json_object *root = json_tokener_parse(body);
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

static void
generate_token(SymblConnection *conn, TokenEntry *entry)
{
	char	   *request_body = token_request_body(conn);
	long		status;
	size_t		len;
	char	   *answer;
	char	   *token;
	int64		expires_in;
	int64		margin;

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

	if (!parse_token_answer(answer, &token, &expires_in))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Symbl token endpoint returned no accessToken"),
				 errdetail("POST %s answered HTTP 200 with an unexpected body.",
						   SYMBL_TOKEN_PATH)));

	margin = Min(RENEW_MARGIN_S, expires_in / 2);
	forget_token(entry);
	entry->token = token;
	entry->renew_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												  (expires_in - margin) * 1000);
	entry->credentials_hash = hash_credentials(conn);
}

bool
symbl_auth_can_renew(SymblConnection *conn)
{
	return conn->creds.access_token == NULL;
}

/*
 * The bearer token to send.  With renew, a fresh one is generated even if
 * the cached one looks valid (the API has just refused it).
 */
const char *
symbl_auth_token(SymblConnection *conn, bool renew)
{
	TokenEntry *entry;

	if (conn->creds.access_token != NULL)
		return conn->creds.access_token;

	entry = lookup_entry(conn);
	if (renew || entry->token == NULL ||
		entry->credentials_hash != hash_credentials(conn) ||
		GetCurrentTimestamp() >= entry->renew_at)
		generate_token(conn, entry);
	return entry->token;
}
