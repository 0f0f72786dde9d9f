/*-------------------------------------------------------------------------
 *
 * procedure.c
 *	  CALL migrate.run(target): apply or revert migrations, committing after
 *	  each one, and run non-transactional migrations in a background
 *	  worker.
 *
 * latest() and rollback() do all their work in the caller's transaction;
 * a rollout of hundreds of migrations, or of a thousand tables whose
 * locks do not fit in the lock table, needs the opposite: run() commits
 * after every migration, so what is done stays done if a later migration
 * fails (the failed one is rolled back, named, and recorded in the history
 * as a failure) and nothing accumulates.  With a target, run() brings the
 * database to that version: it reverts every applied migration above it,
 * newest first, then applies every pending one up to it; "zero" reverts
 * everything.
 *
 * A procedure can commit only when CALL is not inside a transaction
 * block; run() checks that first.  Because it commits, it holds the
 * migrate lock at session level (lock.c), and releases it on every way
 * out.  Non-transactional migrations (transactional => false) run in a
 * background worker (worker.c), after a commit, so that run() holds no
 * snapshot CREATE INDEX CONCURRENTLY would wait for.
 *
 * All applies of one run() share one batch, so migrate.rollback() after a
 * run() reverts what it applied.
 *
 * IDENTIFICATION
 *	  src/engine/procedure.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "engine/engine.h"

PG_FUNCTION_INFO_V1(migrate_run);

/*
 * Commit, and go on in a new transaction: between two migrations and
 * between two attempts of one.
 */
static void
commit_and_continue(void)
{
	SPI_commit();
}

/*
 * Record in the history that a step failed, and commit that record.  The
 * failed step's own work is already rolled back.
 */
static void
record_failure(const MigratePlanEntry *e, int batch, const char *message)
{
	MemoryContext cxt = CurrentMemoryContext;
	MigrateStep step;

	PG_TRY();
	{
		migrate_step_load(&step, e->version, e->up, batch);
		step.started = GetCurrentTimestamp();
		migrate_step_record_event(&step, "fail", message);
		commit_and_continue();
	}
	PG_CATCH();
	{
		/* the record is a courtesy: the step's own error matters */
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
	}
	PG_END_TRY();
}

/*
 * A worker step runs in a subtransaction of the caller's otherwise empty
 * transaction: if waiting for the worker fails, the rollback of the
 * subtransaction leaves the transaction clean for the failure record.
 */
typedef struct WorkerStepArgs
{
	const MigratePlanEntry *entry;
	int			batch;
	MigrateStepResult *result;
	MemoryContext resultcxt;
} WorkerStepArgs;

static void
worker_step_work(void *arg)
{
	WorkerStepArgs *ws = (WorkerStepArgs *) arg;
	MemoryContext old = MemoryContextSwitchTo(ws->resultcxt);

	ws->result = migrate_worker_step(ws->entry->version, ws->entry->up,
									 ws->batch);
	MemoryContextSwitchTo(old);
}

/*
 * The NOTICE that reports a step a background worker ran: one message for
 * each direction, with or without the migration's name.
 */
static void
report_worker_step(const MigratePlanEntry *e, const MigrateStepResult *r)
{
	if (e->up && r->name)
		ereport(NOTICE,
				(errmsg("applied migration \"%s\" (\"%s\") in a background worker",
						e->version, r->name),
				 migrate_errdetail_step(r->statements, r->duration_us)));
	else if (e->up)
		ereport(NOTICE,
				(errmsg("applied migration \"%s\" in a background worker",
						e->version),
				 migrate_errdetail_step(r->statements, r->duration_us)));
	else if (r->name)
		ereport(NOTICE,
				(errmsg("reverted migration \"%s\" (\"%s\") in a background worker",
						e->version, r->name),
				 migrate_errdetail_step(r->statements, r->duration_us)));
	else
		ereport(NOTICE,
				(errmsg("reverted migration \"%s\" in a background worker",
						e->version),
				 migrate_errdetail_step(r->statements, r->duration_us)));
}

/*
 * Run one planned step and commit it.  On failure, record the failure,
 * commit that, and raise the step's error.
 */
