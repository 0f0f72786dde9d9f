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
