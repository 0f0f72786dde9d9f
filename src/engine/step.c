/*-------------------------------------------------------------------------
 *
 * step.c
 *	  One migration step: apply a registered migration or revert an
 *	  applied one, in a subtransaction, with bookkeeping and lock retries.
 *
 * A step loads what it runs from migrate's tables: the registered up
 * script when applying, and when reverting the down script recorded when
 * the migration was applied (whatever the registry says now).  It runs in
 * a subtransaction of its own and records itself in the history and the
 * applied set in that same subtransaction, so a step is applied and
 * recorded, or neither.
 *
 * Lock timeouts: each attempt runs with migrate.lock_timeout as its
 * lock_timeout (3 s by default, migrate_effective_lock_timeout()).  When an attempt fails with lock_not_available, its
 * subtransaction is rolled back, the attempt is recorded in the history,
 * the caller may commit (CALL migrate.run() does, so that nothing is held
 * while waiting), and after a backoff the step is tried again, up to
 * migrate.lock_retries more times.  The backoff before retry k is
 * migrate.lock_timeout * 2^(k-1) (1 s * 2^(k-1) when lock_timeout is off),
 * at most 60 s.  Each retry's NOTICE and the last failure say what the
 * statement waited for, who holds locks on it and what they run.
 *
 * Each step works in a memory context of its own, deleted when the step
 * ends, so a run of thousands of migrations does not grow the backend.
 *
 * IDENTIFICATION
 *	  src/engine/step.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "engine/engine.h"

/* The longest wait between two attempts. */
#define MAX_BACKOFF_MS	60000

static MigrateQuery fetch_registered_query = {
	.sql =
		"SELECT name, up, down, transactional, checksum, sort_as"
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
		"         up, down, transactional, statements, started_at, duration, role,"
		"         detail)"
		"  VALUES ($1, $2, $12, $3, $4, $5, $6, $7, $8, $9, $10, $11, $14)"
		"  RETURNING id)"
		" INSERT INTO migrate.applied (version, name, batch, checksum, down,"
		"        transactional, applied_at, applied_by, duration, history_id,"
		"        sort_as, applied_as, reason)"
		" SELECT $1, $2, $3, $4, $6, $7, $9, $11, $10, h.id, $13, $12,"
		"        CASE WHEN $12 OPERATOR(pg_catalog.=) 'mark_applied' THEN $14 END"
		"   FROM h",
	.nargs = 14,
	.argtypes = {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, BOOLOID,
	INT4OID, TIMESTAMPTZOID, INTERVALOID, NAMEOID, TEXTOID, TEXTOID, TEXTOID},
	/* 0.1.0's applied set does not say how a migration was applied */
	.sql_0_1 =
		"WITH h AS ("
		"  INSERT INTO migrate.history (version, name, action, batch, checksum,"
		"         up, down, transactional, statements, started_at, duration, role,"
		"         detail)"
		"  VALUES ($1, $2, $12, $3, $4, $5, $6, $7, $8, $9, $10, $11, $14)"
		"  RETURNING id)"
		" INSERT INTO migrate.applied (version, name, batch, checksum, down,"
		"        transactional, applied_at, applied_by, duration, history_id,"
		"        sort_as)"
		" SELECT $1, $2, $3, $4, $6, $7, $9, $11, $10, h.id, $13 FROM h"
};

static MigrateQuery record_revert_query = {
	.sql =
		"WITH h AS ("
		"  INSERT INTO migrate.history (version, name, action, batch, checksum,"
		"         up, down, transactional, statements, started_at, duration, role)"
		"  VALUES ($1, $2, 'revert', $3, $4, NULL, $6, $7, $8, $9, $10, $11))"
		" DELETE FROM migrate.applied WHERE version OPERATOR(pg_catalog.=) $1",
	.nargs = 11,
	.argtypes = {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, BOOLOID,
	INT4OID, TIMESTAMPTZOID, INTERVALOID, NAMEOID}
};

