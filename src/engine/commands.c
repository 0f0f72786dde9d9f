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
PG_FUNCTION_INFO_V1(migrate_latest_0_2);
PG_FUNCTION_INFO_V1(migrate_rollback_0_2);
PG_FUNCTION_INFO_V1(migrate_redo);
PG_FUNCTION_INFO_V1(migrate_sql_mark_applied);
PG_FUNCTION_INFO_V1(migrate_sql_mark_reverted);

static MigrateQuery last_applied_query = {
	.sql =
		"SELECT a.version FROM migrate.applied a"
		" ORDER BY a.history_id DESC LIMIT 1",
	.nargs = 0
};

/* forget() and mark_reverted(): $3 is the action, $4 the reason */
static MigrateQuery forget_query = {
	.sql =
		"WITH a AS ("
		"  DELETE FROM migrate.applied WHERE version OPERATOR(pg_catalog.=) $1"
		"  RETURNING *)"
		" INSERT INTO migrate.history (version, name, action, batch, checksum,"
		"        transactional, statements, started_at, duration, role, detail)"
		" SELECT a.version, a.name, $3, a.batch, a.checksum,"
		"        a.transactional, 0, pg_catalog.clock_timestamp(), '0', $2, $4"
		"   FROM a",
	.nargs = 4,
	.argtypes = {TEXTOID, NAMEOID, TEXTOID, TEXTOID}
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
		edata->hint = pstrdup(_("Use CALL migrate.run(target => ...), which commits after each migration, or increase max_locks_per_transaction."));
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

	/* a dry run, like plan(), is how a reviewer sees what is to approve */
	if (!dry_run)
		migrate_check_pending(plan, false);
	migrate_progress_begin(list_length(plan));
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
	migrate_progress_end(true, !dry_run);

	return ab.results;
}

/*
 * Revert the applied migrations in "plan", in that order ("dry_run": in
 * a subtransaction the caller rolls back, which reports it itself).
 */
static List *
revert_plan(List *plan, bool dry_run)
{
	MemoryContext cxt = CurrentMemoryContext;

	/* volatile: assigned inside PG_TRY() and read after it */
	List	   *volatile results = NIL;
	ListCell   *lc;

	migrate_progress_begin(list_length(plan));
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
	migrate_progress_end(false, !dry_run);
	return results;
}

/*
 * Apply every pending migration, or those up to and including "target",
 * in version order, as one batch; roll it back at the end if "dry_run".
 */
static Datum
latest(FunctionCallInfo fcinfo, const char *target, bool dry_run)
{
	bytea	   *upto;
	bool		zero;
	List	   *plan;
	List	   *results = NIL;

	migrate_call_begin();
	migrate_check_not_modified();
	upto = migrate_target_key(target, &zero);
	plan = migrate_plan_applies(upto, false);
	if (plan != NIL)
		migrate_warn_drift();

	if (plan == NIL)
		migrate_notice_nothing_pending(target && !zero ? target : NULL);
	else
		results = apply_batch(plan, dry_run);

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * latest(target text, dry_run boolean) returns setof (version, name,
 *		duration, statements)
 */
Datum
migrate_latest_0_2(PG_FUNCTION_ARGS)
{
	char	   *target = migrate_text_arg(fcinfo, 0);
	bool		dry_run = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);

	return latest(fcinfo, target, dry_run);
}

/*
 * latest(dry_run boolean, "to" text): 0.1.0's signature, which a database
 * not yet updated to 0.2.0 still calls.
 */
Datum
migrate_latest(PG_FUNCTION_ARGS)
{
	bool		dry_run = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
	char	   *target = migrate_text_arg(fcinfo, 1);

	return latest(fcinfo, target, dry_run);
}

/*
 * Apply one pending migration as a batch of its own.
 */
