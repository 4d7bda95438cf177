/*-------------------------------------------------------------------------
 *
 * resource.c
 *		  The table of the API's resources.
 *
 * Each entry says where a resource lives, where its items are in the
 * answer, which columns it has (with their JSON paths and the types IMPORT
 * gives them) and which optional parameters a column needs.  A new resource
 * is a new entry: import, planning, requests and row conversion follow.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "resource.h"

const char *const symbl_field_names[SYMBL_NUM_FIELDS] = {
	"id", "type", "name", "startTime", "endTime", "members", "metadata"
};

#define CONVERSATION_ID {SYMBL_CONVERSATION_ID_COLUMN, "text", NULL}

/* the columns questions, action items and follow-ups share */
#define INSIGHT_COLUMNS \
	CONVERSATION_ID, \
	{"id", "text", "id"}, \
	{"text", "text", "text"}, \
	{"type", "text", "type"}, \
	{"score", "float8", "score"}, \
	{"message_ids", "text[]", "messageIds"}

#define FROM_COLUMNS \
	{"from_id", "text", "from.id"}, \
	{"from_name", "text", "from.name"}, \
	{"from_user_id", "text", "from.userId"}

#define ACTION_COLUMNS \
	INSIGHT_COLUMNS, \
	{"definitive", "boolean", "definitive"}, \
	{"assignee_id", "text", "assignee.id"}, \
	{"assignee_name", "text", "assignee.name"}, \
	{"assignee_email", "text", "assignee.email"}, \
	{"due_by", "timestamptz", "dueBy"}, \
	FROM_COLUMNS, \
	{"entities", "jsonb", "entities"}, \
	{"phrases", "jsonb", "phrases"}

