/*-------------------------------------------------------------------------
 *
 * lock.c
 *	  The migrate lock: one migration run at a time per database.
 *
 * Every call that changes migrate's state (registering, applying,
 * reverting) first takes a transaction-scoped advisory lock, so concurrent
 * calls serialise and a session that dies or is killed can never leave
 * the lock behind: the lock goes with its transaction.  The lock is the
 * two-key advisory lock (classid 1835624306, objid 1635018016, objsubid
 * 2), so DBAs can see who holds it in pg_locks.
 *
 * With migrate.lock_wait = off a caller fails at once instead of queueing,
 * and the error names the process that holds the lock.
 *
 * CALL migrate.run() commits after each migration, so it holds the same
 * lock at session level instead, and releases it on every way out (error,
 * cancel; a terminated backend releases its session locks as it exits).
 *
 * A background worker running a non-transactional migration for run()
 * holds a second lock, the worker lock (objid 1635018017), as long as it
 * runs.  Every caller that takes the migrate lock then waits for the
 * worker lock to be free, so a worker left running by a caller that died
 * finishes (and records what it did) before anyone plans from the state
 * it is changing.
 *
 * After the lock, the call bumps the generation counter in migrate.state.
 * At READ COMMITTED this is a no-op for correctness: each of the call's
 * queries takes a new snapshot, so a caller that waited sees everything
 * the previous holder committed.  At REPEATABLE READ and SERIALIZABLE the
 * transaction's snapshot may predate another run's commit; updating a row
 * that run changed then fails with a serialization error, instead of the
 * caller applying migrations a second time from a stale view.
 *
 * IDENTIFICATION
 *	  src/engine/lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"

#include "engine/engine.h"

/* "migr" and "ate " in ASCII: recognisable in pg_locks */
#define MIGRATE_LOCK_KEY1	0x6D696772
#define MIGRATE_LOCK_KEY2	0x61746520
/* "ate!": the worker lock */
#define MIGRATE_WORKER_LOCK_KEY2	0x61746521

static MigrateQuery lock_holder_query = {
	.sql =
		"SELECT pg_catalog.string_agg(l.pid::pg_catalog.text, ', ' ORDER BY l.pid)"
		"  FROM pg_catalog.pg_locks l"
		" WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'"
		"   AND l.database OPERATOR(pg_catalog.=) $1"
		"   AND l.classid OPERATOR(pg_catalog.=) $2"
		"   AND l.objid OPERATOR(pg_catalog.=) $3"
		"   AND l.objsubid OPERATOR(pg_catalog.=) 2"
		"   AND l.granted",
	.nargs = 3,
	.argtypes = {OIDOID, OIDOID, OIDOID}
};

static MigrateQuery bump_generation_query = {
	.sql =
		"UPDATE migrate.state SET generation = generation OPERATOR(pg_catalog.+) 1",
	.nargs = 0
};

/*
 * The pid(s) holding the migrate lock (key2 MIGRATE_LOCK_KEY2) or the
 * worker lock, as text, or NULL.
 */
static char *
lock_holders(uint32 key2)
{
	Datum		values[3];
	char	   *pids = NULL;

	values[0] = ObjectIdGetDatum(MyDatabaseId);
	values[1] = ObjectIdGetDatum((Oid) MIGRATE_LOCK_KEY1);
	values[2] = ObjectIdGetDatum((Oid) key2);
	if (migrate_store_exec(&lock_holder_query, values, NULL, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
		pids = migrate_store_getstr(0, 1);
	migrate_store_done();
	return pids;
}

/*
 * Take the lock with key "key2" (the migrate lock or the worker lock), at
 * transaction or session level, waiting for it unless migrate.lock_wait
 * is off.
 */
static void
acquire(uint32 key2, bool session)
{
	LOCKTAG		tag;
	char	   *pids;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATE_LOCK_KEY1, key2, 2);
	if (LockAcquire(&tag, ExclusiveLock, session, !migrate_lock_wait) !=
		LOCKACQUIRE_NOT_AVAIL)
		return;

	pids = lock_holders(key2);
	if (key2 == MIGRATE_LOCK_KEY2)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("another migrate call is running in this database"),
				 pids ? errdetail("Process %s holds the migrate lock.", pids) :
				 errdetail("Its process released the lock while it was being looked up."),
				 errhint("Wait for it to finish, or set migrate.lock_wait = on to queue behind it.")));
	ereport(ERROR,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 errmsg("a migrate background worker is still running in this database"),
			 pids ? errdetail("Process %s holds the migrate worker lock.", pids) :
			 errdetail("Its process released the lock while it was being looked up."),
			 errhint("Wait for it to finish, or set migrate.lock_wait = on to queue behind it.")));
}

/*
 * Wait until no background worker of an earlier run() is running.
 */
static void
wait_for_workers(void)
{
	LOCKTAG		tag;

	acquire(MIGRATE_WORKER_LOCK_KEY2, false);
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATE_LOCK_KEY1,
						 MIGRATE_WORKER_LOCK_KEY2, 2);
	LockRelease(&tag, ExclusiveLock, false);
}

/*
 * Take the migrate lock for the rest of the transaction, waiting for it
 * unless migrate.lock_wait is off, then make sure this transaction's view
 * of migrate's tables is current.  Re-entrant within a transaction.
 */
void
migrate_lock_acquire(void)
{
	MemoryContext oldcontext = CurrentMemoryContext;

	acquire(MIGRATE_LOCK_KEY2, false);
	wait_for_workers();

	PG_TRY();
	{
		(void) migrate_store_exec(&bump_generation_query, NULL, NULL, 0);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		if (!IsolationUsesXactSnapshot() ||
			geterrcode() != ERRCODE_T_R_SERIALIZATION_FAILURE)
			PG_RE_THROW();

		/* say why, then let the transaction abort as it must */
		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("another session changed migrations after this transaction's snapshot was taken"),
				 errdetail("Updating migrate.state failed: %s.", edata->message),
				 errhint("Retry the transaction, or run migrate at READ COMMITTED, where it always sees the latest state.")));
	}
	PG_END_TRY();
}

/*
 * Take the migrate lock at session level, for CALL migrate.run().
 */
void
migrate_session_lock_acquire(void)
{
	acquire(MIGRATE_LOCK_KEY2, true);
	wait_for_workers();
}

/*
 * Release the session-level migrate lock.
 */
void
migrate_session_lock_release(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATE_LOCK_KEY1,
						 MIGRATE_LOCK_KEY2, 2);
	LockRelease(&tag, ExclusiveLock, true);
}

/*
 * Take the worker lock at session level: a background worker holds it
 * for as long as it runs, and its exit releases it.
 */
void
migrate_worker_lock_acquire(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, MIGRATE_LOCK_KEY1,
						 MIGRATE_WORKER_LOCK_KEY2, 2);
	(void) LockAcquire(&tag, ExclusiveLock, true, false);
}

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