static List *
apply_one(const char *version, bool transactional, bool registered_here)
{
	MigratePlanEntry *e = palloc0(sizeof(MigratePlanEntry));
	bool		zero;

	/*
	 * apply() registered it in this call, and the error undoes that: say
	 * so, and how to register it for run().
	 */
	if (!transactional && registered_here)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("migration \"%s\" is not transactional and cannot be applied by apply()",
						version),
				 errdetail("apply() runs inside a transaction, and its statements must run at top level. Nothing was registered or applied."),
				 errhint("Register it with SELECT migrate.add('%s', ..., transactional => false), then apply it with CALL migrate.run() outside a transaction block.",
						 version)));
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
apply_named(const char *version, bool from_apply)
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
	return apply_one(version, info.transactional, from_apply);
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
	results = apply_named(version, true);
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

			results = apply_one(e->version, e->transactional, false);
		}
	}
	else
		results = apply_named(version, false);

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
			results = revert_plan(list_make1(e), false);
		}
	}

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * Revert the last batch, every applied migration ("all"), or those above
 * "target", newest first, with the down scripts recorded when they were
 * applied; roll it all back at the end if "dry_run".  Refuses before
 * reverting anything if one of them is irreversible.
 */
typedef struct RevertBatch
{
	List	   *plan;
	List	   *results;
} RevertBatch;

static void
revert_batch_work(void *arg)
{
	RevertBatch *rb = (RevertBatch *) arg;

	rb->results = revert_plan(rb->plan, true);
}

static Datum
rollback(FunctionCallInfo fcinfo, bool all, const char *target, bool dry_run)
{
	bytea	   *above;
	bool		zero;
	List	   *plan;
	List	   *results = NIL;

	migrate_call_begin();
	above = migrate_target_key(target, &zero);
	plan = migrate_plan_reverts(all || zero, zero ? NULL : above, false);

	if (plan == NIL && target && !zero)
		ereport(NOTICE,
				(errmsg("no applied migrations above migration \"%s\"", target)));
	else if (plan == NIL)
		ereport(NOTICE, (errmsg("no applied migrations")));
	else if (dry_run)
	{
		RevertBatch rb = {plan, NIL};

		migrate_in_subtransaction(revert_batch_work, &rb, false);
		results = rb.results;
		ereport(NOTICE,
				(errmsg_plural("dry run: %d migration reverted and rolled back",
							   "dry run: %d migrations reverted and rolled back",
							   list_length(results), list_length(results)),
				 errdetail("Their down scripts ran and were rolled back; nothing changed.")));
	}
	else
		results = revert_plan(plan, false);

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * rollback(target text, dry_run boolean) returns setof (...)
 *
 * Without a target, the last batch; with one, every migration above it;
 * 'zero' reverts everything.  There is no boolean first parameter, so
 * that rollback('1') means "back to 1", never "everything".
 */
Datum
migrate_rollback_0_2(PG_FUNCTION_ARGS)
{
	char	   *target = migrate_text_arg(fcinfo, 0);
	bool		dry_run = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);

	return rollback(fcinfo, false, target, dry_run);
}

/*
 * rollback("all" boolean, "to" text): 0.1.0's signature, which a database
 * not yet updated to 0.2.0 still calls.
 */
Datum
migrate_rollback(PG_FUNCTION_ARGS)
{
	bool		all = PG_ARGISNULL(0) ? false : PG_GETARG_BOOL(0);
	char	   *target = migrate_text_arg(fcinfo, 1);

	if (all && target)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("rollback() takes \"all\" or \"to\", not both"),
				 errhint("Use rollback(\"to\" => 'zero') to revert everything, as rollback(true) does.")));
	return rollback(fcinfo, all, target, false);
}

/*
 * redo(version text) returns setof (...)
 *
 * Revert the last applied migration, or the named one, and apply its
 * registered text again, in the caller's transaction: what a developer
 * does after editing the migration being written.  The revert runs the
 * down script recorded when it was applied; the apply runs the text
 * registered now, which may have changed.
 */
