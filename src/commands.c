/*-------------------------------------------------------------------------
 *
 * commands.c
 *	  The SQL entry points that apply and revert migrations: latest(),
 *	  apply(), up(), down(), rollback(), forget() and current_version().
 *
 * Each call is one batch and runs inside the caller's transaction: if any
 * step fails, the error propagates and the caller's transaction (or its
 * enclosing subtransaction) rolls back everything the call did, its
 * bookkeeping included.  Calls first take the migrate lock (lock.c), then
 * plan: what to run, and every reason to refuse (modified or irreversible
 * migrations, non-transactional ones) is found before anything runs.
 *
 * Batches are numbered as knex numbers them: one more than the highest
 * batch still applied.
 *
 * IDENTIFICATION
 *	  src/commands.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"

#include "migrate.h"

PG_FUNCTION_INFO_V1(migrate_latest);
PG_FUNCTION_INFO_V1(migrate_apply);
PG_FUNCTION_INFO_V1(migrate_up);
PG_FUNCTION_INFO_V1(migrate_down);
PG_FUNCTION_INFO_V1(migrate_rollback);
PG_FUNCTION_INFO_V1(migrate_forget);
PG_FUNCTION_INFO_V1(migrate_current_version);

static MigrateQuery modified_query = {
	.sql =
		"SELECT pg_catalog.string_agg(a.version, ', '"
		"                              ORDER BY a.sort_key)"
		"  FROM migrate.applied a"
		"  JOIN migrate.migrations m ON m.version OPERATOR(pg_catalog.=) a.version"
		" WHERE m.checksum OPERATOR(pg_catalog.<>) a.checksum",
	.nargs = 0
};

static MigrateQuery pending_query = {
	.sql =
		"SELECT m.version, m.transactional"
		"  FROM migrate.migrations m"
		" WHERE NOT EXISTS (SELECT FROM migrate.applied a"
		"                    WHERE a.version OPERATOR(pg_catalog.=) m.version)"
		"   AND (m.environments IS NULL"
		"        OR COALESCE(pg_catalog.current_setting('migrate.environment', true), '')"
		"           OPERATOR(pg_catalog.=) ANY (m.environments))"
		" ORDER BY m.sort_key",
	.nargs = 0
};

static MigrateQuery highest_applied_query = {
	.sql =
		"SELECT a.version FROM migrate.applied a"
		" ORDER BY a.sort_key DESC LIMIT 1",
	.nargs = 0
};

static MigrateQuery next_batch_query = {
	.sql =
		"SELECT COALESCE(pg_catalog.max(batch), 0) OPERATOR(pg_catalog.+) 1"
		"  FROM migrate.applied",
	.nargs = 0
};

static MigrateQuery rollback_targets_query = {
	.sql =
		"SELECT a.version, a.down IS NULL, a.transactional"
		"  FROM migrate.applied a"
		" WHERE $1 OR a.batch OPERATOR(pg_catalog.=)"
		"             (SELECT pg_catalog.max(batch) FROM migrate.applied)"
		" ORDER BY a.history_id DESC",
	.nargs = 1,
	.argtypes = {BOOLOID}
};

static MigrateQuery last_applied_query = {
	.sql =
		"SELECT a.version FROM migrate.applied a"
		" ORDER BY a.history_id DESC LIMIT 1",
	.nargs = 0
};

static MigrateQuery describe_query = {
	.sql =
		"SELECT m.version IS NOT NULL, a.version IS NOT NULL,"
		"       COALESCE(a.transactional, m.transactional),"
		"       a.down IS NULL,"
		"       (SELECT pg_catalog.string_agg(l.version, ', ' ORDER BY l.history_id)"
		"          FROM migrate.applied l"
		"         WHERE l.history_id OPERATOR(pg_catalog.>) a.history_id),"
		"       COALESCE(a.name, m.name)"
		"  FROM (SELECT $1::pg_catalog.text AS version) v"
		"  LEFT JOIN migrate.migrations m ON m.version OPERATOR(pg_catalog.=) v.version"
		"  LEFT JOIN migrate.applied a ON a.version OPERATOR(pg_catalog.=) v.version",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static MigrateQuery forget_query = {
	.sql =
		"WITH a AS ("
		"  DELETE FROM migrate.applied WHERE version OPERATOR(pg_catalog.=) $1"
		"  RETURNING *)"
		" INSERT INTO migrate.history (version, name, action, batch, checksum,"
		"        transactional, statements, started_at, duration, role)"
		" SELECT a.version, a.name, 'forget', a.batch, a.checksum,"
		"        a.transactional, 0, pg_catalog.clock_timestamp(), '0', $2"
		"   FROM a",
	.nargs = 2,
	.argtypes = {TEXTOID, NAMEOID}
};

/*
 * What is known of one version, for up(), down() and forget().
 */
