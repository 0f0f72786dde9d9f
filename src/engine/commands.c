/*-------------------------------------------------------------------------
 *
 * commands.c
 *	  The SQL entry points that apply and revert migrations in one
 *	  transaction: latest(), apply(), up(), down(), rollback(), forget()
 *	  and current_version().
 *
 * Each call is one batch and runs inside the caller's transaction: if any
 * step fails, the error propagates and the caller's transaction (or its
 * enclosing subtransaction) rolls back everything the call did, its
 * bookkeeping included.  Calls first take the migrate lock (lock.c), then
 * plan (plan.c): what to run, and every reason to refuse is found before
 * anything runs.  CALL migrate.run() (procedure.c) is the form that commits
 * after each migration.
 *
 * Batches are numbered as knex numbers them: one more than the highest
 * batch still applied.
 *
 * IDENTIFICATION
 *	  src/engine/commands.c
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

#include "engine/engine.h"

PG_FUNCTION_INFO_V1(migrate_latest);
PG_FUNCTION_INFO_V1(migrate_apply);
PG_FUNCTION_INFO_V1(migrate_up);
PG_FUNCTION_INFO_V1(migrate_down);
PG_FUNCTION_INFO_V1(migrate_rollback);
PG_FUNCTION_INFO_V1(migrate_forget);
PG_FUNCTION_INFO_V1(migrate_current_version);

static MigrateQuery last_applied_query = {
	.sql =
		"SELECT a.version FROM migrate.applied a"
		" ORDER BY a.history_id DESC LIMIT 1",
	.nargs = 0
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
		values[0] = CStringGetTextDatum(r->version);
		values[1] = r->name ? CStringGetTextDatum(r->name) : (Datum) 0;
		values[2] = migrate_interval_datum(r->duration_us);
		values[3] = Int32GetDatum(r->statements);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * Raise again an error of a one-transaction call, pointing to CALL
 * migrate.run() when the transaction ran out of lock slots: a long batch
 * holds the locks of all its migrations until it commits.
 */
static void
rethrow_for_one_transaction(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	if (edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY && edata->hint &&
		strstr(edata->hint, "max_locks_per_transaction") != NULL)
	{
		/* the lock manager's error has no detail: say why here */
		if (edata->detail == NULL)
			edata->detail = pstrdup(_("This call holds the locks of every migration it runs until it commits."));
		edata->hint = pstrdup(_("Use CALL migrate.run(\"to\" => ...), which commits after each migration, or increase max_locks_per_transaction."));
	}
	ReThrowError(edata);
}

/*
 * Apply the pending migrations in "plan" as one batch, in a
 * subtransaction that is rolled back at the end for a dry run.
 */
typedef struct ApplyBatch
{
	List	   *plan;
	MigratePlanEntry *highest;	/* highest applied before the batch */
	int			batch;
	List	   *results;
	MemoryContext resultcxt;
} ApplyBatch;

static void
apply_batch_work(void *arg)
{
	ApplyBatch *ab = (ApplyBatch *) arg;
	ListCell   *lc;

	foreach(lc, ab->plan)
	{
		MigratePlanEntry *e = (MigratePlanEntry *) lfirst(lc);
		MigrateStepResult *r;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		migrate_warn_out_of_order(e, ab->highest);
		r = migrate_apply_step(e->version, ab->batch, NULL);
		old = MemoryContextSwitchTo(ab->resultcxt);
		ab->results = lappend(ab->results, r);
		MemoryContextSwitchTo(old);
	}
}

static List *
apply_batch(List *plan, bool dry_run)
{
	ApplyBatch	ab;

	ab.plan = plan;
	ab.highest = migrate_highest_applied_entry();
	ab.batch = migrate_next_batch();
	ab.results = NIL;
	ab.resultcxt = CurrentMemoryContext;

	PG_TRY();
	{
		if (dry_run)
		{
			migrate_in_subtransaction(apply_batch_work, &ab, false);
			ereport(NOTICE,
					(errmsg_plural("dry run: %d migration applied and rolled back",
								   "dry run: %d migrations applied and rolled back",
								   list_length(ab.results),
								   list_length(ab.results))));
		}
		else
			apply_batch_work(&ab);
	}
	PG_CATCH();
	{
		rethrow_for_one_transaction(ab.resultcxt);
	}
	PG_END_TRY();

	return ab.results;
}

/*
 * Revert the applied migrations in "plan", in that order.
 */
static List *
revert_plan(List *plan)
{
	MemoryContext cxt = CurrentMemoryContext;
	List	   *results = NIL;
	ListCell   *lc;

	PG_TRY();
	{
		foreach(lc, plan)
		{
			MigratePlanEntry *e = (MigratePlanEntry *) lfirst(lc);

			CHECK_FOR_INTERRUPTS();
			results = lappend(results, migrate_revert_step(e->version, NULL));
		}
	}
	PG_CATCH();
	{
		rethrow_for_one_transaction(cxt);
	}
	PG_END_TRY();
	return results;
}

/*
 * latest(dry_run boolean, to text) returns setof (version, name,
 *		duration, statements)
 *
 * Apply every pending migration, or those up to and including "to", in
 * version order, as one batch.
 */
