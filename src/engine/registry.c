/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  Registering migrations: migrate.add() and migrate.remove().
 *
 * The registry (table migrate.migrations) holds every known migration's
 * scripts.  Registration checks everything that can be checked without
 * running the migration: the version, that up is given, that both scripts
 * parse, hold no psql meta-commands or transaction control, and that a
 * migration whose statements cannot run in a transaction block is
 * registered as non-transactional.  A migration that fails these checks is
 * not registered, and nothing already registered changes.
 *
 * Re-registering identical text is a no-op, so a release script of add()
 * calls can run again.  "sort_as" orders a migration as if its version were
 * another: for a tool whose order is not natural order (load() uses it for
 * diesel's text order), and so that bundle() can reproduce it.  New text replaces a pending migration's; an
 * applied migration's text is history and cannot be replaced by other
 * text.
 *
 * IDENTIFICATION
 *	  src/engine/registry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "engine/engine.h"

PG_FUNCTION_INFO_V1(migrate_add);
PG_FUNCTION_INFO_V1(migrate_remove);

/* see engine.h; set by the rollout subsystem (lint at add()) */
migrate_register_check_hook_type migrate_register_check_hook = NULL;

static MigrateQuery registered_query = {
	.sql =
		"SELECT m.checksum, m.name, m.transactional, m.sort_as,"
		"       (SELECT a.checksum FROM migrate.applied a"
		"         WHERE a.version OPERATOR(pg_catalog.=) $1),"
		"       m.added_by::pg_catalog.text,"
		"       pg_catalog.to_char(m.added_at, 'YYYY-MM-DD HH24:MI:SS TZ')"
		"  FROM (SELECT $1 AS version) v"
		"  LEFT JOIN migrate.migrations m"
		"         ON m.version OPERATOR(pg_catalog.=) v.version",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/*
 * Another version with the same natural order ("2" and "0002"): the
 * versions whose sort keys (without sort_as) lie in [$1, $2), the range
 * of the keys that start with the same natural part.
 */
static MigrateQuery same_key_query = {
	.sql =
		"SELECT m.version FROM migrate.migrations m"
		" WHERE m.sort_as IS NULL"
		"   AND m.sort_key OPERATOR(pg_catalog.>=) $1"
		"   AND m.sort_key OPERATOR(pg_catalog.<) $2"
		"   AND m.version OPERATOR(pg_catalog.<>) $3"
		" UNION ALL "
		"SELECT a.version FROM migrate.applied a"
		" WHERE a.sort_as IS NULL"
		"   AND a.sort_key OPERATOR(pg_catalog.>=) $1"
		"   AND a.sort_key OPERATOR(pg_catalog.<) $2"
		"   AND a.version OPERATOR(pg_catalog.<>) $3"
		" LIMIT 1",
	.nargs = 3,
	.argtypes = {BYTEAOID, BYTEAOID, TEXTOID}
};

static MigrateQuery insert_query = {
	.sql =
		"INSERT INTO migrate.migrations"
		"       (version, name, up, down, transactional, added_by, sort_as)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7)",
	.nargs = 7,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, NAMEOID, TEXTOID}
};

static MigrateQuery update_query = {
	.sql =
		"UPDATE migrate.migrations"
		"   SET name = $2, up = $3, down = $4, transactional = $5,"
		"       added_by = $6, added_at = pg_catalog.now(), sort_as = $7"
		" WHERE version OPERATOR(pg_catalog.=) $1",
	.nargs = 7,
	.argtypes = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, NAMEOID, TEXTOID}
};

