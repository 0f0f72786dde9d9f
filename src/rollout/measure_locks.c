/*-------------------------------------------------------------------------
 *
 * measure_locks.c
 *	  What plan() reads off the lock table and the catalog around each
 *	  statement: the relation locks it took, the sessions queued behind
 *	  them, what a statement that timed out waited for and who held it,
 *	  and which relations a statement rewrote.
 *
 * Locks come from the lock manager itself (this backend's fast-path slots
 * and PROCLOCKs: what pg_locks shows of it), never from a guess from the
 * statement's text.  Within one transaction a lock is only ever added
 * until the end, so plan() keeps the set of relation locks it has seen
 * and a statement's locks are those the lock table shows after it and
 * the set did not have.  Locks on system catalogs (every DDL statement
 * takes some) and on migrate's own tables (DDL history) are left out:
 * they say nothing about the application's tables.
 *
 * A rollout run as one transaction ends up holding thousands of locks,
 * and each statement's look goes over all of them, since a statement can
 * add a mode to a lock taken long before (its PROCLOCK changes in place)
 * as well as take new ones (appended to the list).  So the look is kept
 * cheap instead: what each position of each list held at the last look
 * is remembered, and an entry that still shows the same relation and
 * modes there is passed over without a hash lookup.  Nothing is assumed
 * of how the lists change (an entry freed, or another in its place, only
 * costs a lookup): an entry passed over is one whose relation and modes
 * the set has already.
 *
 * A lock that timed out is gone from the lock table, and from MyProc,
 * before the error is raised (LockErrorCleanup()).  While plan() runs,
 * deadlock_timeout is half the lock timeout and log_lock_waits is on, so
 * that a wait is reported while it lasts: an emit_log_hook copies
 * MyProc->waitLock's tag and mode then.  A wait not reported so (a
 * log_min_messages above LOG) falls back to the relation the statement
 * names, and any lock another session holds on it.
 *
 * A relation is rewritten when its relfilenode changes.  The
 * relfilenode before a statement is read from a snapshot taken before it
 * (its command id sees none of the statement's catalog changes), the one
 * after from the syscache.
 *
 * IDENTIFICATION
 *	  src/rollout/measure_locks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "rollout/rollout.h"

/* what the last lock wait of a statement was for (lock_wait_callback) */
static bool waited = false;
static LOCKTAG waited_tag;
static LOCKMODE waited_mode = NoLock;

/*
 * What the last look saw at one position of one of this backend's lock
 * lists (its fast-path slots, or its PROCLOCKs of a partition): a
 * relation lock of this database and its modes, or InvalidOid and no
 * modes for anything else.  Values only, never a pointer into shared
 * memory, which may have been freed since.
 */
typedef struct MigrateSeenLock
{
	Oid			relid;
	LOCKMASK	mask;
} MigrateSeenLock;

typedef struct MigrateSeenList
{
	MigrateSeenLock *entries;
	int			count;			/* positions the last look went over */
	int			allocated;
} MigrateSeenList;

struct MigrateHeldLocks
{
	HTAB	   *hash;			/* relation OID to MigrateHeldLock */
	MemoryContext cxt;			/* of all of it: plan()'s, not a statement's */

	/*
	 * Whether the last look ran to its end: only then does every position
	 * the lists below remember stand for locks that "hash" has.
	 */
	bool		complete;
	MigrateSeenList fastpath;
	MigrateSeenList partitions[NUM_LOCK_PARTITIONS];
};

/* a copy of a lock that the set may not have yet, noted once unlocked */
typedef struct MigrateNewLock
{
	Oid			relid;
	LOCKMASK	mask;
} MigrateNewLock;

/*
 * The set of relation locks seen so far, for one plan() call, in the
 * current memory context.
 */