Datum
migrate_latest(PG_FUNCTION_ARGS)
{
	bool		dry_run = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
	char	   *to = migrate_text_arg(fcinfo, 1);
	bytea	   *upto;
	bool		zero;
	List	   *plan;
	List	   *results = NIL;

	migrate_call_begin();
	migrate_check_not_modified();
	upto = migrate_target_key(to, &zero);
	plan = migrate_plan_applies(upto, false);

	if (plan == NIL)
	{
		char	   *current = migrate_highest_applied();

		if (to && !zero)
			ereport(NOTICE,
					(errmsg("no pending migrations up to migration \"%s\"", to),
					 current ?
					 errdetail("The highest applied migration is \"%s\".", current) :
					 errdetail("No migration is applied.")));
		else
			ereport(NOTICE,
					(errmsg("no pending migrations"),
					 current ?
					 errdetail("The highest applied migration is \"%s\".", current) :
					 errdetail("No migration is applied.")));
	}
	else
		results = apply_batch(plan, dry_run);

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * Apply one pending migration as a batch of its own.
 */
static List *
apply_one(const char *version, bool transactional)
{
	MigratePlanEntry *e = palloc0(sizeof(MigratePlanEntry));
	bool		zero;

	if (!transactional)
		migrate_refuse_non_transactional(version, true);
	migrate_check_not_modified();
	e->version = pstrdup(version);
	e->sort_key = migrate_target_key(version, &zero);
	e->up = true;
	e->transactional = true;
	return apply_batch(list_make1(e), false);
}

/*
 * Apply registered migration "version" as a batch of its own, unless it is
 * applied already or not for this environment (both say so).
 */
static List *
apply_named(const char *version)
{
	MigrateVersionInfo info;

	migrate_describe_version(version, &info);
	if (info.applied)
	{
		ereport(NOTICE,
				(errmsg("migration \"%s\" is already applied", version)));
		return NIL;
	}
	if (!info.registered)
		migrate_refuse_unknown(version);
	if (migrate_skipped_in_environment(version))
		return NIL;
	return apply_one(version, info.transactional);
}

/*
 * apply(version, up, down, name, transactional, sort_as, environments) returns setof (...)
 *
 * Register a migration and apply it, in one step.  Idempotent: with the
 * same text, a second call does nothing.
 */
Datum
migrate_apply(PG_FUNCTION_ARGS)
{
	char	   *version;
	List	   *results;

	migrate_call_begin();
	(void) migrate_register_args(fcinfo, &version);
	results = apply_named(version);
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
	char	   *version = migrate_text_arg(fcinfo, 0);
	List	   *results = NIL;

	if (version)
		migrate_check_version(version, "version");
	migrate_call_begin();

	if (version == NULL)
	{
		List	   *plan = migrate_plan_applies(NULL, true);

		if (plan == NIL)
			ereport(NOTICE, (errmsg("no pending migrations")));
		else
		{
			MigratePlanEntry *e = (MigratePlanEntry *) linitial(plan);

			results = apply_one(e->version, e->transactional);
		}
	}
	else
		results = apply_named(version);

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * down(version) returns setof (...)
 *
 * Revert the most recently applied migration, or the named one.
 */
Datum
migrate_down(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	MigrateVersionInfo info;
	List	   *results = NIL;

	if (version)
		migrate_check_version(version, "version");

	migrate_call_begin();

	if (version == NULL)
	{
		(void) migrate_store_exec(&last_applied_query, NULL, NULL, 1);
		if (SPI_processed == 1)
			version = migrate_store_getstr(0, 1);
		migrate_store_done();
	}

	if (version == NULL)
		ereport(NOTICE, (errmsg("no applied migrations")));
	else
	{
		migrate_describe_version(version, &info);
		if (!info.applied && !info.registered)
			migrate_refuse_unknown(version);
		else if (!info.applied)
			ereport(NOTICE, (errmsg("migration \"%s\" is not applied", version)));
		else
		{
			MigratePlanEntry *e = palloc0(sizeof(MigratePlanEntry));

			if (info.irreversible)
				migrate_refuse_irreversible(version);
			if (!info.transactional)
				migrate_refuse_non_transactional(version, false);
			if (info.applied_after)
				ereport(WARNING,
						(errmsg("reverting migration \"%s\" out of order", version),
						 errdetail_plural("Migration %s, applied after it, stays applied.",
										  "Migrations %s, applied after it, stay applied.",
										  info.napplied_after,
										  info.applied_after)));
			e->version = version;
			results = revert_plan(list_make1(e));
		}
	}

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * rollback(all boolean, to text) returns setof (...)
 *
 * Revert the last batch, every applied migration, or those above "to",
 * newest first, with the down scripts recorded when they were applied.
 * Refuses before reverting anything if one of them is irreversible.
 */
Datum
migrate_rollback(PG_FUNCTION_ARGS)
{
	bool		all = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
	char	   *to = migrate_text_arg(fcinfo, 1);
	bytea	   *above;
	bool		zero;
	List	   *plan;
	List	   *results = NIL;

	if (all && to)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rollback() takes \"all\" or \"to\", not both"),
				 errhint("Use rollback(\"to\" => 'zero') to revert everything, as rollback(true) does.")));

	migrate_call_begin();
	above = migrate_target_key(to, &zero);
	plan = migrate_plan_reverts(all, above, false);

	if (plan == NIL && to && !zero)
		ereport(NOTICE,
				(errmsg("no applied migrations above migration \"%s\"", to)));
	else if (plan == NIL)
		ereport(NOTICE, (errmsg("no applied migrations")));
	else
		results = revert_plan(plan);

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
	char	   *version = migrate_text_arg(fcinfo, 0);
	Datum		values[2];

	migrate_check_version(version, "version");
	migrate_call_begin();

	values[0] = CStringGetTextDatum(version);
	values[1] = DirectFunctionCall1(namein,
									CStringGetDatum(migrate_current_user_name()));
	(void) migrate_store_exec(&forget_query, values, NULL, 0);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is not applied", version),
				 errhint("SELECT * FROM migrate.status shows which migrations are applied.")));
	ereport(NOTICE,
			(errmsg("migration \"%s\" is recorded as not applied", version),
			 errdetail("Nothing was run.")));

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
	version = migrate_highest_applied();
	SPI_finish();

	if (version == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(version));
}
