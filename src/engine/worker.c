/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Running a non-transactional migration at top level, in a dynamic
 *	  background worker, for CALL migrate.run().
 *
 * CREATE INDEX CONCURRENTLY and friends refuse to run inside a transaction
 * block or a function, and SQL run through SPI is never top level.  A
 * background worker can run them at top level: it executes each statement
 * the way the server executes a client's simple query (parse analysis,
 * planning, a portal run at top level), each in a transaction of its own.
 *
 * The caller (procedure.c) commits first and waits for the worker without an
 * open snapshot: CREATE INDEX CONCURRENTLY waits for every transaction
 * with an older snapshot, and a caller holding one would wait for the
 * worker forever while the worker waits for it.
 *
 * The worker connects as the caller's session user (the login role; a
 * NOLOGIN role cannot connect a background worker before PostgreSQL 17)
 * and then takes the caller's current role, as SET ROLE would, with the
 * caller's search_path; so the migration runs with the same privileges
 * as the caller.  It records the migration in the history and the applied
 * set itself, in a transaction after the last statement, so the record
 * cannot be lost if the caller goes away.  It reports its outcome to the
 * caller in a dynamic shared memory segment: statements done, and for
 * CREATE INDEX or REINDEX CONCURRENTLY whether an INVALID index was left
 * behind.  Its errors and notices reach the caller whole, as a parallel
 * worker's do: the worker's client connection is redirected to a shm_mq
 * in the segment (pqmq.c), and the caller reads the protocol messages off
 * it while it waits, relays the notices and raises the error, with every
 * field (SQLSTATE, message, detail, hint, context, position).  Each
 * statement starts as a client's would, worker_spi's way: a statement
 * start time (now(), statement_timestamp(), query_start) of its own.
 *
 * If the caller is cancelled or terminated while it waits, it stops the
 * worker.  The worker holds the worker lock (lock.c) while it runs, so no
 * one plans from the state it is changing until it has gone.
 *
 * IDENTIFICATION
 *	  src/engine/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "libpq/pqformat.h"
#include "libpq/pqmq.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "engine/engine.h"

PGDLLEXPORT void migrate_worker_main(Datum arg);

/* What the worker reached. */
typedef enum WorkerState
{
	WORKER_STARTING = 0,		/* never finished: stopped or crashed */
	WORKER_DONE,
	WORKER_FAILED
} WorkerState;

#define WORKER_TEXT_LEN		2048

/* the queue the worker's errors and notices come back on */
#define WORKER_MQ_SIZE		16384

/*
 * The caller's request and the worker's report, in dynamic shared memory.
 */
typedef struct WorkerShared
{
	/* set by the caller */
	Oid			database;
	Oid			login_role;
	Oid			run_as;
	bool		up;
	int			batch;
	int			lock_timeout;
	char		version[MIGRATE_VERSION_MAXLEN + 1];
	char		role[NAMEDATALEN];

	/* set by the worker */
	WorkerState state;
	char		name[WORKER_TEXT_LEN];	/* the migration's name, or empty */
	int			nstatements;
	int			statements_done;
	int64		duration_us;
	char		cleanup[WORKER_TEXT_LEN];

	Size		mq_offset;		/* where the shm_mq starts in the segment */

	/* the caller's search_path, NUL-terminated */
	char		search_path[FLEXIBLE_ARRAY_MEMBER];
} WorkerShared;

/*
 * In the worker: the script being run and where it is.  Static, so that
 * the error handler sees them as run_migration() left them.
 */
static MigrateScript *worker_script = NULL;
static MigrateExec worker_run;

/* The worker this backend waits for, stopped if the backend exits. */
static BackgroundWorkerHandle *running_worker = NULL;
static bool exit_callback_registered = false;

static MigrateQuery invalid_indexes_query = {
	.sql =
		"SELECT pg_catalog.string_agg(i.indexrelid::pg_catalog.regclass::pg_catalog.text,"
		"                             ', ' ORDER BY i.indexrelid)"
		"  FROM pg_catalog.pg_index i"
		" WHERE i.indrelid OPERATOR(pg_catalog.=) $1 AND NOT i.indisvalid",
	.nargs = 1,
	.argtypes = {OIDOID}
};

static void
copy_text(char *dst, const char *src)
{
	strlcpy(dst, src ? src : "", WORKER_TEXT_LEN);
}

/*
 * Stop the worker of a backend that exits while waiting for it.
 */
