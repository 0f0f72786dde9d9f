/*-------------------------------------------------------------------------
 *
 * init.c
 *	  Module load of the rollout subsystem: its settings and the engine
 *	  hooks it sets.
 *
 * IDENTIFICATION
 *	  src/rollout/init.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "rollout/rollout.h"

/*
 * The engine's check of the pending migrations a call is about to apply:
 * a release runs exactly what was approved for it (release.c), and with
 * migrate.require_approval only approved migrations run (approve.c).
 */
static void
check_pending(const List *entries, bool can_commit)
{
	migrate_check_release(entries, can_commit);
	migrate_check_approvals(entries, can_commit);
}

/*
 * Called once by _PG_init().
 */
void
migrate_rollout_init(void)
{
	migrate_lint_init();
	migrate_measure_init();
	migrate_approve_init();
	migrate_pending_check_hook = check_pending;
}