static MigrateQuery record_event_query = {
	.sql =
		"INSERT INTO migrate.history (version, name, action, batch, checksum,"
		"       up, down, transactional, statements, started_at, duration, role,"
		"       detail)"
		" VALUES ($1, $2, $12, $3, $4, $5, $6, $7, $8, $9, $10, $11, $13)",
	.nargs = 13,
	.argtypes = {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, TEXTOID, BOOLOID,
	INT4OID, TIMESTAMPTZOID, INTERVALOID, NAMEOID, TEXTOID, TEXTOID}
};

/*
 * One attempt of a step: the step, and which statement failed.
 */
typedef struct StepAttempt
{
	MigrateStep *step;
	int			failed;
} StepAttempt;

static MigrateQuery lock_holders_query = {
	.sql =
		"SELECT pg_catalog.string_agg(h.pid::pg_catalog.text, ', ' ORDER BY h.pid),"
		"       pg_catalog.count(*)::pg_catalog.int4,"
		"       pg_catalog.string_agg(pg_catalog.format('%s (%s): %s', h.pid,"
		"                                 COALESCE(a.state, 'unknown'),"
		"                                 pg_catalog.regexp_replace(pg_catalog.btrim("
		"                                     pg_catalog.\"left\"(COALESCE(a.query, ''), 100)),"
		"                                     '\\s+', ' ', 'g')),"
		"                             '; ' ORDER BY h.pid)"
		"  FROM (SELECT DISTINCT l.pid FROM pg_catalog.pg_locks l"
		"         WHERE l.database OPERATOR(pg_catalog.=) $1"
		"           AND l.relation OPERATOR(pg_catalog.=) $2 AND l.granted"
		"           AND l.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()) h"
		"  LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) h.pid",
	.nargs = 2,
	.argtypes = {OIDOID, OIDOID}
};

/*
 * Load a step from migrate's tables into the current memory context:
 * registered migration "version" when applying ("up"), applied migration
 * "version" when reverting.  Raises an error if it is not there.
 */
void
migrate_step_load(MigrateStep *step, const char *version, bool up, int batch)
{
	Datum		arg = CStringGetTextDatum(version);
	bool		isnull;

	memset(step, 0, sizeof(MigrateStep));
	step->version = pstrdup(version);
	step->up = up;
	step->action = up ? "apply" : "revert";
	step->batch = batch;
	step->role = migrate_current_user_name();

	(void) migrate_store_exec(up ? &fetch_registered_query : &fetch_applied_query,
								&arg, NULL, 1);
	if (SPI_processed != 1 && up)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration \"%s\" is not registered", version)));
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("migration \"%s\" is not applied", version)));
	step->name = migrate_store_getstr(0, 1);
	if (up)
	{
		step->up_text = migrate_store_getstr(0, 2);
		step->down_text = migrate_store_getstr(0, 3);
		step->transactional = DatumGetBool(migrate_store_getdatum(0, 4, &isnull));
		step->checksum = migrate_store_getstr(0, 5);
		step->sort_as = migrate_store_getstr(0, 6);
		step->script = step->up_text;
	}
	else
	{
		step->down_text = migrate_store_getstr(0, 2);
		step->transactional = DatumGetBool(migrate_store_getdatum(0, 3, &isnull));
		step->checksum = migrate_store_getstr(0, 4);
		step->batch = DatumGetInt32(migrate_store_getdatum(0, 5, &isnull));
		step->script = step->down_text;
	}
	migrate_store_done();

	if (step->script == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migration \"%s\" is irreversible", version)));
}

/*
 * The query parameters every history row of a step has: $1 to $11, then
 * $12 is the action and $13 what the query adds (sort_as or detail).
 */
static void
step_values(const MigrateStep *step, const char *action, const char *last,
			Datum *values, char *nulls)
{
	memset(nulls, ' ', 13);
	values[0] = CStringGetTextDatum(step->version);
	values[1] = migrate_text_or_null(step->name, &nulls[1]);
	values[2] = Int32GetDatum(step->batch);
	values[3] = CStringGetTextDatum(step->checksum);
	values[4] = migrate_text_or_null(step->up_text, &nulls[4]);
	values[5] = migrate_text_or_null(step->down_text, &nulls[5]);
	values[6] = BoolGetDatum(step->transactional);
	values[7] = Int32GetDatum(step->statements);
	values[8] = TimestampTzGetDatum(step->started);
	values[9] = migrate_interval_datum(step->duration_us);
	values[10] = migrate_name_datum(step->role);
	values[11] = CStringGetTextDatum(action);
	values[12] = migrate_text_or_null(last, &nulls[12]);
}