static void
stop_worker_at_exit(int code, Datum arg)
{
	if (running_worker)
		TerminateBackgroundWorker(running_worker);
	running_worker = NULL;
}

/*
 * Execute one statement at top level, in a transaction of its own, as
 * the server executes a simple query.  Everything the portal needs lives
 * in "stmtcxt", which survives the commits that CREATE INDEX CONCURRENTLY
 * makes inside.
 */
static void
execute_top_level(const char *sql, MemoryContext stmtcxt)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	RawStmt    *parsetree;
	CommandTag	tag;
	List	   *querytrees;
	List	   *plantrees;
	Portal		portal;
	DestReceiver *receiver;
	QueryCompletion qc;
	int16		format = 0;
	bool		snapshot_set = false;

	/* as for a client's query: now() and query_start are this statement's */
	SetCurrentStatementStartTimestamp();
	/* starting a transaction switches to its context: switch after it */
	StartTransactionCommand();
	MemoryContextSwitchTo(stmtcxt);

	parsetree = linitial_node(RawStmt, raw_parser(sql, RAW_PARSE_DEFAULT));
	tag = CreateCommandTag(parsetree->stmt);
	if (analyze_requires_snapshot(parsetree))
	{
		PushActiveSnapshot(GetTransactionSnapshot());
		snapshot_set = true;
	}
	querytrees = pg_analyze_and_rewrite_fixedparams(parsetree, sql, NULL, 0, NULL);
	plantrees = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
	if (snapshot_set)
		PopActiveSnapshot();

	portal = CreatePortal("", true, true);
	portal->visible = false;
	PortalDefineQuery(portal, NULL, sql, tag, plantrees, NULL);
	PortalStart(portal, NULL, 0, InvalidSnapshot);
	PortalSetResultFormat(portal, 1, &format);
	receiver = CreateDestReceiver(DestNone);

	InitializeQueryCompletion(&qc);
	(void) migrate_portal_run(portal, FETCH_ALL, true, receiver, receiver, &qc);
	receiver->rDestroy(receiver);
	PortalDrop(portal, false);

	CommitTransactionCommand();

	MemoryContextSwitchTo(oldcontext);
	MemoryContextReset(stmtcxt);
}

/*
 * The table a failed CREATE INDEX or REINDEX CONCURRENTLY worked on, or
 * InvalidOid: those leave INVALID indexes behind when they fail.
 */
static Oid
concurrent_index_table(Node *stmt)
{
	if (IsA(stmt, IndexStmt) && ((IndexStmt *) stmt)->concurrent)
		return RangeVarGetRelid(((IndexStmt *) stmt)->relation, NoLock, true);
	if (IsA(stmt, ReindexStmt) && ((ReindexStmt *) stmt)->relation)
	{
		ReindexStmt *rs = (ReindexStmt *) stmt;
		Oid			relid = RangeVarGetRelid(rs->relation, NoLock, true);

		if (OidIsValid(relid) && rs->kind == REINDEX_OBJECT_INDEX)
			relid = IndexGetRelation(relid, true);
		return relid;
	}
	return InvalidOid;
}

/*
 * After a failure, say whether INVALID indexes were left on the table the
 * failed statement built an index on, and how to clean them up.
 */
