/*-------------------------------------------------------------------------
 *
 * measure.c
 *	  plan(): the pending migrations run in a subtransaction, measured,
 *	  and rolled back.
 *
 * IDENTIFICATION
 *	  src/rollout/measure.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "rollout/rollout.h"

/*
 * The settings and hooks of plan().
 */
void
migrate_measure_init(void)
{
}
