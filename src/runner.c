/*-------------------------------------------------------------------------
 *
 * runner.c
 *	  Running one migration step: its statements, in a subtransaction,
 *	  with error context, progress and bookkeeping.
 *
 * A step applies one registered migration (its up script) or reverts one
 * applied migration (the down script recorded when it was applied).  The
 * step runs in a subtransaction of its own; its statements run one by one
 * through SPI with the caller's privileges, search_path and settings, as
 * psql would run them: a SET in a migration stays in effect for the rest
 * of the session, a SET LOCAL until the end of the transaction.
 *
 * When a statement fails, the error keeps its SQLSTATE and message; an
 * error context callback adds which migration, which statement, its line
 * within the script and the statement's first line.  The subtransaction is
 * rolled back and the error raised again, so the whole call fails.
 *
 * Each step works in a memory context of its own, deleted when the step
 * ends, so a run of thousands of migrations does not grow the backend.
 * While a statement runs, pg_stat_activity.query of this backend shows
 * the migration, the statement number and the statement.
 *
 * IDENTIFICATION
 *	  src/runner.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "migrate.h"

/* Nesting depth of running migration scripts in this backend. */
static int	running_depth = 0;

/* Version of the migration whose statements are running, or NULL. */
static const char *running_version = NULL;

/*
 * What the error context callback needs to say where a failure happened.
 */
typedef struct RunContext
{
	const char *version;
	const char *name;
	MigrateScript *script;
	int			current;		/* statement running, or -1 */
} RunContext;

static MigrateQuery fetch_registered_query = {
	.sql =
		"SELECT name, up, down, transactional, checksum"
		"  FROM migrate.migrations WHERE version OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static MigrateQuery fetch_applied_query = {
	.sql =
		"SELECT name, down, transactional, checksum, batch"
		"  FROM migrate.applied WHERE version OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {TEXTOID}
};

static MigrateQuery record_apply_query = {
	.sql =
		"WITH h AS ("
		"  INSERT INTO migrate.history (version, name, action, batch, checksum,"
		"         up, down, transactional, statements, started_at, duration, role)"
		"  VALUES ($1, $2, $12, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
		"  RETURNING id)"
		" INSERT INTO migrate.applied (version, name, batch, checksum, down,"
		"        transactional, applied_at, applied_by, duration, history_id)"
		" SELECT $1, $2, $3, $4, $6, $7, $9, $11, $10, h.id FROM h",
	.nargs = 12,
	.argtypes = {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, INT4OID, TIMESTAMPTZOID, INTERVALOID, NAMEOID, TEXTOID}
};

static MigrateQuery record_revert_query = {
	.sql =
		"WITH h AS ("
		"  INSERT INTO migrate.history (version, name, action, batch, checksum,"
		"         up, down, transactional, statements, started_at, duration, role)"
		"  VALUES ($1, $2, 'revert', $3, $4, NULL, $5, $6, $7, $8, $9, $10))"
		" DELETE FROM migrate.applied WHERE version OPERATOR(pg_catalog.=) $1",
	.nargs = 10,
	.argtypes = {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, BOOLOID, INT4OID, TIMESTAMPTZOID, INTERVALOID, NAMEOID}
};

/*
 * True while a migration's statements are running in this backend: the
 * state-changing migrate functions refuse to be called from a migration.
 */
bool
migrate_in_migration(void)
{
	return running_depth > 0;
}

/*
 * The version of the migration whose statements are running in this
 * backend, or NULL: DDL history links the DDL it records to it.
 */
const char *
migrate_current_migration(void)
{
	return running_version;
}

/*
 * Error context: which migration and statement failed, and where.
 */
static void
run_error_callback(void *arg)
{
	RunContext *rc = (RunContext *) arg;
	MigrateStatement *st;

	if (rc->current < 0)
		return;
	st = &rc->script->statements[rc->current];
	if (rc->name)
		errcontext("migration %s \"%s\" (%s), statement %d of %d, line %d: %s",
				   rc->version, rc->name, rc->script->direction,
				   rc->current + 1, rc->script->nstatements, st->line,
				   migrate_statement_first_line(rc->script, rc->current));
	else
		errcontext("migration %s (%s), statement %d of %d, line %d: %s",
				   rc->version, rc->script->direction,
				   rc->current + 1, rc->script->nstatements, st->line,
				   migrate_statement_first_line(rc->script, rc->current));
}

/*
 * Show the running statement in pg_stat_activity.  The server clips the
 * text to track_activity_query_size; clip it first so that a very long
 * statement is not copied for nothing.
 */
static void
report_statement(const RunContext *rc, const char *sql)
{
	char	   *prefix;
	char	   *activity;
	int			len = strlen(sql);
	int			cliplen = pg_mbcliplen(sql, len, Min(len, 1024));

	prefix = psprintf("migrate: %s %s, statement %d of %d: ",
					  rc->version, rc->script->direction, rc->current + 1,
					  rc->script->nstatements);
	activity = psprintf("%s%.*s", prefix, cliplen, sql);
	pgstat_report_activity(STATE_RUNNING, activity);
	pfree(prefix);
	pfree(activity);
}

