/*-------------------------------------------------------------------------
 *
 * drop.c
 *	  DROP EXTENSION migrate keeps the history unless a superuser asks.
 *
 * Dropping the extension drops its tables: migrate.history, the registry
 * and migrate.ddl_log go with it, without a trace, and nothing can say
 * afterwards what schema the database was on.  So ddl_command_start
 * refuses a drop of the extension, or of its schema with CASCADE, while
 * the history has rows, unless migrate.allow_drop (superuser only) is on.
 * The event trigger loads the library itself, so this holds whether or
 * not it was preloaded.  What it cannot see: DROP DATABASE, DROP OWNED
 * BY the extension's owner, and sessions with event triggers disabled
 * (event_triggers = off on PostgreSQL 17 and later, or single-user mode).
 *
 * IDENTIFICATION
 *	  src/ddl/drop.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "utils/lsyscache.h"

#include "ddl/ddl.h"

static MigrateQuery history_rows_query = {
	.sql = "SELECT pg_catalog.count(*) FROM migrate.history",
	.nargs = 0
};

/*
 * True if DROP statement "ds" drops the extension: DROP EXTENSION
 * migrate, or DROP SCHEMA migrate CASCADE.
 */
static bool
drops_migrate(DropStmt *ds)
{
	ListCell   *lc;

	if (ds->removeType == OBJECT_EXTENSION)
	{
		foreach(lc, ds->objects)
			if (strcmp(strVal(lfirst(lc)), "migrate") == 0)
				return true;
	}
	else if (ds->removeType == OBJECT_SCHEMA && ds->behavior == DROP_CASCADE)
	{
		foreach(lc, ds->objects)
			if (strcmp(strVal(lfirst(lc)), MIGRATE_SCHEMA) == 0)
				return true;
	}
	return false;
}

/*
 * Refuse "parsetree" if it drops the extension while the history has
 * rows and migrate.allow_drop is off.
 */
void
migrate_ddl_refuse_drop(Node *parsetree)
{
	Oid			nspid;
	bool		isnull;
	int64		rows;

	if (!IsA(parsetree, DropStmt) || migrate_allow_drop ||
		!drops_migrate((DropStmt *) parsetree))
		return;
	nspid = get_namespace_oid(MIGRATE_SCHEMA, true);
	if (!OidIsValid(nspid) || !OidIsValid(get_relname_relid("history", nspid)))
		return;

	migrate_spi_connect();
	(void) migrate_store_exec(&history_rows_query, NULL, NULL, 1);
	rows = DatumGetInt64(migrate_store_getdatum(0, 1, &isnull));
	migrate_store_done();
	SPI_finish();
	if (rows == 0)
		return;

	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot drop extension \"migrate\" while migrate.history has rows"),
			 errdetail_plural("Dropping it would delete %lld history row, the registry and migrate.ddl_log.",
							  "Dropping it would delete %lld history rows, the registry and migrate.ddl_log.",
							  rows, (long long) rows),
			 errhint("Dump them first (pg_dump --schema=migrate), then a superuser can SET migrate.allow_drop = on and drop the extension.")));
}
