/*-------------------------------------------------------------------------
 *
 * option.c
 *		  Option validation for symbl_fdw, and reading options back at
 *		  plan and execution time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_type.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/varlena.h"

#include "http.h"
#include "symbl_types.h"
#include "option.h"
#include "part_column.h"
#include "resource.h"

PG_FUNCTION_INFO_V1(symbl_fdw_validator);

#define DEFAULT_BASE_URL "https://api.symbl.ai"
#define DEFAULT_ROWS_ESTIMATE 10000


typedef enum SymblOptionKind
{
	OPT_URL,
	OPT_INT,
	OPT_REAL,
	OPT_BOOL,
	OPT_STRING,
	OPT_SECRET,
	OPT_FIELD,
	OPT_RESOURCE,
	OPT_SELECTORS
} SymblOptionKind;

typedef struct SymblOption
{
	const char *name;
	Oid			catalog;
	SymblOptionKind kind;
	int			min;			/* OPT_INT: range and default */
	int			max;
	int			default_value;
	int			offset;			/* OPT_INT: field in SymblServerOptions */
} SymblOption;

#define SERVER_INT(name, min, max, dflt) \
	{#name, ForeignServerRelationId, OPT_INT, min, max, dflt, \
	 offsetof(SymblServerOptions, name)}

#define OPTION(name, catalog, kind) {name, catalog, kind, 0, 0, 0, -1}

static const SymblOption symbl_options[] = {
	OPTION("base_url", ForeignServerRelationId, OPT_URL),
	SERVER_INT(page_size, 1, 65536, 1000),
	SERVER_INT(connect_timeout_ms, 1, 3600000, 10000),
	SERVER_INT(request_timeout_ms, 1, 86400000, 60000),
	SERVER_INT(max_retries, 0, 20, 3),
	SERVER_INT(max_response_mb, 1, 1024, 64),
	SERVER_INT(max_concurrent_requests, 1, 16, 6),
	OPTION("allow_insecure_http", ForeignServerRelationId, OPT_BOOL),
	OPTION("compression", ForeignServerRelationId, OPT_BOOL),
	OPTION("parse_thread", ForeignServerRelationId, OPT_BOOL),
	OPTION("updatable", ForeignServerRelationId, OPT_BOOL),
	OPTION("send_selectors", ForeignServerRelationId, OPT_SELECTORS),
	OPTION("exact_selectors", ForeignServerRelationId, OPT_SELECTORS),
	OPTION("app_id", UserMappingRelationId, OPT_STRING),
	OPTION("app_secret", UserMappingRelationId, OPT_SECRET),
	OPTION("access_token", UserMappingRelationId, OPT_SECRET),
	OPTION("rows", ForeignTableRelationId, OPT_REAL),
	OPTION("filter", ForeignTableRelationId, OPT_STRING),
	OPTION("updatable", ForeignTableRelationId, OPT_BOOL),
	OPTION("resource", ForeignTableRelationId, OPT_RESOURCE),
	OPTION("field", AttributeRelationId, OPT_FIELD),
	OPTION(NULL, InvalidOid, OPT_STRING)
};

static const char *
catalog_description(Oid catalog)
{
	switch (catalog)
	{
		case ForeignServerRelationId:
			return "foreign server";
		case UserMappingRelationId:
			return "user mapping";
		case ForeignTableRelationId:
			return "foreign table";
		case AttributeRelationId:
			return "foreign table column";
		default:
			return "foreign-data wrapper";
	}
}

static char *
valid_option_names(Oid catalog)
{
	StringInfoData buf;
	const SymblOption *opt;

	initStringInfo(&buf);
	for (opt = symbl_options; opt->name; opt++)
	{
		if (opt->catalog != catalog)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", opt->name);
	}
	return buf.data;
}

static const SymblOption *
find_option(const char *name, Oid catalog)
{
	const SymblOption *opt;

	for (opt = symbl_options; opt->name; opt++)
		if (opt->catalog == catalog && strcmp(opt->name, name) == 0)
			return opt;
	return NULL;
}

