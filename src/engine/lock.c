/*-------------------------------------------------------------------------
 *
 * lock.c
 *	  The migrate lock: one migration run at a time per database.
 *
 * Every call that changes migrate's state (registering, applying,
 * reverting) first takes a transaction-scoped lock, so concurrent calls
 * serialise and a session that dies or is killed can never leave the lock
 * behind: the lock goes with its transaction.  It is a lock on the
 * extension's pg_extension row with a sub-id no SQL command uses
 * (LOCKTAG_OBJECT: classid pg_extension, objid the extension's OID,
 * objsubid 1), so DBAs see it in pg_locks (locktype 'object'), but no SQL a
 * role can run takes it: an advisory lock, as in 0.1.0, let any role
 * stall every deploy with pg_advisory_lock().
 *
 * Before a caller waits for the lock it says for whom, in a NOTICE: the
 * holder's pid, application, user and since when.  With
 * migrate.lock_wait = off a caller fails at once instead, and the error
 * names the holder.
 *
 * CALL migrate.run() commits after each migration, so it holds the same
 * lock at session level instead, and releases it on every way out (error,
 * cancel; a terminated backend releases its session locks as it exits),
 * including an error while it waits for a worker of an earlier run().
 *
 * A background worker running a non-transactional migration for run()
 * holds a second lock, the worker lock (objsubid 2), as long as it runs.
 * Every caller that takes the migrate lock then waits for the worker lock
 * to be free, so a worker left running by a caller that died finishes
 * (and records what it did) before anyone plans from the state it is
 * changing.
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
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"

#include "engine/engine.h"

/* the sub-ids of the extension's lock tags: no SQL command takes them */
#define MIGRATE_LOCK_SUBID			1
#define MIGRATE_WORKER_LOCK_SUBID	2

/* who holds a lock: pid, application, user, since when */
static MigrateQuery lock_holder_query = {
	.sql =
		"SELECT pg_catalog.string_agg(pg_catalog.format("
		"         '%s (application \"%s\", user %s, %s)', l.pid,"
		"         COALESCE(a.application_name, ''), COALESCE(a.usename::pg_catalog.text, '?'),"
		"         CASE WHEN a.xact_start IS NOT NULL"
		"              THEN 'in a transaction since ' OPERATOR(pg_catalog.||)"
		"                   pg_catalog.date_trunc('second', a.xact_start)::pg_catalog.text"
		"              ELSE 'backend started ' OPERATOR(pg_catalog.||)"
		"                   pg_catalog.date_trunc('second', a.backend_start)::pg_catalog.text END),"
		"         ', ' ORDER BY l.pid),"
		"       pg_catalog.count(*)"
		"  FROM pg_catalog.pg_locks l"
		"  LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) l.pid"
		" WHERE l.locktype OPERATOR(pg_catalog.=) 'object'"
		"   AND l.database OPERATOR(pg_catalog.=) $1"
		"   AND l.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_extension'::pg_catalog.regclass"
		"   AND l.objid OPERATOR(pg_catalog.=) $2"
		"   AND l.objsubid OPERATOR(pg_catalog.=) $3"
		"   AND l.granted",
	.nargs = 3,
	.argtypes = {OIDOID, OIDOID, INT4OID}
};

static MigrateQuery bump_generation_query = {
	.sql =
		"UPDATE migrate.state SET generation = generation OPERATOR(pg_catalog.+) 1",
	.nargs = 0
};

/*
 * The session-level locks this backend holds, to release at exit.  A
 * session lock of the default lock method outlives its process unless a
 * transaction abort takes it: a backend that exits outside a transaction
 * (a background worker does) must release it itself.
 */
static LOCKTAG held_session_tags[2];
static bool held_session[2] = {false, false};
static bool exit_callback_registered = false;

static void
release_session_locks_at_exit(int code, Datum arg)
{
	int			i;

	/* an abort releases session locks too: release only what is left */
	for (i = 0; i < 2; i++)
		if (held_session[i])
		{
			if (migrate_lock_held_by_me(&held_session_tags[i], ExclusiveLock))
				LockRelease(&held_session_tags[i], ExclusiveLock, true);
			held_session[i] = false;
		}
}

