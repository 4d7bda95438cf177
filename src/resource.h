/*-------------------------------------------------------------------------
 *
 * resource.h
 *		  The API's resources as data: one entry per table that import,
 *		  planning, request building and row conversion all read.
 *
 * No PostgreSQL headers: the table is plain data.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SYMBL_RESOURCE_H
#define SYMBL_RESOURCE_H

#include <stdbool.h>

/* Fields of a conversation in the API's answer, and their names there */
typedef enum SymblField
{
	SYMBL_FIELD_ID,
	SYMBL_FIELD_TYPE,
	SYMBL_FIELD_NAME,
	SYMBL_FIELD_START_TIME,
	SYMBL_FIELD_END_TIME,
	SYMBL_FIELD_MEMBERS,
	SYMBL_FIELD_METADATA,
	SYMBL_NUM_FIELDS
} SymblField;

#define SYMBL_FIELD_BIT(field) (1 << (field))

extern const char *const symbl_field_names[SYMBL_NUM_FIELDS];

/* the column that holds the id of the conversation a part was asked for */
#define SYMBL_CONVERSATION_ID_COLUMN "conversation_id"

/* the most alternatives a path has ("value|detectedValue") */
#define SYMBL_MAX_PATH_ALTERNATIVES 2

typedef struct SymblResourceColumn
{
	const char *name;			/* column name, snake_case */
	const char *sql_type;		/* as IMPORT declares it */
	const char *path;			/* dotted JSON path in an item; alternatives
								 * separated by '|'; NULL: the conversation's
								 * id from the request */
} SymblResourceColumn;

/* A query parameter sent only when a column reading `field` is retrieved */
typedef struct SymblResourceParam
{
	const char *field;			/* the item's top-level JSON field */
	const char *param;			/* what goes into the query string */
} SymblResourceParam;

#define SYMBL_MAX_RESOURCE_COLUMNS 20
#define SYMBL_MAX_RESOURCE_PARAMS 2

typedef struct SymblResource
{
	const char *table;			/* table name, and the option value */
	const char *path;			/* under /v1/conversations/{id}; NULL for
								 * the list of conversations */
	const char *fallback_path;	/* asked when path answers 404 (the API
								 * publishes the part under both, and
								 * either may be retired); NULL: none */
	const char *array_key;		/* the answer's array; NULL: a bare array */
	bool		bare_array_too; /* a bare array is accepted as well */
	bool		single_object_too;	/* an object without array_key is one
									 * item ({} none) */
	const char *expand;			/* items with this array give a row per
								 * element (element fields first) */
	bool		single_object;	/* the answer is one conversation object */
	SymblResourceParam params[SYMBL_MAX_RESOURCE_PARAMS];
	SymblResourceColumn columns[SYMBL_MAX_RESOURCE_COLUMNS];
} SymblResource;

extern const SymblResource symbl_resources[];
extern const SymblResource symbl_conversation_by_id;
extern const int symbl_num_resources;

extern const SymblResource *symbl_find_resource(const char *table);
extern bool symbl_resource_is_list(const SymblResource *resource);
extern int	symbl_resource_ncolumns(const SymblResource *resource);
extern const SymblResourceColumn *symbl_resource_column(const SymblResource *resource,
														const char *name);

#endif							/* SYMBL_RESOURCE_H */