/*
 * Record a finished step: an apply (or adopt, baseline, capture) adds the
 * migration to the applied set, a revert removes it; both add a history
 * row.
 */
void
migrate_step_record(const MigrateStep *step)
{
	Datum		values[14];
	char		nulls[14];

	step_values(step, step->action, step->sort_as, values, nulls);
	values[13] = migrate_text_or_null(step->detail, &nulls[13]);
	if (step->up)
		(void) migrate_store_exec(&record_apply_query, values, nulls, 0);
	else
		(void) migrate_store_exec(&record_revert_query, values, nulls, 0);
}

/*
 * Record an event of a step that did not complete: "attempt" (a lock
 * timeout that is retried) or "fail".  The applied set does not change.
 */
void
migrate_step_record_event(const MigrateStep *step, const char *action,
						  const char *detail)
{
	Datum		values[13];
	char		nulls[13];

	step_values(step, action, detail, values, nulls);
	(void) migrate_store_exec(&record_event_query, values, nulls, 0);
}

/*
 * The result row of a finished step, in "resultcxt".
 */
MigrateStepResult *
migrate_step_result(const MigrateStep *step, MemoryContext resultcxt)
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

/*
 * Progress of the steps of one call, for its NOTICEs: each step's says
 * "migration n of m", and the call ends with one summary.
 */
static int	progress_count = 0;
static int	progress_position = 0;
static int	progress_statements = 0;
static TimestampTz progress_started = 0;

/*
 * A call is about to run "count" steps.
 */
void
migrate_progress_begin(int count)
{
	progress_count = count;
	progress_position = 0;
	progress_statements = 0;
	progress_started = GetCurrentTimestamp();
}

/*
 * The call's steps are done: when there were several, one NOTICE says how
 * many and how long they took (a dry run says so itself, and says none
 * here).
 */
void
migrate_progress_end(bool up, bool report)
{
	int64		duration_us = GetCurrentTimestamp() - progress_started;

	if (report && progress_count > 1 && progress_position > 1)
	{
		if (up)
			ereport(NOTICE,
					(errmsg_plural("applied %d migration",
								   "applied %d migrations",
								   progress_position, progress_position),
					 migrate_errdetail_statements(progress_statements, duration_us)));
		else
			ereport(NOTICE,
					(errmsg_plural("reverted %d migration",
								   "reverted %d migrations",
								   progress_position, progress_position),
					 migrate_errdetail_statements(progress_statements, duration_us)));
	}
	progress_count = 0;
	progress_position = 0;
}

/*
 * A duration for people: "0.4 ms", "12 ms", "3.2 s", "4 min 5 s",
 * "2 h 3 min".
 */
char *
migrate_format_duration(int64 duration_us)
{
	int64		s = duration_us / USECS_PER_SEC;

	if (duration_us < 10 * 1000)
		return psprintf(_("%.1f ms"), duration_us / 1000.0);
	if (duration_us < USECS_PER_SEC)
		return psprintf(_("%d ms"), (int) (duration_us / 1000));
	if (duration_us < 60 * USECS_PER_SEC)
		return psprintf(_("%.1f s"), duration_us / (double) USECS_PER_SEC);
	if (s < 3600)
		return psprintf(_("%d min %d s"), (int) (s / 60), (int) (s % 60));
	return psprintf(_("%d h %d min"), (int) (s / 3600), (int) ((s % 3600) / 60));
}

/*
 * The detail of the NOTICE that reports a finished step of a call: which
 * of the call's steps it is, when it has several, how many statements
 * ran and how long it took.  For use inside ereport().
 */
int
migrate_errdetail_step(int statements, int64 duration_us)
{
	char	   *duration = migrate_format_duration(duration_us);

	progress_statements += statements;
	if (progress_count > 1 && progress_position < progress_count)
	{
		progress_position++;
		return errdetail_plural("Migration %d of %d: %d statement in %s.",
								"Migration %d of %d: %d statements in %s.",
								statements, progress_position, progress_count,
								statements, duration);
	}
	if (progress_count > 0)
		progress_position++;
	return errdetail_plural("%d statement in %s.",
							"%d statements in %s.",
							statements, statements, duration);
}