static void
report_invalid_indexes(WorkerShared *shared, MigrateScript *script,
					   int failed)
{
	if (failed < 0 || failed >= script->nstatements)
		return;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		Oid			relid = concurrent_index_table(migrate_statement_parsetree(script, failed));

		if (OidIsValid(relid))
		{
			Datum		arg = ObjectIdGetDatum(relid);
			char	   *invalid;

			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			(void) SPI_execute_with_args(invalid_indexes_query.sql, 1,
										 invalid_indexes_query.argtypes,
										 &arg, NULL, true, 1);
			invalid = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			if (invalid)
				snprintf(shared->cleanup, WORKER_TEXT_LEN,
						 _("Drop the INVALID indexes the failed statement left on table \"%s\" (%s) with DROP INDEX CONCURRENTLY before running the migration again."),
						 get_rel_name(relid), invalid);
			else
				snprintf(shared->cleanup, WORKER_TEXT_LEN,
						 _("Run the migration again once its failure is fixed: the failed statement left no INVALID index on table \"%s\"."),
						 get_rel_name(relid));
			SPI_finish();
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		/* the report is a courtesy: never let it hide the real failure */
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
}

/*
 * The worker's work: load and parse the migration, take the caller's
 * identity and settings, run the statements at top level, record it.
 */
static void
run_migration(WorkerShared *shared, MemoryContext workcxt)
{
	MigrateExec *run = &worker_run;
	MemoryContext stmtcxt;
	MigrateStep step;
	MigrateScript *script;
	char		value[32];
	int			i;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(workcxt);
	migrate_step_load(&step, shared->version, shared->up, shared->batch);
	step.role = pstrdup(shared->role);
	copy_text(shared->name, step.name);
	script = migrate_parse_script(step.version, shared->up ? "up" : "down",
								  step.script, false);
	worker_script = script;
	shared->nstatements = script->nstatements;
	SetCurrentRoleId(shared->run_as, superuser_arg(shared->run_as));
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	MemoryContextSwitchTo(workcxt);

	SetConfigOption("search_path", shared->search_path, PGC_USERSET,
					PGC_S_SESSION);
	if (shared->lock_timeout > 0)
	{
		snprintf(value, sizeof(value), "%d", shared->lock_timeout);
		SetConfigOption("lock_timeout", value, PGC_USERSET, PGC_S_SESSION);
	}

	stmtcxt = AllocSetContextCreate(workcxt, "migrate worker statement",
									ALLOCSET_DEFAULT_SIZES);
	step.started = GetCurrentTimestamp();
	migrate_exec_begin(run, step.version, step.name, script);
	for (i = 0; i < script->nstatements; i++)
	{
		char	   *sql = migrate_exec_statement(run, i);

		debug_query_string = sql;
		execute_top_level(sql, stmtcxt);
		debug_query_string = NULL;
		shared->statements_done = i + 1;
	}
	migrate_exec_end(run);
	step.statements = script->nstatements;
	step.duration_us = GetCurrentTimestamp() - step.started;
	shared->duration_us = step.duration_us;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	migrate_step_record(&step);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Entry point of the background worker.
 */
void
migrate_worker_main(Datum arg)
{
	dsm_segment *seg;
	WorkerShared *shared;
	MemoryContext workcxt;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("migrate worker could not attach to its shared memory")));
	shared = (WorkerShared *) dsm_segment_address(seg);

	/* from here on, what would go to a client goes to the caller */
	{
		shm_mq	   *mq = (shm_mq *) ((char *) shared + shared->mq_offset);

		shm_mq_set_sender(mq, MyProc);
		pq_redirect_to_shm_mq(seg, shm_mq_attach(mq, seg, NULL));
	}

	BackgroundWorkerInitializeConnectionByOid(shared->database,
											  shared->login_role, 0);
	migrate_worker_lock_acquire();

	workcxt = AllocSetContextCreate(TopMemoryContext, "migrate worker",
									ALLOCSET_DEFAULT_SIZES);
	worker_run.current = -1;

	PG_TRY();
	{
		run_migration(shared, workcxt);
		shared->state = WORKER_DONE;
	}
	PG_CATCH();
	{
		/* the report goes to the server log and, whole, to the caller */
		MemoryContextSwitchTo(workcxt);
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		debug_query_string = NULL;

		if (worker_script)
			report_invalid_indexes(shared, worker_script, worker_run.current);
		shared->state = WORKER_FAILED;
	}
	PG_END_TRY();

	pg_write_barrier();
	proc_exit(0);
}

/*
 * The error the caller raises when the worker did not finish.  A failed
 * statement's error comes back whole, as the worker raised it ("error",
 * read off the queue), with the advice on INVALID indexes added to its
 * hint and the worker named in its context.
 */
