/*-------------------------------------------------------------------------
 *
 * status.c
 *	  Keeping migrate.status_rows, the rows of the status view, in step
 *	  with the registry and the applied set.
 *
 * The status view used to join the registry, the applied set and the
 * history on every read, then sort the result: 30 ms with 10,000
 * migrations, for a view a deploy gate or a dashboard reads every few
 * seconds.  Now each change of migrate.migrations, migrate.applied or
 * migrate.approvals (a pending migration's approval is a column of
 * status) rewrites the status row of the version it touched, computed by
 * the view
 * migrate.status_source, in the same transaction; reading status is a
 * scan of migrate.status_rows in version order.
 *
 * The triggers fire ALWAYS, so that a change made under
 * session_replication_role = replica (a logical replica applying the
 * registry, a restore run that way) keeps the rows in step too.  The one
 * state a row cannot hold is "skipped": it depends on the reader's
 * migrate.environment, so the views compute it when they are read.
 *
 * A row trigger rewrites one version: an add(), an apply or a revert
 * costs one indexed INSERT ... ON CONFLICT DO UPDATE (and a DELETE when
 * the version is gone from both tables).  TRUNCATE of either table
 * rebuilds every row.
 *
 * IDENTIFICATION
 *	  src/engine/status.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "engine/engine.h"

PG_FUNCTION_INFO_V1(migrate_status_sync);

/*
 * The row of a version is updated in place rather than deleted and
 * inserted again: when no indexed column changes and its page has room,
 * the update is a HOT one that writes no index entry.  The SET list
 * names every column of migrate.status_source but version: a column
 * added there must be added here (test/sql/12_status.sql compares the
 * rows with the view after every kind of change).
 */
static MigrateQuery upsert_version_query = {
	.sql =
		"INSERT INTO migrate.status_rows"
		" SELECT * FROM migrate.status_source"
		"  WHERE version OPERATOR(pg_catalog.=) $1"
		" ON CONFLICT (version) DO UPDATE"
		" SET (name, state, batch, applied_at, applied_by, duration, reversible,"
		"      transactional, registered, environments, applied_as, reason,"
		"      approval, sort_key) ="
		"     ROW(excluded.name, excluded.state, excluded.batch,"
		"         excluded.applied_at, excluded.applied_by, excluded.duration,"
		"         excluded.reversible, excluded.transactional,"
		"         excluded.registered, excluded.environments,"
		"         excluded.applied_as, excluded.reason, excluded.approval,"
		"         excluded.sort_key)",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

/* a version neither registered nor applied any more has no row */
static MigrateQuery delete_version_query = {
	.sql =
		"DELETE FROM migrate.status_rows r"
		" WHERE r.version OPERATOR(pg_catalog.=) $1"
		"   AND NOT EXISTS (SELECT FROM migrate.status_source s"
		"                    WHERE s.version OPERATOR(pg_catalog.=) $1)",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static MigrateQuery clear_query = {
	.sql = "DELETE FROM migrate.status_rows",
	.nargs = 0
};

static MigrateQuery rebuild_query = {
	.sql = "INSERT INTO migrate.status_rows"
		" SELECT * FROM migrate.status_source ORDER BY sort_key",
	.nargs = 0
};

/* migrate.status_rows */
static Oid
status_rows_relid(void)
{
	Oid			nspid = get_namespace_oid(MIGRATE_SCHEMA, false);
	Oid			relid = get_relname_relid("status_rows", nspid);

	if (!OidIsValid(relid))
		elog(ERROR, "status_sync: relation \"%s.status_rows\" does not exist",
			 MIGRATE_SCHEMA);
	return relid;
}

/*
 * Rewrite the status row of the version of a row of the table the trigger
 * fired on.
 */
static void
sync_version_of(HeapTuple tuple, TupleDesc tupdesc)
{
	int			attnum = SPI_fnumber(tupdesc, "version");
	bool		isnull;
	Datum		values[1];

	if (attnum <= 0)
		elog(ERROR, "status_sync: table has no column \"version\"");
	values[0] = SPI_getbinval(tuple, tupdesc, attnum, &isnull);
	if (isnull)
		return;
	if (migrate_store_exec(&upsert_version_query, values, " ", 0) == SPI_OK_INSERT &&
		SPI_processed == 0)
		(void) migrate_store_exec(&delete_version_query, values, " ", 0);
}

/*
 * migrate.status_sync(): AFTER trigger of migrate.migrations,
 * migrate.applied and migrate.approvals, FOR EACH ROW (INSERT, UPDATE,
 * DELETE), and of the first two FOR EACH STATEMENT (TRUNCATE).
 */
Datum
migrate_status_sync(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;

	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "status_sync: not called by trigger manager");
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event))
		elog(ERROR, "status_sync: must be fired AFTER");

	tupdesc = RelationGetDescr(trigdata->tg_relation);

	/*
	 * A row is computed from what this transaction sees of the registry,
	 * the applied set and the approvals.  Two transactions that change
	 * them at once without the migrate lock (the jobs of a pg_restore -j
	 * loading migrations and applied side by side) would each compute it
	 * without the other's rows, and the last to write would win.  So the
	 * sync takes a lock on status_rows that conflicts with itself, held to
	 * the end of the transaction: the second waits for the first to
	 * commit, then sees its rows (a new snapshot, in READ COMMITTED).
	 * Readers of status take ACCESS SHARE, which it does not block.
	 * Deploys already serialise on the migrate lock, taken first.
	 */
	LockRelationOid(status_rows_relid(), ShareRowExclusiveLock);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		/* the other table may still have rows: rebuild from both */
		(void) migrate_store_exec(&clear_query, NULL, NULL, 0);
		(void) migrate_store_exec(&rebuild_query, NULL, NULL, 0);
	}
	else if (TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
	{
		sync_version_of(trigdata->tg_trigtuple, tupdesc);

		/* an UPDATE that renames a version leaves two rows to rewrite */
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		{
			int			attnum = SPI_fnumber(tupdesc, "version");
			bool		oldnull;
			bool		newnull;
			Datum		oldv = SPI_getbinval(trigdata->tg_trigtuple, tupdesc,
											 attnum, &oldnull);
			Datum		newv = SPI_getbinval(trigdata->tg_newtuple, tupdesc,
											 attnum, &newnull);

			if (oldnull || newnull || 
				!DatumGetBool(DirectFunctionCall2Coll(texteq, C_COLLATION_OID,
													   oldv, newv)))
				sync_version_of(trigdata->tg_newtuple, tupdesc);
		}
	}

	SPI_finish();

	return PointerGetDatum(NULL);
}