/*
 * The NOTICE that reports a finished step: one message for each direction,
 * with or without the migration's name.
 */
void
migrate_step_report(const MigrateStep *step)
{
	if (step->up && step->name)
		ereport(NOTICE,
				(errmsg("applied migration \"%s\" (\"%s\")",
						step->version, step->name),
				 migrate_errdetail_step(step->statements, step->duration_us)));
	else if (step->up)
		ereport(NOTICE,
				(errmsg("applied migration \"%s\"", step->version),
				 migrate_errdetail_step(step->statements, step->duration_us)));
	else if (step->name)
		ereport(NOTICE,
				(errmsg("reverted migration \"%s\" (\"%s\")",
						step->version, step->name),
				 migrate_errdetail_step(step->statements, step->duration_us)));
	else
		ereport(NOTICE,
				(errmsg("reverted migration \"%s\"", step->version),
				 migrate_errdetail_step(step->statements, step->duration_us)));
}

/*
 * The detail of a NOTICE that reports a finished script: how many
 * statements ran, and how long it took.  For use inside ereport().
 */
int
migrate_errdetail_statements(int statements, int64 duration_us)
{
	return errdetail_plural("%d statement in %s.",
							"%d statements in %s.",
							statements, statements,
							migrate_format_duration(duration_us));
}

/*
 * Run one attempt of a step, in its subtransaction: the statements, with
 * migrate.lock_timeout as lock_timeout when it is set, then the record.
 */
static void
step_work(void *arg)
{
	StepAttempt *sa = (StepAttempt *) arg;
	MigrateStep *step = sa->step;
	int			nestlevel = -1;

	if (migrate_effective_lock_timeout(false) > 0)
	{
		char		value[32];

		snprintf(value, sizeof(value), "%d", migrate_effective_lock_timeout(false));
		nestlevel = NewGUCNestLevel();
		(void) set_config_option("lock_timeout", value, PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	}

	step->started = GetCurrentTimestamp();
	step->statements = migrate_exec_script(step->version, step->name,
										  step->up ? "up" : "down",
										  step->script, &sa->failed);
	step->duration_us = GetCurrentTimestamp() - step->started;

	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);

	migrate_step_record(step);
}

/*
 * What the statement that timed out waited for: the statement, the
 * relation it works on and who holds locks on that relation now, each as
 * far as known.
 */
typedef struct LockWait
{
	int			statement;		/* 1-based, 0 when not known */
	char	   *relname;		/* "schema.table", NULL when not known */
	char	   *qualified;		/* the same, quoted as an identifier */
	char	   *holders;		/* pids, NULL when no other process has one */
	int			nholders;
	char	   *activities;		/* what each holder runs, as pg_stat_activity
								 * shows it to this role */
} LockWait;

/*
 * Find out what the statement that timed out waited for.  The lock
 * manager forgets the lock a timed-out wait was for before the error is
 * raised, so the relation comes from the statement's parse tree.
 */
static void
describe_lock_wait(const MigrateStep *step, int failed, LockWait *w)
{
	MigrateScript *script;
	RangeVar   *rv;
	Oid			relid;
	Datum		args[2];
	bool		isnull;
	char	   *nspname;

	memset(w, 0, sizeof(LockWait));
	if (failed < 0)
		return;
	script = migrate_parse_script(step->version, step->up ? "up" : "down",
								  step->script, false);
	if (failed >= script->nstatements)
		return;
	w->statement = failed + 1;
	rv = migrate_statement_relation(migrate_statement_parsetree(script, failed));
	relid = rv ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
	if (!OidIsValid(relid))
		return;

	nspname = get_namespace_name(get_rel_namespace(relid));
	w->relname = psprintf("%s.%s", nspname, get_rel_name(relid));
	w->qualified = quote_qualified_identifier(nspname, get_rel_name(relid));
	args[0] = ObjectIdGetDatum(MyDatabaseId);
	args[1] = ObjectIdGetDatum(relid);
	(void) migrate_store_exec(&lock_holders_query, args, NULL, 1);
	w->holders = migrate_store_getstr(0, 1);
	w->nholders = DatumGetInt32(migrate_store_getdatum(0, 2, &isnull));
	w->activities = migrate_store_getstr(0, 3);
	migrate_store_done();
}