Datum
migrate_redo(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	MigrateVersionInfo info;
	MigratePlanEntry *e;
	List	   *results;

	if (version)
		migrate_check_version(version, "version");
	migrate_call_begin();

	if (version == NULL)
	{
		(void) migrate_store_exec(&last_applied_query, NULL, NULL, 1);
		if (SPI_processed == 1)
			version = migrate_store_getstr(0, 1);
		migrate_store_done();
		if (version == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("no applied migration to redo"),
					 errhint("Apply migrations with SELECT * FROM migrate.latest().")));
	}

	migrate_describe_version(version, &info);
	if (!info.applied && !info.registered)
		migrate_refuse_unknown(version);
	if (!info.applied)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is not applied", version),
				 errhint("Apply it with SELECT * FROM migrate.up('%s').", version)));
	if (!info.registered)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is applied but not registered", version),
				 errdetail("Its text is no longer in migrate.migrations, so it cannot be applied again. Nothing was reverted."),
				 errhint("Register it again with migrate.add(), then redo it.")));
	if (info.irreversible)
		migrate_refuse_irreversible(version);
	if (!info.transactional)
		migrate_refuse_non_transactional(version, false);
	if (info.applied_after)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot redo migration \"%s\": migrations were applied after it", version),
				 errdetail_plural("Migration %s was applied after it. Nothing was reverted.",
								  "Migrations %s were applied after it. Nothing was reverted.",
								  info.napplied_after, info.applied_after),
				 errhint("Redo the last applied migration, or roll back to the one before it with migrate.rollback(target => ...) and apply again.")));

	e = palloc0(sizeof(MigratePlanEntry));
	e->version = version;
	results = revert_plan(list_make1(e), false);
	results = list_concat(results, apply_one(version, true, false));

	migrate_call_end();
	return return_results(fcinfo, results);
}

/*
 * Record that applied migration "version" is no longer applied, without
 * running anything, as history action "action" with "reason".
 */
static void
record_reverted(const char *version, const char *action, const char *reason)
{
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', reason ? ' ' : 'n'};

	values[0] = CStringGetTextDatum(version);
	values[1] = DirectFunctionCall1(namein,
									CStringGetDatum(migrate_current_user_name()));
	values[2] = CStringGetTextDatum(action);
	values[3] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	(void) migrate_store_exec(&forget_query, values, nulls, 0);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is not applied", version),
				 errhint("SELECT * FROM migrate.status shows which migrations are applied.")));
	ereport(NOTICE,
			(errmsg("migration \"%s\" is recorded as not applied", version),
			 errdetail("Nothing was run.")));
}

/*
 * The reason of a mark: required, so that the history says why.
 */
static char *
reason_arg(FunctionCallInfo fcinfo, int argno, const char *function)
{
	char	   *reason = migrate_text_arg(fcinfo, argno);

	if (reason == NULL || reason[strspn(reason, " \t\r\n")] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s() needs a reason", function),
				 errdetail("Argument \"reason\" is %s. Nothing was recorded.",
						   reason == NULL ? "NULL" : "empty"),
				 errhint("Say why, for whoever reads migrate.history later: migrate.%s('0042', reason => 'hot fix applied by hand in incident 123').",
						 function)));
	return reason;
}

/*
 * forget(version) returns void
 *
 * Record that an applied migration is no longer applied, without running
 * anything: for a DBA who reverted an irreversible migration by hand.
 * mark_reverted() is the same with a reason.
 */
Datum
migrate_forget(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);

	migrate_check_version(version, "version");
	migrate_call_begin();
	record_reverted(version, "forget", NULL);
	migrate_call_end();
	PG_RETURN_VOID();
}

/*
 * mark_reverted(version text, reason text) returns void
 */
Datum
migrate_sql_mark_reverted(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	char	   *reason;

	migrate_check_version(version, "version");
	reason = reason_arg(fcinfo, 1, "mark_reverted");
	migrate_call_begin();
	record_reverted(version, "mark_reverted", reason);
	migrate_call_end();
	PG_RETURN_VOID();
}

/*
 * mark_applied(version text, reason text) returns void
 *
 * Record registered, pending migration "version" as applied without
 * running it, in a batch of its own: its changes are in the database
 * already (a hot fix made by hand, a migration run by another tool).
 * Flyway's skipExecutingMigrations, Django's migrate --fake.
 */
Datum
migrate_sql_mark_applied(PG_FUNCTION_ARGS)
{
	char	   *version = migrate_text_arg(fcinfo, 0);
	char	   *reason;
	MigrateVersionInfo info;

	migrate_check_version(version, "version");
	reason = reason_arg(fcinfo, 1, "mark_applied");
	migrate_call_begin();

	migrate_describe_version(version, &info);
	if (!info.registered && !info.applied)
		migrate_refuse_unknown(version);
	if (info.applied)
		ereport(NOTICE,
				(errmsg("migration \"%s\" is already applied", version),
				 errdetail("Nothing was recorded.")));
	else
	{
		migrate_mark_applied_because(version, migrate_next_batch(),
									 "mark_applied", reason);
		ereport(NOTICE,
				(errmsg("migration \"%s\" is recorded as applied", version),
				 errdetail("Nothing was run.")));
	}

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
