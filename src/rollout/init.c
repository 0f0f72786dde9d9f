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
 * Called once by _PG_init().
 */
void
migrate_rollout_init(void)
{
	migrate_lint_init();
	migrate_measure_init();
	migrate_approve_init();
}