static MigrateQuery remove_query = {
	.sql =
		"DELETE FROM migrate.migrations m"
		" WHERE m.version OPERATOR(pg_catalog.=) $1"
		"   AND NOT EXISTS (SELECT FROM migrate.applied a"
		"                    WHERE a.version OPERATOR(pg_catalog.=) $1)"
		" RETURNING m.version",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static MigrateQuery applied_query = {
	.sql =
		"SELECT true FROM migrate.applied WHERE version OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/*
 * True if "s" is empty or only white space.
 */
static bool
is_empty_text(const char *s)
{
	for (; *s; s++)
		if (!(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
			  *s == '\f' || *s == '\v'))
			return false;
	return true;
}

static bool
nullable_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Refuse a transactional migration with a statement that cannot run in a
 * transaction block; "up" says which of its scripts "script" is.
 */
static void
check_transactional(const char *version, const MigrateScript *script, bool up)
{
	const MigrateStatement *st;

	if (script == NULL || script->first_top_level < 0)
		return;
	st = &script->statements[script->first_top_level];
	if (up)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migration \"%s\" must be registered with transactional => false",
						version),
				 errdetail("Statement %d of its up script, line %d, is %s, which cannot run inside a transaction block. Nothing was registered.",
						   script->first_top_level + 1, st->line,
						   st->top_level_only),
				 errhint("Register it with migrate.add(..., transactional => false) and apply it with CALL migrate.run().")));
	ereport(ERROR,
			(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
			 errmsg("migration \"%s\" must be registered with transactional => false",
					version),
			 errdetail("Statement %d of its down script, line %d, is %s, which cannot run inside a transaction block. Nothing was registered.",
					   script->first_top_level + 1, st->line,
					   st->top_level_only),
			 errhint("Register it with migrate.add(..., transactional => false) and apply it with CALL migrate.run().")));
}

/*
 * Refuse "version" if another version with the same natural order is
 * registered or applied: they would sort as one, and which of them is
 * meant could not be told.  A sort key is the natural part, a zero byte,
 * then the version (migrate_version_sort_key()), so the keys that share
 * the natural part are those from it and its zero byte up to it and a
 * 0x01 byte: one range of the sort_key indexes.
 */
static void
refuse_same_natural_key(const char *version)
{
	bytea	   *key = migrate_version_sort_key(version);
	int			len = VARSIZE_ANY_EXHDR(key);
	const char *zero = memchr(VARDATA_ANY(key), '\0', len);
	int			prefix;
	bytea	   *from;
	bytea	   *to;
	Datum		values[3];
	char	   *other = NULL;

	Assert(zero != NULL);
	prefix = zero - VARDATA_ANY(key) + 1;
	from = palloc(VARHDRSZ + prefix);
	SET_VARSIZE(from, VARHDRSZ + prefix);
	memcpy(VARDATA(from), VARDATA_ANY(key), prefix);
	to = palloc(VARHDRSZ + prefix);
	SET_VARSIZE(to, VARHDRSZ + prefix);
	memcpy(VARDATA(to), VARDATA_ANY(key), prefix);
	VARDATA(to)[prefix - 1] = '\x01';

	values[0] = PointerGetDatum(from);
	values[1] = PointerGetDatum(to);
	values[2] = CStringGetTextDatum(version);
	(void) migrate_store_exec(&same_key_query, values, NULL, 1);
	if (SPI_processed == 1)
		other = migrate_store_getstr(0, 1);
	migrate_store_done();
	if (other)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("migration \"%s\" sorts as one with migration \"%s\"",
						version, other),
				 errdetail("Versions that differ only in leading zeros, such as \"2\" and \"0002\", have the same place in migrate's order, so only one of them can be registered. Nothing was registered."),
				 errhint("Use the version as it is registered, '%s', or a version of its own.",
						 other)));
}

/*
 * Register a migration, or check that it is registered with this text.
 * Returns "added", "updated" or "unchanged"; with "warn_replaced", new
 * text for a pending migration also raises a WARNING that names who
 * registered the old one (load() reports it in its rows instead).
 * "up_text" and "down_text", when not 0, are the scripts as text datums,
 * stored as they are rather than copied again.  Other text for an applied
 * migration is refused, unless "keep_modified": then it is registered,
 * the migration is modified (status says so, latest() refuses to run) and
 * "modified" is returned.  The caller holds the
 * migrate lock and is connected to SPI.
 */
