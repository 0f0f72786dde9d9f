/*-------------------------------------------------------------------------
 *
 * measure.c
 *	  plan(): the pending migrations run in a subtransaction, measured,
 *	  and rolled back.
 *
 * plan() runs what latest() would run, the way latest() runs it: the
 * migrate lock (lock.c), the same refusals and target, then each pending
 * migration as a step (step.c) with its scripts, order and the caller's
 * search_path and privileges.  All of it, the migrate lock and the
 * bookkeeping included, happens inside one subtransaction that is always
 * rolled back, so nothing of it remains.  The engine calls
 * migrate_statement_hook around each statement; this file sets it for the
 * call and measures there: duration, the rows processed, this backend's
 * WAL (pgWalUsage), the locks the statement took and the sessions queued
 * behind plan's locks, the relations it rewrote (measure_locks.c).
 *
 * Each lock is waited for at most migrate.plan_lock_timeout (100 ms by
 * default), and a lock timeout is not retried: plan() must never queue
 * long behind the application.  A statement that fails, for a lock or
 * anything else, ends the plan with a row that says why and, for a lock,
 * who held it.
 *
 * What a rollback cannot undo are sequence values.  migrate's own
 * (history and DDL history numbers) are put back before the rollback
 * when nobody else took a value meanwhile (sequences.c); the caller's
 * sequences that advanced are reported, one row each.
 *
 * IDENTIFICATION
 *	  src/rollout/measure.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/instrument.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "rollout/rollout.h"

PG_FUNCTION_INFO_V1(migrate_plan);

/* migrate.plan_lock_timeout */
int			migrate_plan_lock_timeout = 100;

/* the most of a statement's first line a row shows, in bytes */
#define STATEMENT_HEAD_LEN	200

/* columns of plan() */
#define Natts_migrate_plan	13

/*
 * One row of plan(): a statement measured, a migration not measured, the
 * failure that ended the plan, or a sequence that advanced.
 */
typedef struct PlanRow
{
	char	   *version;
	int			statement;		/* 1-based, 0 for none */
	char	   *sql;
	int64		duration_us;	/* -1 for none */
	List	   *locks;			/* text */
	List	   *rewritten;		/* text */
	int64		rows;			/* -1 for none */
	int64		wal_bytes;		/* -1 for none */
	List	   *conflicts;		/* text */
	const char *outcome;
	char	   *sqlstate;
	char	   *note;
	List	   *lint;			/* text: "severity rule: message" */
} PlanRow;

/*
 * The state of one plan() call.  The hook is called from inside the
 * engine and finds it here.
 */
typedef struct PlanRun
{
	const char *target;
	MemoryContext resultcxt;	/* the rows: outlives the rollback */
	MemoryContext stmtcxt;		/* reset after each statement */
	List	   *entries;		/* the migrations to run */
	List	   *rows;
	int			measured;		/* migrations run */
	bool		step_started;	/* a statement of the step has begun */
	ErrorData  *edata;			/* the failure that stopped the steps */
	MigrateHeldLocks *held;
	/* the statement running */
	const char *version;
	int			statement;
	char	   *sql;
	instr_time	started;
	int64		wal_before;
	Snapshot	before;
	Oid			stmt_relid;		/* the relation its parse tree names */
	MigrateOwnSequence own[MIGRATE_OWN_SEQUENCES];
	List	   *sequences;		/* the caller's, before: "name=value" */
	/* lint of the migration running, as the catalog was before it ran */
	MemoryContext lintcxt;
	List	   *lint_findings;	/* MigrateLintFinding */
} PlanRun;

static PlanRun *current_plan = NULL;

/* the caller's sequences as the caller sees them */
static const char *caller_sequences_sql =
"SELECT pg_catalog.format('%I.%I', schemaname, sequencename),"
"       last_value::pg_catalog.text"
"  FROM pg_catalog.pg_sequences"
" WHERE schemaname OPERATOR(pg_catalog.<>) 'migrate'"
"   AND last_value IS NOT NULL"
" ORDER BY 1";

/*
 * The settings of plan().
 */