static void
run_one(const MigratePlanEntry *e, int batch, const MigratePlanEntry *highest)
{
	MemoryContext cxt = CurrentMemoryContext;
	ErrorData  *volatile edata = NULL;

	CHECK_FOR_INTERRUPTS();
	if (e->up)
		migrate_warn_out_of_order(e, highest);

	PG_TRY();
	{
		if (e->transactional)
		{
			if (e->up)
				(void) migrate_apply_step(e->version, batch, commit_and_continue);
			else
				(void) migrate_revert_step(e->version, commit_and_continue);
		}
		else
		{
			WorkerStepArgs ws;

			/* no snapshot may be held while the worker runs */
			commit_and_continue();
			ws.entry = e;
			ws.batch = batch;
			ws.result = NULL;
			ws.resultcxt = cxt;
			migrate_in_subtransaction(worker_step_work, &ws, true);
			report_worker_step(e, ws.result);
		}
	}
	PG_CATCH();
	{
		/* the step's (sub)transaction is rolled back: state is clean */
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();

	if (edata)
	{
		record_failure(e, batch, edata->message);
		ReThrowError(edata);
	}
	commit_and_continue();
}

/*
 * CALL migrate.run(to text)
 */
Datum
migrate_run(PG_FUNCTION_ARGS)
{
	char	   *to = migrate_text_arg(fcinfo, 0);
	MemoryContext runcxt;
	MemoryContext oldcontext;
	bool		nonatomic;

	nonatomic = fcinfo->context && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
	if (!nonatomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("CALL migrate.run() cannot run inside a transaction block"),
				 errdetail("It commits after each migration. Nothing was run."),
				 errhint("Call it on its own, outside BEGIN ... COMMIT. Inside a transaction, use SELECT migrate.latest(target => ...) or migrate.rollback(target => ...).")));
	migrate_refuse_in_migration();

	/* a context that outlives the commits */
	runcxt = AllocSetContextCreate(TopMemoryContext, "migrate run",
								   ALLOCSET_DEFAULT_SIZES);
	oldcontext = MemoryContextSwitchTo(runcxt);

	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect_ext failed");
	MemoryContextSwitchTo(runcxt);
	migrate_session_lock_acquire();

	PG_TRY();
	{
		bool		zero;
		bytea	   *target;
		List	   *reverts = NIL;
		List	   *applies = NIL;
		MigratePlanEntry *highest;
		int			batch;
		ListCell   *lc;

		/*
		 * Plan in a transaction that starts after the lock is held: at
		 * REPEATABLE READ the CALL's own snapshot may predate another run.
		 */
		commit_and_continue();
		target = migrate_target_key(to, &zero);
		if (to)
			reverts = migrate_plan_reverts(false, target, true);
		if (!zero)
		{
			migrate_check_not_modified();
			applies = migrate_plan_applies(target, true);
		}
		highest = migrate_highest_applied_entry();
		batch = migrate_next_batch();
		if (applies != NIL)
			migrate_warn_drift();
		migrate_check_pending(applies, true);

		if (reverts == NIL && applies == NIL)
			ereport(NOTICE,
					(errmsg("nothing to do"),
					 highest ?
					 errdetail("The highest applied migration is \"%s\".",
							   highest->version) :
					 errdetail("No migration is applied.")));

		migrate_progress_begin(list_length(reverts));
		foreach(lc, reverts)
			run_one((MigratePlanEntry *) lfirst(lc), batch, NULL);
		migrate_progress_end(false, true);
		/* out of order is relative to what is applied after the reverts */
		if (reverts != NIL)
			highest = migrate_highest_applied_entry();
		migrate_progress_begin(list_length(applies));
		foreach(lc, applies)
			run_one((MigratePlanEntry *) lfirst(lc), batch, highest);
		migrate_progress_end(true, true);
	}
	PG_CATCH();
	{
		migrate_session_lock_release();
		if (debug_query_string)
			pgstat_report_activity(STATE_RUNNING, debug_query_string);
		MemoryContextSwitchTo(oldcontext);
		MemoryContextDelete(runcxt);
		PG_RE_THROW();
	}
	PG_END_TRY();

	migrate_session_lock_release();
	SPI_finish();
	if (debug_query_string)
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
	MemoryContextSwitchTo(oldcontext);
	MemoryContextDelete(runcxt);

	PG_RETURN_VOID();
}

/*
 * Run CALL migrate.run(target) from C code that is itself a procedure
 * called outside a transaction block (run_release()), with the same
 * commits.
 */
void
migrate_run_procedure(const char *target)
{
	LOCAL_FCINFO(callinfo, 1);
	CallContext *context = makeNode(CallContext);

	context->atomic = false;
	InitFunctionCallInfoData(*callinfo, NULL, 1, InvalidOid,
							 (Node *) context, NULL);
	callinfo->args[0].value = target ? CStringGetTextDatum(target) : (Datum) 0;
	callinfo->args[0].isnull = target == NULL;
	(void) migrate_run(callinfo);
}
