/*-------------------------------------------------------------------------
 *
 * logrow.c
 *	  The parts of a row of migrate.ddl_log that trigger.c writes: the
 *	  objects of a command as jsonb, the one object the row is about, and
 *	  the datums of its other columns.
 *
 * IDENTIFICATION
 *	  src/ddl/logrow.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "ddl/ddl.h"

/*
 * An object of a command, for its row's objects column.
 */
LogObject *
migrate_ddl_log_object(bool dropped, char *command_tag, char *object_type,
					   char *schema_name, char *identity, bool cascaded,
					   char *definition)
{
	LogObject  *object = palloc0(sizeof(LogObject));

	object->dropped = dropped;
	object->command_tag = command_tag;
	object->object_type = object_type;
	object->schema_name = schema_name;
	object->identity = identity;
	object->cascaded = cascaded;
	object->definition = definition;
	return object;
}

/*
 * The objects column: a jsonb array of the objects, in order, built
 * directly rather than parsed from text.  cascaded and definition are
 * there only when they say something.
 */
Datum
migrate_ddl_objects_jsonb(List *objects)
{
	JsonbParseState *state = NULL;
	JsonbValue *array;
	ListCell   *lc;

	(void) pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	foreach(lc, objects)
	{
		LogObject  *object = (LogObject *) lfirst(lc);

		(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		migrate_ddl_push_bool(&state, "dropped", object->dropped);
		migrate_ddl_push_field(&state, "command_tag", object->command_tag);
		migrate_ddl_push_field(&state, "object_type", object->object_type);
		migrate_ddl_push_field(&state, "schema_name", object->schema_name);
		migrate_ddl_push_field(&state, "object_identity", object->identity);
		if (object->cascaded)
			migrate_ddl_push_bool(&state, "cascaded", true);
		if (object->definition)
			migrate_ddl_push_field(&state, "definition", object->definition);
		migrate_ddl_push_table_change(&state, object);
		migrate_ddl_push_grant_acls(&state, object);
		(void) pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	}
	array = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(array));
}

/*
 * The object a command is about, for the row's object columns: the first
 * one it created or altered under its own command tag (the table of a
 * CREATE TABLE that also made a sequence and an index, the table of an
 * ALTER TABLE that dropped a column), else the first it dropped by name,
 * else the first one.  NULL if there is none.
 */
LogObject *
migrate_ddl_main_object(List *objects, const char *command_tag)
{
	ListCell   *lc;

	foreach(lc, objects)
	{
		LogObject  *object = (LogObject *) lfirst(lc);

		if (!object->dropped && strcmp(object->command_tag, command_tag) == 0)
			return object;
	}
	foreach(lc, objects)
	{
		LogObject  *object = (LogObject *) lfirst(lc);

		if (object->dropped && !object->cascaded)
			return object;
	}
	return objects ? (LogObject *) linitial(objects) : NULL;
}

/*
 * A text datum of "s", or a null (*null set) for NULL.
 */
Datum
migrate_ddl_text_datum(const char *s, bool *null)
{
	*null = (s == NULL);
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * The client's address, or NULL: inet_client_addr(), once per backend.
 */
Datum
migrate_ddl_client_addr(bool *isnull)
{
	static bool known = false;
	static bool addr_null = true;
	static Datum addr = (Datum) 0;

	if (!known)
	{
		LOCAL_FCINFO(fcinfo, 0);
		Datum		d;
		MemoryContext old;

		InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
		d = inet_client_addr(fcinfo);
		addr_null = fcinfo->isnull;
		if (!addr_null)
		{
			old = MemoryContextSwitchTo(TopMemoryContext);
			addr = PointerGetDatum(PG_DETOAST_DATUM_COPY(d));
			MemoryContextSwitchTo(old);
		}
		known = true;
	}
	*isnull = addr_null;
	return addr;
}

/*
 * A name datum of "s".
 */
Datum
migrate_ddl_name_datum(const char *s)
{
	return DirectFunctionCall1(namein, CStringGetDatum(s));
}