/*
 * Remember session lock "tag" (sub-id "subid") as held, or as released.
 */
static void
note_session_lock(const LOCKTAG *tag, int subid, bool held)
{
	if (held && !exit_callback_registered)
	{
		before_shmem_exit(release_session_locks_at_exit, (Datum) 0);
		exit_callback_registered = true;
	}
	held_session_tags[subid - 1] = *tag;
	held_session[subid - 1] = held;
}

/*
 * The lock tag of the migrate lock or the worker lock ("subid").
 */
static void
lock_tag(LOCKTAG *tag, int subid)
{
	Oid			extoid = get_extension_oid("migrate", false);

	SET_LOCKTAG_OBJECT(*tag, MyDatabaseId, ExtensionRelationId, extoid, subid);
}

/*
 * The processes holding the lock "subid", described, or NULL; "count" is
 * set to how many they are.
 */
static char *
lock_holders(int subid, int *count)
{
	Datum		values[3];
	char	   *holders = NULL;
	bool		isnull;

	*count = 0;
	values[0] = ObjectIdGetDatum(MyDatabaseId);
	values[1] = ObjectIdGetDatum(get_extension_oid("migrate", false));
	values[2] = Int32GetDatum(subid);
	if (migrate_store_exec(&lock_holder_query, values, NULL, 1) == SPI_OK_SELECT &&
		SPI_processed == 1)
	{
		holders = migrate_store_getstr(0, 1);
		*count = (int) DatumGetInt64(migrate_store_getdatum(0, 2, &isnull));
	}
	migrate_store_done();
	return holders;
}

/*
 * Take the lock "subid" (the migrate lock or the worker lock), at
 * transaction or session level.  If another process holds it: with
 * migrate.lock_wait off, fail naming it; else say whom this waits for,
 * then wait.
 */
static void
acquire(int subid, bool session)
{
	LOCKTAG		tag;
	char	   *holders;
	int			count;
	const char *what = subid == MIGRATE_LOCK_SUBID ?
		_("the migrate lock") : _("the migrate worker lock");

	lock_tag(&tag, subid);
	if (LockAcquire(&tag, ExclusiveLock, session, true) != LOCKACQUIRE_NOT_AVAIL)
	{
		if (session)
			note_session_lock(&tag, subid, true);
		return;
	}

	holders = lock_holders(subid, &count);
	if (!migrate_lock_wait)
	{
		if (subid == MIGRATE_LOCK_SUBID)
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("another migrate call is running in this database"),
					 holders ?
					 errdetail_plural("Process %s holds the migrate lock.",
									  "Processes %s hold the migrate lock.",
									  count, holders) :
					 errdetail("Its process released the lock while it was being looked up."),
					 errhint("Wait for it to finish, or set migrate.lock_wait = on to queue behind it.")));
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("a migrate background worker is still running in this database"),
				 holders ?
				 errdetail_plural("Process %s holds the migrate worker lock.",
								  "Processes %s hold the migrate worker lock.",
								  count, holders) :
				 errdetail("Its process released the lock while it was being looked up."),
				 errhint("Wait for it to finish, or set migrate.lock_wait = on to queue behind it.")));
	}

	/* never wait in silence */
	ereport(NOTICE,
			(errmsg("waiting for %s", what),
			 holders ?
			 errdetail_plural("Process %s holds it.",
							  "Processes %s hold it.",
							  count, holders) :
			 errdetail("Its holder released it while it was being looked up."),
			 errhint("Set migrate.lock_wait = off to fail instead of waiting, or lock_timeout to bound the wait.")));
	(void) LockAcquire(&tag, ExclusiveLock, session, false);
	if (session)
		note_session_lock(&tag, subid, true);
}

/*
 * Wait until no background worker of an earlier run() is running.
 */
static void
wait_for_workers(void)
{
	LOCKTAG		tag;

	acquire(MIGRATE_WORKER_LOCK_SUBID, false);
	lock_tag(&tag, MIGRATE_WORKER_LOCK_SUBID);
	LockRelease(&tag, ExclusiveLock, false);
}

