/*-------------------------------------------------------------------------
 *
 * environment.c
 *	  Environments: migrations and seeds that run only in some databases.
 *
 * A migration or seed registered with environments => ARRAY['staging',
 * 'production'] runs only where the setting migrate.environment is one of
 * them; one registered without (NULL) runs everywhere.  Elsewhere it is
 * skipped: latest() and seed() pass over it, and the status views show
 * it as 'skipped'.  The setting is usually set per database or role
 * (ALTER DATABASE app SET migrate.environment = 'production').
 *
 * The queries that choose what to run compare the setting themselves,
 * with pg_catalog.current_setting('migrate.environment', true), so that
 * SQL (the status views) and C agree on one definition: an entry runs if
 * its environments are NULL or hold the setting's value; an unset setting
 * matches no environment.
 *
 * IDENTIFICATION
 *	  src/engine/environment.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "engine/engine.h"

static MigrateQuery set_environments_query = {
	.sql =
		"UPDATE migrate.migrations SET environments = $2"
		" WHERE version OPERATOR(pg_catalog.=) $1"
		"   AND environments IS DISTINCT FROM $2",
	.nargs = 2,
	.argtypes = {TEXTOID, TEXTARRAYOID}
};

static MigrateQuery skipped_query = {
	.sql =
		"SELECT pg_catalog.format('\"%s\"',"
		"                         pg_catalog.array_to_string(m.environments, '\", \"')),"
		"       pg_catalog.cardinality(m.environments)"
		"  FROM migrate.migrations m"
		" WHERE m.version OPERATOR(pg_catalog.=) $1"
		"   AND m.environments IS NOT NULL"
		"   AND NOT (COALESCE(pg_catalog.current_setting('migrate.environment', true), '')"
		"            OPERATOR(pg_catalog.=) ANY (m.environments))",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/*
 * The environments argument "argno": NULL (everywhere) or a non-empty
 * one-dimensional array of non-empty names.  Sets *isnull.
 */
Datum
migrate_environments_arg(FunctionCallInfo fcinfo, int argno, bool *isnull)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;

	*isnull = PG_ARGISNULL(argno);
	if (*isnull)
		return (Datum) 0;

	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("environments must be a one-dimensional array"),
				 errhint("Pass a list such as ARRAY['staging', 'production'].")));

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("environments must not be empty"),
				 errhint("Pass NULL (the default) to run it in every environment, or name the environments where it runs.")));
	for (i = 0; i < n; i++)
		if (nulls[i] || VARSIZE_ANY_EXHDR(DatumGetPointer(elems[i])) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("environments must not contain NULL or empty names"),
					 errhint("Name each environment where it runs, as migrate.environment is set there.")));

	return PointerGetDatum(arr);
}

/*
 * Set the environments of registered migration "version".  Returns true
 * if they changed.  The caller holds the migrate lock.
 */
bool
migrate_set_environments(const char *version, Datum environments, bool isnull)
{
	Datum		values[2];
	char		nulls[2] = {' ', isnull ? 'n' : ' '};

	values[0] = CStringGetTextDatum(version);
	values[1] = environments;
	(void) migrate_store_exec(&set_environments_query, values, nulls, 0);
	return SPI_processed > 0;
}

/*
 * True if registered migration "version" is not for this environment;
 * then say so in a NOTICE.  up(version) and apply() skip it, as latest()
 * does.
 */
bool
migrate_skipped_in_environment(const char *version)
{
	Datum		arg = CStringGetTextDatum(version);
	char	   *environments = NULL;
	int			n = 0;
	bool		isnull;

	(void) migrate_store_exec(&skipped_query, &arg, NULL, 1);
	if (SPI_processed == 1)
	{
		environments = migrate_store_getstr(0, 1);
		n = DatumGetInt32(migrate_store_getdatum(0, 2, &isnull));
	}
	migrate_store_done();

	if (environments == NULL)
		return false;

	if (migrate_environment && migrate_environment[0] != '\0')
		ereport(NOTICE,
				(errmsg("migration \"%s\" is skipped in this environment", version),
				 errdetail_plural("It runs only in environment %s; migrate.environment is \"%s\".",
								  "It runs only in environments %s; migrate.environment is \"%s\".",
								  n, environments, migrate_environment)));
	else
		ereport(NOTICE,
				(errmsg("migration \"%s\" is skipped in this environment", version),
				 errdetail_plural("It runs only in environment %s; migrate.environment is not set.",
								  "It runs only in environments %s; migrate.environment is not set.",
								  n, environments)));
	return true;
}

/*
 * An environments array as SQL: NULL or ARRAY['a', 'b'], for bundle().
 */
char *
migrate_environments_literal(Datum environments)
{
	ArrayType  *arr = DatumGetArrayTypeP(environments);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	StringInfoData buf;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	initStringInfo(&buf);
	appendStringInfoString(&buf, "ARRAY[");
	for (i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "",
						 quote_literal_cstr(TextDatumGetCString(elems[i])));
	appendStringInfoString(&buf, "]::pg_catalog.text[]");
	return buf.data;
}