MigrateHeldLocks *
migrate_held_locks_create(void)
{
	MigrateHeldLocks *held = palloc0(sizeof(MigrateHeldLocks));
	HASHCTL		ctl;

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(MigrateHeldLock);
	ctl.hcxt = CurrentMemoryContext;
	held->hash = hash_create("migrate plan locks", 256, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	held->cxt = CurrentMemoryContext;
	held->complete = true;		/* nothing remembered yet */
	return held;
}

/*
 * Whether position "i" of "list" held relation "relid" in modes "mask"
 * at the last look; it is remembered as holding them now.  Called under
 * the LWLock of the list, so it must not read the catalog; it may only
 * allocate, which an error would undo with the LWLock.
 */
static inline bool
seen_before(MigrateHeldLocks *held, MigrateSeenList *list, int i,
			Oid relid, LOCKMASK mask)
{
	MigrateSeenLock *e;
	bool		same;

	if (i >= list->allocated)
	{
		int			allocated = Max(64, list->allocated * 2);

		if (list->entries == NULL)
			list->entries = MemoryContextAlloc(held->cxt,
											   allocated * sizeof(MigrateSeenLock));
		else
			list->entries = repalloc(list->entries,
									 allocated * sizeof(MigrateSeenLock));
		list->allocated = allocated;
	}
	e = &list->entries[i];
	same = i < list->count && e->relid == relid && e->mask == mask;
	e->relid = relid;
	e->mask = mask;
	return same;
}

/*
 * Whether the set may lack some of the modes "mask" of relation "relid"
 * seen at position "i" of "list": not when the same position showed the
 * same at the last look, nor when the set has them already.  A lock
 * that is not a relation's of this database ("mask" 0) is never new.
 */
static inline bool
maybe_new(MigrateHeldLocks *held, MigrateSeenList *list, int i,
		  Oid relid, LOCKMASK mask)
{
	MigrateHeldLock *h;

	if (seen_before(held, list, i, relid, mask) || mask == 0)
		return false;
	h = (MigrateHeldLock *) hash_search(held->hash, &relid, HASH_FIND, NULL);
	return h == NULL || (mask & ~h->held) != 0;
}

/*
 * Append a copy of a lock that may be new to the array *news (of
 * *nnews, room for *allocated).
 */
static void
add_new(MigrateNewLock **news, int *nnews, int *allocated, Oid relid,
		LOCKMASK mask)
{
	if (*nnews >= *allocated)
	{
		*allocated = Max(16, *allocated * 2);
		*news = *news ? repalloc(*news, *allocated * sizeof(MigrateNewLock)) :
			palloc(*allocated * sizeof(MigrateNewLock));
	}
	(*news)[*nnews].relid = relid;
	(*news)[*nnews].mask = mask;
	(*nnews)++;
}

/*
 * "schema.name" of a relation, quoted as identifiers, or "relation OID"
 * when the catalog no longer has it (a table the statement dropped).
 */
char *
migrate_lock_relation_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);

	if (relname == NULL)
		return psprintf("relation %u", relid);
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  relname);
}

/*
 * Note that this backend holds the modes "mask" on relation "relid";
 * append what is new to *taken.
 */
static void
note_held(HTAB *held, Oid relid, LOCKMASK mask, Oid *migrate_nsp,
		  List **taken)
{
	MigrateHeldLock *h;
	bool		found;
	LOCKMASK	added;

	h = (MigrateHeldLock *) hash_search(held, &relid, HASH_ENTER, &found);
	if (!found)
	{
		h->held = 0;
		h->ignored = relid < FirstNormalObjectId;
		if (!h->ignored)
		{
			if (!OidIsValid(*migrate_nsp))
				*migrate_nsp = get_namespace_oid(MIGRATE_SCHEMA, true);
			h->ignored = get_rel_namespace(relid) == *migrate_nsp;
		}
	}
	added = mask & ~h->held;
	h->held |= mask;
	if (added && !h->ignored)
	{
		MigrateHeldLock *t = palloc(sizeof(MigrateHeldLock));

		t->relid = relid;
		t->held = added;
		t->ignored = false;
		*taken = lappend(*taken, t);
	}
}

/*
 * The other sessions queued for a lock that conflicts with one this
 * backend holds on a relation of "held", as text ("pid 42 waits for
 * RowExclusiveLock on public.t").  Read from the whole lock table, which
 * is only done when one of this backend's locks has waiters.
 */