/*
 * Map a field option or a column name to a response field.  Case and
 * underscores are ignored, so start_time, starttime and "startTime" agree.
 */
bool
symbl_lookup_field(const char *name, SymblField *field)
{
	char		norm[NAMEDATALEN];
	int			n = 0;
	int			i;

	for (; *name && n < NAMEDATALEN - 1; name++)
		if (*name != '_')
			norm[n++] = pg_ascii_tolower((unsigned char) *name);
	norm[n] = '\0';

	for (i = 0; i < SYMBL_NUM_FIELDS; i++)
	{
		if (pg_strcasecmp(norm, symbl_field_names[i]) == 0)
		{
			*field = (SymblField) i;
			return true;
		}
	}
	return false;
}

static char *
resource_names(void)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < symbl_num_resources; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", symbl_resources[i].table);
	return buf.data;
}

static int
option_int(DefElem *def, int min, int max)
{
	char	   *value = defGetString(def);
	long		result = -1;
	char	   *end = value;

	/* decimal digits only: '12.5', '1e3' or '0x10' are not a page size */
	if (*value >= '0' && *value <= '9')
	{
		errno = 0;
		result = strtol(value, &end, 10);
		if (errno != 0 || *end != '\0')
			result = -1;
	}
	if (result < min || result > max)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						def->defname, value),
				 errdetail("\"%s\" must be an integer from %d to %d.",
						   def->defname, min, max)));
	return (int) result;
}

/*
 * localhost, 127.0.0.0/8 or ::1, by address, not by prefix: 127.example.com
 * is somebody else's host.
 */
static bool
is_loopback_host(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;
	char		bare[INET6_ADDRSTRLEN + 2];
	size_t		len = strlen(host);

	if (pg_strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (len > 2 && len < sizeof(bare) && host[0] == '[' && host[len - 1] == ']')
	{
		memcpy(bare, host + 1, len - 2);
		bare[len - 2] = '\0';
		host = bare;
	}
	return inet_pton(AF_INET6, host, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

/* The scheme and host of a base URL, as libcurl reads it (http.c) */
static bool
base_url_parts(const char *url, char **scheme, char **host,
					 char **reason)
{
	char		err[256];
	char	   *s;
	char	   *h;

	if (!symbl_http_parse_base_url(url, &s, &h, err, sizeof(err)))
	{
		*reason = pstrdup(err);
		return false;
	}
	*scheme = pstrdup(s);
	*host = pstrdup(h);
	symbl_http_free(s);
	symbl_http_free(h);
	return true;
}

/*
 * Compression saves transfer time across a network; over loopback (the
 * emulator, a local proxy) it only costs CPU on both ends.
 */
static bool
is_loopback_url(const char *url)
{
	char	   *scheme;
	char	   *host;
	char	   *reason;

	return base_url_parts(url, &scheme, &host, &reason) &&
		is_loopback_host(host);
}

static void
check_base_url(const char *url, bool allow_insecure_http)
{
	char	   *reason = NULL;
	char	   *scheme = NULL;
	char	   *host = NULL;

	if (!base_url_parts(url, &scheme, &host, &reason))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid value for option \"base_url\": \"%s\"", url),
				 errdetail("%s", reason),
				 errhint("Give the API's root, for example 'https://api.symbl.ai'.")));

	if (strcmp(scheme, "http") == 0 && !is_loopback_host(host) &&
		!allow_insecure_http)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("plain-http base_url \"%s\" is allowed only for loopback hosts", url),
				 errdetail("Credentials and bearer tokens would cross the network unencrypted."),
				 errhint("Use https, or set the server option allow_insecure_http 'true' if you really mean it.")));
}

/*
 * Users other than superusers may point a server only at https URLs: a
 * server that talks plain http (the emulator, a local proxy) is a
 * superuser's decision.  The validator sees the whole option list, so an
 * owner's ALTER of another option is judged by the same rule.
 */
static void
check_unprivileged_server(const char *base_url, bool allow_insecure_http)
{
	if (allow_insecure_http)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser can create or alter a symbl_fdw server with allow_insecure_http")));
	if (base_url != NULL && pg_strncasecmp(base_url, "https://", 8) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser can create or alter a symbl_fdw server whose base_url is not https"),
				 errhint("Use an https base_url, or ask a superuser.")));
}