const SymblResource symbl_resources[] = {
	{
		.table = "conversations",
		.columns = {
			{"id", "text", "id"},
			{"type", "text", "type"},
			{"name", "text", "name"},
			{"start_time", "timestamptz", "startTime"},
			{"end_time", "timestamptz", "endTime"},
			{"members", "jsonb", "members"},
			{"metadata", "jsonb", "metadata"},
		},
	},
	{
		.table = "messages",
		.path = "messages",
		.array_key = "messages",
		.params = {{"words", "verbose=true"}, {"sentiment", "sentiment=true"}},
		.columns = {
			CONVERSATION_ID,
			{"id", "text", "id"},
			{"text", "text", "text"},
			{"from_id", "text", "from.id"},
			{"from_name", "text", "from.name"},
			{"from_email", "text", "from.email"},
			{"from_user_id", "text", "from.userId"},
			{"start_time", "timestamptz", "startTime"},
			{"end_time", "timestamptz", "endTime"},
			{"time_offset", "float8", "timeOffset"},
			{"duration", "float8", "duration"},
			{"phrases", "jsonb", "phrases"},
			{"sentiment", "jsonb", "sentiment"},
			{"words", "jsonb", "words"},
			/* the PII found in the message, when redaction is on */
			{"entities", "jsonb", "entities"},
		},
	},
	{
		.table = "members",
		.path = "members",
		.array_key = "members",
		.columns = {
			CONVERSATION_ID,
			{"id", "text", "id"},
			{"name", "text", "name"},
			{"email", "text", "email"},
		},
	},
	{
		.table = "topics",
		.path = "topics",
		.array_key = "topics",
		.params = {{"sentiment", "sentiment=true"}, {"parentRefs", "parentRefs=true"}},
		.columns = {
			INSIGHT_COLUMNS,
			{"sentiment", "jsonb", "sentiment"},
			{"parent_refs", "jsonb", "parentRefs"},
		},
	},
	{
		.table = "questions",
		.path = "questions",
		.array_key = "questions",
		.columns = {INSIGHT_COLUMNS, FROM_COLUMNS},
	},
	{
		.table = "action_items",
		.path = "action-items",
		.array_key = "actionItems",
		.columns = {ACTION_COLUMNS},
	},
	{
		.table = "follow_ups",
		.path = "follow-ups",
		.array_key = "followUps",
		.columns = {ACTION_COLUMNS},
	},
	{
		.table = "analytics",
		.path = "analytics",
		.array_key = "metrics",
		.columns = {
			CONVERSATION_ID,
			{"metric", "text", "type"},
			{"percent", "float8", "percent"},
			{"seconds", "float8", "seconds"},
		},
	},
	{
		.table = "member_analytics",
		.path = "analytics",
		.array_key = "members",
		.columns = {
			CONVERSATION_ID,
			{"member_id", "text", "id"},
			{"name", "text", "name"},
			{"user_id", "text", "userId"},
			{"wpm", "float8", "pace.wpm"},
			{"talk_seconds", "float8", "talkTime.seconds"},
			{"talk_percent", "float8", "talkTime.percentage"},
			{"listen_seconds", "float8", "listenTime.seconds"},
			{"listen_percent", "float8", "listenTime.percentage"},
			{"overlap_seconds", "float8", "overlap.overlapDuration"},
			{"overlapping_members", "jsonb", "overlap.overlappingMembers"},
		},
	},
	{
		/*
		 * Published under two paths (the 2022 pages call /trackers
		 * deprecated, later ones and the SDKs use it) in three shapes: a
		 * bare array, {"trackers": [...]}, one object.  Either path may be
		 * retired, so a 404 from one is no proof of "no trackers".
		 */
		.table = "trackers",
		.path = "trackers",
		.fallback_path = "trackers-detected",
		.array_key = "trackers",
		.bare_array_too = true,
		.single_object_too = true,
		.columns = {
			CONVERSATION_ID,
			{"id", "text", "id"},
			{"name", "text", "name"},
			{"matches", "jsonb", "matches"},
		},
	},
	{
		.table = "summaries",
		.path = "summary",
		.array_key = "summary",
		.columns = {
			CONVERSATION_ID,
			{"id", "text", "id"},
			{"text", "text", "text"},
			{"message_ids", "text[]", "messageRefs.id"},
			{"start_time", "timestamptz", "startTime"},
			{"end_time", "timestamptz", "endTime"},
		},
	},
	{
		/* published both as a bare list and as groups of matches */
		.table = "entities",
		.path = "entities",
		.array_key = "entities",
		.bare_array_too = true,
		.expand = "matches",
		.columns = {
			CONVERSATION_ID,
			/* the group's, in the grouped shape */
			{"id", "text", "id"},
			{"type", "text", "type"},
			{"sub_type", "text", "subType"},
			{"custom_type", "text", "customType"},
			{"category", "text", "category"},
			{"value", "text", "value|detectedValue"},
			/* a date range's bounds carry no zone: text, not timestamptz */
			{"range_start", "text", "start"},
			{"range_end", "text", "end"},
			{"text", "text", "text"},
			{"message_refs", "jsonb", "messageRefs"},
		},
	},
};

/*
 * One conversation by id, GET /v1/conversations/{id}: the conversations
 * table's exact read for `id = ...` (part_scan.c fetches it as it fetches
 * a part; its columns are the conversations table's own).  Not in the
 * table above: it is no table of its own.
 */
const SymblResource symbl_conversation_by_id = {
	.table = "conversations",
	.path = "",
	.single_object = true,
};

const int	symbl_num_resources = sizeof(symbl_resources) / sizeof(symbl_resources[0]);

/* The list of conversations, as opposed to a part of one conversation */
bool
symbl_resource_is_list(const SymblResource *resource)
{
	return resource->path == NULL;
}

const SymblResource *
symbl_find_resource(const char *table)
{
	int			i;

	for (i = 0; i < symbl_num_resources; i++)
		if (strcmp(symbl_resources[i].table, table) == 0)
			return &symbl_resources[i];
	return NULL;
}

int
symbl_resource_ncolumns(const SymblResource *resource)
{
	int			n = 0;

	while (n < SYMBL_MAX_RESOURCE_COLUMNS && resource->columns[n].name != NULL)
		n++;
	return n;
}

const SymblResourceColumn *
symbl_resource_column(const SymblResource *resource, const char *name)
{
	int			n = symbl_resource_ncolumns(resource);
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(resource->columns[i].name, name) == 0)
			return &resource->columns[i];
	return NULL;
}
