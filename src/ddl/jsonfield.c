/*-------------------------------------------------------------------------
 *
 * jsonfield.c
 *	  Fields of the jsonb objects of migrate.ddl_log's objects column,
 *	  written (logrow.c, tablestate.c, grants.c) and read back (capture).
 *
 * IDENTIFICATION
 *	  src/ddl/jsonfield.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/jsonb.h"

#include "ddl/ddl.h"

/*
 * Push "key": value (a string, or null) into a jsonb object being built.
 */
void
migrate_ddl_push_field(JsonbParseState **state, const char *key, const char *value)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	(void) pushJsonbValue(state, WJB_KEY, &v);
	if (value)
	{
		v.val.string.val = (char *) value;
		v.val.string.len = strlen(value);
	}
	else
		v.type = jbvNull;
	(void) pushJsonbValue(state, WJB_VALUE, &v);
}

/*
 * The string at "key" of jsonb object "container", or NULL.
 */
char *
migrate_ddl_json_string(JsonbContainer *container, const char *key)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(container, key, strlen(key), &v) == NULL ||
		v.type != jbvString)
		return NULL;
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/*
 * Push "key": value, a boolean, into a jsonb object being built.
 */
void
migrate_ddl_push_bool(JsonbParseState **state, const char *key, bool value)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	(void) pushJsonbValue(state, WJB_KEY, &v);
	v.type = jbvBool;
	v.val.boolean = value;
	(void) pushJsonbValue(state, WJB_VALUE, &v);
}

/*
 * Push "key" alone: a value (an array, say) is pushed next.
 */
void
migrate_ddl_push_key(JsonbParseState **state, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	(void) pushJsonbValue(state, WJB_KEY, &v);
}

/*
 * The boolean at "key" of jsonb object "container" (false if none).
 */
bool
migrate_ddl_json_bool(JsonbContainer *container, const char *key)
{
	JsonbValue	v;

	return getKeyJsonValueFromContainer(container, key, strlen(key), &v) != NULL &&
		v.type == jbvBool && v.val.boolean;
}

/*
 * The containers of the objects of jsonb array "array", in order (NIL if
 * it is not an array): what the readers of the log's arrays walk.
 */
List *
migrate_ddl_json_objects(Jsonb *array)
{
	List	   *result = NIL;
	uint32		i;

	if (array == NULL || !JB_ROOT_IS_ARRAY(array))
		return NIL;
	for (i = 0; i < JB_ROOT_COUNT(array); i++)
	{
		JsonbValue *elem = getIthJsonbValueFromContainer(&array->root, i);

		if (elem && elem->type == jbvBinary)
			result = lappend(result, elem->val.binary.data);
	}
	return result;
}