static void
check_credentials(List *options)
{
	bool		has_id = false;
	bool		has_secret = false;
	bool		has_token = false;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);

		has_id |= strcmp(def->defname, "app_id") == 0;
		has_secret |= strcmp(def->defname, "app_secret") == 0;
		has_token |= strcmp(def->defname, "access_token") == 0;
	}

	if (has_token && (has_id || has_secret))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("a user mapping for symbl_fdw takes either access_token or app_id and app_secret, not both")));
	if (has_id != has_secret)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"%s\" is required together with \"%s\"",
						has_id ? "app_secret" : "app_id",
						has_id ? "app_id" : "app_secret")));
}

/*
 * The filter selectors Symbl never documented (its only published filter
 * example is conversation.metadata.<key>), by the column name a DBA knows
 * them by.  conversation.id is not among them: reads by id go to the
 * documented GET /v1/conversations/{id}, never into a filter.
 */
static const struct
{
	const char *name;
	SymblField	field;
}			undocumented_selectors[] = {
	{"type", SYMBL_FIELD_TYPE},
	{"name", SYMBL_FIELD_NAME},
	{"start_time", SYMBL_FIELD_START_TIME},
	{"end_time", SYMBL_FIELD_END_TIME},
};

#define ALL_UNDOCUMENTED_SELECTORS \
	(SYMBL_FIELD_BIT(SYMBL_FIELD_TYPE) | SYMBL_FIELD_BIT(SYMBL_FIELD_NAME) | \
	 SYMBL_FIELD_BIT(SYMBL_FIELD_START_TIME) | SYMBL_FIELD_BIT(SYMBL_FIELD_END_TIME))

static char *
undocumented_selector_names(void)
{
	StringInfoData buf;
	size_t		i;

	initStringInfo(&buf);
	for (i = 0; i < lengthof(undocumented_selectors); i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", undocumented_selectors[i].name);
	return buf.data;
}

/*
 * A list of selectors such as 'type, name', or '' for none, as a bit per
 * SymblField; an unknown name is an error that lists the known ones.
 */
static int
parse_selector_list(DefElem *def)
{
	char	   *raw = pstrdup(defGetString(def));
	List	   *names;
	ListCell   *lc;
	int			bits = 0;

	if (!SplitIdentifierString(raw, ',', &names))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						def->defname, defGetString(def)),
				 errdetail("The value is a comma-separated list of column names."),
				 errhint("Valid names are: %s.", undocumented_selector_names())));
	foreach(lc, names)
	{
		const char *name = lfirst(lc);
		size_t		i;

		for (i = 0; i < lengthof(undocumented_selectors); i++)
			if (strcmp(undocumented_selectors[i].name, name) == 0)
				break;
		if (i == lengthof(undocumented_selectors))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid value for option \"%s\": \"%s\"",
							def->defname, name),
					 strcmp(name, "id") == 0 ?
					 errdetail("Reads by id use GET /v1/conversations/{id}; conversation.id never goes into a filter.") :
					 errdetail("Only selectors without a published filter example are listed here; metadata keys are always sent."),
					 errhint("Valid names are: %s.", undocumented_selector_names())));
		bits |= SYMBL_FIELD_BIT(undocumented_selectors[i].field);
	}
	return bits;
}

/*
 * Validate the options given to CREATE/ALTER for one catalog.  PostgreSQL
 * hands us the complete resulting option list, so cross-option rules (either
 * a token or an app id and secret) can be checked here too.
 */
static void
refuse_unknown_option(DefElem *def, Oid catalog)
{
	char	   *valid = valid_option_names(catalog);

	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\" for a symbl_fdw %s",
					def->defname, catalog_description(catalog)),
			 valid[0] != '\0' ?
			 errhint("Valid options in this context are: %s", valid) :
			 errhint("There are no valid options in this context.")));
}

