/*-------------------------------------------------------------------------
 *
 * rollout.h
 *	  DBA-driven rollouts: lint() and lint_sql(), findings from
 *	  PostgreSQL's parse tree sized by the live catalog, and plan(), which
 *	  runs the pending migrations in a subtransaction, measures what each
 *	  statement locks, rewrites and writes, and rolls everything back.
 *
 * The rollout subsystem sits beside ddl, schema and files: it calls down
 * into the engine (scripts, plans, steps) and common, never the reverse.
 * Where the engine must consult it (lint at add(), with
 * migrate.lint_level), the engine exposes a hook that init.c sets when
 * the module loads.
 *
 * IDENTIFICATION
 *	  src/rollout/rollout.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_ROLLOUT_H
#define MIGRATE_ROLLOUT_H

#include "engine/engine.h"
#include "storage/lock.h"
#include "utils/hsearch.h"
#include "utils/snapshot.h"

/* in init.c */
extern void migrate_rollout_init(void);

/*
 * lint (lint*.c)
 */
extern void migrate_lint_init(void);

/*
 * plan (measure*.c)
 */

/* migrate.plan_lock_timeout, ms (measure.c) */
extern int	migrate_plan_lock_timeout;

/*
 * The relation locks this backend holds, as plan() has seen them so far:
 * relation OID to the mask of lock modes held (measure_locks.c).
 */
typedef struct MigrateHeldLock
{
	Oid			relid;			/* hash key */
	LOCKMASK	held;
	bool		ignored;		/* a catalog's or migrate's: not reported */
} MigrateHeldLock;

/* in measure.c */
extern void migrate_measure_init(void);

/* in measure_locks.c */
extern HTAB *migrate_held_locks_create(void);
extern List *migrate_locks_taken(HTAB *held, List **waiters);
extern char *migrate_lock_relation_name(Oid relid);
extern Snapshot migrate_relfilenodes_before(void);
extern char *migrate_relation_name_around(Oid relid, Snapshot before);
extern bool migrate_relation_rewritten(Oid relid, Snapshot before);
extern void migrate_lock_wait_watch(int timeout_ms);
extern void migrate_lock_wait_unwatch(void);
extern bool migrate_lock_waited(LOCKTAG *tag, LOCKMODE *mode);
extern void migrate_lock_wait_forget(void);
extern List *migrate_lock_blockers(const LOCKTAG *tag, LOCKMODE mode);

#endif							/* MIGRATE_ROLLOUT_H */