static List *
waiters_behind(HTAB *held)
{
	LockData   *data = GetLockStatusData();
	List	   *result = NIL;
	int			i;

	for (i = 0; i < data->nelements; i++)
	{
		LockInstanceData *inst = &data->locks[i];
		MigrateHeldLock *h;
		Oid			relid;
		LOCKMODE	m;

		if (inst->pid == MyProcPid || inst->leaderPid == MyProcPid ||
			inst->waitLockMode == NoLock ||
			inst->locktag.locktag_type != LOCKTAG_RELATION ||
			inst->locktag.locktag_field1 != MyDatabaseId)
			continue;
		relid = inst->locktag.locktag_field2;
		h = (MigrateHeldLock *) hash_search(held, &relid, HASH_FIND, NULL);
		if (h == NULL || h->ignored)
			continue;
		for (m = 1; m <= MaxLockMode; m++)
		{
			if ((h->held & LOCKBIT_ON(m)) &&
				DoLockModesConflict(inst->waitLockMode, m))
			{
				result = lappend(result,
								 psprintf("pid %d waits for %s on %s",
										  inst->pid,
										  GetLockmodeName(DEFAULT_LOCKMETHOD,
														  inst->waitLockMode),
										  migrate_lock_relation_name(relid)));
				break;
			}
		}
	}
	return result;
}

/*
 * The locks this backend took since the last call: a list of
 * MigrateHeldLock with the modes newly held, "held" updated.  *waiters
 * receives, as text, the other sessions now queued for a lock that
 * conflicts with one this backend holds.  Allocated in the current memory
 * context.
 *
 * Only this backend's own locks are read: its fast-path slots and its
 * PROCLOCKs in the main lock table (what pg_locks shows of it), each
 * under the LWLock that protects it, shared.  Reading the whole lock
 * table, as pg_locks does, after each statement of a long rollout that
 * holds thousands of locks would make plan() quadratic in them.  Of its
 * own, each entry costs a comparison with what its position showed last
 * time (seen_before()), and a hash lookup only when that differs; who
 * waits is checked on every lock held, since a session can queue behind
 * any of them.
 */
List *
migrate_locks_taken(MigrateHeldLocks *held, List **waiters)
{
	Oid			migrate_nsp = InvalidOid;
	List	   *taken = NIL;
	bool		queued = false;
	MigrateNewLock *news = NULL;
	int			nnews = 0;
	int			allocated = 0;
	int			partition;
	int			i;

	*waiters = NIL;

	/*
	 * A look that did not run to its end (an error) may have remembered
	 * locks it did not note: this one compares with nothing.
	 */
	if (!held->complete)
	{
		held->fastpath.count = 0;
		for (partition = 0; partition < NUM_LOCK_PARTITIONS; partition++)
			held->partitions[partition].count = 0;
	}
	held->complete = false;

	/*
	 * Under each LWLock, only what may be new is copied; it is noted
	 * after, since note_held() may read the catalog, which can take a
	 * lock.
	 */
	LWLockAcquire(&MyProc->fpInfoLock, LW_SHARED);
	for (i = 0; i < migrate_fp_slots(); i++)
	{
		uint32		modes = migrate_fp_modes(i);
		Oid			relid = modes != 0 ? MyProc->fpRelId[i] : InvalidOid;

		/* bit 0 is AccessShareLock, mode 1 */
		if (maybe_new(held, &held->fastpath, i, relid, (LOCKMASK) modes << 1))
			add_new(&news, &nnews, &allocated, relid, (LOCKMASK) modes << 1);
	}
	held->fastpath.count = i;
	LWLockRelease(&MyProc->fpInfoLock);

	for (partition = 0; partition < NUM_LOCK_PARTITIONS; partition++)
	{
		MigrateSeenList *seen = &held->partitions[partition];
		PROCLOCK   *proclock;
		MigrateProcLockIter iter;

		i = 0;
		LWLockAcquire(LockHashPartitionLockByIndex(partition), LW_SHARED);
		migrate_foreach_my_proclock(proclock, partition, iter)
		{
			LOCK	   *lock = proclock->tag.myLock;
			Oid			relid = InvalidOid;
			LOCKMASK	mask = 0;

			if (lock->tag.locktag_type == LOCKTAG_RELATION &&
				lock->tag.locktag_field1 == MyDatabaseId &&
				proclock->holdMask != 0)
			{
				relid = lock->tag.locktag_field2;
				mask = proclock->holdMask;
				if (lock->nRequested > lock->nGranted)
					queued = true;
			}
			if (maybe_new(held, seen, i, relid, mask))
				add_new(&news, &nnews, &allocated, relid, mask);
			i++;
		}
		seen->count = i;
		LWLockRelease(LockHashPartitionLockByIndex(partition));
	}

	for (i = 0; i < nnews; i++)
		note_held(held->hash, news[i].relid, news[i].mask, &migrate_nsp,
				  &taken);
	if (news)
		pfree(news);
	held->complete = true;

	if (queued)
		*waiters = waiters_behind(held->hash);
	return taken;
}