static void
check_real_option(DefElem *def)
{
	double		val;

	if (!parse_real(defGetString(def), &val, 0, NULL) || val < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid value for option \"%s\": \"%s\"",
						def->defname, defGetString(def)),
				 errdetail("\"%s\" must be a non-negative number.",
						   def->defname)));
}

static void
check_field_option(DefElem *def)
{
	SymblField	field;
	SymblJsonPath path;

	if (!symbl_lookup_field(defGetString(def), &field) &&
		!symbl_parse_json_path(defGetString(def), &path))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid value for option \"field\": \"%s\"",
						defGetString(def)),
				 errdetail("A field is a conversation field, or in the tables of a conversation's parts a dotted JSON path of at most %d names.",
						   SYMBL_MAX_PATH_SEGMENTS),
				 errhint("Conversation fields are: id, type, name, startTime, endTime, members, metadata; a path looks like 'from.name'.")));
}

/* One option's value, by its kind; the URL and the insecure flag are noted */
static void
check_option_value(DefElem *def, const SymblOption *opt,
				   const char **base_url, bool *allow_insecure_http)
{
	switch (opt->kind)
	{
		case OPT_URL:
			*base_url = defGetString(def);
			break;
		case OPT_INT:
			(void) option_int(def, opt->min, opt->max);
			break;
		case OPT_REAL:
			check_real_option(def);
			break;
		case OPT_BOOL:
			if (strcmp(def->defname, "allow_insecure_http") == 0)
				*allow_insecure_http = defGetBoolean(def);
			else
				(void) defGetBoolean(def);
			break;
		case OPT_STRING:
		case OPT_SECRET:
			if (defGetString(def)[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("option \"%s\" must not be empty",
								def->defname)));
			break;
		case OPT_FIELD:
			check_field_option(def);
			break;
		case OPT_SELECTORS:
			(void) parse_selector_list(def);
			break;
		case OPT_RESOURCE:
			if (symbl_find_resource(defGetString(def)) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("invalid value for option \"resource\": \"%s\"",
								defGetString(def)),
						 errhint("Valid resources are: %s.", resource_names())));
			break;
	}
}

Datum
symbl_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	const char *base_url = NULL;
	bool		allow_insecure_http = false;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);
		const SymblOption *opt = find_option(def->defname, catalog);

		if (opt == NULL)
			refuse_unknown_option(def, catalog);
		check_option_value(def, opt, &base_url, &allow_insecure_http);
	}

	if (base_url != NULL)
		check_base_url(base_url, allow_insecure_http);
	if (catalog == ForeignServerRelationId && !superuser())
		check_unprivileged_server(base_url, allow_insecure_http);
	if (catalog == UserMappingRelationId)
		check_credentials(options);

	PG_RETURN_VOID();
}

static char *
strip_trailing_slashes(const char *url)
{
	char	   *copy = pstrdup(url);
	int			len = strlen(copy);

	while (len > 0 && copy[len - 1] == '/')
		copy[--len] = '\0';
	return copy;
}

/*
 * The options of a server, with defaults for what it does not set.
 */
SymblServerOptions *
symbl_server_options(Oid serverid)
{
	ForeignServer *server = GetForeignServer(serverid);
	SymblServerOptions *opts = palloc0(sizeof(SymblServerOptions));
	ListCell   *lc;
	const SymblOption *opt;
	int			compression = -1;	/* unset: by the host */

	opts->base_url = DEFAULT_BASE_URL;
	opts->parse_thread = true;
	opts->send_selectors = ALL_UNDOCUMENTED_SELECTORS;
	opts->exact_selectors = 0;
	for (opt = symbl_options; opt->name; opt++)
		if (opt->catalog == ForeignServerRelationId && opt->kind == OPT_INT)
			*(int *) ((char *) opts + opt->offset) = opt->default_value;

	foreach(lc, server->options)
	{
		DefElem    *def = lfirst(lc);

		opt = find_option(def->defname, ForeignServerRelationId);
		if (strcmp(def->defname, "base_url") == 0)
			opts->base_url = defGetString(def);
		else if (strcmp(def->defname, "compression") == 0)
			compression = defGetBoolean(def);
		else if (strcmp(def->defname, "parse_thread") == 0)
			opts->parse_thread = defGetBoolean(def);
		else if (strcmp(def->defname, "send_selectors") == 0)
			opts->send_selectors = parse_selector_list(def);
		else if (strcmp(def->defname, "exact_selectors") == 0)
			opts->exact_selectors = parse_selector_list(def);
		else if (opt != NULL && opt->kind == OPT_INT)
			*(int *) ((char *) opts + opt->offset) = option_int(def, opt->min, opt->max);
	}
	opts->base_url = strip_trailing_slashes(opts->base_url);
	opts->compressed = compression >= 0 ? compression :
		!is_loopback_url(opts->base_url);
	return opts;
}