typedef struct VersionInfo
{
	bool		registered;
	bool		applied;
	bool		transactional;
	bool		irreversible;
	char	   *applied_after;	/* versions applied after it, or NULL */
	char	   *name;
} VersionInfo;

/*
 * Start a call that changes migrate's state: refuse to run from inside a
 * migration, connect to SPI and take the migrate lock.
 */
void
migrate_call_begin(void)
{
	if (migrate_in_migration())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migrate functions that change state cannot be called from a migration"),
				 errhint("Register and apply migrations from the deploy script, not from inside one.")));

	migrate_spi_connect();
	migrate_lock_acquire();
}

/*
 * Connect to SPI, staying in the caller's memory context: what a call
 * allocates (its plan, its results) must outlive SPI_finish().
 */
void
migrate_spi_connect(void)
{
	MemoryContext oldcontext = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(oldcontext);
}

/*
 * End such a call: disconnect from SPI, and show the client's query in
 * pg_stat_activity again.
 */
void
migrate_call_end(void)
{
	SPI_finish();
	if (debug_query_string)
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
}

/*
 * Set up a materialized result set for a set-returning function.
 */
Tuplestorestate *
migrate_materialize_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcontext;
	Tuplestorestate *tupstore;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	oldcontext = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	tupstore = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tupstore;
	rsinfo->setDesc = *tupdesc;
	MemoryContextSwitchTo(oldcontext);

	return tupstore;
}

/*
 * Return the steps' results as rows (version, name, duration, statements).
 * Built once all steps are done, so that no tuplestore is created inside a
 * subtransaction that may be rolled back (dry runs are).
 */
static Datum
return_results(FunctionCallInfo fcinfo, List *results)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	ListCell   *lc;

	foreach(lc, results)
	{
		MigrateStepResult *r = (MigrateStepResult *) lfirst(lc);
		Datum		values[4];
		bool		nulls[4] = {false, r->name == NULL, false, false};
		Interval   *duration = palloc0(sizeof(Interval));

		duration->time = r->duration_us;
		values[0] = CStringGetTextDatum(r->version);
		values[1] = r->name ? CStringGetTextDatum(r->name) : (Datum) 0;
		values[2] = IntervalPGetDatum(duration);
		values[3] = Int32GetDatum(r->statements);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * Refuse to apply anything while an applied migration's registered text
 * differs from what was applied.
 */
static void
check_not_modified(void)
{
	char	   *modified;

	(void) migrate_catalog_exec(&modified_query, NULL, NULL, 1);
	modified = migrate_catalog_getstr(0, 1);
	migrate_catalog_done();

	if (modified)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("applied migrations were modified after they were applied: %s",
						modified),
				 errdetail("Their registered text no longer matches the checksum recorded when they were applied."),
				 errhint("Register the applied text again (migrate.history has it) or revert them before changing them; put new changes in a new migration. Nothing was applied.")));
}

static char *
highest_applied(void)
{
	char	   *version = NULL;

	(void) migrate_catalog_exec(&highest_applied_query, NULL, NULL, 1);
	if (SPI_processed == 1)
		version = migrate_catalog_getstr(0, 1);
	migrate_catalog_done();
	return version;
}