static const char *
register_migration(const char *version, const char *up, const char *down,
				   Datum up_text, Datum down_text,
				   const char *name, bool transactional, const char *sort_as,
				   bool warn_replaced, bool keep_modified)
{
	MemoryContext parsecxt;
	MemoryContext oldcontext;
	MigrateScript *upscript;
	MigrateScript *downscript = NULL;
	char	   *checksum;
	char	   *old_checksum;
	char	   *old_name;
	char	   *old_sort_as;
	bool		old_transactional;
	char	   *applied_checksum;
	char	   *old_added_by;
	char	   *old_added_at;
	bool		registered;
	bool		modified;
	bool		isnull;
	Datum		values[7];
	char		nulls[7];

	migrate_check_new_version(version);
	if (sort_as)
		migrate_check_version(sort_as, "sort_as");
	if (up == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("up script of migration \"%s\" must not be NULL", version),
				 errdetail("Nothing was registered."),
				 errhint("Pass the SQL that applies the migration.")));
	if (is_empty_text(up))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("up script of migration \"%s\" is empty", version),
				 errdetail("Nothing was registered."),
				 errhint("Pass the SQL that applies the migration; a migration that deliberately does nothing needs a comment that says why.")));

	/*
	 * The scripts are parsed to check them, in a context of their own, freed
	 * before the text is stored: a large migration is not held twice.
	 */
	parsecxt = AllocSetContextCreate(CurrentMemoryContext, "migrate register parse",
									 ALLOCSET_DEFAULT_SIZES);
	oldcontext = MemoryContextSwitchTo(parsecxt);
	upscript = migrate_parse_script(version, "up", up, true);
	if (down)
		downscript = migrate_parse_script(version, "down", down, true);
	if (transactional)
	{
		check_transactional(version, upscript, true);
		check_transactional(version, downscript, false);
	}
	MemoryContextSwitchTo(oldcontext);

	/*
	 * With a check hook, the parsed up script (its statements' places: a
	 * few dozen bytes each) is kept until the hook has seen it, after the
	 * registry says whether anything changes; the hook must not judge a
	 * re-registration of identical text.
	 */
	if (migrate_register_check_hook == NULL)
	{
		MemoryContextDelete(parsecxt);
		parsecxt = NULL;
	}

	checksum = migrate_checksum(up, down);

	values[0] = CStringGetTextDatum(version);
	(void) migrate_store_exec(&registered_query, values, NULL, 1);
	Assert(SPI_processed == 1);
	old_checksum = migrate_store_getstr(0, 1);
	registered = (old_checksum != NULL);
	old_name = migrate_store_getstr(0, 2);
	old_transactional = registered &&
		DatumGetBool(migrate_store_getdatum(0, 3, &isnull));
	old_sort_as = migrate_store_getstr(0, 4);
	applied_checksum = migrate_store_getstr(0, 5);
	old_added_by = migrate_store_getstr(0, 6);
	old_added_at = migrate_store_getstr(0, 7);
	migrate_store_done();

	modified = applied_checksum && strcmp(applied_checksum, checksum) != 0;
	if (modified && !keep_modified)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("migration \"%s\" is already applied with different text",
						version),
				 errdetail("It was applied with checksum %s, the new text has checksum %s. Nothing was registered.",
						   applied_checksum, checksum),
				 errhint("An applied migration's text is history: register the change as a new migration with a later version.")));

	if (registered && strcmp(old_checksum, checksum) == 0 &&
		nullable_streq(old_name, name) && old_transactional == transactional &&
		nullable_streq(old_sort_as, sort_as))
	{
		if (parsecxt)
			MemoryContextDelete(parsecxt);
		return modified ? "modified" : "unchanged";
	}

	/* the check hook (lint at add()) may refuse: nothing is written then */
	if (parsecxt)
	{
		if (!modified)
			migrate_register_check_hook(version, name, upscript, transactional);
		MemoryContextDelete(parsecxt);
	}

	if (!registered && applied_checksum == NULL && sort_as == NULL)
		refuse_same_natural_key(version);

	/*
	 * Two developers who picked the same version for two changes: the
	 * second text replaces the first, and says whose it replaces.
	 */
	if (warn_replaced && !modified && registered && strcmp(old_checksum, checksum) != 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("migration \"%s\" is replaced by new text", version),
				 errdetail("Its previous text was registered by %s at %s (checksum %.12s, the new text has %.12s).",
						   old_added_by ? old_added_by : "?",
						   old_added_at ? old_added_at : "?",
						   old_checksum, checksum),
				 errhint("If that text was another change that happened to get the same version, register one of the two under a version of its own.")));

	memset(nulls, ' ', sizeof(nulls));
	values[1] = name ? CStringGetTextDatum(name) : (Datum) 0;
	nulls[1] = name ? ' ' : 'n';
	values[2] = up_text ? up_text : CStringGetTextDatum(up);
	values[3] = down == NULL ? (Datum) 0 :
		down_text ? down_text : CStringGetTextDatum(down);
	nulls[3] = down ? ' ' : 'n';
	values[4] = BoolGetDatum(transactional);
	values[5] = DirectFunctionCall1(namein,
									CStringGetDatum(migrate_current_user_name()));
	values[6] = sort_as ? CStringGetTextDatum(sort_as) : (Datum) 0;
	nulls[6] = sort_as ? ' ' : 'n';

	(void) migrate_store_exec(registered ? &update_query : &insert_query,
								values, nulls, 0);
	if (modified)
		return "modified";
	return registered ? "updated" : "added";
}