/*
 * The wait as the history row of a retried attempt records it: data in
 * the history, not a message, so it is not translated.
 */
static char *
lock_wait_history_text(const LockWait *w)
{
	if (w->statement == 0)
		return pstrdup("a lock");
	if (w->relname == NULL)
		return psprintf("a lock in statement %d", w->statement);
	if (w->holders)
		return psprintf("a lock on relation %s (statement %d; process %s holds locks on it)",
						w->qualified, w->statement, w->holders);
	return psprintf("a lock on relation %s (statement %d)",
					w->qualified, w->statement);
}

/*
 * What the processes holding locks run, as a sentence: the state and
 * the start of the query of each, as pg_stat_activity shows them to this
 * role (another role's query reads "<insufficient privilege>" without
 * pg_read_all_stats).
 */
static char *
activities_sentence(const LockWait *w)
{
	if (w->activities == NULL)
		return pstrdup("");
	return psprintf(" %s", psprintf(ngettext("It runs %s.", "They run %s.", w->nholders),
									w->activities));
}

/*
 * The detail of the NOTICE of a retried attempt: what it waited for.  For
 * use inside ereport().
 */
static int
errdetail_lock_wait(const LockWait *w)
{
	if (w->statement == 0)
		return errdetail("It waited for a lock.");
	if (w->relname == NULL)
		return errdetail("It waited for a lock in statement %d.", w->statement);
	if (w->holders)
		return errdetail("%s%s",
						 psprintf(ngettext("It waited for a lock on relation \"%s\" in statement %d; process %s holds locks on it.",
										   "It waited for a lock on relation \"%s\" in statement %d; processes %s hold locks on it.",
										   w->nholders),
								  w->relname, w->statement, w->holders),
						 activities_sentence(w));
	return errdetail("It waited for a lock on relation \"%s\" in statement %d.",
					 w->relname, w->statement);
}

/*
 * The detail of the error of the last attempt: how many attempts were
 * made and what the last one waited for.  Two sentences, each translated
 * whole: the number of attempts and the number of processes holding locks
 * each choose a plural form of their own.
 */
static char *
gave_up_detail(const char *version, int attempts, const LockWait *w)
{
	char	   *first;
	char	   *second;

	first = psprintf(ngettext("Migration \"%s\" gave up after %d attempt.",
							  "Migration \"%s\" gave up after %d attempts.",
							  attempts),
					 version, attempts);
	if (w->statement == 0)
		second = pstrdup(_("The last attempt waited for a lock."));
	else if (w->relname == NULL)
		second = psprintf(_("The last attempt waited for a lock in statement %d."),
						  w->statement);
	else if (w->holders)
		second = psprintf("%s%s",
						  psprintf(ngettext("The last attempt waited for a lock on relation \"%s\" in statement %d; process %s holds locks on it.",
											"The last attempt waited for a lock on relation \"%s\" in statement %d; processes %s hold locks on it.",
											w->nholders),
								   w->relname, w->statement, w->holders),
						  activities_sentence(w));
	else
		second = psprintf(_("The last attempt waited for a lock on relation \"%s\" in statement %d."),
						  w->relname, w->statement);
	return psprintf("%s %s", first, second);
}

/*
 * Wait "ms" milliseconds, answering cancel and shutdown requests.
 */
static void
backoff_sleep(long ms)
{
	TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);

		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * The wait before retry "attempt" (1-based): exponential, capped.
 */
static long
backoff_ms(int attempt)
{
	long		base = migrate_effective_lock_timeout(false) > 0 ?
		migrate_effective_lock_timeout(false) : 1000;
	long		ms = base;

	while (--attempt > 0 && ms < MAX_BACKOFF_MS)
		ms *= 2;
	return Min(ms, MAX_BACKOFF_MS);
}

