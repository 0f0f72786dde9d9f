/*-------------------------------------------------------------------------
 *
 * exec.c
 *	  Running a migration's statements: error context, progress, and the
 *	  subtransaction each migration runs in.
 *
 * A script's statements run one by one through SPI with the caller's
 * privileges, search_path and settings, as psql would run them: a SET in
 * a migration stays in effect for the rest of the session, a SET LOCAL
 * until the end of the transaction.  (The background worker of worker.c
 * runs non-transactional scripts at top level instead, with the same error
 * context and progress reporting: migrate_exec_begin() and friends.)
 *
 * When a statement fails, the error keeps its SQLSTATE and message; an
 * error context callback adds which migration, which statement, its line
 * within the script and the statement's first line.
 *
 * While a statement runs, pg_stat_activity.query of this backend shows
 * the migration, the statement number and the statement.
 *
 * IDENTIFICATION
 *	  src/engine/exec.c
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

#include "engine/engine.h"

/*
 * Set by plan() while it runs (rollout/measure.c), NULL otherwise: called
 * around each statement of migrate_exec_script().
 */
MigrateStatementHook migrate_statement_hook = NULL;

/* Nesting depth of running migration scripts in this backend. */
static int	running_depth = 0;

/* Version of the migration whose statements are running, or NULL. */
static const char *running_version = NULL;

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
 * Raise the error of a state-changing function called from a migration.
 */
void
migrate_refuse_in_migration(void)
{
	if (migrate_in_migration())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migrate functions that change state cannot be called from a migration"),
				 errhint("Register and apply migrations from the deploy script, not from inside one.")));
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
 * Error context: which migration and statement failed, and where; the
 * caller may also want the failing statement's number.
 */
static void
run_error_callback(void *arg)
{
	MigrateExec *run = (MigrateExec *) arg;
	MigrateStatement *st;
	char	   *first_line;
	int			n;
	int			nstatements;

	if (run->current < 0)
		return;

	if (run->failed)
		*run->failed = run->current;

	/*
	 * A position the parser gave is one in the statement; sent as it is,
	 * a client shows it in the query the client sent (CALL migrate.run()
	 * in the background worker's case).  Make it a position in the
	 * statement, shown with it, as functions.c does for SQL functions.
	 * Statements run through SPI come here converted already.
	 */
	if (run->sql && geterrposition() > 0)
	{
		int			pos = geterrposition();

		errposition(0);
		internalerrposition(pos);
		internalerrquery(run->sql);
	}

	st = &run->script->statements[run->current];
	first_line = migrate_statement_first_line(run->script, run->current);
	n = run->current + 1;
	nstatements = run->script->nstatements;
	if (strcmp(run->script->direction, MIGRATE_SEED_SCRIPT) == 0)
		errcontext("seed \"%s\", statement %d of %d, line %d: %s",
				   run->version, n, nstatements, st->line, first_line);
	else if (strcmp(run->script->direction, "up") == 0 && run->name)
		errcontext("up script of migration \"%s\" (\"%s\"), statement %d of %d, line %d: %s",
				   run->version, run->name, n, nstatements, st->line,
				   first_line);
	else if (strcmp(run->script->direction, "up") == 0)
		errcontext("up script of migration \"%s\", statement %d of %d, line %d: %s",
				   run->version, n, nstatements, st->line, first_line);
	else if (run->name)
		errcontext("down script of migration \"%s\" (\"%s\"), statement %d of %d, line %d: %s",
				   run->version, run->name, n, nstatements, st->line,
				   first_line);
	else
		errcontext("down script of migration \"%s\", statement %d of %d, line %d: %s",
				   run->version, n, nstatements, st->line, first_line);
}

/*
 * Show the running statement in pg_stat_activity.  The server clips the
 * text to track_activity_query_size; clip it first so that a very long
 * statement is not copied for nothing.
 */
static void
report_statement(const MigrateExec *run, const char *sql)
{
	char	   *activity;
	int			len = strlen(sql);
	int			cliplen = pg_mbcliplen(sql, len,
									   Min(len, pgstat_track_activity_query_size));

	activity = psprintf("migrate: %s %s, statement %d of %d: %.*s",
						run->version, run->script->direction,
						run->current + 1, run->script->nstatements,
						cliplen, sql);
	pgstat_report_activity(STATE_RUNNING, activity);
	pfree(activity);
}

/*
 * Start running a parsed script: install the error context and mark the
 * migration as running.  Every migrate_exec_begin() is paired with a
 * migrate_exec_end(), also on error (PG_FINALLY).
 */
void
migrate_exec_begin(MigrateExec *run, const char *version, const char *name,
				  MigrateScript *script)
{
	memset(run, 0, sizeof(MigrateExec));
	run->version = version;
	run->name = name;
	run->script = script;
	run->current = -1;

	run->callback.callback = run_error_callback;
	run->callback.arg = run;
	run->callback.previous = error_context_stack;
	error_context_stack = &run->callback;

	running_depth++;
	run->saved_version = running_version;
	/* DDL history links DDL to migrations, not to seeds */
	if (strcmp(script->direction, MIGRATE_SEED_SCRIPT) != 0)
		running_version = version;
}

/*
 * Statement "i" is about to run: errors now name it, and
 * pg_stat_activity shows it.  Returns its text.
 */
char *
migrate_exec_statement(MigrateExec *run, int i)
{
	char	   *sql;

	Assert(run->script != NULL);
	Assert(i >= 0 && i < run->script->nstatements);
	sql = migrate_statement_text(run->script, i);
	run->current = i;
	run->sql = sql;
	report_statement(run, sql);
	return sql;
}

/*
 * The script is done, or failed: remove the error context.
 */
void
migrate_exec_end(MigrateExec *run)
{
	running_depth--;
	running_version = run->saved_version;
	error_context_stack = run->callback.previous;
}

/*
 * Run the statements of one script through SPI in the current
 * transaction.  Returns the number of statements run.  If a statement
 * fails, *failed (when "failed" is not NULL) receives its index.  The
 * caller is connected to SPI.
 */
int
migrate_exec_script(const char *version, const char *name,
				   const char *direction, const char *text, int *failed)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	MigrateExec	run;
	int			i;
	MigrateScript *script = migrate_parse_script(version, direction, text,
												 false);

	/*
	 * The error context is pushed inside PG_TRY(): PG_END_TRY() restores
	 * error_context_stack to what it was when PG_TRY() began, so a frame
	 * pushed before it would be left on the stack after this function
	 * returns, pointing into its dead stack frame.
	 */
	PG_TRY();
	{
		migrate_exec_begin(&run, version, name, script);
		run.failed = failed;
		for (i = 0; i < run.script->nstatements; i++)
		{
			char	   *sql = migrate_exec_statement(&run, i);
			int			ret;

			if (migrate_statement_hook)
				migrate_statement_hook(&run, i, false, 0);
			ret = SPI_execute(sql, false, 0);
			if (ret < 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("statement cannot run inside a migration: %s",
								SPI_result_code_string(ret))));
			if (migrate_statement_hook)
				migrate_statement_hook(&run, i, true, SPI_processed);
			if (SPI_tuptable)
				SPI_freetuptable(SPI_tuptable);
			/* SPI leaves its procedure context current */
			MemoryContextSwitchTo(oldcontext);
			run.sql = NULL;
			pfree(sql);
		}
	}
	PG_FINALLY();
	{
		migrate_exec_end(&run);
	}
	PG_END_TRY();

	return script->nstatements;
}