/*
 * A snapshot of the catalog as it is before a statement, registered with
 * the current resource owner (the step's subtransaction, which releases
 * it if the statement fails).
 */
Snapshot
migrate_relfilenodes_before(void)
{
	return RegisterSnapshot(GetLatestSnapshot());
}

/*
 * The row of relation "relid" in pg_class as snapshot "before" sees it,
 * copied, or NULL.
 */
static HeapTuple
class_tuple_before(Oid relid, Snapshot before)
{
	Relation	pg_class;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;

	pg_class = table_open(RelationRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_class_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	scan = systable_beginscan(pg_class, ClassOidIndexId, true, before, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		tuple = heap_copytuple(tuple);
	systable_endscan(scan);
	table_close(pg_class, AccessShareLock);
	return tuple;
}

/*
 * The name of a relation a statement locked, as
 * migrate_lock_relation_name() gives it; for one the statement dropped,
 * its name before the statement.  NULL for a relation that exists
 * neither before nor after the statement: a transient one, such as the
 * new heap of a rewrite.
 */
char *
migrate_relation_name_around(Oid relid, Snapshot before)
{
	HeapTuple	tuple;
	Form_pg_class form;
	char	   *nspname;

	if (get_rel_name(relid) != NULL)
		return migrate_lock_relation_name(relid);
	tuple = class_tuple_before(relid, before);
	if (tuple == NULL)
		return NULL;
	form = (Form_pg_class) GETSTRUCT(tuple);
	nspname = get_namespace_name(form->relnamespace);
	return quote_qualified_identifier(nspname ? nspname : "?",
									  pstrdup(NameStr(form->relname)));
}

/*
 * Whether relation "relid" has another relfilenode now than it had in
 * snapshot "before": the statement rewrote it.  A relation created by
 * the statement, or dropped by it, is not rewritten.
 */
bool
migrate_relation_rewritten(Oid relid, Snapshot before)
{
	HeapTuple	tuple;
	Oid			old_node = InvalidOid;
	Oid			new_node = InvalidOid;

	tuple = class_tuple_before(relid, before);
	if (tuple != NULL)
		old_node = ((Form_pg_class) GETSTRUCT(tuple))->relfilenode;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tuple))
	{
		new_node = ((Form_pg_class) GETSTRUCT(tuple))->relfilenode;
		ReleaseSysCache(tuple);
	}
	return OidIsValid(old_node) && OidIsValid(new_node) && old_node != new_node;
}

/*
 * emit_log_hook while plan() runs: when the message is log_lock_waits'
 * "still waiting for" report, emitted from inside the wait, remember
 * what this backend is queued for.  It only copies; the message goes on
 * to the previous hook and the log unchanged.
 */
static emit_log_hook_type prev_emit_log_hook = NULL;