static void
report_worker_failure(const WorkerShared *shared, const char *version,
					  ErrorData *error)
{
	char	   *reported = NULL;
	int			sqlstate = ERRCODE_CONNECTION_FAILURE;

	if (shared->state == WORKER_FAILED && error != NULL)
	{
		if (shared->cleanup[0])
			error->hint = error->hint ?
				psprintf("%s %s", shared->cleanup, error->hint) :
				pstrdup(shared->cleanup);
		error->context = error->context ?
			psprintf("%s\n%s", error->context,
					 _("background worker of CALL migrate.run()")) :
			pstrdup(_("background worker of CALL migrate.run()"));
		error->elevel = ERROR;
		ThrowErrorData(error);
	}

	/*
	 * Stopped from outside (pg_terminate_backend(), a shutdown): what it
	 * said as it stopped is the reason, and its SQLSTATE says which.
	 */
	if (error != NULL && error->message)
	{
		reported = psprintf(_("The worker reported: %s. "), error->message);
		sqlstate = error->sqlerrcode;
	}
	if (shared->up)
		ereport(ERROR,
				(errcode(sqlstate),
				 errmsg("the background worker applying migration \"%s\" stopped before it finished",
						version),
				 errdetail_plural("%sIt completed %d of %d statement; each completed statement is committed. The migration stays pending.",
								  "%sIt completed %d of %d statements; each completed statement is committed. The migration stays pending.",
								  shared->nstatements,
								  reported ? reported : "",
								  shared->statements_done, shared->nstatements),
				 errhint("See the server log. A CREATE INDEX CONCURRENTLY it was running may have left an INVALID index (pg_index.indisvalid is false) to drop before running the migration again.")));
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("the background worker reverting migration \"%s\" stopped before it finished",
					version),
			 errdetail_plural("%sIt completed %d of %d statement; each completed statement is committed. The migration stays applied.",
							  "%sIt completed %d of %d statements; each completed statement is committed. The migration stays applied.",
							  shared->nstatements,
							  reported ? reported : "",
							  shared->statements_done, shared->nstatements),
			 errhint("See the server log. A CREATE INDEX CONCURRENTLY it was running may have left an INVALID index (pg_index.indisvalid is false) to drop before running the migration again.")));
}

/*
 * Read what the worker sends until it detaches from the queue: relay its
 * notices and warnings to the client, and return its error, if any, in
 * the current memory context.
 */
static ErrorData *
read_worker_messages(shm_mq_handle *mqh)
{
	ErrorData  *error = NULL;

	for (;;)
	{
		shm_mq_result res;
		Size		nbytes;
		void	   *data;

		CHECK_FOR_INTERRUPTS();
		res = shm_mq_receive(mqh, &nbytes, &data, true);
		if (res == SHM_MQ_DETACHED)
			break;
		if (res == SHM_MQ_WOULD_BLOCK)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 1000L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			continue;
		}
		else
		{
			StringInfoData msg;
			char		msgtype;

			initStringInfo(&msg);
			appendBinaryStringInfo(&msg, data, nbytes);
			msgtype = pq_getmsgbyte(&msg);
			if (msgtype == 'E' || msgtype == 'N')
			{
				ErrorData	edata;

				pq_parse_errornotice(&msg, &edata);
				if (edata.elevel >= ERROR)
				{
					/* keep the first: what a later one says follows from it */
					if (error == NULL)
					{
						error = palloc(sizeof(ErrorData));
						memcpy(error, &edata, sizeof(ErrorData));
					}
				}
				else
				{
					edata.context = edata.context ?
						psprintf("%s\n%s", edata.context,
								 _("background worker of CALL migrate.run()")) :
						pstrdup(_("background worker of CALL migrate.run()"));
					ThrowErrorData(&edata);
				}
			}
			pfree(msg.data);
		}
	}
	return error;
}

/*
 * Run non-transactional migration "version" (applying it when "up",
 * else reverting it) at top level in a background worker, and wait for
 * it.  The caller holds the migrate lock at session level, and must hold
 * no snapshot: procedure.c commits before calling this.  The worker records the
 * migration itself.  Returns the step's result in the caller's memory
 * context, or raises the worker's error.
 */