/*
 * Register a migration given as C strings: register_migration().
 */
const char *
migrate_register(const char *version, const char *up, const char *down,
				 const char *name, bool transactional, const char *sort_as,
				 bool warn_replaced)
{
	return register_migration(version, up, down, (Datum) 0, (Datum) 0, name,
							  transactional, sort_as, warn_replaced, false);
}

/*
 * Register a migration read from a file: as migrate_register(), but the
 * file's text is registered also when the migration was applied with other
 * text, which makes it modified ("modified" is returned).
 */
const char *
migrate_register_file(const char *version, const char *up, const char *down,
					  const char *name, bool transactional, const char *sort_as)
{
	return register_migration(version, up, down, (Datum) 0, (Datum) 0, name,
							  transactional, sort_as, false, true);
}

/*
 * The transactional argument: NULL is a mistake, not a default.
 */
bool
migrate_transactional_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("transactional must not be NULL"),
				 errhint("Pass true (the default) or false.")));
	return PG_GETARG_BOOL(argno);
}

/*
 * Read the arguments (version, up, down, name, transactional, sort_as,
 * environments) shared by add() and apply() and register the migration.
 */
const char *
migrate_register_args(FunctionCallInfo fcinfo, char **version)
{
	const char *action;
	bool		envnull;
	Datum		environments;
	text	   *up;
	text	   *down;

	*version = migrate_text_arg(fcinfo, 0);
	migrate_check_version(*version, "version");
	environments = migrate_environments_arg(fcinfo, 6, &envnull);
	/* the scripts' text arguments are stored as they came, not copied */
	up = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	down = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);
	action = register_migration(*version,
								up ? text_to_cstring(up) : NULL,
								down ? text_to_cstring(down) : NULL,
								PointerGetDatum(up), PointerGetDatum(down),
								migrate_text_arg(fcinfo, 3),
								migrate_transactional_arg(fcinfo, 4),
								migrate_text_arg(fcinfo, 5), true, false);
	if (migrate_set_environments(*version, environments, envnull) &&
		strcmp(action, "unchanged") == 0)
		action = "updated";
	return action;
}

/*
 * add(version, up, down, name, transactional, sort_as, environments) returns text
 */
Datum
migrate_add(PG_FUNCTION_ARGS)
{
	const char *action;
	char	   *version;

	migrate_call_begin();
	action = migrate_register_args(fcinfo, &version);
	migrate_call_end();

	PG_RETURN_TEXT_P(cstring_to_text(action));
}

/*
 * remove(version) returns void
 *
 * Unregister a pending migration.  An applied migration stays: revert it
 * first.
 */
Datum
migrate_remove(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	Datum		arg;
	bool		removed;
	bool		applied;

	migrate_check_version(version, "version");
	migrate_call_begin();

	arg = CStringGetTextDatum(version);
	(void) migrate_store_exec(&remove_query, &arg, NULL, 0);
	removed = (SPI_processed == 1);
	migrate_store_done();

	if (!removed)
	{
		(void) migrate_store_exec(&applied_query, &arg, NULL, 1);
		applied = (SPI_processed == 1);
		migrate_store_done();
		if (applied)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("migration \"%s\" is applied", version),
					 errdetail("Nothing was removed."),
					 errhint("Revert it first with SELECT migrate.down('%s').",
							 version)));
		migrate_refuse_unknown(version);
	}

	migrate_call_end();
	PG_RETURN_VOID();
}