/*
 * The number of a new batch: one more than the highest batch applied.
 */
int
migrate_next_batch(void)
{
	bool		isnull;
	int			batch;

	(void) migrate_catalog_exec(&next_batch_query, NULL, NULL, 1);
	batch = DatumGetInt32(migrate_catalog_getdatum(0, 1, &isnull));
	migrate_catalog_done();
	return batch;
}

static void
describe_version(const char *version, VersionInfo *info)
{
	Datum		arg = CStringGetTextDatum(version);
	bool		isnull;

	(void) migrate_catalog_exec(&describe_query, &arg, NULL, 1);
	info->registered = DatumGetBool(migrate_catalog_getdatum(0, 1, &isnull));
	info->applied = DatumGetBool(migrate_catalog_getdatum(0, 2, &isnull));
	info->transactional = DatumGetBool(migrate_catalog_getdatum(0, 3, &isnull));
	if (isnull)
		info->transactional = true;
	info->irreversible = DatumGetBool(migrate_catalog_getdatum(0, 4, &isnull));
	info->applied_after = migrate_catalog_getstr(0, 5);
	info->name = migrate_catalog_getstr(0, 6);
	migrate_catalog_done();
}

static void
refuse_unknown(const char *version)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("migration \"%s\" is not registered", version),
			 errhint("SELECT * FROM migrate.status lists the registered migrations.")));
}

static void
refuse_non_transactional(const char *version, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
			 errmsg("migration \"%s\" is not transactional and cannot be %s inside a transaction",
					version, what),
			 errdetail("It was registered with transactional => false: its statements must run at top level."),
			 errhint("Run CALL migrate.run() outside a transaction block: it commits after each migration and runs this one at top level. Nothing was %s.",
					 what)));
}

/*
 * Warn before applying "version" when a later version is already applied.
 */
static void
warn_out_of_order(const char *version, const char *highest)
{
	if (highest && migrate_version_compare(version, highest) < 0)
		ereport(WARNING,
				(errmsg("applying migration \"%s\" out of order", version),
				 errdetail("Migration %s, a later version, is already applied.",
						   highest)));
}

/*
 * Apply the pending migrations in "versions" as one batch, in a
 * subtransaction that is rolled back at the end for a dry run.
 */
typedef struct ApplyBatch
{
	List	   *versions;
	char	   *highest;		/* highest applied version before the batch */
	int			batch;
	List	   *results;
	MemoryContext resultcxt;
} ApplyBatch;

static void
apply_batch_work(void *arg)
{
	ApplyBatch *ab = (ApplyBatch *) arg;
	ListCell   *lc;

	foreach(lc, ab->versions)
	{
		const char *version = (const char *) lfirst(lc);
		MigrateStepResult *r;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		warn_out_of_order(version, ab->highest);
		r = migrate_apply_step(version, ab->batch);
		old = MemoryContextSwitchTo(ab->resultcxt);
		ab->results = lappend(ab->results, r);
		MemoryContextSwitchTo(old);
	}
}

static List *
apply_batch(List *versions, bool dry_run)
{
	ApplyBatch	ab;

	ab.versions = versions;
	ab.highest = highest_applied();
	ab.batch = migrate_next_batch();
	ab.results = NIL;
	ab.resultcxt = CurrentMemoryContext;

	if (dry_run)
	{
		migrate_in_subtransaction(apply_batch_work, &ab, false);
		ereport(NOTICE,
				(errmsg("dry run: %d migration%s applied and rolled back",
						list_length(ab.results),
						list_length(ab.results) == 1 ? "" : "s")));
	}
	else
		apply_batch_work(&ab);

	return ab.results;
}

/*
 * latest(dry_run boolean) returns setof (version, name, duration, statements)
 *
 * Apply every pending migration, in version order, as one batch.
 */