/*
 * The transaction whose bump of migrate.state stands, and the
 * subtransaction it is part of: a bump rolled back with its subtransaction
 * is forgotten, one committed into its parent moves up with it.
 */
static LocalTransactionId bumped_lxid = InvalidLocalTransactionId;
static SubTransactionId bumped_subid = InvalidSubTransactionId;
static bool bump_callback_registered = false;

static void
bump_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	if (mySubid != bumped_subid)
		return;
	if (event == SUBXACT_EVENT_COMMIT_SUB)
		bumped_subid = parentSubid;
	else if (event == SUBXACT_EVENT_ABORT_SUB)
		bumped_lxid = InvalidLocalTransactionId;
}

/*
 * Take the migrate lock for the rest of the transaction, waiting for it
 * unless migrate.lock_wait is off, then make sure this transaction's view
 * of migrate's tables is current.  Re-entrant within a transaction: the
 * second and later calls of a transaction that holds it do nothing.
 */
void
migrate_lock_acquire(void)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	LOCKTAG		tag;

	/*
	 * A transaction that holds the lock and whose bump of the counter
	 * still stands (bump_subxact_callback() forgets a bump rolled back with
	 * its subtransaction) has nothing more to do.  Bumping once per
	 * transaction keeps a script of N calls in one transaction, as bundle()
	 * writes, linear: each update of the one row leaves a version that
	 * every later update of the transaction steps over.
	 */
	lock_tag(&tag, MIGRATE_LOCK_SUBID);
	if (bumped_lxid == migrate_my_lxid() &&
		migrate_lock_held_by_me(&tag, ExclusiveLock))
		return;

	acquire(MIGRATE_LOCK_SUBID, false);
	wait_for_workers();

	PG_TRY();
	{
		(void) migrate_store_exec(&bump_generation_query, NULL, NULL, 0);
		if (!bump_callback_registered)
		{
			RegisterSubXactCallback(bump_subxact_callback, NULL);
			bump_callback_registered = true;
		}
		bumped_lxid = migrate_my_lxid();
		bumped_subid = GetCurrentSubTransactionId();
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
 * Take the migrate lock at session level, for CALL migrate.run().  A
 * session lock outlives an error caught by the caller (a procedure's
 * error in a nonatomic context does not always abort the transaction it
 * started in): release it then, or every other deploy would wait for this
 * session to disconnect.  An abort of the top-level transaction releases
 * session locks of this kind as well.
 */
void
migrate_session_lock_acquire(void)
{
	acquire(MIGRATE_LOCK_SUBID, true);
	PG_TRY();
	{
		wait_for_workers();
	}
	PG_CATCH();
	{
		migrate_session_lock_release();
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * Release the session-level migrate lock.
 */
void
migrate_session_lock_release(void)
{
	LOCKTAG		tag;

	if (!held_session[MIGRATE_LOCK_SUBID - 1])
		return;
	tag = held_session_tags[MIGRATE_LOCK_SUBID - 1];
	if (migrate_lock_held_by_me(&tag, ExclusiveLock))
		LockRelease(&tag, ExclusiveLock, true);
	note_session_lock(&tag, MIGRATE_LOCK_SUBID, false);
}

/*
 * Take the worker lock at session level: a background worker holds it
 * for as long as it runs, and its exit releases it (see
 * release_session_locks_at_exit()).
 */
void
migrate_worker_lock_acquire(void)
{
	LOCKTAG		tag;

	StartTransactionCommand();
	lock_tag(&tag, MIGRATE_WORKER_LOCK_SUBID);
	CommitTransactionCommand();
	(void) LockAcquire(&tag, ExclusiveLock, true, false);
	note_session_lock(&tag, MIGRATE_WORKER_LOCK_SUBID, true);
}

/*
 * Start a call that changes migrate's state: refuse to run from inside a
 * migration, connect to SPI and take the migrate lock.
 */
void
migrate_call_begin(void)
{
	migrate_refuse_in_migration();

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
