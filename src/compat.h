/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Differences between the PostgreSQL majors migrate supports.
 *
 * Every difference between server versions lives here, as a macro, so
 * that the .c files read the same on every supported major and no #if
 * appears inside a function or a parameter list.  The supported majors
 * are 15 and later; 13 and 14 are no longer built (13 is past its end of
 * life, and no supported platform of ours packages 14).
 *
 * IDENTIFICATION
 *	  src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_COMPAT_H
#define MIGRATE_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "migrate requires PostgreSQL 15 or later"
#endif

/*
 * PortalRun(): 18 dropped the run_once parameter (it was always true for
 * callers that run a portal to completion).
 */
#if PG_VERSION_NUM >= 180000
#define migrate_portal_run(portal, count, isTopLevel, dest, altdest, qc) \
	PortalRun((portal), (count), (isTopLevel), (dest), (altdest), (qc))
#else
#define migrate_portal_run(portal, count, isTopLevel, dest, altdest, qc) \
	PortalRun((portal), (count), (isTopLevel), true, (dest), (altdest), (qc))
#endif

/*
 * A function that never returns: 18 replaced the trailing
 * pg_attribute_noreturn() with pg_noreturn in front of the declaration.
 * Before 18 the same attribute is accepted in front, too.
 */
#if PG_VERSION_NUM < 180000
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * The relation a sequence's WAL record is for: 16 renamed RelFileNode to
 * RelFileLocator.
 */
#if PG_VERSION_NUM >= 160000
#define migrate_seq_rec_set_relation(xlrec, rel) \
	((xlrec).locator = (rel)->rd_locator)
#else
#define migrate_seq_rec_set_relation(xlrec, rel) \
	((xlrec).node = (rel)->rd_node)
#endif

/*
 * 17 gave LockHeldByMe() an "orstronger" argument and moved a backend's
 * local transaction id into PGPROC.vxid.
 */
#if PG_VERSION_NUM >= 170000
#define migrate_lock_held_by_me(tag, mode)	LockHeldByMe((tag), (mode), false)
#define migrate_my_lxid()	(MyProc->vxid.lxid)
#else
#define migrate_lock_held_by_me(tag, mode)	LockHeldByMe((tag), (mode))
#define migrate_my_lxid()	(MyProc->lxid)
#endif

/*
 * Virtual generated columns (pg_attribute.attgenerated 'v') are new in 18,
 * and its default kind; before 18 no column has that value.
 */
#define MIGRATE_ATTRIBUTE_GENERATED_VIRTUAL 'v'

/*
 * Every setting's struct (utils/guc_tables.h): 16 returns how many, and
 * a palloc'd array; before 16 the count is GetNumConfigOptions().
 */
#if PG_VERSION_NUM >= 160000
#define migrate_guc_variables(num)	get_guc_variables(num)
#else
#define migrate_guc_variables(num) \
	(*(num) = GetNumConfigOptions(), get_guc_variables())
#endif

/*
 * A generated column in a parse tree: 18 added virtual ones (its default
 * kind, which is not stored and does not rewrite the table); before 18
 * every generated column is stored.
 */
#if PG_VERSION_NUM >= 180000
#define migrate_constraint_generated_stored(c) \
	((c)->generated_kind == ATTRIBUTE_GENERATED_STORED)
#else
#define migrate_constraint_generated_stored(c)	true
#endif

/*
 * This backend's own locks, as plan() reads them (rollout/measure_locks.c):
 * its PROCLOCKs of each lock partition (a dlist from 16 on, a SHM_QUEUE
 * before), and its fast-path slots (groups of 16 slots from 18 on, each
 * slot's modes in 3 bits, AccessShareLock first).  The caller holds the
 * partition's LWLock, or fpInfoLock, in shared mode.
 */
#if PG_VERSION_NUM >= 160000
#define migrate_foreach_my_proclock(proclock, partition, iter) \
	dlist_foreach((iter), &MyProc->myProcLocks[(partition)]) \
		if (((proclock) = dlist_container(PROCLOCK, procLink, (iter).cur)) != NULL)
typedef dlist_iter MigrateProcLockIter;
#else
#define migrate_foreach_my_proclock(proclock, partition, iter) \
	for ((void) (iter), \
		 (proclock) = (PROCLOCK *) SHMQueueNext(&MyProc->myProcLocks[(partition)], \
												&MyProc->myProcLocks[(partition)], \
												offsetof(PROCLOCK, procLink)); \
		 (proclock) != NULL; \
		 (proclock) = (PROCLOCK *) SHMQueueNext(&MyProc->myProcLocks[(partition)], \
												&(proclock)->procLink, \
												offsetof(PROCLOCK, procLink)))
typedef int MigrateProcLockIter;
#endif
#if PG_VERSION_NUM >= 180000
#define migrate_fp_slots()	FastPathLockSlotsPerBackend()
#define migrate_fp_modes(i) \
	((MyProc->fpLockBits[(i) / FP_LOCK_SLOTS_PER_GROUP] >> \
	  (((i) % FP_LOCK_SLOTS_PER_GROUP) * 3)) & 7)
#else
#define migrate_fp_slots()	FP_LOCK_SLOTS_PER_BACKEND
#define migrate_fp_modes(i)	((MyProc->fpLockBits >> ((i) * 3)) & 7)
#endif

#endif							/* MIGRATE_COMPAT_H */
