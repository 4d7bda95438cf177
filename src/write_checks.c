/*-------------------------------------------------------------------------
 *
 * write_checks.c
 *		  What a statement may write, decided while it is planned: which
 *		  endpoint a table writes to and with which columns, that the
 *		  table is updatable, that the columns a write needs are there and
 *		  that an UPDATE sets only what the API changes.  Each refusal
 *		  names the table, the column and the option.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "write_run.h"
#include "compat.h"
#include "write_checks.h"
#include "column_map.h"
#include "option.h"
#include "resource.h"

static SymblColumn *
column_of_field(List *columns, SymblField field)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		SymblColumn *col = lfirst(lc);

		if (col->field == field)
			return col;
	}
	return NULL;
}

/* a part table's column that reads the item's top-level field `name` */
static SymblColumn *
column_of_item_field(List *columns, const char *name)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		SymblColumn *col = lfirst(lc);

		if (col->kind != SYMBL_VALUE_CONVERSATION_ID && col->path.nalts == 1 &&
			col->path.nsegs[0] == 1 && strcmp(col->path.segs[0][0], name) == 0)
			return col;
	}
	return NULL;
}

/*
 * Which endpoint a table writes to, and its columns.  Conversations and
 * members can be changed; no other resource has a write endpoint.
 */
WriteTable *
symbl_write_table(Relation rel)
{
	WriteTable *t = palloc0(sizeof(WriteTable));
	const SymblResource *resource = symbl_table_resource(RelationGetRelid(rel));
	ListCell   *lc;

	if (symbl_resource_is_list(resource))
	{
		t->target = TARGET_CONVERSATIONS;
		t->columns = symbl_table_columns(RelationGetRelid(rel), RelationGetDescr(rel));
		t->id = column_of_field(t->columns, SYMBL_FIELD_ID);
		t->metadata = column_of_field(t->columns, SYMBL_FIELD_METADATA);
		return t;
	}
	if (strcmp(resource->table, "members") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("foreign table \"%s\" holds Symbl's %s, which cannot be changed",
						RelationGetRelationName(rel), resource->table),
				 errdetail("The Symbl API changes a conversation's metadata, deletes a conversation, and changes a member's name and email; nothing else.")));
	t->target = TARGET_MEMBERS;
	t->columns = symbl_part_columns(RelationGetRelid(rel), RelationGetDescr(rel),
									resource);
	foreach(lc, t->columns)
		if (((SymblColumn *) lfirst(lc))->kind == SYMBL_VALUE_CONVERSATION_ID)
			t->conversation = lfirst(lc);
	t->id = column_of_item_field(t->columns, "id");
	t->name = column_of_item_field(t->columns, "name");
	t->email = column_of_item_field(t->columns, "email");
	return t;
}

void
symbl_refuse_insert(Relation rel)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("cannot insert into foreign table \"%s\"",
					RelationGetRelationName(rel)),
			 errdetail("No Symbl endpoint creates a conversation (or a part of one) from a row: conversations come from processing audio, video or text."),
			 errhint("Submit the recording or text to Symbl's Async API; the conversation it makes then appears in this table.")));
}

static void
require_column(Relation rel, const char *verb, SymblColumn *col,
			   const char *what, const char *hint)
{
	if (col == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
				 errmsg("%s on foreign table \"%s\" needs a column for %s",
						verb, RelationGetRelationName(rel), what),
				 errhint("%s", hint)));
}

WriteTable *
symbl_check_writes_allowed(Relation rel, CmdType operation)
{
	const char *verb = operation == CMD_UPDATE ? "UPDATE" : "DELETE";
	WriteTable *t;

	if (operation == CMD_INSERT)
		symbl_refuse_insert(rel);
	if (!symbl_table_updatable(RelationGetRelid(rel)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s on foreign table \"%s\" is off: its option updatable is not true",
						verb, RelationGetRelationName(rel)),
				 errdetail("Writes to Symbl need the option updatable on the foreign table or its server; a DELETE is permanent and takes the conversation's messages and insights with it."),
				 errhint("ALTER FOREIGN TABLE %s OPTIONS (ADD updatable 'true')",
						 symbl_qualified_name(rel))));
	t = symbl_write_table(rel);
	if (t->target == TARGET_CONVERSATIONS)
	{
		require_column(rel, verb, t->id, "the conversation id",
					   "Add a column named id, or one with OPTIONS (field 'id').");
		return t;
	}
	if (operation == CMD_DELETE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot delete from foreign table \"%s\": no Symbl endpoint deletes a member",
						RelationGetRelationName(rel)),
				 errhint("UPDATE can change a member's name and email; DELETE on the conversations table deletes a whole conversation.")));
	require_column(rel, verb, t->conversation, "the conversation id",
				   "Add the column conversation_id.");
	require_column(rel, verb, t->id, "the member id",
				   "Add the column id.");
	require_column(rel, verb, t->name, "the member's name",
				   "Add the column name: the API takes the name in every member update.");
	{
		SymblColumn *sent[] = {t->conversation, t->id, t->name, t->email};
		int			i;

		for (i = 0; i < (int) lengthof(sent); i++)
			if (sent[i] != NULL && sent[i]->typid != TEXTOID && sent[i]->typid != VARCHAROID)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("%s on foreign table \"%s\" needs column \"%s\" as text",
								verb, RelationGetRelationName(rel), sent[i]->attname),
						 errdetail("Its value goes into the request as a string.")));
	}
	return t;
}

/*
 * The API changes a conversation's metadata, or a member's name and email,
 * and nothing else: an UPDATE setting any other column is refused at plan
 * time, naming it.
 */
static void
check_updated_columns(PlannerInfo *root, Index rti, Relation rel, WriteTable *t)
{
	Bitmapset  *cols = symbl_updated_columns(root, rti);
	int			i = -1;

	while ((i = bms_next_member(cols, i)) >= 0)
	{
		AttrNumber	attno = i + FirstLowInvalidHeapAttributeNumber;
		ListCell   *lc;

		foreach(lc, t->columns)
		{
			SymblColumn *col = lfirst(lc);

			if (col->attnum != attno || col == t->metadata || col == t->name ||
				col == t->email)
				continue;
			if (t->target == TARGET_MEMBERS)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("column \"%s\" of foreign table \"%s\" cannot be updated",
								col->attname, RelationGetRelationName(rel)),
						 errdetail("The Symbl API changes only a member's name and email."),
						 errhint("SET name = ..., email = ... are the only assignments symbl_fdw can send for a member.")));
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\" of foreign table \"%s\" cannot be updated",
							col->attname, RelationGetRelationName(rel)),
					 errdetail(col->field == SYMBL_FIELD_ID || col->field == SYMBL_FIELD_TYPE ?
							   "A conversation's %s never changes; the Symbl API updates only metadata." :
							   "The Symbl API updates only a conversation's metadata, not its %s.",
							   symbl_field_names[col->field]),
					 errhint("SET metadata = ... is the only assignment symbl_fdw can send.")));
		}
	}
}

WriteTable *
symbl_check_statement(PlannerInfo *root, Index rti, CmdType operation)
{
	RangeTblEntry *rte = planner_rt_fetch(rti, root);
	Relation	rel = table_open(rte->relid, NoLock);
	WriteTable *t = symbl_check_writes_allowed(rel, operation);

	if (operation == CMD_UPDATE)
		check_updated_columns(root, rti, rel, t);
	table_close(rel, NoLock);
	return t;
}