/*
 * Run the statements of one script in the current transaction.  Returns
 * the number of statements run.  The caller is connected to SPI.
 */
int
migrate_run_script(const char *version, const char *name,
				   const char *direction, const char *text)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	const char *saved_version;
	RunContext	rc;
	ErrorContextCallback callback;
	int			i;

	rc.version = version;
	rc.name = name;
	rc.current = -1;
	rc.script = migrate_parse_script(version, direction, text, false);

	callback.callback = run_error_callback;
	callback.arg = &rc;
	callback.previous = error_context_stack;
	error_context_stack = &callback;

	running_depth++;
	saved_version = running_version;
	running_version = version;
	PG_TRY();
	{
		for (i = 0; i < rc.script->nstatements; i++)
		{
			char	   *sql = migrate_statement_text(rc.script, i);
			int			ret;

			rc.current = i;
			report_statement(&rc, sql);

			ret = SPI_execute(sql, false, 0);
			if (ret < 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("statement cannot run inside a migration: %s",
								SPI_result_code_string(ret))));
			if (SPI_tuptable)
				SPI_freetuptable(SPI_tuptable);
			/* SPI leaves its procedure context current */
			MemoryContextSwitchTo(oldcontext);
			pfree(sql);
		}
	}
	PG_FINALLY();
	{
		running_depth--;
		running_version = saved_version;
	}
	PG_END_TRY();

	error_context_stack = callback.previous;

	return rc.script->nstatements;
}

static Datum
interval_datum(int64 usecs)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = usecs;
	return IntervalPGetDatum(iv);
}

static Datum
text_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * Run "work" in a subtransaction of its own, released when it succeeds
 * and "keep" is true, rolled back otherwise.  On error the error is raised
 * again unchanged, after the rollback: a subtransaction must never be
 * left open for an outer exception handler to find.
 */
void
migrate_in_subtransaction(MigrateWork work, void *arg, bool keep)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);

	PG_TRY();
	{
		work(arg);

		if (keep)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();

		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;

		ReThrowError(edata);
	}
	PG_END_TRY();
}

/*
 * A migration step, as loaded from migrate's tables.
 */
typedef struct Step
{
	const char *version;
	const char *action;			/* history action of an apply */
	char	   *name;
	char	   *script;			/* up when applying, down when reverting */
	char	   *up;				/* applying: recorded in history */
	char	   *down;			/* applying: recorded for the revert */
	bool		transactional;
	char	   *checksum;
	int			batch;
	char	   *role;
	TimestampTz started;
	int64		duration_us;
	int			statements;
} Step;

/*
 * Record a step as applied, in history and in the applied set.
 */
static void
record_apply(Step *step)
{
	Datum		values[12];
	char		nulls[12];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(step->version);
	values[1] = text_or_null(step->name, &nulls[1]);
	values[2] = Int32GetDatum(step->batch);
	values[3] = CStringGetTextDatum(step->checksum);
	values[4] = CStringGetTextDatum(step->up);
	values[5] = text_or_null(step->down, &nulls[5]);
	values[6] = BoolGetDatum(step->transactional);
	values[7] = Int32GetDatum(step->statements);
	values[8] = TimestampTzGetDatum(step->started);
	values[9] = interval_datum(step->duration_us);
	values[10] = DirectFunctionCall1(namein, CStringGetDatum(step->role));
	values[11] = CStringGetTextDatum(step->action);
	(void) migrate_catalog_exec(&record_apply_query, values, nulls, 0);
}

static void
apply_work(void *arg)
{
	Step	   *step = (Step *) arg;

	step->started = GetCurrentTimestamp();
	step->statements = migrate_run_script(step->version, step->name, "up",
										  step->script);
	step->duration_us = GetCurrentTimestamp() - step->started;
	record_apply(step);
}

static void
revert_work(void *arg)
{
	Step	   *step = (Step *) arg;
	Datum		values[10];
	char		nulls[10];

	step->started = GetCurrentTimestamp();
	step->statements = migrate_run_script(step->version, step->name, "down",
										  step->script);
	step->duration_us = GetCurrentTimestamp() - step->started;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(step->version);
	values[1] = text_or_null(step->name, &nulls[1]);
	values[2] = Int32GetDatum(step->batch);
	values[3] = CStringGetTextDatum(step->checksum);
	values[4] = CStringGetTextDatum(step->script);
	values[5] = BoolGetDatum(step->transactional);
	values[6] = Int32GetDatum(step->statements);
	values[7] = TimestampTzGetDatum(step->started);
	values[8] = interval_datum(step->duration_us);
	values[9] = DirectFunctionCall1(namein, CStringGetDatum(step->role));
	(void) migrate_catalog_exec(&record_revert_query, values, nulls, 0);
}