static void
lock_wait_log_hook(ErrorData *edata)
{
	if (MyProc != NULL && MyProc->waitLock != NULL)
	{
		waited_tag = MyProc->waitLock->tag;
		waited_mode = MyProc->waitLockMode;
		waited = true;
	}
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

/*
 * Watch the lock waits of the statements to come: log_lock_waits reports
 * a wait once it has lasted deadlock_timeout, from inside the wait, where
 * MyProc says what for.  Both settings are made for the current
 * (sub)transaction only, and so is the wait's deadlock check, which
 * comes sooner: a plan's waits are short.  "timeout_ms" is the lock
 * timeout the statements run with.
 */
void
migrate_lock_wait_watch(int timeout_ms)
{
	char		value[32];

	if (timeout_ms <= 0)
		return;
	snprintf(value, sizeof(value), "%d", Max(timeout_ms / 2, 1));
	(void) set_config_option("deadlock_timeout", value, PGC_SUSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	(void) set_config_option("log_lock_waits", "on", PGC_SUSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = lock_wait_log_hook;
}

/*
 * Stop watching, on every way out of plan().
 */
void
migrate_lock_wait_unwatch(void)
{
	if (emit_log_hook == lock_wait_log_hook)
		emit_log_hook = prev_emit_log_hook;
}

/*
 * What the failed statement waited for, if it waited.
 */
bool
migrate_lock_waited(LOCKTAG *tag, LOCKMODE *mode)
{
	if (!waited)
		return false;
	*tag = waited_tag;
	*mode = waited_mode;
	return true;
}

void
migrate_lock_wait_forget(void)
{
	waited = false;
}

/*
 * The other sessions that hold a lock conflicting with "mode" on "tag"
 * (any lock, for NoLock), or are queued for one ahead of it, as text: "pid 42 holds
 * AccessShareLock on public.t: <its query>".  The query is the one
 * pg_stat_activity shows the caller.  The caller is connected to SPI.
 */
List *
migrate_lock_blockers(const LOCKTAG *tag, LOCKMODE mode)
{
	LockData   *data = GetLockStatusData();
	List	   *result = NIL;
	char	   *what;
	int			i;

	if (tag->locktag_type == LOCKTAG_RELATION)
		what = migrate_lock_relation_name(tag->locktag_field2);
	else
		what = pstrdup(_("a lock that is not a relation's"));

	for (i = 0; i < data->nelements; i++)
	{
		LockInstanceData *inst = &data->locks[i];
		LOCKMODE	m;
		StringInfoData modes;
		bool		holds = false;
		Datum		arg;
		bool		isnull;
		char	   *query = NULL;

		if (inst->pid == MyProcPid || inst->leaderPid == MyProcPid ||
			memcmp(&inst->locktag, tag, sizeof(LOCKTAG)) != 0)
			continue;
		initStringInfo(&modes);
		for (m = 1; m <= MaxLockMode; m++)
		{
			if ((inst->holdMask & LOCKBIT_ON(m)) &&
				(mode == NoLock || DoLockModesConflict(mode, m)))
			{
				appendStringInfo(&modes, "%s%s", holds ? ", " : "",
								 GetLockmodeName(DEFAULT_LOCKMETHOD, m));
				holds = true;
			}
		}
		if (!holds && (inst->waitLockMode == NoLock || mode == NoLock ||
					   !DoLockModesConflict(mode, inst->waitLockMode)))
			continue;

		arg = Int32GetDatum(inst->pid);
		if (SPI_execute_with_args("SELECT pg_catalog.regexp_replace(pg_catalog.btrim("
								  "  pg_catalog.\"left\"(query, 200)), '\\s+', ' ', 'g')"
								  "  FROM pg_catalog.pg_stat_activity"
								  " WHERE pid OPERATOR(pg_catalog.=) $1",
								  1, (Oid[]) {INT4OID}, &arg, NULL, true, 1) == SPI_OK_SELECT &&
			SPI_processed == 1)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0],
										  SPI_tuptable->tupdesc, 1, &isnull);

			if (!isnull)
				query = TextDatumGetCString(d);
		}
		if (holds)
			result = lappend(result, psprintf("pid %d holds %s on %s: %s",
											  inst->pid, modes.data, what,
											  query ? query : "?"));
		else
			result = lappend(result, psprintf("pid %d waits for %s on %s: %s",
											  inst->pid,
											  GetLockmodeName(DEFAULT_LOCKMETHOD,
															  inst->waitLockMode),
											  what, query ? query : "?"));
	}
	return result;
}