/*
 * Run a step to completion, with lock retries.  "between", when not NULL,
 * is called after a failed attempt was rolled back and recorded, before
 * the wait: CALL migrate.run() commits there.
 */
static MigrateStepResult *
run_step(const char *version, bool up, int batch, MigrateBetweenAttempts between)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext stepcxt;
	MigrateStepResult *result;
	MigrateStep step;
	int			attempt;

	stepcxt = AllocSetContextCreate(callercxt, "migrate step",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(stepcxt);
	migrate_step_load(&step, version, up, batch);

	for (attempt = 1;; attempt++)
	{
		StepAttempt sa;
		ErrorData  *volatile edata = NULL;
		LockWait	waited;
		char	   *detail;
		long		wait_ms;

		sa.step = &step;
		sa.failed = -1;

		PG_TRY();
		{
			migrate_in_subtransaction(step_work, &sa, true);
		}
		PG_CATCH();
		{
			/* the subtransaction is rolled back already: state is clean */
			MemoryContextSwitchTo(stepcxt);
			edata = CopyErrorData();
			FlushErrorState();
		}
		PG_END_TRY();

		if (edata == NULL)
			break;
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(edata);

		describe_lock_wait(&step, sa.failed, &waited);
		if (attempt > migrate_lock_retries)
		{
			if (migrate_lock_retries > 0 || migrate_effective_lock_timeout(false) > 0)
			{
				edata->detail = gave_up_detail(version, attempt, &waited);
				edata->hint = pstrdup(_("See pg_locks and pg_stat_activity for what holds the lock; migrate.lock_timeout and migrate.lock_retries set how long and how often migrate tries."));
			}
			ReThrowError(edata);
		}

		wait_ms = backoff_ms(attempt);
		detail = psprintf("attempt %d of %d: %s; waited for %s; retrying in %ld ms",
						  attempt, migrate_lock_retries + 1, edata->message,
						  lock_wait_history_text(&waited), wait_ms);
		step.duration_us = GetCurrentTimestamp() - step.started;
		migrate_step_record_event(&step, "attempt", detail);
		if (between)
			between();
		ereport(NOTICE,
				(errmsg("migration \"%s\" could not get a lock on attempt %d of %d, retrying in %ld ms",
						version, attempt, migrate_lock_retries + 1, wait_ms),
				 errdetail_lock_wait(&waited)));
		backoff_sleep(wait_ms);
	}

	migrate_step_report(&step);
	result = migrate_step_result(&step, callercxt);
	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(stepcxt);
	return result;
}

/*
 * Apply registered migration "version" as part of batch "batch".  The
 * caller holds the migrate lock, has checked that the migration is
 * pending and transactional, and is connected to SPI.  The result is
 * allocated in the caller's memory context.
 */
MigrateStepResult *
migrate_apply_step(const char *version, int batch,
				   MigrateBetweenAttempts between)
{
	return run_step(version, true, batch, between);
}

/*
 * Revert applied migration "version" with the down script recorded when
 * it was applied.  The caller holds the migrate lock and has checked that
 * the migration is applied, reversible and transactional.
 */
MigrateStepResult *
migrate_revert_step(const char *version, MigrateBetweenAttempts between)
{
	return run_step(version, false, 0, between);
}

/*
 * Record registered, pending migration "version" as applied in batch
 * "batch" without running it: for migrations whose changes are already in
 * the database (captured drift, a baseline, another tool's history, a hot
 * fix made by hand).  "action" is the history action ("adopt",
 * "baseline", "capture", "mark_applied"), "reason" its detail or NULL.
 * The caller holds the migrate lock and is connected to SPI.
 */
void
migrate_mark_applied_because(const char *version, int batch,
							 const char *action, const char *reason)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext stepcxt;
	MigrateStep step;

	stepcxt = AllocSetContextCreate(callercxt, "migrate step",
									ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(stepcxt);

	migrate_step_load(&step, version, true, batch);
	step.action = action;
	step.detail = reason;
	step.started = GetCurrentTimestamp();
	migrate_step_record(&step);

	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(stepcxt);
}

void
migrate_mark_applied(const char *version, int batch, const char *action)
{
	migrate_mark_applied_because(version, batch, action, NULL);
}