MigrateStepResult *
migrate_worker_step(const char *version, bool up, int batch)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	dsm_segment *seg;
	WorkerShared *shared;
	const char *search_path = namespace_search_path;
	Size		mq_offset = MAXALIGN(offsetof(WorkerShared, search_path) +
									 strlen(search_path) + 1);
	Size		size = mq_offset + WORKER_MQ_SIZE;
	shm_mq	   *mq;
	shm_mq_handle *mqh;
	ErrorData  *error = NULL;
	MigrateStepResult *result;
	MemoryContext oldcontext = CurrentMemoryContext;
	pid_t		pid;

	seg = dsm_create(size, 0);
	/* the segment must outlive the commits of run() */
	dsm_pin_mapping(seg);
	shared = (WorkerShared *) dsm_segment_address(seg);
	memset(shared, 0, size);
	shared->database = MyDatabaseId;
	shared->login_role = GetSessionUserId();
	shared->run_as = GetUserId();
	shared->up = up;
	shared->batch = batch;
	shared->lock_timeout = migrate_effective_lock_timeout(true);
	strlcpy(shared->version, version, sizeof(shared->version));
	strlcpy(shared->role, migrate_current_user_name(), sizeof(shared->role));
	strcpy(shared->search_path, search_path);
	shared->mq_offset = mq_offset;
	mq = shm_mq_create((char *) shared + mq_offset, WORKER_MQ_SIZE);
	shm_mq_set_receiver(mq, MyProc);
	mqh = shm_mq_attach(mq, seg, NULL);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "migrate");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "migrate_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "migrate worker for migration %s", version);
	snprintf(worker.bgw_type, BGW_MAXLEN, "migrate worker");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
	{
		dsm_detach(seg);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start a background worker for migration \"%s\"", version),
				 errdetail("Every background worker slot (max_worker_processes = %d) is in use. Nothing of the migration ran.",
						   max_worker_processes),
				 errhint("Wait for other background workers to finish, or raise max_worker_processes (a restart is needed), then run CALL migrate.run() again.")));
	}

	if (!exit_callback_registered)
	{
		before_shmem_exit(stop_worker_at_exit, (Datum) 0);
		exit_callback_registered = true;
	}
	running_worker = handle;
	/* a worker that dies before it attaches detaches the queue too */
	shm_mq_set_handle(mqh, handle);

	PG_TRY();
	{
		status = WaitForBackgroundWorkerStartup(handle, &pid);
		if (status == BGWH_POSTMASTER_DIED)
			ereport(FATAL,
					(errcode(ERRCODE_ADMIN_SHUTDOWN),
					 errmsg("postmaster exited while a migrate background worker was starting")));
		error = read_worker_messages(mqh);
		status = WaitForBackgroundWorkerShutdown(handle);
		if (status == BGWH_POSTMASTER_DIED)
			ereport(FATAL,
					(errcode(ERRCODE_ADMIN_SHUTDOWN),
					 errmsg("postmaster exited while a migrate background worker was running")));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		/* cancelled while waiting: stop the worker, not leave it behind */
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		HOLD_INTERRUPTS();

		/*
		 * Detach from the queue first: a worker blocked sending a message
		 * larger than the queue's free space (its last error, say) would
		 * never get to exit while we wait for it.  Detached, its sends
		 * return at once.
		 */
		shm_mq_detach(mqh);
		TerminateBackgroundWorker(handle);
		(void) WaitForBackgroundWorkerShutdown(handle);
		RESUME_INTERRUPTS();
		running_worker = NULL;
		pg_read_barrier();
		if (shared->state == WORKER_DONE && up)
			edata->detail = psprintf(_("The background worker had finished migration \"%s\" and recorded it as applied."),
									 version);
		else if (shared->state == WORKER_DONE)
			edata->detail = psprintf(_("The background worker had finished migration \"%s\" and recorded it as reverted."),
									 version);
		else
		{
			if (up)
				edata->detail = psprintf(ngettext("The background worker applying migration \"%s\" was stopped after %d of %d statement; each completed statement is committed. The migration stays pending.",
												  "The background worker applying migration \"%s\" was stopped after %d of %d statements; each completed statement is committed. The migration stays pending.",
												  shared->nstatements),
										 version, shared->statements_done,
										 shared->nstatements);
			else
				edata->detail = psprintf(ngettext("The background worker reverting migration \"%s\" was stopped after %d of %d statement; each completed statement is committed. The migration stays applied.",
												  "The background worker reverting migration \"%s\" was stopped after %d of %d statements; each completed statement is committed. The migration stays applied.",
												  shared->nstatements),
										 version, shared->statements_done,
										 shared->nstatements);
			edata->hint = pstrdup(_("A CREATE INDEX CONCURRENTLY that was running may have left an INVALID index (pg_index.indisvalid is false): drop it with DROP INDEX CONCURRENTLY before running the migration again."));
		}
		dsm_detach(seg);
		ReThrowError(edata);
	}
	PG_END_TRY();
	running_worker = NULL;

	pg_read_barrier();
	if (shared->state != WORKER_DONE)
	{
		WorkerShared *copy = palloc(offsetof(WorkerShared, search_path));

		memcpy(copy, shared, offsetof(WorkerShared, search_path));
		dsm_detach(seg);
		report_worker_failure(copy, version, error);
	}

	result = palloc0(sizeof(MigrateStepResult));
	result->version = pstrdup(version);
	result->name = shared->name[0] ? pstrdup(shared->name) : NULL;
	result->duration_us = shared->duration_us;
	result->statements = shared->nstatements;
	dsm_detach(seg);
	return result;
}