Datum
migrate_latest(PG_FUNCTION_ARGS)
{
	bool		dry_run = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
	List	   *versions = NIL;
	List	   *results;
	uint64		i;

	migrate_call_begin();
	check_not_modified();

	(void) migrate_catalog_exec(&pending_query, NULL, NULL, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		char	   *version = migrate_catalog_getstr(i, 1);

		if (!DatumGetBool(migrate_catalog_getdatum(i, 2, &isnull)))
			refuse_non_transactional(version, "applied");
		versions = lappend(versions, version);
	}
	migrate_catalog_done();

	if (versions == NIL)
	{
		char	   *current = highest_applied();

		ereport(NOTICE,
				(errmsg("no pending migrations"),
				 current ? errdetail("The database is at version %s.", current) :
				 errdetail("No migration is registered.")));
		results = NIL;
	}
	else
		results = apply_batch(versions, dry_run);

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * Apply one pending migration as a batch of its own.
 */
static List *
apply_one(const char *version, bool transactional)
{
	if (!transactional)
		refuse_non_transactional(version, "applied");
	check_not_modified();
	return apply_batch(list_make1(pstrdup(version)), false);
}

/*
 * apply(version, up, down, name, transactional, environments) returns setof (...)
 *
 * Register a migration and apply it, in one step.  Idempotent: with the
 * same text, a second call does nothing.
 */
Datum
migrate_apply(PG_FUNCTION_ARGS)
{
	char	   *version;
	VersionInfo info;
	List	   *results = NIL;

	migrate_call_begin();
	(void) migrate_register_args(fcinfo, &version);
	describe_version(version, &info);

	if (info.applied)
		ereport(NOTICE,
				(errmsg("migration \"%s\" is already applied", version)));
	else if (!migrate_skipped_in_environment(version))
		results = apply_one(version, info.transactional);

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * up(version) returns setof (...)
 *
 * Apply the next pending migration, or the named one.
 */
Datum
migrate_up(PG_FUNCTION_ARGS)
{
	List	   *results = NIL;

	migrate_call_begin();

	if (PG_ARGISNULL(0))
	{
		bool		isnull;
		char	   *version = NULL;
		bool		transactional = true;

		(void) migrate_catalog_exec(&pending_query, NULL, NULL, 1);
		if (SPI_processed == 1)
		{
			version = migrate_catalog_getstr(0, 1);
			transactional = DatumGetBool(migrate_catalog_getdatum(0, 2, &isnull));
		}
		migrate_catalog_done();

		if (version)
			results = apply_one(version, transactional);
		else
			ereport(NOTICE, (errmsg("no pending migrations")));
	}
	else
	{
		char	   *version = text_to_cstring(PG_GETARG_TEXT_PP(0));
		VersionInfo info;

		migrate_check_version(version, "version");
		describe_version(version, &info);
		if (info.applied)
			ereport(NOTICE,
					(errmsg("migration \"%s\" is already applied", version)));
		else if (!info.registered)
			refuse_unknown(version);
		else if (!migrate_skipped_in_environment(version))
			results = apply_one(version, info.transactional);
	}

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * Revert the applied migrations in "versions", in that order.
 */
static List *
revert_list(List *versions)
{
	List	   *results = NIL;
	ListCell   *lc;

	foreach(lc, versions)
	{
		CHECK_FOR_INTERRUPTS();
		results = lappend(results,
						  migrate_revert_step((const char *) lfirst(lc)));
	}
	return results;
}

static void
refuse_irreversible(const char *versions, bool plural)
{
	if (plural)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migrations %s are irreversible", versions),
				 errdetail("They were applied without a down script; nothing was reverted."),
				 errhint("Revert their changes by hand, then record that with SELECT migrate.forget(version).")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("migration \"%s\" is irreversible", versions),
			 errdetail("It was applied without a down script; nothing was reverted."),
			 errhint("Revert its changes by hand, then record that with SELECT migrate.forget('%s').",
					 versions)));
}

/*
 * down(version) returns setof (...)
 *
 * Revert the most recently applied migration, or the named one.
 */
Datum
migrate_down(PG_FUNCTION_ARGS)
{
	char	   *version = NULL;
	VersionInfo info;
	List	   *results = NIL;

	if (!PG_ARGISNULL(0))
	{
		version = text_to_cstring(PG_GETARG_TEXT_PP(0));
		migrate_check_version(version, "version");
	}

	migrate_call_begin();

	if (version == NULL)
	{
		(void) migrate_catalog_exec(&last_applied_query, NULL, NULL, 1);
		if (SPI_processed == 1)
			version = migrate_catalog_getstr(0, 1);
		migrate_catalog_done();
	}

	if (version == NULL)
		ereport(NOTICE, (errmsg("no applied migrations")));
	else
	{
		describe_version(version, &info);
		if (!info.applied && !info.registered)
			refuse_unknown(version);
		else if (!info.applied)
			ereport(NOTICE, (errmsg("migration \"%s\" is not applied", version)));
		else
		{
			if (info.irreversible)
				refuse_irreversible(version, false);
			if (!info.transactional)
				refuse_non_transactional(version, "reverted");
			if (info.applied_after)
				ereport(WARNING,
						(errmsg("reverting migration \"%s\" out of order", version),
						 errdetail("Migrations applied after it stay applied: %s.",
								   info.applied_after)));
			results = revert_list(list_make1(version));
		}
	}

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * rollback(all boolean) returns setof (...)
 *
 * Revert the last batch, or every applied migration, newest first, with
 * the down scripts recorded when they were applied.  Refuses before
 * reverting anything if one of them is irreversible.
 */
Datum
migrate_rollback(PG_FUNCTION_ARGS)
{
	bool		all = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
	List	   *versions = NIL;
	StringInfoData irreversible;
	int			nirreversible = 0;
	char	   *non_transactional = NULL;
	List	   *results = NIL;
	Datum		arg = BoolGetDatum(all);
	uint64		i;

	migrate_call_begin();

	initStringInfo(&irreversible);
	(void) migrate_catalog_exec(&rollback_targets_query, &arg, NULL, 0);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		char	   *version = migrate_catalog_getstr(i, 1);

		if (DatumGetBool(migrate_catalog_getdatum(i, 2, &isnull)))
		{
			appendStringInfo(&irreversible, "%s%s",
							 nirreversible > 0 ? ", " : "", version);
			nirreversible++;
		}
		if (!DatumGetBool(migrate_catalog_getdatum(i, 3, &isnull)) &&
			non_transactional == NULL)
			non_transactional = version;
		versions = lappend(versions, version);
	}
	migrate_catalog_done();

	if (nirreversible > 0)
		refuse_irreversible(irreversible.data, nirreversible > 1);
	if (non_transactional)
		refuse_non_transactional(non_transactional, "reverted");

	if (versions == NIL)
		ereport(NOTICE, (errmsg("no applied migrations")));
	else
		results = revert_list(versions);

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * forget(version) returns void
 *
 * Record that an applied migration is no longer applied, without running
 * anything: for a DBA who reverted an irreversible migration by hand.
 */
Datum
migrate_forget(PG_FUNCTION_ARGS)
{
	char	   *version = PG_ARGISNULL(0) ? NULL :
		text_to_cstring(PG_GETARG_TEXT_PP(0));
	Datum		values[2];

	migrate_check_version(version, "version");
	migrate_call_begin();

	values[0] = CStringGetTextDatum(version);
	values[1] = DirectFunctionCall1(namein,
									CStringGetDatum(migrate_current_user_name()));
	(void) migrate_catalog_exec(&forget_query, values, NULL, 0);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is not applied", version),
				 errhint("SELECT * FROM migrate.status shows which migrations are applied.")));
	ereport(NOTICE,
			(errmsg("migration \"%s\" is recorded as not applied; nothing was run",
					version)));

	migrate_call_end();
	PG_RETURN_VOID();
}

/*
 * current_version() returns text
 *
 * The highest applied version, NULL when none is applied.
 */
Datum
migrate_current_version(PG_FUNCTION_ARGS)
{
	char	   *version;

	migrate_spi_connect();
	version = highest_applied();
	SPI_finish();

	if (version == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(version));
}
