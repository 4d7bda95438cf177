/*-------------------------------------------------------------------------
 *
 * column_map.c
 *		  Which answer field or JSON path fills each column of a foreign
 *		  table, and how its value is converted: by column name or the
 *		  column's field option, refusing at plan time a column nobody can
 *		  fill or a type that cannot hold the field.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"
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
#include "symbl_types.h"
#include "part_column.h"
#include "resource.h"
#include "column_map.h"
#include "option.h"

static SymblValueKind
value_kind_for(SymblField field, Oid typid, const char **accepted)
{
	switch (field)
	{
		case SYMBL_FIELD_ID:
		case SYMBL_FIELD_TYPE:
		case SYMBL_FIELD_NAME:
			*accepted = "text, character varying";
			if (typid == TEXTOID)
				return SYMBL_VALUE_TEXT;
			if (typid == VARCHAROID)
				return SYMBL_VALUE_INPUT;
			break;
		case SYMBL_FIELD_START_TIME:
		case SYMBL_FIELD_END_TIME:
			*accepted = "timestamp with time zone, timestamp without time zone";
			if (typid == TIMESTAMPTZOID || typid == TIMESTAMPOID)
				return SYMBL_VALUE_INPUT;
			break;
		case SYMBL_FIELD_MEMBERS:
		case SYMBL_FIELD_METADATA:
			*accepted = "jsonb, json, text";
			if (typid == JSONBOID)
				return SYMBL_VALUE_JSONB;
			if (typid == JSONOID || typid == TEXTOID)
				return SYMBL_VALUE_JSON_INPUT;
			break;
		case SYMBL_NUM_FIELDS:
			break;
	}
	return (SymblValueKind) -1;
}

static SymblColumn *
new_column(Form_pg_attribute attr)
{
	SymblColumn *col = palloc0(sizeof(SymblColumn));

	col->attnum = attr->attnum;
	col->attname = pstrdup(NameStr(attr->attname));
	col->typid = attr->atttypid;
	col->typmod = attr->atttypmod;
	return col;
}

static SymblField
column_field(Oid relid, Form_pg_attribute attr)
{
	List	   *options = GetForeignColumnOptions(relid, attr->attnum);
	const char *source = NameStr(attr->attname);
	SymblField	field;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, "field") == 0)
			source = defGetString(def);
	}

	if (!symbl_lookup_field(source, &field))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
				 errmsg("column \"%s\" of foreign table \"%s\" does not match any Symbl conversation field",
						NameStr(attr->attname), get_rel_name(relid)),
				 errhint("Name the column after a field, or map it with OPTIONS (field '...'): id, type, name, startTime, endTime, members, metadata.")));
	return field;
}

/*
 * Work out, for every live column of the foreign table, which response field
 * feeds it and how.  Any column that cannot be fed is an error naming it.
 */
List *
symbl_table_columns(Oid foreigntableid, TupleDesc tupdesc)
{
	List	   *columns = NIL;
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		SymblColumn *col;
		const char *accepted = "";
		Oid			infunc;

		if (attr->attisdropped)
			continue;

		col = new_column(attr);
		col->field = column_field(foreigntableid, attr);
		col->kind = value_kind_for(col->field, col->typid, &accepted);
		if ((int) col->kind < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("column \"%s\" of foreign table \"%s\" has type %s, which cannot hold Symbl field \"%s\"",
							col->attname, get_rel_name(foreigntableid),
							format_type_with_typemod(col->typid, col->typmod),
							symbl_field_names[col->field]),
					 errhint("Types accepted for \"%s\": %s.",
							 symbl_field_names[col->field], accepted)));

		getTypeInputInfo(col->typid, &infunc, &col->ioparam);
		fmgr_info(infunc, &col->input);
		columns = lappend(columns, col);
	}
	return columns;
}

/*
 * A column no table shows: the startTime a list scan pages by, when the
 * table has no timestamptz column for it (the pager needs every row's).
 */
SymblColumn
symbl_start_time_key_column(AttrNumber attnum)
{
	SymblColumn col = {0};
	Oid			infunc;

	col.attnum = attnum;
	col.attname = "startTime";
	col.field = SYMBL_FIELD_START_TIME;
	col.typid = TIMESTAMPTZOID;
	col.typmod = -1;
	col.kind = SYMBL_VALUE_INPUT;
	getTypeInputInfo(col.typid, &infunc, &col.ioparam);
	fmgr_info(infunc, &col.input);
	return col;
}

static const char *
column_field_option(Oid relid, AttrNumber attnum)
{
	ListCell   *lc;

	foreach(lc, GetForeignColumnOptions(relid, attnum))
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, "field") == 0)
			return defGetString(def);
	}
	return NULL;
}

static char *
resource_column_names(const SymblResource *resource)
{
	StringInfoData buf;
	int			n = symbl_resource_ncolumns(resource);
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", resource->columns[i].name);
	return buf.data;
}

/*
 * The columns of a table of a conversation's parts: each is a resource
 * column by name, or any JSON path of the items by its field option.
 */
List *
symbl_part_columns(Oid foreigntableid, TupleDesc tupdesc,
				   const SymblResource *resource)
{
	List	   *columns = NIL;
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);
		const char *field = column_field_option(foreigntableid, attr->attnum);
		const SymblResourceColumn *known = NULL;
		SymblColumn *col;
		Oid			infunc;

		if (attr->attisdropped)
			continue;
		col = new_column(attr);
		if (field == NULL)
		{
			known = symbl_resource_column(resource, col->attname);
			if (known == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
						 errmsg("column \"%s\" of foreign table \"%s\" is not a column of Symbl's %s",
								col->attname, get_rel_name(foreigntableid), resource->table),
						 errdetail("Columns of %s: %s.", resource->table,
								   resource_column_names(resource)),
						 errhint("Name the column after one of them, or map it to a JSON path with OPTIONS (field '...'), for example field 'from.name'.")));
			field = known->path;
		}
		if (field != NULL && !symbl_parse_json_path(field, &col->path))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_COLUMN_NAME),
					 errmsg("column \"%s\" of foreign table \"%s\" has an invalid field \"%s\"",
							col->attname, get_rel_name(foreigntableid), field),
					 errhint("A field of %s is a dotted JSON path such as 'from.name'.",
							 resource->table)));
		col->top_field = field != NULL ? col->path.segs[0][0] : NULL;
		col->kind = symbl_part_value_kind(col->typid, field == NULL);
		if ((int) col->kind < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("column \"%s\" of foreign table \"%s\" has type %s, which cannot hold %s",
							col->attname, get_rel_name(foreigntableid),
							format_type_with_typemod(col->typid, col->typmod),
							field == NULL ? "a conversation id" : psprintf("Symbl field \"%s\"", field)),
					 errhint(field == NULL ? "Declare it text or character varying." :
							 "Types accepted for a part's field: text, character varying, timestamp with time zone, timestamp, double precision, real, numeric, integer, bigint, smallint, boolean, text[], jsonb, json.")));
		getTypeInputInfo(col->typid, &infunc, &col->ioparam);
		fmgr_info(infunc, &col->input);
		columns = lappend(columns, col);
	}
	return columns;
}
