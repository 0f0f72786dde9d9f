/*-------------------------------------------------------------------------
 *
 * lint.c
 *	  lint() and lint_sql(): findings from the parse tree, sized by the
 *	  live catalog.
 *
 * IDENTIFICATION
 *	  src/rollout/lint.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "rollout/rollout.h"

/*
 * The settings and hooks of lint.
 */
void
migrate_lint_init(void)
{
}