static void
apply_credentials(SymblCredentials *creds, List *options)
{
	ListCell   *lc;

	memset(creds, 0, sizeof(*creds));
	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, "app_id") == 0)
			creds->app_id = defGetString(def);
		else if (strcmp(def->defname, "app_secret") == 0)
			creds->app_secret = defGetString(def);
		else if (strcmp(def->defname, "access_token") == 0)
			creds->access_token = defGetString(def);
	}
}

/*
 * Collect what a scan needs to reach the API: the server's options with
 * defaults, and the credentials of the user mapping.
 */
SymblConnection *
symbl_get_connection(Oid foreigntableid, Oid userid)
{
	return symbl_server_connection(GetForeignTable(foreigntableid)->serverid,
								   userid);
}

/* schema.table, quoted as needed, for messages and EXPLAIN */
char *
symbl_qualified_name(Relation rel)
{
	return quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
}

/* The same for a server by itself (symbl_probe) */
SymblConnection *
symbl_server_connection(Oid serverid, Oid userid)
{
	ForeignServer *server = GetForeignServer(serverid);
	UserMapping *mapping = GetUserMapping(userid, server->serverid);
	SymblConnection *conn = palloc0(sizeof(SymblConnection));

	conn->serverid = server->serverid;
	conn->userid = userid;
	conn->umid = mapping->umid;
	conn->server_name = pstrdup(server->servername);
	conn->opts = *symbl_server_options(server->serverid);
	apply_credentials(&conn->creds, mapping->options);

	if (conn->creds.access_token == NULL && conn->creds.app_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("user mapping for server \"%s\" has no Symbl credentials",
						server->servername),
				 errhint("ALTER USER MAPPING ... OPTIONS (ADD app_id '...', ADD app_secret '...'), or give access_token.")));
	return conn;
}

/* A foreign table's option, NULL when it is not set */
static char *
table_option(Oid foreigntableid, const char *name)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ListCell   *lc;

	foreach(lc, table->options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

/* The resource a foreign table reads: its option, else conversations */
const SymblResource *
symbl_table_resource(Oid foreigntableid)
{
	char	   *resource = table_option(foreigntableid, "resource");

	return symbl_find_resource(resource != NULL ? resource : "conversations");
}

/*
 * The table option filter: raw RSQL that every request of the table carries,
 * for what the planner cannot push (a power user's escape hatch).
 */
char *
symbl_table_filter(Oid foreigntableid)
{
	return table_option(foreigntableid, "filter");
}

double
symbl_table_rows_estimate(Oid foreigntableid)
{
	char	   *option = table_option(foreigntableid, "rows");
	double		rows = DEFAULT_ROWS_ESTIMATE;

	if (option != NULL)
		(void) parse_real(option, &rows, 0, NULL);
	return rows;
}

static bool
find_bool_option(List *options, const char *name, bool *value)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, name) == 0)
		{
			*value = defGetBoolean(def);
			return true;
		}
	}
	return false;
}

/*
 * Whether UPDATE and DELETE may reach the API through this table: the
 * table's updatable option, else its server's, else no (a DELETE is
 * permanent).
 */
bool
symbl_table_updatable(Oid foreigntableid)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	bool		updatable = false;

	if (!find_bool_option(table->options, "updatable", &updatable))
		(void) find_bool_option(GetForeignServer(table->serverid)->options,
								"updatable", &updatable);
	return updatable;
}