void
migrate_measure_init(void)
{
	DefineCustomIntVariable("migrate.plan_lock_timeout",
							"Sets how long plan() waits for each lock.",
							"plan() runs the pending migrations to measure them; a lock it "
							"cannot get within this time ends the plan with a row naming "
							"the sessions that hold it, instead of queueing behind them. "
							"0 sets no timeout of its own: the session's lock_timeout applies.",
							&migrate_plan_lock_timeout,
							100, 0, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
}

static PlanRow *
new_row(PlanRun *pr, const char *version, const char *outcome)
{
	MemoryContext old = MemoryContextSwitchTo(pr->resultcxt);
	PlanRow    *row = palloc0(sizeof(PlanRow));

	row->version = version ? pstrdup(version) : NULL;
	row->duration_us = -1;
	row->rows = -1;
	row->wal_bytes = -1;
	row->outcome = outcome;
	pr->rows = lappend(pr->rows, row);
	MemoryContextSwitchTo(old);
	return row;
}

/* list_sort() comparator of C strings */
static int
string_cmp(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

/*
 * A copy of a list of strings in "cxt", sorted: the lock table's order
 * is its hash's, which means nothing.
 */
static List *
copy_strings(List *strings, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, strings)
		result = lappend(result, pstrdup((char *) lfirst(lc)));
	list_sort(result, string_cmp);
	MemoryContextSwitchTo(old);
	return result;
}

/*
 * The first line of statement "i", clipped: what the row shows of it.
 */
static char *
statement_head(const MigrateScript *script, int i)
{
	char	   *sql = migrate_statement_text(script, i);
	char	   *nl = strchr(sql, '\n');
	int			len = nl ? nl - sql : strlen(sql);

	len = pg_mbcliplen(sql, len, Min(len, STATEMENT_HEAD_LEN));
	sql[len] = '\0';
	return sql;
}

/*
 * The engine's statement hook: before a statement, note where things
 * stand; after it, a row of what it did.
 */
/*
 * Lint the migration about to run, its tables sized as they are before
 * it: plan() shows each statement's findings next to its measurements.
 * A lint that fails (it should not: the script is registered) leaves
 * the migration without findings rather than ending the plan.
 */
typedef struct LintRun
{
	const MigrateScript *script;
	MemoryContext cxt;
	List	   *findings;
} LintRun;

static void
lint_work(void *arg)
{
	LintRun    *lr = (LintRun *) arg;
	List	   *findings = migrate_lint_script(lr->script, true);
	MemoryContext old = MemoryContextSwitchTo(lr->cxt);
	ListCell   *lc;

	/* the findings' texts, out of the subtransaction's memory */
	foreach(lc, findings)
	{
		MigrateLintFinding *f = (MigrateLintFinding *) lfirst(lc);
		MigrateLintFinding *copy = palloc(sizeof(MigrateLintFinding));

		*copy = *f;
		copy->message = pstrdup(f->message);
		lr->findings = lappend(lr->findings, copy);
	}
	MemoryContextSwitchTo(old);
}

static void
lint_migration(PlanRun *pr, const MigrateExec *run)
{
	LintRun		lr = {.script = run->script};

	if (pr->lintcxt == NULL)
		pr->lintcxt = AllocSetContextCreate(pr->resultcxt, "migrate plan lint",
											ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(pr->lintcxt);
	lr.cxt = pr->lintcxt;
	pr->lint_findings = NIL;
	if (migrate_try_in_subtransaction(lint_work, &lr))
		pr->lint_findings = lr.findings;
}

static void
measure_statement(const MigrateExec *run, int i, bool after, uint64 processed)
{
	PlanRun    *pr = current_plan;
	MemoryContext old;
	instr_time	elapsed;
	List	   *taken;
	List	   *waiters;
	List	   *locks = NIL;
	List	   *rewritten = NIL;
	ListCell   *lc;
	PlanRow    *row;

	if (pr == NULL)
		return;

	if (!after)
	{
		RangeVar   *rv;

		if (i == 0)
			lint_migration(pr, run);
		MemoryContextReset(pr->stmtcxt);
		old = MemoryContextSwitchTo(pr->stmtcxt);
		pr->step_started = true;
		pr->version = pstrdup(run->version);
		pr->statement = i + 1;
		pr->sql = statement_head(run->script, i);
		rv = migrate_statement_relation(migrate_statement_parsetree(run->script, i));
		pr->stmt_relid = rv ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;
		MemoryContextSwitchTo(old);
		pr->before = migrate_relfilenodes_before();
		migrate_lock_wait_forget();
		pr->wal_before = (int64) pgWalUsage.wal_bytes;
		INSTR_TIME_SET_CURRENT(pr->started);
		return;
	}

	INSTR_TIME_SET_CURRENT(elapsed);
	INSTR_TIME_SUBTRACT(elapsed, pr->started);

	old = MemoryContextSwitchTo(pr->stmtcxt);
	taken = migrate_locks_taken(pr->held, &waiters);
	foreach(lc, taken)
	{
		MigrateHeldLock *t = (MigrateHeldLock *) lfirst(lc);
		char	   *relname = migrate_relation_name_around(t->relid, pr->before);
		LOCKMODE	m;

		/* created and dropped by the statement: the new heap of a rewrite */
		if (relname == NULL)
			continue;
		for (m = 1; m <= MaxLockMode; m++)
			if (t->held & LOCKBIT_ON(m))
				locks = lappend(locks, psprintf("%s on %s",
												GetLockmodeName(DEFAULT_LOCKMETHOD, m),
												relname));
		/* only an ACCESS EXCLUSIVE lock lets a statement rewrite */
		if ((t->held & LOCKBIT_ON(AccessExclusiveLock)) &&
			t->relid != pr->stmt_relid &&
			migrate_relation_rewritten(t->relid, pr->before))
			rewritten = lappend(rewritten, relname);
	}
	/* the statement's own table, locked now or by an earlier statement */
	if (OidIsValid(pr->stmt_relid) &&
		migrate_relation_rewritten(pr->stmt_relid, pr->before))
		rewritten = lappend(rewritten, migrate_lock_relation_name(pr->stmt_relid));
	UnregisterSnapshot(pr->before);
	pr->before = NULL;
	MemoryContextSwitchTo(old);

	row = new_row(pr, run->version, "measured");
	old = MemoryContextSwitchTo(pr->resultcxt);
	row->statement = i + 1;
	row->sql = pstrdup(pr->sql);
	row->duration_us = INSTR_TIME_GET_MICROSEC(elapsed);
	row->locks = copy_strings(locks, pr->resultcxt);
	row->rewritten = copy_strings(rewritten, pr->resultcxt);
	row->rows = (int64) processed;
	row->wal_bytes = (int64) pgWalUsage.wal_bytes - pr->wal_before;
	row->conflicts = copy_strings(waiters, pr->resultcxt);
	foreach(lc, pr->lint_findings)
	{
		MigrateLintFinding *f = (MigrateLintFinding *) lfirst(lc);

		if (f->statement == i + 1)
			row->lint = lappend(row->lint,
								psprintf("%s %s: %s", migrate_lint_severity_name(f->severity),
										 f->rule, f->message));
	}
	MemoryContextSwitchTo(old);
	pr->statement = 0;
}

/*
 * The caller's sequences and their values, as text "name=value".
 */
static List *
caller_sequences(MemoryContext cxt)
{
	List	   *result = NIL;
	uint64		i;

	if (SPI_execute(caller_sequences_sql, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_sequences");
	for (i = 0; i < SPI_processed; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *value = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

		result = lappend(result, psprintf("%s=%s", name, value));
		MemoryContextSwitchTo(old);
	}
	SPI_freetuptable(SPI_tuptable);
	return result;
}

/* whether C string "s" is in list "strings" */
static bool
string_member(List *strings, const char *s)
{
	ListCell   *lc;

	foreach(lc, strings)
		if (strcmp((char *) lfirst(lc), s) == 0)
			return true;
	return false;
}

/*
 * Whether a step's error can be reported as a row and the plan go on to
 * its epilogue: the error came from inside the step's subtransaction
 * (from its statements or its record), which step.c rolled back before
 * raising it again, so the state is clean; and it is not one that must
 * stop the call (a cancel, running out of memory, an internal error).
 */
static bool
reportable(const PlanRun *pr, const ErrorData *edata)
{
	if (!pr->step_started)
		return false;
	switch (ERRCODE_TO_CATEGORY(edata->sqlerrcode))
	{
		case ERRCODE_INSUFFICIENT_RESOURCES:
		case ERRCODE_PROGRAM_LIMIT_EXCEEDED:
		case ERRCODE_OPERATOR_INTERVENTION:
		case ERRCODE_SYSTEM_ERROR:
		case ERRCODE_INTERNAL_ERROR:
			return false;
		default:
			return true;
	}
}

/*
 * Run the steps, measured; the caller rolls them back.  The first
 * failure stops them, as it stops latest(), and is kept in pr->edata.
 */
static void
plan_steps(PlanRun *pr)
{
	MemoryContext cxt = CurrentMemoryContext;
	MigratePlanEntry *highest = migrate_highest_applied_entry();
	int			batch = migrate_next_batch();
	ListCell   *lc;

	foreach(lc, pr->entries)
	{
		MigratePlanEntry *e = (MigratePlanEntry *) lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (!e->transactional)
		{
			PlanRow    *row = new_row(pr, e->version, "not measured");

			row->note = MemoryContextStrdup(pr->resultcxt,
											"not measured: runs outside a transaction");
			continue;
		}
		migrate_warn_out_of_order(e, highest);
		pr->step_started = false;
		PG_TRY();
		{
			(void) migrate_apply_step(e->version, batch, NULL);
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
			if (!reportable(pr, edata))
				ReThrowError(edata);
			pr->edata = edata;
		}
		PG_END_TRY();
		if (pr->edata)
			break;
		pr->measured++;
	}
}

/*
 * The work of plan() inside its subtransaction: everything latest()
 * does, measured, then migrate's sequences put back.
 */
static void
plan_work(void *arg)
{
	PlanRun    *pr = (PlanRun *) arg;
	bytea	   *upto;
	bool		zero;
	List	   *entries;
	char		value[32];
	ErrorData  *edata;
	List	   *waiters;
	int			i;

	migrate_lock_acquire();
	migrate_check_not_modified();
	upto = migrate_target_key(pr->target, &zero);
	entries = migrate_plan_applies(upto, true);
	if (entries == NIL)
	{
		migrate_notice_nothing_pending(NULL);
		return;
	}
	migrate_warn_drift();

	migrate_own_sequences_save(pr->own);

	/*
	 * A lock is waited for at most migrate.plan_lock_timeout, once: the
	 * subtransaction's rollback puts the settings back.
	 */
	snprintf(value, sizeof(value), "%d", migrate_plan_lock_timeout);
	(void) set_config_option("migrate.lock_timeout", value, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("migrate.lock_retries", "0", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

	/* what the transaction holds already is no statement's doing */
	pr->held = migrate_held_locks_create();
	(void) migrate_locks_taken(pr->held, &waiters);
	pr->entries = entries;
	migrate_progress_begin(list_length(entries));
	current_plan = pr;
	PG_TRY();
	{
		migrate_lock_wait_watch(migrate_plan_lock_timeout);
		migrate_statement_hook = measure_statement;
		plan_steps(pr);
	}
	PG_FINALLY();
	{
		migrate_statement_hook = NULL;
		migrate_lock_wait_unwatch();
		current_plan = NULL;
	}
	PG_END_TRY();
	migrate_progress_end(true, false);

	edata = pr->edata;
	if (edata)
	{
		bool		blocked = edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE;
		PlanRow    *row = new_row(pr, pr->version, blocked ? "blocked" : "failed");
		LOCKTAG		tag;
		LOCKMODE	mode = NoLock;
		List	   *blockers = NIL;

		if (blocked && migrate_lock_waited(&tag, &mode))
			blockers = migrate_lock_blockers(&tag, mode);
		else if (blocked && pr->statement > 0 && OidIsValid(pr->stmt_relid))
		{
			/* not reported while it waited: the relation it names */
			mode = NoLock;
			SET_LOCKTAG_RELATION(tag, MyDatabaseId, pr->stmt_relid);
			blockers = migrate_lock_blockers(&tag, mode);
		}
		row->statement = pr->statement;
		row->sql = pr->statement > 0 ? MemoryContextStrdup(pr->resultcxt, pr->sql) : NULL;
		row->sqlstate = MemoryContextStrdup(pr->resultcxt,
											unpack_sql_state(edata->sqlerrcode));
		if (blocked && mode != NoLock)
			row->note = MemoryContextStrdup(pr->resultcxt,
											psprintf("%s: waited %d ms for %s on %s",
													 edata->message,
													 migrate_plan_lock_timeout,
													 GetLockmodeName(DEFAULT_LOCKMETHOD, mode),
													 tag.locktag_type == LOCKTAG_RELATION ?
													 migrate_lock_relation_name(tag.locktag_field2) :
													 _("a lock that is not a relation's")));
		else
			row->note = MemoryContextStrdup(pr->resultcxt, edata->message);
		row->conflicts = copy_strings(blockers, pr->resultcxt);
	}

	/* values a rollback cannot take back */
	for (i = 0; i < lengthof(pr->own); i++)
	{
		int64		lost = migrate_own_sequence_restore(&pr->own[i], 0);

		if (lost > 0)
		{
			PlanRow    *row = new_row(pr, NULL, "sequence");

			row->note = MemoryContextStrdup(pr->resultcxt,
											psprintf("sequence %s advanced by " INT64_FORMAT " and was left so: a failed migration's rows were rolled back, or another session took values meanwhile",
													 pr->own[i].seqname, lost));
		}
	}
}

/* a text[] of a list of C strings */
static Datum
strings_array(List *strings)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(strings), 1));
	int			n = 0;
	ListCell   *lc;

	foreach(lc, strings)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/* a text datum, or a NULL */
static Datum
text_or_null(const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/*
 * Return the rows.  The lists of a measured statement are arrays, empty
 * when it took no lock, rewrote nothing or had nobody queued; they are
 * NULL in the rows that measured nothing.
 */
static void
return_rows(FunctionCallInfo fcinfo, List *rows)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = migrate_materialize_srf(fcinfo, &tupdesc);
	ListCell   *lc;

	foreach(lc, rows)
	{
		PlanRow    *r = (PlanRow *) lfirst(lc);
		Datum		values[Natts_migrate_plan];
		bool		nulls[Natts_migrate_plan];
		bool		measured = r->duration_us >= 0;
		int			i = 0;

		memset(nulls, false, sizeof(nulls));
		values[i] = text_or_null(r->version, &nulls[i]);
		i++;
		values[i] = Int32GetDatum(r->statement);
		nulls[i++] = r->statement <= 0;
		values[i] = text_or_null(r->sql, &nulls[i]);
		i++;
		values[i] = measured ? migrate_interval_datum(r->duration_us) : (Datum) 0;
		nulls[i++] = !measured;
		values[i] = measured ? strings_array(r->locks) : (Datum) 0;
		nulls[i++] = !measured;
		values[i] = measured ? strings_array(r->rewritten) : (Datum) 0;
		nulls[i++] = !measured;
		values[i] = Int64GetDatum(r->rows);
		nulls[i++] = r->rows < 0;
		values[i] = Int64GetDatum(r->wal_bytes);
		nulls[i++] = r->wal_bytes < 0;
		/* a blocked row lists who blocked it */
		values[i] = (measured || r->conflicts != NIL) ?
			strings_array(r->conflicts) : (Datum) 0;
		nulls[i++] = !(measured || r->conflicts != NIL);
		values[i] = text_or_null(r->outcome, &nulls[i]);
		i++;
		values[i] = text_or_null(r->sqlstate, &nulls[i]);
		i++;
		values[i] = text_or_null(r->note, &nulls[i]);
		i++;

		/* lint: the findings of lint() for the statement, if it ran */
		values[i] = measured ? strings_array(r->lint) : (Datum) 0;
		nulls[i++] = !measured;
		Assert(i == Natts_migrate_plan);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
}

/* "to" with the strings of "from" it does not have yet */
static List *
add_strings(List *to, List *from)
{
	ListCell   *lc;

	foreach(lc, from)
		if (!string_member(to, (char *) lfirst(lc)))
			to = lappend(to, lfirst(lc));
	return to;
}

/*
 * Record each migration's summary of this plan in migrate.plans, for
 * view migrate.review and approve(): after the rollback, so that it
 * stays.  A migration's rows are consecutive: the statements it ran, then
 * the row of its failure or of its not being measured.
 */
static void
record_plans(List *rows)
{
	ListCell   *lc;
	const char *version = NULL;
	int			statements = 0;
	List	   *locks = NIL;
	List	   *rewritten = NIL;
	const char *outcome = NULL;
	const char *note = NULL;

	foreach(lc, rows)
	{
		PlanRow    *r = (PlanRow *) lfirst(lc);

		if (r->version == NULL)
			continue;			/* a sequence's row */
		if (version == NULL || strcmp(version, r->version) != 0)
		{
			if (version)
				migrate_record_plan(version, statements, locks, rewritten,
									outcome, note);
			version = r->version;
			statements = 0;
			locks = NIL;
			rewritten = NIL;
			outcome = "measured";
			note = NULL;
		}
		if (r->duration_us >= 0)
		{
			statements++;
			locks = add_strings(locks, r->locks);
			rewritten = add_strings(rewritten, r->rewritten);
		}
		else
		{
			outcome = r->outcome;
			note = r->note;
		}
	}
	if (version)
		migrate_record_plan(version, statements, locks, rewritten, outcome,
							note);
}

/*
 * plan(target text) returns setof (version, statement, sql, duration,
 *		locks, rewritten, rows, wal_bytes, conflicts, outcome, sqlstate,
 *		note, lint)
 */
Datum
migrate_plan(PG_FUNCTION_ARGS)
{
	PlanRun		pr;
	List	   *after;
	ListCell   *lc;
	MemoryContext old;

	memset(&pr, 0, sizeof(PlanRun));
	pr.target = migrate_text_arg(fcinfo, 0);
	pr.resultcxt = CurrentMemoryContext;

	migrate_refuse_in_migration();
	if (migrate_plan_lock_timeout > 0)
		ereport(NOTICE,
				(errmsg("plan() waits at most %d ms for each lock", migrate_plan_lock_timeout),
				 errdetail("A statement that cannot get its lock in time ends the plan with a row naming the sessions that hold it."),
				 errhint("migrate.plan_lock_timeout sets the time; at 0, the session's lock_timeout applies.")));
	else
		ereport(NOTICE,
				(errmsg("plan() waits for locks without a timeout"),
				 errhint("Set migrate.plan_lock_timeout so that plan() never queues behind the application.")));

	migrate_spi_connect();
	pr.stmtcxt = AllocSetContextCreate(pr.resultcxt, "migrate plan statement",
									   ALLOCSET_DEFAULT_SIZES);
	pr.sequences = caller_sequences(pr.resultcxt);

	/* everything runs in a subtransaction that is rolled back */
	migrate_in_subtransaction(plan_work, &pr, false);

	/* the caller's sequences that advanced */
	after = caller_sequences(pr.resultcxt);
	foreach(lc, after)
	{
		char	   *s = (char *) lfirst(lc);
		char	   *eq = strrchr(s, '=');
		int			namelen = eq - s;
		const char *was = NULL;
		ListCell   *lc2;
		PlanRow    *row;

		if (string_member(pr.sequences, s))
			continue;
		foreach(lc2, pr.sequences)
		{
			char	   *b = (char *) lfirst(lc2);

			if (strncmp(b, s, namelen + 1) == 0)
				was = b + namelen + 1;
		}
		row = new_row(&pr, NULL, "sequence");
		/* in the rows' context: SPI's is gone before they are returned */
		old = MemoryContextSwitchTo(pr.resultcxt);
		if (was)
			row->note = psprintf("sequence %.*s advanced from %s to %s: sequence values are not rolled back",
								 namelen, s, was, eq + 1);
		else
			row->note = psprintf("sequence %.*s advanced to %s: sequence values are not rolled back",
								 namelen, s, eq + 1);
		MemoryContextSwitchTo(old);
	}

	if (pr.measured > 0)
		ereport(NOTICE,
				(errmsg_plural("plan: %d migration measured and rolled back",
							   "plan: %d migrations measured and rolled back",
							   pr.measured, pr.measured)));

	record_plans(pr.rows);
	MemoryContextDelete(pr.stmtcxt);
	SPI_finish();
	if (debug_query_string)
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
	return_rows(fcinfo, pr.rows);
	return (Datum) 0;
}