/*
 * The result row of a finished step, in "resultcxt".
 */
static MigrateStepResult *
step_result(const Step *step, MemoryContext resultcxt)
{
	MemoryContext old = MemoryContextSwitchTo(resultcxt);
	MigrateStepResult *r = palloc0(sizeof(MigrateStepResult));

	r->version = pstrdup(step->version);
	r->name = step->name ? pstrdup(step->name) : NULL;
	r->duration_us = step->duration_us;
	r->statements = step->statements;
	MemoryContextSwitchTo(old);
	return r;
}

static void
report_step(const char *what, const Step *step)
{
	ereport(NOTICE,
			(errmsg("%s migration %s%s%s%s", what, step->version,
					step->name ? " \"" : "", step->name ? step->name : "",
					step->name ? "\"" : ""),
			 errdetail("%d statement%s in %.3f ms.", step->statements,
					   step->statements == 1 ? "" : "s",
					   step->duration_us / 1000.0)));
}

/*
 * Load registered migration "version" into a step, in the current memory
 * context.
 */
static void
load_registered(Step *step, const char *version, int batch)
{
	Datum		arg = CStringGetTextDatum(version);
	bool		isnull;

	memset(step, 0, sizeof(Step));
	step->version = version;
	step->action = "apply";
	step->batch = batch;
	step->role = migrate_current_user_name();

	(void) migrate_catalog_exec(&fetch_registered_query, &arg, NULL, 1);
	if (SPI_processed != 1)
		elog(ERROR, "migration %s is not registered", version);
	step->name = migrate_catalog_getstr(0, 1);
	step->up = migrate_catalog_getstr(0, 2);
	step->down = migrate_catalog_getstr(0, 3);
	step->transactional = DatumGetBool(migrate_catalog_getdatum(0, 4, &isnull));
	step->checksum = migrate_catalog_getstr(0, 5);
	step->script = step->up;
	migrate_catalog_done();
}

/*
 * Record registered, pending migration "version" as applied in batch
 * "batch" without running it: for migrations whose changes are already in
 * the database (captured drift, a baseline, another tool's history).
 * "action" is the history action ("adopt", "baseline", "capture").  The
 * caller holds the migrate lock and is connected to SPI.
 */
void
migrate_mark_applied(const char *version, int batch, const char *action)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext stepcxt;
	Step		step;

	stepcxt = AllocSetContextCreate(callercxt, "migrate step",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(stepcxt);

	load_registered(&step, version, batch);
	step.action = action;
	step.started = GetCurrentTimestamp();
	record_apply(&step);

	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(stepcxt);
}

/*
 * Apply registered migration "version" as part of batch "batch".  The
 * caller holds the migrate lock, has checked that the migration is
 * pending and transactional, and is connected to SPI.  The result is
 * allocated in the caller's memory context.
 */
MigrateStepResult *
migrate_apply_step(const char *version, int batch)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext stepcxt;
	MigrateStepResult *result;
	Step		step;

	stepcxt = AllocSetContextCreate(callercxt, "migrate step",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(stepcxt);

	load_registered(&step, version, batch);
	migrate_in_subtransaction(apply_work, &step, true);
	report_step("applied", &step);

	result = step_result(&step, callercxt);
	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(stepcxt);
	return result;
}

/*
 * Revert applied migration "version" with the down script recorded when
 * it was applied.  The caller holds the migrate lock and has checked that
 * the migration is applied, reversible and transactional.
 */
MigrateStepResult *
migrate_revert_step(const char *version)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext stepcxt;
	MigrateStepResult *result;
	Step		step;
	Datum		arg;
	bool		isnull;

	stepcxt = AllocSetContextCreate(callercxt, "migrate step",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(stepcxt);
	arg = CStringGetTextDatum(version);

	memset(&step, 0, sizeof(step));
	step.version = version;
	step.role = migrate_current_user_name();

	(void) migrate_catalog_exec(&fetch_applied_query, &arg, NULL, 1);
	if (SPI_processed != 1)
		elog(ERROR, "migration %s is not applied", version);
	step.name = migrate_catalog_getstr(0, 1);
	step.script = migrate_catalog_getstr(0, 2);
	step.transactional = DatumGetBool(migrate_catalog_getdatum(0, 3, &isnull));
	step.checksum = migrate_catalog_getstr(0, 4);
	step.batch = DatumGetInt32(migrate_catalog_getdatum(0, 5, &isnull));
	migrate_catalog_done();

	if (step.script == NULL)
		elog(ERROR, "migration %s is irreversible", version);

	migrate_in_subtransaction(revert_work, &step, true);
	report_step("reverted", &step);

	result = step_result(&step, callercxt);
	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(stepcxt);
	return result;
}
